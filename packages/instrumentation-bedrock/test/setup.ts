/** Shared setup: the real @aws-sdk/client-bedrock-runtime, instrumented, against the fake Bedrock server. */
import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { BedrockInstrumentation } from '../src/index.js';
import { type FakeBedrock, startFakeBedrock } from './fake-bedrock.js';

export interface Harness {
  otel: TestOtel;
  fake: FakeBedrock;
  instrumentation: BedrockInstrumentation;
  client(): bedrock.BedrockRuntimeClient;
}

export async function startHarness(): Promise<Harness> {
  const otel = setupOtel();
  const fake = await startFakeBedrock();
  const instrumentation = new BedrockInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(bedrock);
  return {
    otel,
    fake,
    instrumentation,
    client: () =>
      new bedrock.BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: fake.url,
        credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
        maxAttempts: 1,
      }),
  };
}

/** AWS's published on-demand per-million-token prices (USD), to compute expected costs by hand. */
export const PRICE = {
  'claude-3-5-haiku': { input: 0.8, cacheWrite: 1, cacheRead: 0.08, output: 4 },
  'claude-sonnet-4': { input: 3, cacheWrite: 3.75, cacheRead: 0.3, output: 15 },
  'nova-lite': { input: 0.06, cacheRead: 0.015, output: 0.24 },
  'titan-text-express': { input: 0.2, output: 0.6 },
  'titan-embed-text-v2': { input: 0.02 },
};

export const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
export const perM = (tokens: number, usdPerMillion: number) => (tokens * usdPerMillion) / 1_000_000;
export const json = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
export const parse = (b: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(b));
