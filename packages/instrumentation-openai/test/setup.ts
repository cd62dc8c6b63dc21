/** Shared setup: the real openai 7 and 4 side by side, instrumented, against the fake server. */

import * as openai7 from 'openai';
import * as openai4 from 'openai-v4';
import { type FakeLLM, startFakeLLM } from '../../../test/fakes/llm-server.js';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { OpenAIInstrumentation } from '../src/index.js';

export type AnyClient = any;

export const SDKS = [
  { name: 'openai@7', OpenAI: openai7.OpenAI as any, module: openai7 },
  { name: 'openai@4', OpenAI: openai4.OpenAI as any, module: openai4 },
];

export interface Harness {
  otel: TestOtel;
  fake: FakeLLM;
  instrumentation: OpenAIInstrumentation;
  client(sdk: (typeof SDKS)[number], options?: Record<string, unknown>): AnyClient;
}

export async function startHarness(): Promise<Harness> {
  const otel = setupOtel();
  const fake = await startFakeLLM();
  const instrumentation = new OpenAIInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  for (const sdk of SDKS) instrumentation.patch(sdk.module);
  return {
    otel,
    fake,
    instrumentation,
    client: (sdk, options = {}) =>
      new sdk.OpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseURL, maxRetries: 0, ...options }),
  };
}

/** Per-million-token prices published by OpenAI (USD), used to compute expected costs by hand. */
export const PRICE = {
  'gpt-4o-mini': { input: 0.15, cached: 0.075, output: 0.6 },
  'text-embedding-3-small': { input: 0.02 },
  'gpt-3.5-turbo-instruct': { input: 1.5, output: 2 },
};

export const perM = (tokens: number, usdPerMillion: number) => (tokens * usdPerMillion) / 1_000_000;
