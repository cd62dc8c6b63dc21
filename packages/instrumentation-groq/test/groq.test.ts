import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import * as groq from 'groq-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { GroqInstrumentation } from '../src/index.js';
import { type FakeGroq, startFakeGroq } from './fake-groq.js';

let otel: TestOtel;
let fake: FakeGroq;
let instrumentation: GroqInstrumentation;
beforeAll(async () => {
  otel = setupOtel();
  fake = await startFakeGroq();
  instrumentation = new GroqInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.setMeterProvider(otel.meterProvider);
  instrumentation.patch(groq);
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  otel.reset();
  fake.reset();
});

const client = () => new groq.Groq({ apiKey: 'gsk-fake', baseURL: fake.url, maxRetries: 0 });
/** Groq's published per-million-token prices (USD) for llama-3.3-70b-versatile. */
const P = { input: 0.59, output: 0.79 };
const perM = (tokens: number, usd: number) => (tokens * usd) / 1_000_000;
const messages = [{ role: 'user' as const, content: 'Say hello' }];
const MODEL = 'llama-3.3-70b-versatile';

describe('groq chat.completions.create', () => {
  it('one CLIENT span, provider groq, priced', async () => {
    const res = await client().chat.completions.create({ model: MODEL, messages, max_completion_tokens: 20 });
    expect(res.choices[0]!.message.content).toBe('Hello world');
    const [span, ...rest] = await otel.waitForSpans(1, 20_000);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe(`chat ${MODEL}`);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'groq',
      [ATTR.REQUEST_MODEL]: MODEL,
      [ATTR.RESPONSE_MODEL]: MODEL,
      [ATTR.RESPONSE_ID]: 'chatcmpl-groq-1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.REQUEST_MAX_TOKENS]: 20,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: fake.port,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, P.input) + perM(5, P.output), 12);
  });

  it('withResponse() and asResponse() behave as without burnrate', async () => {
    const { data, response } = await client()
      .chat.completions.create({ model: MODEL, messages })
      .withResponse();
    expect(data.choices[0]!.message.content).toBe('Hello world');
    expect(response.status).toBe(200);
    const raw = await client().chat.completions.create({ model: MODEL, messages }).asResponse();
    expect(((await raw.json()) as any).usage.prompt_tokens).toBe(12);
    const spans = await otel.waitForSpans(2, 20_000);
    expect(spans[0]!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
    expect(spans[1]!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBeUndefined();
  });

  it('stream: usage from x_groq.usage, no stream_options sent, every chunk reaches the caller', async () => {
    const stream = await client().chat.completions.create({ model: MODEL, messages, stream: true });
    const chunks: any[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(fake.requests[0]!.json.stream_options).toBeUndefined();
    expect(chunks).toHaveLength(4);
    expect(chunks.at(-1).x_groq.usage.prompt_tokens).toBe(12);
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
    });
    expect(span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK]).toBeGreaterThan(0);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, P.input) + perM(5, P.output), 12);
  });

  it('stream without usage: counted locally, marked estimated', async () => {
    fake.enqueue({ usage: null });
    const stream = await client().chat.completions.create({ model: MODEL, messages, stream: true });
    for await (const _ of stream) {
      // drain
    }
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
  });

  it('controller.abort() mid-stream: span ends, completed=false', async () => {
    fake.enqueue({ hangAfter: 1 });
    const stream = await client().chat.completions.create({ model: MODEL, messages, stream: true });
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content === 'Hello') stream.controller.abort();
    }
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
  });

  it('429: RateLimitError reaches the caller, span ERROR', async () => {
    fake.enqueue({ status: 429 });
    const err = await client()
      .chat.completions.create({ model: MODEL, messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(groq.Groq.RateLimitError);
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('RateLimitError');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it.each([
    ['no usage, no choices', { id: 'x', model: MODEL }],
    ['usage with wrong types', { model: MODEL, choices: [], usage: { prompt_tokens: 'ten' } }],
    ['a JSON array', [1, 2, 3]],
  ])('odd response (%s): returned unchanged, no made-up cost', async (_n, raw) => {
    fake.enqueue({ raw });
    const res = await client().chat.completions.create({ model: MODEL, messages });
    expect(JSON.parse(JSON.stringify(res))).toEqual(raw);
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBeUndefined();
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined)
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
  });
});

describe('groq embeddings.create', () => {
  it('embeddings span with usage', async () => {
    await client().embeddings.create({ model: 'nomic-embed-text-v1_5', input: 'hello' });
    const [span] = await otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.OPERATION_NAME]).toBe('embeddings');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(6);
    expect(span!.attributes[ATTR.PROVIDER_NAME]).toBe('groq');
  });
});
