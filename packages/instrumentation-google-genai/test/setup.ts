/** Shared setup: the real @google/genai, instrumented, against the fake Gemini server. */
import * as genai from '@google/genai';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { GoogleGenAIInstrumentation } from '../src/index.js';
import { type FakeGemini, startFakeGemini } from './fake-gemini.js';

export interface Harness {
  otel: TestOtel;
  fake: FakeGemini;
  instrumentation: GoogleGenAIInstrumentation;
  client(options?: Record<string, unknown>): genai.GoogleGenAI;
}

export async function startHarness(): Promise<Harness> {
  const otel = setupOtel();
  const fake = await startFakeGemini();
  const instrumentation = new GoogleGenAIInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(genai);
  return {
    otel,
    fake,
    instrumentation,
    client: (options = {}) =>
      new genai.GoogleGenAI({ apiKey: 'fake-key', httpOptions: { baseUrl: fake.url }, ...options }),
  };
}

/** Google's published per-million-token prices (USD), to compute expected costs by hand. */
export const PRICE = {
  'gemini-2.5-flash': { input: 0.3, cached: 0.03, output: 2.5 },
  'gemini-2.0-flash': { input: 0.1, cached: 0.025, output: 0.4 },
  'gemini-embedding-001': { input: 0.15 },
};

export const perM = (tokens: number, usdPerMillion: number) => (tokens * usdPerMillion) / 1_000_000;
