import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, PRICE, perM, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
afterEach(() => {
  h.otel.reset();
  h.fake.reset();
});

const P = PRICE['gemini-2.5-flash'];

describe('models.generateContent', () => {
  it('one CLIENT span with usage, cost and server attributes', async () => {
    const res = await h.client().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Say hello',
      config: { maxOutputTokens: 64, temperature: 0.2 },
    });
    expect(res.text).toBe('Hello world');
    expect(h.fake.requests[0]!.url).toContain('/models/gemini-2.5-flash:generateContent');
    const [span, ...rest] = await h.otel.waitForSpans(1, 20_000);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('generate_content gemini-2.5-flash');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'generate_content',
      [ATTR.PROVIDER_NAME]: 'gcp.gemini',
      [ATTR.REQUEST_MODEL]: 'gemini-2.5-flash',
      [ATTR.RESPONSE_MODEL]: 'gemini-2.5-flash',
      [ATTR.RESPONSE_ID]: 'resp-fake-1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['STOP'],
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.REQUEST_MAX_TOKENS]: 64,
      [ATTR.REQUEST_TEMPERATURE]: 0.2,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: h.fake.port,
      [ATTR.USAGE_INPUT_TOKENS]: 11,
      [ATTR.USAGE_OUTPUT_TOKENS]: 4,
      [ATTR.COST_SOURCE]: 'computed',
      [ATTR.PRICING_TIER]: 'standard',
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(11, P.input) + perM(4, P.output), 12);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('cachedContentTokenCount and thoughtsTokenCount: cache read price, thoughts billed as output', async () => {
    h.fake.enqueue({
      usage: {
        promptTokenCount: 2000,
        cachedContentTokenCount: 1500,
        candidatesTokenCount: 100,
        thoughtsTokenCount: 50,
        totalTokenCount: 2150,
      },
    });
    await h.client().models.generateContent({ model: 'models/gemini-2.5-flash', contents: 'Hi' });
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.name).toBe('generate_content gemini-2.5-flash');
    expect(span!.attributes).toMatchObject({
      [ATTR.USAGE_INPUT_TOKENS]: 2000,
      [ATTR.USAGE_CACHE_READ_INPUT_TOKENS]: 1500,
      [ATTR.USAGE_OUTPUT_TOKENS]: 150,
      [ATTR.USAGE_REASONING_OUTPUT_TOKENS]: 50,
      [ATTR.CACHE_HIT]: true,
      [ATTR.CACHE_KIND]: 'provider_prompt',
    });
    const expected = perM(500, P.input) + perM(1500, P.cached) + perM(150, P.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
    expect(span!.attributes[ATTR.COST_CACHE_READ]).toBeCloseTo(perM(1500, P.cached), 12);
    expect(span!.attributes[ATTR.CACHE_SAVED_USD]).toBeCloseTo(perM(1500, P.input - P.cached), 12);
  });

  it('serviceTier flex and trafficType ON_DEMAND_FLEX price the flex tier', async () => {
    h.fake.enqueue({
      usage: { promptTokenCount: 1000, candidatesTokenCount: 1000, trafficType: 'ON_DEMAND_FLEX' },
    });
    await h.client().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
      config: { serviceTier: 'flex' as any },
    });
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(h.fake.requests[0]!.json.serviceTier).toBe('flex');
    expect(span!.attributes[ATTR.PRICING_TIER]).toBe('flex');
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      (perM(1000, P.input) + perM(1000, P.output)) / 2,
      12,
    );
  });

  it('response without usageMetadata: tokens counted locally, marked estimated', async () => {
    h.fake.enqueue({ usage: null });
    await h.client().models.generateContent({ model: 'gemini-2.5-flash', contents: 'Say hello' });
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.COST_SOURCE]).toBe('estimated');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2); // "Say hello" (o200k_base)
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2); // "Hello world"
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(2, P.input) + perM(2, P.output), 12);
  });

  it('HTTP 429: the SDK error reaches the caller unchanged; span has error.type and ERROR', async () => {
    h.fake.enqueue({ status: 429 });
    const err = await h
      .client()
      .models.generateContent({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(429);
    expect((err as Error).constructor.name).toBe('ApiError');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('ApiError');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeUndefined();
  });

  it('automatic function calling: one span per billed round trip', async () => {
    h.fake.enqueue(
      {
        functionCall: { name: 'get_weather', args: { city: 'Paris' } },
        usage: { promptTokenCount: 20, candidatesTokenCount: 5 },
      },
      { content: ['It is sunny'], usage: { promptTokenCount: 40, candidatesTokenCount: 3 } },
    );
    const tool = {
      tool: async () => ({
        functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: { type: 'object' } }],
      }),
      callTool: async () => [{ functionResponse: { name: 'get_weather', response: { sky: 'sunny' } } }],
    };
    const res = await h.client().models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'Weather in Paris?',
      config: { tools: [tool as any] },
    });
    expect(res.text).toBe('It is sunny');
    expect(h.fake.requests).toHaveLength(2);
    const spans = await h.otel.waitForSpans(2, 20_000);
    expect(spans.map((s) => s.attributes[ATTR.USAGE_INPUT_TOKENS])).toEqual([20, 40]);
    const total = spans.reduce((sum, s) => sum + (s.attributes[ATTR.USAGE_COST] as number), 0);
    expect(total).toBeCloseTo(perM(60, P.input) + perM(8, P.output), 12);
  });
});

describe('models.generateContentStream', () => {
  it('records usage from the final chunk, TTFC, completed', async () => {
    const stream = await h
      .client()
      .models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' });
    let text = '';
    for await (const chunk of stream) text += chunk.text ?? '';
    expect(text).toBe('Hello world');
    expect(h.fake.requests[0]!.url).toContain(':streamGenerateContent?alt=sse');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 11,
      [ATTR.USAGE_OUTPUT_TOKENS]: 4,
      [ATTR.RESPONSE_FINISH_REASONS]: ['STOP'],
      [ATTR.RESPONSE_ID]: 'resp-fake-stream',
    });
    const ttfc = span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK] as number;
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc).toBeLessThan(5);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(11, P.input) + perM(4, P.output), 12);
  });

  it('caller breaks out: completed=false, partial output counted locally', async () => {
    h.fake.enqueue({ content: ['Hello', ' there', ' friend'], usage: null });
    const stream = await h
      .client()
      .models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' });
    for await (const chunk of stream) {
      expect(chunk.text).toBe('Hello');
      break;
    }
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(1);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('connection lost mid-stream: error reaches the caller, span ERROR, completed=false', async () => {
    h.fake.enqueue({ failMidStream: true, content: ['Hello', ' world'] });
    const stream = await h.client().models.generateContentStream({
      model: 'gemini-2.5-flash',
      contents: 'Hi',
      config: { automaticContinuation: false } as any,
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) seen.push(chunk.text ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(seen).toEqual(['Hello']);
    const spans = await h.otel.waitForSpans(1, 20_000);
    expect(spans[0]!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('HTTP error before streaming: rejected, span ERROR', async () => {
    h.fake.enqueue({ status: 429 });
    const err = await h
      .client()
      .models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Hi' })
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(429);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('ApiError');
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
  });
});

describe('chats', () => {
  it('sendMessage and sendMessageStream: exactly one span per call', async () => {
    const chat = h.client().chats.create({ model: 'gemini-2.5-flash' });
    const reply = await chat.sendMessage({ message: 'Hi' });
    expect(reply.text).toBe('Hello world');
    await h.otel.waitForSpans(1, 20_000);
    const stream = await chat.sendMessageStream({ message: 'And again?' });
    for await (const _ of stream) {
      // drain
    }
    const spans = await h.otel.waitForSpans(2, 20_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.otel.spans()).toHaveLength(2);
    expect(spans.map((s) => s.attributes[ATTR.REQUEST_STREAM])).toEqual([false, true]);
    expect(spans.every((s) => s.attributes[ATTR.USAGE_INPUT_TOKENS] === 11)).toBe(true);
    // The second turn sends the history: the fake saw both user messages.
    expect(h.fake.requests[1]!.json.contents).toHaveLength(3);
  });
});

describe('Vertex AI mode', () => {
  it('reports gcp.vertex_ai and prices the same model', async () => {
    const client = h.client({ vertexai: true, apiKey: 'fake-key' });
    await client.models.generateContent({ model: 'gemini-2.0-flash', contents: 'Hi' });
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.PROVIDER_NAME]).toBe('gcp.vertex_ai');
    const V = PRICE['gemini-2.0-flash'];
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(11, V.input) + perM(4, V.output), 12);
  });
});
