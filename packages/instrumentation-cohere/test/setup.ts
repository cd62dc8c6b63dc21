/** Shared setup: the real cohere-ai, instrumented, against the fake Cohere v2 API. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { CohereInstrumentation } from '../src/index.js';
import { type FakeCohere, startFakeCohere } from './fake-cohere.js';

const require = createRequire(import.meta.url);
/** The same module instance the SDK loads (the file is not in the package's exports map). */
export const v2ClientModule = require(
  join(dirname(require.resolve('cohere-ai')), 'api/resources/v2/client/Client.js'),
);
export const cohere = require('cohere-ai') as typeof import('cohere-ai');

export interface Harness {
  otel: TestOtel;
  fake: FakeCohere;
  instrumentation: CohereInstrumentation;
}

export async function startHarness(): Promise<Harness> {
  const otel = setupOtel();
  const fake = await startFakeCohere();
  const instrumentation = new CohereInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(v2ClientModule);
  return { otel, fake, instrumentation };
}

/** Cohere's published per-million-token prices (USD). */
export const PRICE = {
  'command-r-08-2024': { input: 0.15, output: 0.6 },
  'embed-v4.0': { input: 0.12 },
};
export const perM = (tokens: number, usd: number) => (tokens * usd) / 1_000_000;
