/** Prompt fingerprints on real cohere-ai v2 calls: keyed hashes and a prefix size, no prompt text. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestOtel } from '../../../test/fakes/otel.js';
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
import { DEFAULT_USAGE, type FakeCohere } from './fake-cohere.js';
import { cohere, startHarness } from './setup.js';

let otel: TestOtel;
let fake: FakeCohere;
beforeAll(async () => {
  ({ otel, fake } = await startHarness());
});
afterAll(async () => {
  await fake.close();
});
const fingerprint = usePromptHashKey('cohere-fingerprint-test-key');
afterEach(() => {
  otel.reset();
  fake.reset();
});

const client = () =>
  new cohere.CohereClientV2({ token: 'fake-key', environment: fake.url, maxRetries: 0 } as any);
const MODEL = 'command-r-08-2024';
const tools = FUNCTION_TOOLS;
const system = { role: 'system' as const, content: SYSTEM };
const ask = (question: string, history: Array<{ role: 'user' | 'assistant'; content: string }> = []) => ({
  model: MODEL,
  maxTokens: 64,
  tools,
  messages: [system, ...history, { role: 'user' as const, content: question }],
});

describe('cohere prompt fingerprints', () => {
  it('the full fingerprint is the keyed HMAC of the request; the prefix one of model, tools and leading system messages', async () => {
    const followUp = ask(QUESTIONS[1]!, [
      { role: 'user', content: QUESTIONS[0]! },
      { role: 'assistant', content: ANSWER },
    ]);
    await client().chat(ask(QUESTIONS[0]!));
    await client().chat(followUp);
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
    await client().chat(ask(QUESTIONS[0]!));
    await client().chat(ask(QUESTIONS[1]!));
    await drain(await client().chatStream(ask(QUESTIONS[0]!)));
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
    // Billed input tokens are what the span reports as input.
    const usage = { ...DEFAULT_USAGE, billed_units: { input_tokens: 1000, output_tokens: 5 } };
    fake.enqueue({ usage }, { usage });
    await client().chat(ask(QUESTIONS[0]!));
    await drain(await client().chatStream(ask(QUESTIONS[0]!)));
    for (const span of await otel.waitForSpans(2)) {
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
    }
  });

  it('BURNRATE_PROMPT_FINGERPRINT=false: no fingerprint attributes', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    await client().chat(ask(QUESTIONS[0]!));
    await drain(await client().chatStream(ask(QUESTIONS[0]!)));
    for (const span of await otel.waitForSpans(2)) {
      expect(fingerprints(span)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
    }
  });

  it('embeddings carry no fingerprint (as in the openai instrumentation)', async () => {
    await client().embed({
      model: 'embed-v4.0',
      texts: [QUESTIONS[0]!],
      inputType: 'search_query',
      embeddingTypes: ['float'],
    });
    const [span] = await otel.waitForSpans(1);
    expect(fingerprints(span!)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
  });
});
