import { ATTR, METRIC, withAttribution } from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metricPoints } from '../../../test/fakes/otel.js';
import { type Harness, PRICE, perM, SDKS, startHarness } from './setup.js';

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
});

const P = PRICE['gpt-4o-mini'];
const messages = [{ role: 'user', content: 'Say hello' }];

describe.each(SDKS)('$name responses, embeddings, completions, helpers', (sdk) => {
  it('responses.create: usage, cost, status as finish reason', async () => {
    const res = await h.client(sdk).responses.create({ model: 'gpt-4o-mini', input: 'Say hello' });
    expect(res.output_text).toBe('Hello world');
    const [span, ...rest] = await h.otel.waitForSpans(1);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.RESPONSE_ID]: 'resp_fake1',
      [ATTR.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR.RESPONSE_FINISH_REASONS]: ['completed'],
      [ATTR.USAGE_INPUT_TOKENS]: 20,
      [ATTR.USAGE_OUTPUT_TOKENS]: 7,
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(20, P.input) + perM(7, P.output), 12);
  });

  it('responses.create streaming: usage from response.completed, typed events unchanged', async () => {
    const stream = await h.client(sdk).responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types).toEqual([
      'response.created',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(h.fake.requests[0]!.body['stream_options']).toBeUndefined();
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 20,
      [ATTR.USAGE_OUTPUT_TOKENS]: 7,
      [ATTR.RESPONSE_ID]: 'resp_fake1',
    });
    expect(span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
  });

  it('responses stream failing mid-way: error.type, completed=false, estimated usage', async () => {
    h.fake.enqueue({ failMidStream: true });
    const stream = await h.client(sdk).responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const err = await (async () => {
      for await (const _ of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sdk.OpenAI.APIError);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('APIError');
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
  });

  it('responses.stream() helper: exactly one span', async () => {
    const stream = h.client(sdk).responses.stream({ model: 'gpt-4o-mini', input: 'hi' });
    const final = await stream.finalResponse();
    expect(final.output[0].content[0].text).toBe('Hello world');
    await h.otel.waitForSpans(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.otel.spans()).toHaveLength(1);
    expect(h.otel.spans()[0]!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(7);
  });

  it('chat.completions parse() helper: exactly one span', async () => {
    const client = h.client(sdk);
    const completions = client.chat.completions.parse
      ? client.chat.completions
      : client.beta.chat.completions;
    const parsed = await completions.parse({ model: 'gpt-4o-mini', messages });
    expect(parsed.choices[0].message.content).toBe('Hello world');
    await h.otel.waitForSpans(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(h.otel.spans()).toHaveLength(1);
    expect(h.otel.spans()[0]!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
  });

  it('chat.completions stream() helper: exactly one span, no usage chunk leaks', async () => {
    const client = h.client(sdk);
    const completions = client.chat.completions.stream
      ? client.chat.completions
      : client.beta.chat.completions;
    const runner = completions.stream({ model: 'gpt-4o-mini', messages });
    const chunks: any[] = [];
    runner.on('chunk', (c: any) => chunks.push(c));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].message.content).toBe('Hello world');
    expect(chunks.some((c) => c.choices.length === 0)).toBe(false);
    await h.otel.waitForSpans(1);
    await new Promise((r) => setTimeout(r, 50));
    const spans = h.otel.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
    expect(spans[0]!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
  });

  it('embeddings.create: input tokens and cost; the SDK still decodes base64', async () => {
    const res = await h.client(sdk).embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
    expect(res.data[0].embedding).toEqual([0.25, -0.5, 0.75]);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.name).toBe('embeddings text-embedding-3-small');
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'embeddings',
      [ATTR.USAGE_INPUT_TOKENS]: 8,
      [ATTR.USAGE_OUTPUT_TOKENS]: 0,
    });
    expect(span!.attributes[ATTR.REQUEST_STREAM]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(8, PRICE['text-embedding-3-small'].input), 12);
  });

  it('legacy completions.create, plain and streaming', async () => {
    const C = PRICE['gpt-3.5-turbo-instruct'];
    const client = h.client(sdk);
    const res = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
    expect(res.choices[0].text).toBe('Hello world');
    const stream = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'x',
      stream: true,
    });
    const texts: string[] = [];
    for await (const c of stream) texts.push(c.choices[0].text);
    expect(texts).toEqual(['Hello', ' world']);
    const spans = await h.otel.waitForSpans(2);
    for (const span of spans) {
      expect(span.name).toBe('text_completion gpt-3.5-turbo-instruct');
      expect(span.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(4);
      expect(span.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(4, C.input) + perM(2, C.output), 12);
    }
    expect(spans[1]!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
  });

  it('attribution in context lands on the span', async () => {
    await withAttribution({ feature: 'summarize', userId: 'u-42', tenant: 'acme' }, () =>
      h.client(sdk).chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.FEATURE]: 'summarize',
      [ATTR.USER_ID]: 'u-42',
      [ATTR.TENANT]: 'acme',
    });
  });
});

describe('metrics', () => {
  it('records gen_ai.client.token.usage, gen_ai.client.operation.duration and the USD cost counter', async () => {
    const before = await h.otel.collectMetrics();
    const costBefore = metricPoints(before, METRIC.COST).reduce((s, p) => s + (p.value as number), 0);
    await withAttribution({ feature: 'metrics-test' }, () =>
      h.client(SDKS[0]!).chat.completions.create({ model: 'gpt-4o-mini', messages }),
    );
    await h.otel.waitForSpans(1);
    const rm = await h.otel.collectMetrics();
    const tokens = metricPoints(rm, METRIC.TOKEN_USAGE).filter(
      (p) => p.attributes[ATTR.RESPONSE_MODEL] === 'gpt-4o-mini-2024-07-18',
    );
    const input = tokens.find((p) => p.attributes['gen_ai.token.type'] === 'input');
    const output = tokens.find((p) => p.attributes['gen_ai.token.type'] === 'output');
    expect(input?.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'openai',
      [ATTR.REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
    });
    expect((input!.value as { sum: number }).sum).toBeGreaterThanOrEqual(12);
    expect((output!.value as { sum: number }).sum).toBeGreaterThanOrEqual(5);
    const duration = metricPoints(rm, METRIC.OPERATION_DURATION);
    expect(duration.length).toBeGreaterThan(0);
    expect((duration[0]!.value as { count: number }).count).toBeGreaterThan(0);
    const cost = metricPoints(rm, METRIC.COST);
    const costAfter = cost.reduce((s, p) => s + (p.value as number), 0);
    expect(costAfter - costBefore).toBeCloseTo(perM(12, P.input) + perM(5, P.output), 12);
    expect(cost.some((p) => p.attributes[ATTR.FEATURE] === 'metrics-test')).toBe(true);
    expect(cost.every((p) => p.attributes[ATTR.USER_ID] === undefined)).toBe(true);
  });
});
