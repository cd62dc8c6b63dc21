import { afterAll, describe, expect, it } from 'vitest';
import { PROVIDER_SDKS } from '../src/providers.js';
import { SDKS } from '../src/setup.js';

const instrumentations = PROVIDER_SDKS.map((s) => s.create());
afterAll(() => {
  for (const i of instrumentations) i.disable();
});

describe('provider SDKs in the one import', () => {
  it('one instrumentation per provider SDK, each hooking its package', () => {
    const hooked = instrumentations.map((i) => [
      i.instrumentationName,
      (i as any).getModuleDefinitions().map((d: { name: string }) => d.name),
    ]);
    expect(hooked).toEqual([
      ['@burnrate/instrumentation-google-genai', ['@google/genai']],
      ['@burnrate/instrumentation-bedrock', ['@aws-sdk/client-bedrock-runtime']],
      ['@burnrate/instrumentation-mistral', ['@mistralai/mistralai']],
      ['@burnrate/instrumentation-cohere', ['cohere-ai']],
      ['@burnrate/instrumentation-groq', ['groq-sdk']],
    ]);
    expect(PROVIDER_SDKS.map((s) => s.module)).toEqual(hooked.map(([, [module]]) => module));
  });

  it('auto sets up every provider SDK it finds installed', () => {
    expect(SDKS.map((s) => s.module)).toEqual([
      'openai',
      '@anthropic-ai/sdk',
      '@google/genai',
      '@aws-sdk/client-bedrock-runtime',
      '@mistralai/mistralai',
      'cohere-ai',
      'groq-sdk',
    ]);
  });
});
