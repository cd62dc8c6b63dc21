/** Prompt fingerprints on real @mistralai/mistralai calls: keyed hashes and a prefix size, no prompt text. */
import * as mistral from '@mistralai/mistralai';
import { Mistral } from '@mistralai/mistralai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import {
  ANSWER,
  drain,
  expectNoPromptText,
  FUNCTION_TOOLS,
  fingerprints,
  PROMPT_TEXTS,
  QUESTIONS,
  SYSTEM,
  usePromptHashKey,
} from '../../../test/fakes/prompt-fingerprints.js';
import { MistralInstrumentation } from '../src/index.js';
import { DEFAULT_USAGE, type FakeMistral, startFakeMistral } from './fake-mistral.js';

let otel: TestOtel;
let fake: FakeMistral;
beforeAll(async () => {
  otel = setupOtel();
  fake = await startFakeMistral();
  const instrumentation = new MistralInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(mistral);
});
afterAll(async () => {
  await fake.close();
});
const fingerprint = usePromptHashKey('mistral-fingerprint-test-key');
afterEach(() => {
  otel.reset();
  fake.reset();
});

const client = () =>
  new Mistral({ apiKey: 'fake-key', serverURL: fake.url, retryConfig: { strategy: 'none' } });
const MODEL = 'mistral-small-latest';
const tools = FUNCTION_TOOLS;
const system = { role: 'system' as const, content: SYSTEM };
const ask = (question: string, history: Array<{ role: 'user' | 'assistant'; content: string }> = []) => ({
  model: MODEL,
  maxTokens: 64,
  tools,
  messages: [system, ...history, { role: 'user' as const, content: question }],
});

describe('mistral prompt fingerprints', () => {
  it('the full fingerprint is the keyed HMAC of the request; the prefix one of model, tools and leading system messages', async () => {
    const followUp = ask(QUESTIONS[1]!, [
      { role: 'user', content: QUESTIONS[0]! },
      { role: 'assistant', content: ANSWER },
    ]);
    await client().chat.complete(ask(QUESTIONS[0]!));
    await client().chat.complete(followUp);
    const spans = await otel.waitForSpans(2);
    const [first, second] = spans.map(fingerprints);
    expect(first!.full).toBe(fingerprint(ask(QUESTIONS[0]!)));
    expect(second!.full).toBe(fingerprint(followUp));
    const prefix = fingerprint({ model: MODEL, tools, messages: [system] });
    // The conversation is not part of the prefix: a follow-up turn shares the first turn's.
    expect(first!.prefix).toBe(prefix);
    expect(second!.prefix).toBe(prefix);
    for (const span of spans) expectNoPromptText(span, PROMPT_TEXTS);
  });

  it('same system prompt and tools, different last user message: shared prefix, distinct requests; streams alike', async () => {
    await client().chat.complete(ask(QUESTIONS[0]!));
    await client().chat.complete(ask(QUESTIONS[1]!));
    await drain(await client().chat.stream(ask(QUESTIONS[0]!)));
    const spans = await otel.waitForSpans(3);
    const [a, b, s] = spans.map(fingerprints);
    expect(a!.full).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toBe(b!.prefix);
    expect(a!.full).not.toBe(b!.full);
    expect(s!.full).toBe(a!.full);
    expect(s!.prefix).toBe(a!.prefix);
    for (const span of spans) expectNoPromptText(span, PROMPT_TEXTS);
  });

  it('prefix_tokens: the prefix share of the reported input tokens, plain and streamed', async () => {
    const usage = { ...DEFAULT_USAGE, prompt_tokens: 1000, total_tokens: 1005 };
    fake.enqueue({ usage }, { usage });
    await client().chat.complete(ask(QUESTIONS[0]!));
    await drain(await client().chat.stream(ask(QUESTIONS[0]!)));
    for (const span of await otel.waitForSpans(2)) {
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
    }
  });

  it('BURNRATE_PROMPT_FINGERPRINT=false: no fingerprint attributes', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    await client().chat.complete(ask(QUESTIONS[0]!));
    await drain(await client().chat.stream(ask(QUESTIONS[0]!)));
    for (const span of await otel.waitForSpans(2)) {
      expect(fingerprints(span)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
    }
  });

  it('embeddings carry no fingerprint (as in the openai instrumentation)', async () => {
    await client().embeddings.create({ model: 'mistral-embed', inputs: [QUESTIONS[0]!] });
    const [span] = await otel.waitForSpans(1);
    expect(fingerprints(span!)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
  });
});
