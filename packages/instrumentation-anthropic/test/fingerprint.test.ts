/** Prompt fingerprints on real @anthropic-ai/sdk calls (1.x and 0.x): keyed hashes and a prefix size, no prompt text. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANSWER,
  drain,
  expectNoPromptText,
  fingerprints,
  PROMPT_TEXTS,
  QUESTIONS,
  SYSTEM,
  TOOL_DESCRIPTION,
  usePromptHashKey,
} from '../../../test/fakes/prompt-fingerprints.js';
import { type Harness, SDKS, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
const fingerprint = usePromptHashKey('anthropic-fingerprint-test-key');
afterEach(() => {
  h.otel.reset();
  h.fake.requests.length = 0;
});

const MODEL = 'claude-3-5-haiku-20241022';
const tools = [
  {
    name: 'order_status',
    description: TOOL_DESCRIPTION,
    input_schema: { type: 'object', properties: { order_id: { type: 'string' } } },
  },
];
const ask = (question: string, history: Array<{ role: string; content: string }> = []) => ({
  model: MODEL,
  max_tokens: 64,
  system: SYSTEM,
  tools,
  messages: [...history, { role: 'user', content: question }],
});

describe.each(SDKS)('$name prompt fingerprints', (sdk) => {
  it('the full fingerprint is the keyed HMAC of the request; the prefix one of model, system, tools and leading messages', async () => {
    const followUp = ask(QUESTIONS[1]!, [
      { role: 'user', content: QUESTIONS[0]! },
      { role: 'assistant', content: ANSWER },
    ]);
    // `metadata` does not change the answer: it is not fingerprinted.
    await h.client(sdk).messages.create({ ...followUp, metadata: { user_id: 'u-1' } });
    const [span] = await h.otel.waitForSpans(1);
    const f = fingerprints(span!);
    expect(f.full).toBe(fingerprint(followUp));
    expect(f.prefix).toBe(
      fingerprint({ model: MODEL, system: SYSTEM, tools, messages: followUp.messages.slice(0, 2) }),
    );
    expectNoPromptText(span!, PROMPT_TEXTS);
  });

  it('same system prompt and tools, different last user message: shared prefix, distinct requests; streams alike', async () => {
    const client = h.client(sdk);
    await client.messages.create(ask(QUESTIONS[0]!));
    await client.messages.create(ask(QUESTIONS[1]!));
    await drain(await client.messages.create({ ...ask(QUESTIONS[0]!), stream: true }));
    await client.messages.stream(ask(QUESTIONS[0]!)).finalMessage();
    const spans = await h.otel.waitForSpans(4);
    const [a, b, s, helper] = spans.map(fingerprints);
    expect(a!.full).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toBe(fingerprint({ model: MODEL, system: SYSTEM, tools, messages: [] }));
    expect(a!.prefix).toBe(b!.prefix);
    expect(a!.full).not.toBe(b!.full);
    for (const streamed of [s!, helper!]) {
      expect(streamed.full).toBe(a!.full);
      expect(streamed.prefix).toBe(a!.prefix);
    }
    for (const span of spans) expectNoPromptText(span, PROMPT_TEXTS);
  });

  it('prefix_tokens: the prefix share of the reported input tokens, plain and streamed', async () => {
    const usage = {
      input_tokens: 1000,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: 9,
    };
    h.fake.enqueue({ usage }, { usage });
    const client = h.client(sdk);
    await client.messages.create(ask(QUESTIONS[0]!));
    await drain(await client.messages.create({ ...ask(QUESTIONS[0]!), stream: true }));
    for (const span of await h.otel.waitForSpans(2)) {
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
    }
  });

  it('BURNRATE_PROMPT_FINGERPRINT=false: no fingerprint attributes', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    const client = h.client(sdk);
    await client.messages.create(ask(QUESTIONS[0]!));
    await drain(await client.messages.create({ ...ask(QUESTIONS[0]!), stream: true }));
    for (const span of await h.otel.waitForSpans(2)) {
      expect(fingerprints(span)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
    }
  });
});
