import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cohere, type Harness, PRICE, perM, startHarness } from './setup.js';

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

const client = () =>
  new cohere.CohereClientV2({ token: 'fake-key', environment: h.fake.url, maxRetries: 0 } as any);
const R = PRICE['command-r-08-2024'];
const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('v2 chat', () => {
  it('one CLIENT span priced on billed units', async () => {
    const res = await client().chat({
      model: 'command-r-08-2024',
      messages,
      maxTokens: 40,
      temperature: 0.1,
    });
    expect((res.message.content![0] as { text: string }).text).toBe('Hello world');
    expect(h.fake.requests[0]!.json.max_tokens).toBe(40);
    const [span, ...rest] = await h.otel.waitForSpans(1, 20_000);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat command-r-08-2024');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'cohere',
      [ATTR.REQUEST_MODEL]: 'command-r-08-2024',
      [ATTR.RESPONSE_ID]: 'chat-fake-1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['COMPLETE'],
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.REQUEST_MAX_TOKENS]: 40,
      [ATTR.REQUEST_TEMPERATURE]: 0.1,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: h.fake.port,
      // billed units, not the raw token counts (80 input tokens include the system preamble)
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.COST_SOURCE]: 'computed',
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, R.input) + perM(5, R.output), 12);
  });

  it("withRawResponse() still works, and the v1 client's .v2 is instrumented too", async () => {
    const { data, rawResponse } = await client()
      .chat({ model: 'command-r-08-2024', messages })
      .withRawResponse();
    expect(data.id).toBe('chat-fake-1');
    expect(rawResponse.status).toBe(200);
    await h.otel.waitForSpans(1, 20_000);
    const v1 = new cohere.CohereClient({ token: 'fake-key', environment: h.fake.url } as any);
    await v1.v2.chat({ model: 'command-r-08-2024', messages });
    const spans = await h.otel.waitForSpans(2, 20_000);
    expect(spans.map((s) => s.attributes[ATTR.USAGE_INPUT_TOKENS])).toEqual([12, 12]);
  });

  it('no usage: counted locally, marked estimated', async () => {
    h.fake.enqueue({ usage: null });
    await client().chat({ model: 'command-r-08-2024', messages });
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(2, R.input) + perM(2, R.output), 12);
  });

  it('429: TooManyRequestsError reaches the caller, span ERROR', async () => {
    h.fake.enqueue({ status: 429 });
    const err = await client()
      .chat({ model: 'command-r-08-2024', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cohere.Cohere.TooManyRequestsError);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('TooManyRequestsError');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('v2 chatStream', () => {
  it('usage from message-end, TTFC, completed', async () => {
    const stream = await client().chatStream({ model: 'command-r-08-2024', messages });
    let text = '';
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'content-delta') text += event.delta?.message?.content?.text ?? '';
    }
    expect(text).toBe('Hello world');
    expect(types).toEqual([
      'message-start',
      'content-start',
      'content-delta',
      'content-delta',
      'content-end',
      'message-end',
    ]);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.RESPONSE_ID]: 'chat-fake-stream',
      [ATTR.RESPONSE_FINISH_REASONS]: ['COMPLETE'],
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
    });
    expect(span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, R.input) + perM(5, R.output), 12);
  });

  it('caller breaks out while the server keeps the stream open: completed=false, estimated', async () => {
    h.fake.enqueue({ hangAfter: 1 });
    const stream = await client().chatStream({ model: 'command-r-08-2024', messages });
    for await (const event of stream) {
      if (event.type === 'content-delta') break;
    }
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(1);
  });
});

describe('v2 embed', () => {
  it('embeddings span priced from meta.billed_units', async () => {
    const res = await client().embed({
      model: 'embed-v4.0',
      texts: ['a', 'b'],
      inputType: 'search_document',
      embeddingTypes: ['float'],
    });
    expect(res.embeddings.float).toHaveLength(2);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.name).toBe('embeddings embed-v4.0');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(8);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(8, PRICE['embed-v4.0'].input), 14);
  });
});
