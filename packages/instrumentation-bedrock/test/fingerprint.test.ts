/** Prompt fingerprints on real @aws-sdk/client-bedrock-runtime calls: keyed hashes and a prefix size, no prompt text. */
import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ANSWER,
  drain,
  expectNoPromptText,
  fingerprints,
  NO_FINGERPRINTS,
  PROMPT_TEXTS,
  QUESTIONS,
  SYSTEM,
  TOOL_DESCRIPTION,
  usePromptHashKey,
} from '../../../test/fakes/prompt-fingerprints.js';
import { HAIKU, type Harness, json, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
const fingerprint = usePromptHashKey('bedrock-fingerprint-test-key');
afterEach(() => {
  h.otel.reset();
  h.fake.reset();
});

const schema = { type: 'object', properties: { order_id: { type: 'string' } } };

// ------------------------------------------------------------------ Converse

const system = [{ text: SYSTEM }];
const toolConfig = {
  tools: [
    { toolSpec: { name: 'order_status', description: TOOL_DESCRIPTION, inputSchema: { json: schema } } },
  ],
};
const turn = (role: 'user' | 'assistant', text: string) => ({ role, content: [{ text }] });
const converse = (question: string) => ({
  modelId: HAIKU,
  system,
  toolConfig,
  inferenceConfig: { maxTokens: 64 },
  messages: [turn('user', question)],
});

describe('Converse prompt fingerprints', () => {
  it('the full fingerprint is the keyed HMAC of the input; the prefix one of model, system, toolConfig and leading messages', async () => {
    const followUp = {
      ...converse(QUESTIONS[1]!),
      messages: [turn('user', QUESTIONS[0]!), turn('assistant', ANSWER), turn('user', QUESTIONS[1]!)],
    };
    // Invocation-log metadata does not change the answer: it is not fingerprinted.
    await h.client().send(new bedrock.ConverseCommand({ ...followUp, requestMetadata: { team: 'support' } }));
    const [span] = await h.otel.waitForSpans(1);
    const f = fingerprints(span!);
    expect(f.full).toBe(fingerprint(followUp));
    expect(f.prefix).toBe(
      fingerprint({ modelId: HAIKU, system, toolConfig, messages: followUp.messages.slice(0, 2) }),
    );
    expectNoPromptText(span!, PROMPT_TEXTS);
  });

  it('same system prompt and tools, different last user message: shared prefix, distinct requests; ConverseStream alike', async () => {
    await h.client().send(new bedrock.ConverseCommand(converse(QUESTIONS[0]!)));
    await h.client().send(new bedrock.ConverseCommand(converse(QUESTIONS[1]!)));
    const out = await h.client().send(new bedrock.ConverseStreamCommand(converse(QUESTIONS[0]!)));
    await drain(out.stream);
    const spans = await h.otel.waitForSpans(3);
    const [a, b, s] = spans.map(fingerprints);
    expect(a!.full).toMatch(/^[0-9a-f]{64}$/);
    expect(a!.prefix).toBe(fingerprint({ modelId: HAIKU, system, toolConfig, messages: [] }));
    expect(a!.prefix).toBe(b!.prefix);
    expect(a!.full).not.toBe(b!.full);
    expect(s!.full).toBe(a!.full);
    expect(s!.prefix).toBe(a!.prefix);
    for (const span of spans) expectNoPromptText(span, PROMPT_TEXTS);
  });

  it('prefix_tokens: the prefix share of the reported input tokens, plain and streamed', async () => {
    const usage = { inputTokens: 1000, outputTokens: 5, totalTokens: 1005 };
    h.fake.enqueue({ usage }, { usage });
    await h.client().send(new bedrock.ConverseCommand(converse(QUESTIONS[0]!)));
    const out = await h.client().send(new bedrock.ConverseStreamCommand(converse(QUESTIONS[0]!)));
    await drain(out.stream);
    for (const span of await h.otel.waitForSpans(2)) {
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
    }
  });
});

// ------------------------------------------------------------------ InvokeModel

const tools = [{ name: 'order_status', description: TOOL_DESCRIPTION, input_schema: schema }];
const claude = (question: string) => ({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 64,
  system: SYSTEM,
  tools,
  messages: [{ role: 'user', content: question }],
});

describe('InvokeModel prompt fingerprints', () => {
  it('Anthropic body: the full fingerprint is the keyed HMAC of model id and body; the prefix one of system, tools and leading messages', async () => {
    await h.client().send(
      new bedrock.InvokeModelCommand({
        modelId: HAIKU,
        body: json(claude(QUESTIONS[0]!)),
        contentType: 'application/json',
      }),
    );
    const [span] = await h.otel.waitForSpans(1);
    const f = fingerprints(span!);
    expect(f.full).toBe(fingerprint({ modelId: HAIKU, ...claude(QUESTIONS[0]!) }));
    expect(f.prefix).toBe(fingerprint({ modelId: HAIKU, system: SYSTEM, tools, messages: [] }));
    expectNoPromptText(span!, PROMPT_TEXTS);
  });

  it('Anthropic body, different last user message: shared prefix, distinct requests; the response stream alike', async () => {
    const usage = { input_tokens: 1000, output_tokens: 5 };
    h.fake.enqueue({ usage }, { usage }, { usage });
    await h
      .client()
      .send(new bedrock.InvokeModelCommand({ modelId: HAIKU, body: json(claude(QUESTIONS[0]!)) }));
    await h
      .client()
      .send(new bedrock.InvokeModelCommand({ modelId: HAIKU, body: JSON.stringify(claude(QUESTIONS[1]!)) }));
    const out = await h.client().send(
      new bedrock.InvokeModelWithResponseStreamCommand({
        modelId: HAIKU,
        body: json(claude(QUESTIONS[0]!)),
      }),
    );
    await drain(out.body);
    const spans = await h.otel.waitForSpans(3);
    const [a, b, s] = spans.map(fingerprints);
    expect(a!.prefix).toBe(b!.prefix);
    expect(a!.full).not.toBe(b!.full);
    expect(s!.full).toBe(a!.full);
    expect(s!.prefix).toBe(a!.prefix);
    for (const span of spans) {
      const tokens = fingerprints(span).prefixTokens as number;
      expect(tokens).toBeGreaterThan(900);
      expect(tokens).toBeLessThan(1000);
      expectNoPromptText(span, PROMPT_TEXTS);
    }
  });

  it('other model families and embeddings carry no fingerprint', async () => {
    await h.client().send(
      new bedrock.InvokeModelCommand({
        modelId: 'us.amazon.nova-lite-v1:0',
        body: json({ system: [{ text: SYSTEM }], messages: [turn('user', QUESTIONS[0]!)] }),
      }),
    );
    await h.client().send(
      new bedrock.InvokeModelCommand({
        modelId: 'amazon.titan-embed-text-v2:0',
        body: json({ inputText: QUESTIONS[0]! }),
      }),
    );
    for (const span of await h.otel.waitForSpans(2)) expect(fingerprints(span)).toEqual(NO_FINGERPRINTS);
  });
});

describe('BURNRATE_PROMPT_FINGERPRINT=false', () => {
  it('no fingerprint attributes on Converse, ConverseStream or InvokeModel', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    await h.client().send(new bedrock.ConverseCommand(converse(QUESTIONS[0]!)));
    const out = await h.client().send(new bedrock.ConverseStreamCommand(converse(QUESTIONS[0]!)));
    await drain(out.stream);
    await h
      .client()
      .send(new bedrock.InvokeModelCommand({ modelId: HAIKU, body: json(claude(QUESTIONS[0]!)) }));
    for (const span of await h.otel.waitForSpans(3)) expect(fingerprints(span)).toEqual(NO_FINGERPRINTS);
  });
});
