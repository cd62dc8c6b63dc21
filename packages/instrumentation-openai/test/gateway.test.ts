/**
 * OpenAI-compatible gateways, priced. The real `openai` SDKs are configured with the gateway's real base
 * URL (provider detection reads the client's base URL, by host); their `fetch` option sends the bytes to
 * the fake server instead of the internet, as a DNS entry would. Nothing else is changed.
 */
import { ATTR, METRIC } from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metricPoints } from '../../../test/fakes/otel.js';
import { type Harness, perM, SDKS, startHarness } from './setup.js';

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

/** Groq's published price of llama-3.3-70b-versatile, USD per million tokens. */
const LLAMA_70B = { input: 0.59, output: 0.79 };
const GROQ_BASE = 'https://api.groq.com/openai/v1';
const usage = { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500 };

/** A client for `baseURL` whose requests reach the fake server; the URLs the SDK asked for are kept. */
function gatewayClient(sdk: (typeof SDKS)[number], baseURL: string, asked: string[]) {
  const fetchVia = (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    asked.push(url);
    return fetch(`${h.fake.openaiBaseURL}${url.slice(baseURL.length)}`, init);
  };
  return h.client(sdk, { baseURL, fetch: fetchVia });
}

describe.each(SDKS)('$name through Groq (api.groq.com)', (sdk) => {
  it('chat: gen_ai.provider.name groq, server.address api.groq.com, priced on Groq prices', async () => {
    const asked: string[] = [];
    h.fake.enqueue({ usage });
    const client = gatewayClient(sdk, GROQ_BASE, asked);
    const res = await client.chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(res.choices[0].message.content).toBe('Hello world');
    expect(asked).toEqual([`${GROQ_BASE}/chat/completions`]);
    expect(h.fake.requests.map((r) => r.path)).toEqual(['/v1/chat/completions']);
    const [span, ...rest] = await h.otel.waitForSpans(1);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe('chat llama-3.3-70b-versatile');
    expect(span!.attributes).toMatchObject({
      [ATTR.PROVIDER_NAME]: 'groq',
      [ATTR.SERVER_ADDRESS]: 'api.groq.com',
      [ATTR.SERVER_PORT]: 443,
      [ATTR.REQUEST_MODEL]: 'llama-3.3-70b-versatile',
      [ATTR.USAGE_INPUT_TOKENS]: 1200,
      [ATTR.USAGE_OUTPUT_TOKENS]: 300,
      [ATTR.COST_SOURCE]: 'computed',
    });
    expect(span!.attributes[ATTR.COST_UNPRICED]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      perM(1200, LLAMA_70B.input) + perM(300, LLAMA_70B.output),
      15,
    );
  });

  it('streaming chat through Groq: usage from the last chunk, same price', async () => {
    const asked: string[] = [];
    h.fake.enqueue({ usage });
    const stream = await gatewayClient(sdk, GROQ_BASE, asked).chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'Say hello' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('Hello world');
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.PROVIDER_NAME]: 'groq',
      [ATTR.USAGE_INPUT_TOKENS]: 1200,
      [ATTR.USAGE_OUTPUT_TOKENS]: 300,
      [ATTR.STREAM_COMPLETED]: true,
    });
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      perM(1200, LLAMA_70B.input) + perM(300, LLAMA_70B.output),
      15,
    );
  });

  it('the same model on an unknown host is openai, which has no price for it: unpriced, never $0', async () => {
    h.fake.enqueue({ usage });
    await h.client(sdk).chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.PROVIDER_NAME]).toBe('openai');
    expect(span!.attributes[ATTR.COST_UNPRICED]).toBe(true);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeUndefined();
  });
});

describe('gateway metrics', () => {
  it('token usage and the cost counter carry gen_ai.provider.name groq', async () => {
    const before = metricPoints(await h.otel.collectMetrics(), METRIC.COST)
      .filter((p) => p.attributes[ATTR.PROVIDER_NAME] === 'groq')
      .reduce((s, p) => s + (p.value as number), 0);
    h.fake.enqueue({ usage });
    await gatewayClient(SDKS[0]!, GROQ_BASE, []).chat.completions.create({
      model: 'llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'hi' }],
    });
    await h.otel.waitForSpans(1);
    const rm = await h.otel.collectMetrics();
    const input = metricPoints(rm, METRIC.TOKEN_USAGE).find(
      (p) => p.attributes[ATTR.PROVIDER_NAME] === 'groq' && p.attributes['gen_ai.token.type'] === 'input',
    );
    expect(input?.attributes).toMatchObject({
      [ATTR.SERVER_ADDRESS]: 'api.groq.com',
      [ATTR.REQUEST_MODEL]: 'llama-3.3-70b-versatile',
    });
    const after = metricPoints(rm, METRIC.COST)
      .filter((p) => p.attributes[ATTR.PROVIDER_NAME] === 'groq')
      .reduce((s, p) => s + (p.value as number), 0);
    expect(after - before).toBeCloseTo(perM(1200, LLAMA_70B.input) + perM(300, LLAMA_70B.output), 15);
  });
});
