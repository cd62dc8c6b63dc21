import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HAIKU, type Harness, perM, SDKS, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
afterEach(() => {
  h.otel.reset();
  h.fake.requests.length = 0;
  delete process.env['BURNRATE_ANTHROPIC_SDK_SPANS'];
});

const MODEL = 'claude-3-5-haiku-20241022';
const params = { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: 'Say hello' }] };
const settle = () => new Promise((r) => setTimeout(r, 50));

describe.each(SDKS)('$name messages', (sdk) => {
  it('create: one priced CLIENT span, and no duplicate span from the SDK itself', async () => {
    const msg = await h.client(sdk).messages.create(params);
    expect(msg.content[0].text).toBe('Hello world');
    await h.otel.waitForSpans(1);
    await settle();
    const spans = h.otel.spans();
    expect(spans.map((s) => s.name)).toEqual([`chat ${MODEL}`]);
    const span = spans[0]!;
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      [ATTR.PROVIDER_NAME]: 'anthropic',
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.REQUEST_MODEL]: MODEL,
      [ATTR.RESPONSE_MODEL]: MODEL,
      [ATTR.RESPONSE_ID]: 'msg_fake1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR.REQUEST_MAX_TOKENS]: 100,
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.USAGE_INPUT_TOKENS]: 30,
      [ATTR.USAGE_OUTPUT_TOKENS]: 9,
      [ATTR.PRICING_TIER]: 'standard',
    });
    expect(span.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(30, HAIKU.input) + perM(9, HAIKU.output), 12);
  });

  it('cache reads and 5-minute / 1-hour cache writes are counted and priced', async () => {
    h.fake.enqueue({
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 1000,
        cache_creation_input_tokens: 3000,
        cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
        output_tokens: 50,
      },
    });
    await h.client(sdk).messages.create(params);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.USAGE_INPUT_TOKENS]: 4100,
      [ATTR.USAGE_CACHE_READ_INPUT_TOKENS]: 1000,
      [ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS]: 3000,
      'anthropic.usage.cache_creation.ephemeral_1h_input_tokens': 2000,
      [ATTR.CACHE_HIT]: true,
    });
    const expected =
      perM(100, HAIKU.input) +
      perM(1000, HAIKU.cacheRead) +
      perM(1000, HAIKU.cacheWrite5m) +
      perM(2000, HAIKU.cacheWrite1h) +
      perM(50, HAIKU.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
    expect(span!.attributes[ATTR.COST_CACHE_WRITE]).toBeCloseTo(
      perM(1000, HAIKU.cacheWrite5m) + perM(2000, HAIKU.cacheWrite1h),
      12,
    );
  });

  it('thinking tokens are reported as reasoning output tokens', async () => {
    await h.client(sdk).messages.create({ ...params, thinking: { type: 'enabled', budget_tokens: 1024 } });
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_REASONING_OUTPUT_TOKENS]).toBe(3);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(9);
  });

  it('service_tier priority is priced on the priority tier', async () => {
    h.fake.enqueue({ usage: { input_tokens: 30, output_tokens: 9, service_tier: 'priority' } });
    await h.client(sdk).messages.create(params);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.PRICING_TIER]).toBe('priority');
    expect(span!.attributes['anthropic.response.service_tier']).toBe('priority');
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      1.8 * (perM(30, HAIKU.input) + perM(9, HAIKU.output)),
      12,
    );
  });

  it('429: rethrown unchanged, span has error.type and ERROR status', async () => {
    h.fake.enqueue({ status: 429 });
    const err = await h
      .client(sdk)
      .messages.create(params)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sdk.Anthropic.RateLimitError);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('RateLimitError');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('create streaming: events unchanged, usage from message_delta, TTFC, completed', async () => {
    const stream = await h.client(sdk).messages.create({ ...params, stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 30,
      [ATTR.USAGE_OUTPUT_TOKENS]: 9,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
    });
    expect(span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(30, HAIKU.input) + perM(9, HAIKU.output), 12);
  });

  it('messages.stream() helper: exactly one span, and none from the SDK', async () => {
    const stream = h.client(sdk).messages.stream(params);
    const texts: string[] = [];
    stream.on('text', (t: string) => texts.push(t));
    const final = await stream.finalMessage();
    expect(final.usage.output_tokens).toBe(9);
    expect(texts.join('')).toBe('Hello world');
    await h.otel.waitForSpans(1);
    await settle();
    const spans = h.otel.spans();
    expect(spans.map((s) => s.name)).toEqual([`chat ${MODEL}`]);
    expect(spans[0]!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(9);
  });

  it('BURNRATE_ANTHROPIC_SDK_SPANS=keep: the SDK span is kept, as a child of burnrate span', async () => {
    process.env['BURNRATE_ANTHROPIC_SDK_SPANS'] = 'keep';
    const client = h.client(sdk);
    expect(client._tracer).toBeDefined(); // both majors under test trace themselves
    await client.messages.create(params);
    await h.otel.waitForSpans(2);
    const spans = h.otel.spans();
    const ours = spans.find((s) => s.name === `chat ${MODEL}`)!;
    const theirs = spans.find((s) => s.name !== `chat ${MODEL}`)!;
    expect(theirs.parentSpanContext?.spanId).toBe(ours.spanContext().spanId);
  });

  it('error mid-stream: rethrown, completed=false, error.type, estimated usage', async () => {
    h.fake.enqueue({ failMidStream: true });
    const stream = await h.client(sdk).messages.create({ ...params, stream: true });
    const err = await (async () => {
      for await (const _ of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sdk.Anthropic.APIError);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBeTypeOf('string');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(1); // "Hello"
  });

  it('caller breaks out: completed=false with locally counted usage', async () => {
    const stream = await h.client(sdk).messages.create({ ...params, stream: true });
    for await (const event of stream) if (event.type === 'content_block_delta') break;
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('stream without usage: estimated, completed', async () => {
    h.fake.enqueue({ usage: null });
    const stream = await h.client(sdk).messages.create({ ...params, stream: true });
    for await (const _ of stream) {
      // drain
    }
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
  });

  it('withResponse() works unchanged', async () => {
    const { data, response } = await h.client(sdk).messages.create(params).withResponse();
    expect(data.id).toBe('msg_fake1');
    expect(response.headers.get('x-request-id')).toBe('req_fake_123');
    await h.otel.waitForSpans(1);
  });

  it('batches.results(): one span per succeeded result, priced on the batch tier', async () => {
    const results: string[] = [];
    for await (const r of await h.client(sdk).messages.batches.results('msgbatch_fake1')) {
      results.push(`${r.custom_id}:${r.result.type}`);
    }
    expect(results).toEqual(['req-1:succeeded', 'req-2:errored', 'req-3:succeeded']);
    await h.otel.waitForSpans(2);
    await settle();
    // The SDK's own retrieve/results spans (no usage) stay; burnrate adds one GenAI span per result.
    const spans = h.otel
      .spans()
      .filter((s) => s.instrumentationScope.name === '@burnrate/instrumentation-anthropic');
    expect(spans).toHaveLength(2);
    expect(spans.map((s) => s.attributes['anthropic.batch.custom_id'])).toEqual(['req-1', 'req-3']);
    for (const s of spans) expect(s.attributes[ATTR.PRICING_TIER]).toBe('batch');
    expect(spans[0]!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      0.5 * (perM(1000, HAIKU.input) + perM(200, HAIKU.output)),
      12,
    );
  });

  it.each([
    ['no usage', { id: 'm', type: 'message', model: MODEL, content: [{ type: 'text', text: 'x' }] }],
    ['nulls', { id: null, model: null, content: null, usage: null }],
    [
      'usage of wrong types',
      { model: MODEL, content: 'odd', usage: { input_tokens: '5', output_tokens: {} } },
    ],
  ])('odd response (%s): the app gets exactly what the server sent', async (_n, raw) => {
    h.fake.enqueue({ raw });
    const res = await h.client(sdk).messages.create(params);
    expect(JSON.parse(JSON.stringify(res))).toEqual(raw);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBeUndefined();
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined) {
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    }
  });
});
