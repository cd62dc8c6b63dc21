/** The real @anthropic-ai/sdk 1.x and 0.x side by side, instrumented, against the fake server. */
import * as anthropic1 from '@anthropic-ai/sdk';
import { trace } from '@opentelemetry/api';
import * as anthropic0 from 'anthropic-v0';
import { type FakeLLM, startFakeLLM } from '../../../test/fakes/llm-server.js';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { AnthropicInstrumentation } from '../src/index.js';

export const SDKS = [
  { name: '@anthropic-ai/sdk@1', Anthropic: anthropic1.Anthropic as any, module: anthropic1 },
  { name: '@anthropic-ai/sdk@0', Anthropic: anthropic0.Anthropic as any, module: anthropic0 },
];

export interface Harness {
  otel: TestOtel;
  fake: FakeLLM;
  client(sdk: (typeof SDKS)[number]): any;
}

export async function startHarness(): Promise<Harness> {
  const otel = setupOtel();
  // Global, as in an app: the SDK's own tracing (on by default) would use it too.
  trace.setGlobalTracerProvider(otel.tracerProvider);
  const fake = await startFakeLLM();
  const instrumentation = new AnthropicInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  for (const sdk of SDKS) instrumentation.patch(sdk.module);
  return {
    otel,
    fake,
    client: (sdk) => new sdk.Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 }),
  };
}

/** Published per-million-token prices of claude-3-5-haiku (USD). */
export const HAIKU = { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite5m: 1, cacheWrite1h: 1.6 };
export const perM = (tokens: number, usd: number) => (tokens * usd) / 1_000_000;
