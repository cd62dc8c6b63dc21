/** Prompt fingerprints on real @google/genai calls: keyed hashes and a prefix size, no prompt text. */
import * as genai from '@google/genai';
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
import { DEFAULT_USAGE } from './fake-gemini.js';
import { type Harness, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
const fingerprint = usePromptHashKey('gemini-fingerprint-test-key');
afterEach(() => {
  h.otel.reset();
  h.fake.reset();
});

const MODEL = 'gemini-2.5-flash';
const systemInstruction = { parts: [{ text: SYSTEM }] };
const tools = [
  {
    functionDeclarations: [
      {
        name: 'order_status',
        description: TOOL_DESCRIPTION,
        parametersJsonSchema: { type: 'object', properties: { order_id: { type: 'string' } } },
      },
    ],
  },
];
const toolConfig = { functionCallingConfig: { mode: genai.FunctionCallingConfigMode.AUTO } };
/** What fingerprints see of `config`: all of it but the SDK's own settings (httpOptions, abortSignal, ...). */
const promptConfig = { systemInstruction, tools, toolConfig, maxOutputTokens: 64 };
const config = () => ({
  ...promptConfig,
  httpOptions: { timeout: 30_000 },
  abortSignal: new AbortController().signal,
  labels: { team: 'support' },
});
const ask = (question: string) => ({ model: MODEL, contents: question, config: config() });

describe('gemini prompt fingerprints', () => {
  it('the full fingerprint is the keyed HMAC of the request; the prefix one of system instruction, tools and the turns before the last user turn', async () => {
    const contents = [
      { role: 'user', parts: [{ text: QUESTIONS[0]! }] },
      { role: 'model', parts: [{ text: ANSWER }] },
      { role: 'user', parts: [{ text: QUESTIONS[1]! }] },
    ];
    await h.client().models.generateContent({ model: `models/${MODEL}`, contents, config: config() });
    const [span] = await h.otel.waitForSpans(1);
    const f = fingerprints(span!);
    expect(f.full).toBe(fingerprint({ model: MODEL, contents, config: promptConfig }));
    expect(f.prefix).toBe(
      fingerprint({ model: MODEL, systemInstruction, tools, toolConfig, contents: contents.slice(0, 2) }),
    );
    expectNoPromptText(span!, PROMPT_TEXTS);
  });

  it('same system instruction and tools, different last user message: shared prefix, distinct requests; streams alike', async () => {
    const models = h.client().models;
    await models.generateContent(ask(QUESTIONS[0]!));
    await models.generateContent(ask(QUESTIONS[1]!));
    await drain(await models.generateContentStream(ask(QUESTIONS[0]!)));
    const spans = await h.otel.waitForSpans(3);
    const [a, b, s] = spans.map(fingerprints);
    expect(a!.full).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toMatch(/^[0-9a-f]{64}$/);
    // A string `contents` is one user turn: nothing leads it.
    expect(a!.prefix).toBe(fingerprint({ model: MODEL, systemInstruction, tools, toolConfig, contents: [] }));
    expect(a!.prefix).toBe(b!.prefix);
    expect(a!.full).not.toBe(b!.full);
    expect(s!.full).toBe(a!.full);
    expect(s!.prefix).toBe(a!.prefix);
    for (const span of spans) expectNoPromptText(span, PROMPT_TEXTS);
  });

  it('a cachedContent reference is part of the prefix', async () => {
    const models = h.client().models;
    const withCache = (cachedContent: string, question: string) => ({
      model: MODEL,
      contents: question,
      config: { cachedContent, maxOutputTokens: 64 },
    });
    await models.generateContent(withCache('cachedContents/manual-v1', QUESTIONS[0]!));
    await models.generateContent(withCache('cachedContents/manual-v1', QUESTIONS[1]!));
    await models.generateContent(withCache('cachedContents/manual-v2', QUESTIONS[0]!));
    const [a, b, c] = (await h.otel.waitForSpans(3)).map(fingerprints);
    expect(a!.prefix).toBe(
      fingerprint({ model: MODEL, cachedContent: 'cachedContents/manual-v1', contents: [] }),
    );
    expect(b!.prefix).toBe(a!.prefix);
    expect(c!.prefix).not.toBe(a!.prefix);
    expect(b!.full).not.toBe(a!.full);
  });

  it('chats.sendMessage: earlier turns join the prefix, the new message does not', async () => {
    const chat = h.client().chats.create({ model: MODEL, config: config() });
    await chat.sendMessage({ message: QUESTIONS[0]! });
    await chat.sendMessage({ message: QUESTIONS[1]! });
    const [first, second] = (await h.otel.waitForSpans(2)).map(fingerprints);
    const history = [
      { role: 'user', parts: [{ text: QUESTIONS[0]! }] },
      { role: 'model', parts: [{ text: 'Hello world' }] },
    ];
    expect(first!.prefix).toBe(
      fingerprint({ model: MODEL, systemInstruction, tools, toolConfig, contents: [] }),
    );
    expect(second!.prefix).toBe(
      fingerprint({ model: MODEL, systemInstruction, tools, toolConfig, contents: history }),
    );
  });

  it('prefix_tokens: the prefix share of the reported input tokens, plain and streamed', async () => {
    const usage = { ...DEFAULT_USAGE, promptTokenCount: 1000, totalTokenCount: 1004 };
    h.fake.enqueue({ usage }, { usage });
    const models = h.client().models;
    await models.generateContent(ask(QUESTIONS[0]!));
    await drain(await models.generateContentStream(ask(QUESTIONS[0]!)));
    for (const span of await h.otel.waitForSpans(2)) {
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
    }
  });

  it('BURNRATE_PROMPT_FINGERPRINT=false: no fingerprint attributes', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    const models = h.client().models;
    await models.generateContent(ask(QUESTIONS[0]!));
    await drain(await models.generateContentStream(ask(QUESTIONS[0]!)));
    for (const span of await h.otel.waitForSpans(2)) {
      expect(fingerprints(span)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
    }
  });

  it('embeddings carry no fingerprint (as in the openai instrumentation)', async () => {
    await h.client().models.embedContent({ model: 'gemini-embedding-001', contents: QUESTIONS[0]! });
    const [span] = await h.otel.waitForSpans(1);
    expect(fingerprints(span!)).toEqual({ full: undefined, prefix: undefined, prefixTokens: undefined });
  });
});
