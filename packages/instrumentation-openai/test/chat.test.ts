import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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
  delete process.env['BURNRATE_OPENAI_INCLUDE_USAGE'];
});

const P = PRICE['gpt-4o-mini'];
const messages = [{ role: 'user', content: 'Say hello' }];

describe.each(SDKS)('$name chat.completions', (sdk) => {
  it('plain call: one CLIENT span with usage, cost and server attributes', async () => {
    const client = h.client(sdk);
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      max_tokens: 50,
    });
    expect(completion.choices[0].message.content).toBe('Hello world');
    const [span, ...rest] = await h.otel.waitForSpans(1);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat gpt-4o-mini');
    expect(span!.kind).toBe(SpanKind.CLIENT);
    const port = Number(new URL(h.fake.url).port);
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'openai',
      [ATTR.REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR.RESPONSE_ID]: 'chatcmpl-fake1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.REQUEST_MAX_TOKENS]: 50,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: port,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.PRICING_TIER]: 'standard',
      [ATTR.COST_SOURCE]: 'computed',
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, P.input) + perM(5, P.output), 12);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBeUndefined();
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('prices cached prompt tokens at the cached rate', async () => {
    h.fake.enqueue({
      usage: { prompt_tokens: 2000, completion_tokens: 100, prompt_tokens_details: { cached_tokens: 1536 } },
    });
    await h.client(sdk).chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2000);
    expect(span!.attributes[ATTR.USAGE_CACHE_READ_INPUT_TOKENS]).toBe(1536);
    expect(span!.attributes[ATTR.CACHE_HIT]).toBe(true);
    const expected = perM(464, P.input) + perM(1536, P.cached) + perM(100, P.output);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(expected, 12);
    expect(span!.attributes[ATTR.COST_CACHE_READ]).toBeCloseTo(perM(1536, P.cached), 12);
  });

  it('service_tier flex is priced on the flex tier (half price)', async () => {
    h.fake.enqueue({ serviceTier: 'flex' });
    await h.client(sdk).chat.completions.create({ model: 'gpt-4o-mini', messages, service_tier: 'flex' });
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.PRICING_TIER]).toBe('flex');
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo((perM(12, P.input) + perM(5, P.output)) / 2, 12);
  });

  it('tool calls: finish reason tool_calls and usage', async () => {
    h.fake.enqueue({ toolCall: true });
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    const res = await h.client(sdk).chat.completions.create({ model: 'gpt-4o-mini', messages, tools });
    expect(res.choices[0].message.tool_calls[0].function.arguments).toBe('{"city":"Paris"}');
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.RESPONSE_FINISH_REASONS]).toEqual(['tool_calls']);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(5);
  });

  it('multimodal message: sent unchanged, usage from the provider', async () => {
    const content = [
      { type: 'text', text: 'What is in this image?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
    ];
    await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    expect(h.fake.requests[0]!.body['messages']).toEqual([{ role: 'user', content }]);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
  });

  it('429: the SDK error is rethrown unchanged, the span has error.type and ERROR status', async () => {
    h.fake.enqueue({ status: 429 });
    const err = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sdk.OpenAI.RateLimitError);
    expect((err as { status: number }).status).toBe(429);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('RateLimitError');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeUndefined();
  });

  it('withResponse() and asResponse() behave as without burnrate', async () => {
    const client = h.client(sdk);
    const { data, response, request_id } = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages })
      .withResponse();
    expect(data.choices[0].message.content).toBe('Hello world');
    expect(response.status).toBe(200);
    expect(request_id).toBe('req_fake_123');
    await h.otel.waitForSpans(1);
    expect(h.otel.spans()[0]!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(5);

    const raw = await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
    const body = await raw.json();
    expect(body.usage.completion_tokens).toBe(5);
    expect(body.choices[0].message.content).toBe('Hello world');
    const spans = await h.otel.waitForSpans(2);
    // burnrate read a clone of the raw body: the same usage and cost as a parsed call, not estimated.
    expect(spans[1]!.attributes).toMatchObject({
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR.RESPONSE_ID]: 'chatcmpl-fake1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR.PRICING_TIER]: 'standard',
    });
    expect(spans[1]!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(spans[1]!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, P.input) + perM(5, P.output), 12);
  });

  it('asResponse(): the caller reads the raw body as text; the span still gets the usage', async () => {
    const raw = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, service_tier: 'flex' })
      .asResponse();
    const text = await raw.text();
    expect(JSON.parse(text).usage.prompt_tokens).toBe(12);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(5);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeGreaterThan(0);
  });

  it('asResponse() on a stream: the caller gets the raw SSE; the span has locally counted input tokens', async () => {
    const raw = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })
      .asResponse();
    const text = await raw.text();
    expect(text).toContain('data: [DONE]');
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBeGreaterThan(0);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeGreaterThan(0);
  });

  it('streaming: asks for usage, hides the usage-only chunk, records usage and TTFC', async () => {
    const body = { model: 'gpt-4o-mini', messages, stream: true };
    const stream = await h.client(sdk).chat.completions.create(body);
    const chunks: any[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(h.fake.requests[0]!.body['stream_options']).toEqual({ include_usage: true });
    expect(body).toEqual({ model: 'gpt-4o-mini', messages, stream: true }); // caller's object restored
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hello world');
    expect(chunks.every((c) => c.choices.length > 0 && !('usage' in c))).toBe(true);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
    });
    const ttfc = span!.attributes[ATTR.RESPONSE_TIME_TO_FIRST_CHUNK] as number;
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc).toBeLessThan(5);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(12, P.input) + perM(5, P.output), 12);
  });

  it('streaming: a caller that asked for usage still gets the usage chunk', async () => {
    const stream = await h.client(sdk).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: any[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.prompt_tokens).toBe(12);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
  });

  it('BURNRATE_OPENAI_INCLUDE_USAGE=false: no stream_options sent; tokens counted locally', async () => {
    process.env['BURNRATE_OPENAI_INCLUDE_USAGE'] = 'false';
    const stream = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream) {
      // drain
    }
    expect(h.fake.requests[0]!.body['stream_options']).toBeUndefined();
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.COST_SOURCE]).toBe('estimated');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(2); // "Say hello" in o200k_base
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2); // "Hello world"
  });

  it('stream without a usage chunk: estimated usage, completed', async () => {
    h.fake.enqueue({ usage: null });
    const stream = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const chunks: any[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toHaveLength(4);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(2);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(2, P.input) + perM(2, P.output), 12);
  });

  it('caller breaks out: span ends with what was seen, completed=false', async () => {
    h.fake.enqueue({ content: ['Hello', ' there', ' friend'] });
    const stream = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let n = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content === 'Hello') break;
      n++;
    }
    expect(n).toBe(1); // the role chunk came first
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(1);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('controller.abort(): span ends, completed=false', async () => {
    h.fake.enqueue({ hangAfter: 1 });
    const stream = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(chunk.choices[0]?.delta?.content ?? '');
      if (seen.length === 2) stream.controller.abort();
    }
    expect(seen).toEqual(['', 'Hello']);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(1);
  });

  it('error mid-stream: rethrown, span has error.type, partial usage, completed=false', async () => {
    h.fake.enqueue({ failMidStream: true });
    const stream = await h
      .client(sdk)
      .chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(sdk.OpenAI.APIError);
    expect(seen).toEqual(['', 'Hello']);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBe('APIError');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
    expect(span!.attributes[ATTR.STREAM_COMPLETED]).toBe(false);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
  });

  it('tee() and toReadableStream() work, one span', async () => {
    const client = h.client(sdk);
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const [left, right] = stream.tee();
    const read = async (s: AsyncIterable<any>) => {
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
      return text;
    };
    expect(await Promise.all([read(left), read(right)])).toEqual(['Hello world', 'Hello world']);
    await h.otel.waitForSpans(1);

    const stream2 = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const reader = stream2.toReadableStream().getReader();
    const decoder = new TextDecoder();
    let lines = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) lines += decoder.decode(r.value);
    const parsed = lines
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(parsed).toHaveLength(4);
    expect(parsed.some((c) => c.choices.length === 0)).toBe(false);
    const spans = await h.otel.waitForSpans(2);
    expect(spans).toHaveLength(2);
    expect(spans.every((s) => s.attributes[ATTR.STREAM_COMPLETED] === true)).toBe(true);
  });
});
