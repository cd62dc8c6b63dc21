/** Prompt fingerprints on real groq-sdk calls: keyed hashes and a prefix size on the span, no prompt text. */

import * as groq from 'groq-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import {
  expectNoPromptText,
  FUNCTION_TOOLS,
  fingerprints,
  QUESTIONS,
  SYSTEM,
  TOOL_DESCRIPTION,
  usePromptHashKey,
} from '../../../test/fakes/prompt-fingerprints.js';
import { GroqInstrumentation } from '../src/index.js';
import { DEFAULT_USAGE, type FakeGroq, startFakeGroq } from './fake-groq.js';

let otel: TestOtel;
let fake: FakeGroq;
beforeAll(async () => {
  otel = setupOtel();
  fake = await startFakeGroq();
  const instrumentation = new GroqInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(groq);
});
afterAll(async () => {
  await fake.close();
});
const fingerprint = usePromptHashKey('groq-fingerprint-test-key');
afterEach(() => {
  otel.reset();
  fake.reset();
});

const client = () => new groq.Groq({ apiKey: 'gsk-fake', baseURL: fake.url, maxRetries: 0 });
const MODEL = 'llama-3.3-70b-versatile';
const tools = FUNCTION_TOOLS;
const system = { role: 'system' as const, content: SYSTEM };
const ask = (question: string) => ({
  model: MODEL,
  max_completion_tokens: 64,
  tools,
  messages: [system, { role: 'user' as const, content: question }],
});

const PROMPT_TEXTS = [SYSTEM.slice(0, 40), TOOL_DESCRIPTION, ...QUESTIONS];

describe('groq prompt fingerprints', () => {
  it('the full fingerprint is the keyed HMAC of the request; the prefix one of model, tools and leading messages', async () => {
    await client().chat.completions.create(ask(QUESTIONS[0]!));
    const [span] = await otel.waitForSpans(1);
    const f = fingerprints(span!);
    expect(f.full).toBe(fingerprint(ask(QUESTIONS[0]!)));
    expect(f.prefix).toBe(fingerprint({ model: MODEL, tools, messages: [system] }));
    expectNoPromptText(span!, PROMPT_TEXTS);
  });

  it('same system prompt and tools, different last user message: shared prefix, distinct requests; streams alike', async () => {
    await client().chat.completions.create(ask(QUESTIONS[0]!));
    await client().chat.completions.create(ask(QUESTIONS[1]!));
    const stream = await client().chat.completions.create({ ...ask(QUESTIONS[0]!), stream: true });
    for await (const _ of stream) {
      // drain
    }
    const spans = await otel.waitForSpans(3);
    const [a, b, s] = spans.map(fingerprints);
    expect(a!.full).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toBe(b!.prefix);
    expect(a!.full).not.toBe(b!.full);
    // `stream` does not change the answer: the streamed request has the plain one's fingerprints.
    expect(s!.full).toBe(a!.full);
    expect(s!.prefix).toBe(a!.prefix);
    for (const span of spans) expectNoPromptText(span, PROMPT_TEXTS);
  });

  it('prefix_tokens: the prefix share of the reported input tokens, plain and streamed', async () => {
    const usage = { ...DEFAULT_USAGE, prompt_tokens: 1000, total_tokens: 1005 };
    fake.enqueue({ usage }, { usage });
    await client().chat.completions.create(ask(QUESTIONS[0]!));
    const stream = await client().chat.completions.create({ ...ask(QUESTIONS[0]!), stream: true });
    for await (const _ of stream) {
      // drain
    }
    for (const span of await otel.waitForSpans(2)) {
      // The system prompt is nearly all of the request's text; the question is not in the prefix.
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
    }
  });

  it('BURNRATE_PROMPT_FINGERPRINT=false: no fingerprint attributes', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    await client().chat.completions.create(ask(QUESTIONS[0]!));
    const stream = await client().chat.completions.create({ ...ask(QUESTIONS[0]!), stream: true });
    for await (const _ of stream) {
      // drain
    }
    for (const span of await otel.waitForSpans(2)) {
      expect(fingerprints(span)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
    }
  });

  it('embeddings carry no fingerprint (as in the openai instrumentation)', async () => {
    await client().embeddings.create({ model: 'nomic-embed-text-v1_5', input: QUESTIONS[0]! });
    const [span] = await otel.waitForSpans(1);
    expect(fingerprints(span!)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
  });
});
