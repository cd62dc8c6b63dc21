import { ATTR } from '@burnrate/core';
import * as mistral from '@mistralai/mistralai';
import { Mistral } from '@mistralai/mistralai';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { MistralInstrumentation } from '../src/index.js';
import { type FakeMistral, startFakeMistral } from './fake-mistral.js';

let otel: TestOtel;
let fake: FakeMistral;
beforeAll(async () => {
  otel = setupOtel();
  fake = await startFakeMistral();
  const instrumentation = new MistralInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(mistral);
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  otel.reset();
  fake.reset();
});

const client = () =>
  new Mistral({ apiKey: 'fake-key', serverURL: fake.url, retryConfig: { strategy: 'none' } });
/** Mistral's published per-million-token prices (USD). */
const SMALL = { input: 0.1, output: 0.3 }; // mistral-small-latest
const EMBED = { input: 0.1 }; // mistral-embed
const perM = (tokens: number, usd: number) => (tokens * usd) / 1_000_000;
const messages = [{ role: 'user' as const, content: 'Say hello' }];

describe('chat.complete', () => {
  it('one CLIENT span with usage, cost and server attributes', async () => {
    const res = await client().chat.complete({
      model: 'mistral-small-latest',
      messages,
      maxTokens: 32,
      temperature: 0.3,
    });
    expect(res.choices![0]!.message!.content).toBe('Hello world');
    expect(fake.requests[0]!.json.max_tokens).toBe(32);
    const [span, ...rest] = await otel.waitForSpans(1, 20_000);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat mistral-small-latest');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'mistral_ai',
      [ATTR.REQUEST_MODEL]: 'mistral-small-latest',
      [ATTR.RESPONSE_MODEL]: 'mistral-small-latest',
      [ATTR.RESPONSE_ID]: 'cmpl-fake-1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.REQUEST_MAX_TOKENS]: 32,
      [ATTR.REQUEST_TEMPERATURE]: 0.3,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: fake.port,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.COST_SOURCE]: 'computed',
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, SMALL.input) + perM(5, SMALL.output), 12);
  });

  it('tool calls: finish reason tool_calls', async () => {
    fake.enqueue({ toolCall: true });
    const res = await client().chat.complete({ model: 'mistral-small-latest', messages });
    expect(res.choices![0]!.message!.toolCalls?.[0]?.function.arguments).toBe('{"city":"Paris"}');
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.RESPONSE_FINISH_REASONS]).toEqual(['tool_calls']);
  });

  it('429: the SDK error is rethrown, span ERROR with error.type', async () => {
    fake.enqueue({ status: 429 });
    const err = await client()
      .chat.complete({ model: 'mistral-small-latest', messages })
      .catch((e: unknown) => e);
    expect((err as { statusCode?: number }).statusCode).toBe(429);
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe((err as Error).constructor.name);
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('chat.stream', () => {
  it('usage from the last chunk, TTFC, completed', async () => {
    const stream = await client().chat.stream({ model: 'mistral-small-latest', messages });
    let text = '';
    for await (const event of stream) text += (event.data.choices[0]?.delta.content as string) ?? '';
    expect(text).toBe('Hello world');
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.RESPONSE_ID]: 'cmpl-fake-stream',
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
    });
    expect(span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, SMALL.input) + perM(5, SMALL.output), 12);
  });

  it('read with getReader(): observed the same way', async () => {
    const stream = await client().chat.stream({ model: 'mistral-small-latest', messages });
    const reader = stream.getReader();
    let n = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) n++;
    expect(n).toBe(3);
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(5);
  });

  it('no usage in the stream: counted locally, marked estimated', async () => {
    fake.enqueue({ usage: null });
    const stream = await client().chat.stream({ model: 'mistral-small-latest', messages });
    for await (const _ of stream) {
      // drain
    }
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(2, SMALL.input) + perM(2, SMALL.output), 12);
  });

  it('caller breaks out while the server keeps the stream open: completed=false', async () => {
    fake.enqueue({ hangAfter: 1, content: ['Hello', ' there'] });
    const stream = await client().chat.stream({ model: 'mistral-small-latest', messages });
    for await (const event of stream) {
      if (event.data.choices[0]?.delta.content === 'Hello') break;
    }
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });
});

describe('embeddings.create', () => {
  it('embeddings span priced from usage', async () => {
    const res = await client().embeddings.create({ model: 'mistral-embed', inputs: ['a', 'b'] });
    expect(res.data).toHaveLength(2);
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.name).toBe('embeddings mistral-embed');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(8);
    expect(span!.attributes[ATTR.REQUEST_STREAM]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(8, EMBED.input), 14);
  });
});
