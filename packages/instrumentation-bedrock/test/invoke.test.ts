import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { ATTR } from '@burnrate/core';
import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HAIKU, type Harness, json, PRICE, parse, perM, startHarness } from './setup.js';

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
const anthropicBody = json({
  anthropic_version: 'bedrock-2023-05-31',
  max_tokens: 256,
  messages: [{ role: 'user', content: 'Say hello' }],
});
const novaBody = json({
  messages: [{ role: 'user', content: [{ text: 'Say hello' }] }],
  inferenceConfig: { maxTokens: 300 },
});
const NOVA = 'us.amazon.nova-lite-v1:0';

async function drain(body: AsyncIterable<any> | undefined) {
  const events: any[] = [];
  for await (const e of body!) events.push(JSON.parse(new TextDecoder().decode(e.chunk.bytes)));
  return events;
}

describe('InvokeModelCommand', () => {
  it('Anthropic body: the caller gets the bytes unchanged; usage and cost from the body', async () => {
    const out = await h.client().send(
      new bedrock.InvokeModelCommand({
        modelId: HAIKU,
        body: anthropicBody,
        contentType: 'application/json',
      }),
    );
    expect(parse(out.body).content[0].text).toBe('Hello world');
    expect(out.body.transformToString()).toContain('"msg_bdrk_1"');
    expect(h.fake.requests[0]!.json.messages[0].content).toBe('Say hello');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.name).toBe(`chat ${HAIKU}`);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'aws.bedrock',
      [ATTR.REQUEST_MAX_TOKENS]: 256,
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, H.input) + perM(5, H.output), 12);
  });

  it('Anthropic prompt caching on a region-prefixed profile: input includes cache reads and writes', async () => {
    h.fake.enqueue({
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 2000,
        cache_creation_input_tokens: 500,
        output_tokens: 50,
      },
    });
    await h.client().send(new bedrock.InvokeModelCommand({ modelId: `us.${HAIKU}`, body: anthropicBody }));
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_MODEL]: `us.${HAIKU}`,
      [ATTR.USAGE_INPUT_TOKENS]: 2600,
      [ATTR.USAGE_CACHE_READ_INPUT_TOKENS]: 2000,
      [ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS]: 500,
    });
    const expected =
      perM(100, H.input) + perM(2000, H.cacheRead) + perM(500, H.cacheWrite) + perM(50, H.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
  });

  it('Amazon Nova body with cacheReadInputTokenCount', async () => {
    const N = PRICE['nova-lite'];
    h.fake.enqueue({
      usage: { inputTokens: 300, outputTokens: 40, cacheReadInputTokenCount: 1000, totalTokens: 1340 },
    });
    const out = await h.client().send(new bedrock.InvokeModelCommand({ modelId: NOVA, body: novaBody }));
    expect(parse(out.body).output.message.content[0].text).toBe('Hello world');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_MAX_TOKENS]: 300,
      [ATTR.USAGE_INPUT_TOKENS]: 1300,
      [ATTR.USAGE_CACHE_READ_INPUT_TOKENS]: 1000,
      [ATTR.USAGE_OUTPUT_TOKENS]: 40,
    });
    const expected = perM(300, N.input) + perM(1000, N.cacheRead) + perM(40, N.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
  });

  it('Amazon Titan text: text_completion with inputTextTokenCount and result tokenCount', async () => {
    const T = PRICE['titan-text-express'];
    const modelId = 'amazon.titan-text-express-v1';
    await h.client().send(
      new bedrock.InvokeModelCommand({
        modelId,
        body: json({ inputText: 'Say hello', textGenerationConfig: { maxTokenCount: 64 } }),
      }),
    );
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.name).toBe(`text_completion ${modelId}`);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_MAX_TOKENS]: 64,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.RESPONSE_FINISH_REASONS]: ['FINISH'],
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, T.input) + perM(5, T.output), 12);
  });

  it('Amazon Titan embeddings: embeddings operation priced on input tokens', async () => {
    const modelId = 'amazon.titan-embed-text-v1';
    const out = await h
      .client()
      .send(new bedrock.InvokeModelCommand({ modelId, body: json({ inputText: 'Say hello' }) }));
    expect(parse(out.body).embedding).toEqual([0.1, 0.2]);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.OPERATION_NAME]).toBe('embeddings');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(7);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(7, 0.1), 14); // Titan Embeddings G1 - Text: $0.10/M
  });

  it('body that is not JSON: passed through, no usage invented', async () => {
    h.fake.enqueue({ raw: 'not json at all' });
    const out = await h.client().send(new bedrock.InvokeModelCommand({ modelId: HAIKU, body: 'plain text' }));
    expect(new TextDecoder().decode(out.body)).toBe('not json at all');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeUndefined();
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBeUndefined();
  });
});

describe('InvokeModelWithResponseStreamCommand', () => {
  it('Anthropic stream: usage from message_start + message_delta; chunks unchanged', async () => {
    h.fake.enqueue({
      usage: {
        input_tokens: 100,
        cache_read_input_tokens: 2000,
        cache_creation_input_tokens: 500,
        output_tokens: 50,
      },
    });
    const out = await h
      .client()
      .send(new bedrock.InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: anthropicBody }));
    const events = await drain(out.body);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 2600,
      [ATTR.USAGE_CACHE_READ_INPUT_TOKENS]: 2000,
      [ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS]: 500,
      [ATTR.USAGE_OUTPUT_TOKENS]: 50,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
    });
    expect(span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
    const expected =
      perM(100, H.input) + perM(2000, H.cacheRead) + perM(500, H.cacheWrite) + perM(50, H.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
  });

  it('Nova stream: usage from the metadata event', async () => {
    const N = PRICE['nova-lite'];
    const out = await h
      .client()
      .send(new bedrock.InvokeModelWithResponseStreamCommand({ modelId: NOVA, body: novaBody }));
    const events = await drain(out.body);
    expect(
      events
        .filter((e) => e.contentBlockDelta)
        .map((e) => e.contentBlockDelta.delta.text)
        .join(''),
    ).toBe('Hello world');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, N.input) + perM(5, N.output), 12);
  });

  it('Titan stream: usage from amazon-bedrock-invocationMetrics', async () => {
    const T = PRICE['titan-text-express'];
    const out = await h.client().send(
      new bedrock.InvokeModelWithResponseStreamCommand({
        modelId: 'amazon.titan-text-express-v1',
        body: json({ inputText: 'Hi' }),
      }),
    );
    const events = await drain(out.body);
    expect(events.at(-1)['amazon-bedrock-invocationMetrics'].outputTokenCount).toBe(5);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, T.input) + perM(5, T.output), 12);
  });

  it('no usage anywhere in the stream: counted locally, marked estimated', async () => {
    h.fake.enqueue({ usage: null, noInvocationMetrics: true });
    const out = await h
      .client()
      .send(new bedrock.InvokeModelWithResponseStreamCommand({ modelId: NOVA, body: novaBody }));
    await drain(out.body);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
  });

  it('caller breaks out and the connection stays open: span ends, completed=false', async () => {
    h.fake.enqueue({ hangAfter: 1 });
    const out = await h
      .client()
      .send(new bedrock.InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: anthropicBody }));
    for await (const e of out.body!) {
      if (JSON.parse(new TextDecoder().decode(e.chunk!.bytes)).type === 'content_block_delta') break;
    }
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('exception event mid-stream: thrown, span ERROR', async () => {
    h.fake.enqueue({ failMidStream: true });
    const out = await h
      .client()
      .send(new bedrock.InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: anthropicBody }));
    const err = await drain(out.body).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(bedrock.ModelStreamErrorException);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('ModelStreamErrorException');
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
  });
});
