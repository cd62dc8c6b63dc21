import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HAIKU, type Harness, PRICE, perM, startHarness } from './setup.js';

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

const H = PRICE['claude-3-5-haiku'];
const messages = [{ role: 'user' as const, content: [{ text: 'Say hello' }] }];

describe('ConverseCommand', () => {
  it('one CLIENT span with usage, cost and server attributes', async () => {
    const out = await h.client().send(
      new bedrock.ConverseCommand({
        modelId: HAIKU,
        messages,
        inferenceConfig: { maxTokens: 100, temperature: 0.5 },
      }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe('Hello world');
    expect(h.fake.requests[0]!.url).toBe(`/model/${encodeURIComponent(HAIKU)}/converse`);
    const [span, ...rest] = await h.otel.waitForSpans(1, 20_000);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe(`chat ${HAIKU}`);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'aws.bedrock',
      [ATTR.REQUEST_MODEL]: HAIKU,
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.REQUEST_MAX_TOKENS]: 100,
      [ATTR.REQUEST_TEMPERATURE]: 0.5,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR.RESPONSE_ID]: 'req-converse-1',
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: h.fake.port,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.COST_SOURCE]: 'computed',
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, H.input) + perM(5, H.output), 12);
  });

  it('region-prefixed inference profile with cache reads and writes', async () => {
    const S = PRICE['claude-sonnet-4'];
    h.fake.enqueue({
      usage: {
        inputTokens: 100,
        outputTokens: 50,
        cacheReadInputTokens: 2000,
        cacheWriteInputTokens: 500,
        totalTokens: 2650,
      },
    });
    const modelId = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
    await h.client().send(new bedrock.ConverseCommand({ modelId, messages }));
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_MODEL]: modelId,
      [ATTR.USAGE_INPUT_TOKENS]: 2600,
      [ATTR.USAGE_CACHE_READ_INPUT_TOKENS]: 2000,
      [ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS]: 500,
      [ATTR.USAGE_OUTPUT_TOKENS]: 50,
      [ATTR.CACHE_HIT]: true,
    });
    const expected =
      perM(100, S.input) + perM(2000, S.cacheRead) + perM(500, S.cacheWrite) + perM(50, S.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
    expect(span!.attributes[ATTR.COST_CACHE_WRITE]).toBeCloseTo(perM(500, S.cacheWrite), 12);
  });

  it('inference-profile ARN: reported and priced as the profile id', async () => {
    const arn = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.${HAIKU}`;
    await h.client().send(new bedrock.ConverseCommand({ modelId: arn, messages }));
    expect(decodeURIComponent(h.fake.requests[0]!.url)).toBe(`/model/${arn}/converse`);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.REQUEST_MODEL]).toBe(`us.${HAIKU}`);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, H.input) + perM(5, H.output), 12);
  });

  it('serviceTier flex in the response prices the flex tier', async () => {
    h.fake.enqueue({ extra: { serviceTier: { type: 'flex' } } });
    await h.client().send(new bedrock.ConverseCommand({ modelId: HAIKU, messages }));
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.PRICING_TIER]).toBe('flex');
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo((perM(12, H.input) + perM(5, H.output)) / 2, 12);
  });

  it('no usage in the response: counted locally, marked estimated', async () => {
    h.fake.enqueue({ usage: null });
    await h.client().send(new bedrock.ConverseCommand({ modelId: HAIKU, messages }));
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(2, H.input) + perM(2, H.output), 12);
  });

  it('ThrottlingException: rethrown unchanged, span ERROR with error.type', async () => {
    h.fake.enqueue({ status: 429 });
    const err = await h
      .client()
      .send(new bedrock.ConverseCommand({ modelId: HAIKU, messages }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(bedrock.ThrottlingException);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('ThrottlingException');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('callback-style send and the aggregated BedrockRuntime client', async () => {
    const client = h.client();
    const viaCallback = await new Promise<any>((resolve, reject) =>
      client.send(new bedrock.ConverseCommand({ modelId: HAIKU, messages }), (err: unknown, data: unknown) =>
        err ? reject(err) : resolve(data),
      ),
    );
    expect(viaCallback.output.message.content[0].text).toBe('Hello world');
    await h.otel.waitForSpans(1, 20_000);
    const agg = new bedrock.BedrockRuntime({
      region: 'us-east-1',
      endpoint: h.fake.url,
      credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
    });
    await agg.converse({ modelId: HAIKU, messages });
    const spans = await h.otel.waitForSpans(2, 20_000);
    expect(spans.map((s) => s.attributes[ATTR.USAGE_OUTPUT_TOKENS])).toEqual([5, 5]);
  });

  it('other commands pass through untraced', async () => {
    const err = await h
      .client()
      .send(
        new bedrock.GetAsyncInvokeCommand({ invocationArn: 'arn:aws:bedrock:us-east-1:1:async-invoke/x' }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.otel.spans()).toHaveLength(0);
  });
});

describe('ConverseStreamCommand', () => {
  it('event-stream: usage from the metadata event, TTFC, completed', async () => {
    const out = await h.client().send(new bedrock.ConverseStreamCommand({ modelId: HAIKU, messages }));
    let text = '';
    const types: string[] = [];
    for await (const event of out.stream!) {
      types.push(Object.keys(event).filter((k) => k !== '$unknown')[0]!);
      text += event.contentBlockDelta?.delta?.text ?? '';
    }
    expect(text).toBe('Hello world');
    expect(types).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
    });
    const ttfc = span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK] as number;
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc).toBeLessThan(5);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, H.input) + perM(5, H.output), 12);
  });

  it('caller breaks out: completed=false, what was seen is counted locally', async () => {
    h.fake.enqueue({ content: ['Hello', ' there', ' friend'] });
    const out = await h.client().send(new bedrock.ConverseStreamCommand({ modelId: HAIKU, messages }));
    for await (const event of out.stream!) {
      if (event.contentBlockDelta) break;
    }
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(1);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('modelStreamErrorException mid-stream: thrown to the caller, span ERROR, completed=false', async () => {
    h.fake.enqueue({ failMidStream: true });
    const out = await h.client().send(new bedrock.ConverseStreamCommand({ modelId: HAIKU, messages }));
    const seen: string[] = [];
    const err = await (async () => {
      for await (const event of out.stream!) seen.push(event.contentBlockDelta?.delta?.text ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(bedrock.ModelStreamErrorException);
    expect(seen).toEqual(['', 'Hello']);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('ModelStreamErrorException');
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });
});
