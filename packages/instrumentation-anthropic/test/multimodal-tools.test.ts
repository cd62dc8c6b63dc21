/**
 * The real @anthropic-ai/sdk (1.x and 0.x), instrumented, against the fake server: a message with an
 * image content block (base64), a tool-use round trip (tool_use in the answer, tool_result in the next
 * request), and the GenAI metrics and burnrate's cost counter for them.
 */
import { ATTR, METRIC, withAttribution } from '@burnrate/core';
import { SpanKind } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metricPoints } from '../../../test/fakes/otel.js';
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
});

const MODEL = 'claude-3-5-haiku-20241022';
/** A 1x1 transparent PNG. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const imageMessage = {
  role: 'user',
  content: [
    { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
    { type: 'text', text: 'What is in this image?' },
  ],
};
const weatherTool = {
  name: 'get_weather',
  description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const ask = { role: 'user', content: 'Weather in Paris?' };
const toolUse = { type: 'tool_use', id: 'toolu_fake1', name: 'get_weather', input: { city: 'Paris' } };
const toolResult = {
  role: 'user',
  content: [{ type: 'tool_result', tool_use_id: 'toolu_fake1', content: '21°C and sunny' }],
};
const imageUsage = { input_tokens: 1590, output_tokens: 42 };
const toolUsage = { input_tokens: 410, output_tokens: 55 };
const resultUsage = { input_tokens: 520, output_tokens: 18 };
const cost = (u: { input_tokens: number; output_tokens: number }) =>
  perM(u.input_tokens, HAIKU.input) + perM(u.output_tokens, HAIKU.output);

/** The span attributes every call here has. */
const common = {
  [ATTR.PROVIDER_NAME]: 'anthropic',
  [ATTR.OPERATION_NAME]: 'chat',
  [ATTR.REQUEST_MODEL]: MODEL,
  [ATTR.RESPONSE_MODEL]: MODEL,
  [ATTR.RESPONSE_ID]: 'msg_fake1',
  [ATTR.REQUEST_MAX_TOKENS]: 200,
  [ATTR.SERVER_ADDRESS]: '127.0.0.1',
  [ATTR.PRICING_TIER]: 'standard',
  [ATTR.COST_SOURCE]: 'computed',
};

describe.each(SDKS)('$name multimodal and tool use', (sdk) => {
  it('image content block (base64): sent unchanged, usage and cost from the response, no content on the span', async () => {
    h.fake.enqueue({ usage: imageUsage, content: ['A transparent pixel.'] });
    const msg = await h
      .client(sdk)
      .messages.create({ model: MODEL, max_tokens: 200, messages: [imageMessage] });
    expect(msg.content).toEqual([{ type: 'text', text: 'A transparent pixel.' }]);
    expect(h.fake.requests[0]!.body['messages']).toEqual([imageMessage]);
    const [span, ...rest] = await h.otel.waitForSpans(1);
    expect(rest).toHaveLength(0);
    expect(span!.name).toBe(`chat ${MODEL}`);
    expect(span!.kind).toBe(SpanKind.CLIENT);
    expect(span!.attributes).toMatchObject({
      ...common,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR.REQUEST_STREAM]: false,
      [ATTR.USAGE_INPUT_TOKENS]: 1590,
      [ATTR.USAGE_OUTPUT_TOKENS]: 42,
    });
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(cost(imageUsage), 15);
    expect(span!.attributes[ATTR.COST_INPUT]).toBeCloseTo(perM(1590, HAIKU.input), 15);
    expect(span!.attributes[ATTR.COST_OUTPUT]).toBeCloseTo(perM(42, HAIKU.output), 15);
    // Message content is not captured unless opted in: neither the image nor the text.
    const values = Object.values(span!.attributes).map(String).join('\n');
    expect(values).not.toContain(PNG_BASE64.slice(0, 20));
    expect(values).not.toContain('What is in this image?');
  });

  it('tool-use round trip: tool_use answer, then tool_result in the next request; one priced span per call', async () => {
    h.fake.enqueue(
      { toolCall: true, usage: toolUsage },
      { usage: resultUsage, content: ['It is 21°C in Paris.'] },
    );
    const client = h.client(sdk);
    const first = await client.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [weatherTool],
      messages: [ask],
    });
    expect(first.stop_reason).toBe('tool_use');
    expect(first.content).toEqual([toolUse]);
    const second = await client.messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [weatherTool],
      messages: [ask, { role: 'assistant', content: first.content }, toolResult],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is 21°C in Paris.' }]);
    expect(h.fake.requests.map((r) => r.body['messages'])).toEqual([
      [ask],
      [ask, { role: 'assistant', content: [toolUse] }, toolResult],
    ]);
    expect(h.fake.requests[0]!.body['tools']).toEqual([weatherTool]);
    const spans = await h.otel.waitForSpans(2);
    expect(spans).toHaveLength(2);
    const [call, answer] = spans as [(typeof spans)[0], (typeof spans)[0]];
    expect(call.attributes).toMatchObject({
      ...common,
      [ATTR.RESPONSE_FINISH_REASONS]: ['tool_use'],
      [ATTR.USAGE_INPUT_TOKENS]: 410,
      [ATTR.USAGE_OUTPUT_TOKENS]: 55,
    });
    expect(call.attributes[ATTR.USAGE_COST]).toBeCloseTo(cost(toolUsage), 15);
    expect(answer.attributes).toMatchObject({
      ...common,
      [ATTR.RESPONSE_FINISH_REASONS]: ['end_turn'],
      [ATTR.USAGE_INPUT_TOKENS]: 520,
      [ATTR.USAGE_OUTPUT_TOKENS]: 18,
    });
    expect(answer.attributes[ATTR.USAGE_COST]).toBeCloseTo(cost(resultUsage), 15);
  });

  it('streamed tool use: input_json_delta events unchanged, finish reason tool_use, usage from message_delta', async () => {
    h.fake.enqueue({ toolCall: true, usage: toolUsage });
    const stream = await h.client(sdk).messages.create({
      model: MODEL,
      max_tokens: 200,
      tools: [weatherTool],
      messages: [ask],
      stream: true,
    });
    const events: string[] = [];
    let json = '';
    for await (const event of stream) {
      events.push(event.delta?.type ? `${event.type}:${event.delta.type}` : event.type);
      if (event.delta?.type === 'input_json_delta') json += event.delta.partial_json;
    }
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta:input_json_delta',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(JSON.parse(json)).toEqual({ city: 'Paris' });
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      ...common,
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.RESPONSE_FINISH_REASONS]: ['tool_use'],
      [ATTR.USAGE_INPUT_TOKENS]: 410,
      [ATTR.USAGE_OUTPUT_TOKENS]: 55,
    });
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(cost(toolUsage), 15);
  });
});

describe('metrics for image and tool-use calls', () => {
  const sums = async () => {
    const rm = await h.otel.collectMetrics();
    const mine = (p: { attributes: Record<string, unknown> }) =>
      p.attributes[ATTR.PROVIDER_NAME] === 'anthropic' && p.attributes[ATTR.REQUEST_MODEL] === MODEL;
    const tokens = metricPoints(rm, METRIC.TOKEN_USAGE).filter(mine);
    const tokenSum = (type: string) =>
      tokens
        .filter((p) => p.attributes['gen_ai.token.type'] === type)
        .reduce((s, p) => s + (p.value as { sum: number }).sum, 0);
    const durations = metricPoints(rm, METRIC.OPERATION_DURATION).filter(mine);
    const cost = metricPoints(rm, METRIC.COST).filter((p) => p.attributes[ATTR.FEATURE] === 'vision-tools');
    return {
      input: tokenSum('input'),
      output: tokenSum('output'),
      calls: durations.reduce((s, p) => s + (p.value as { count: number }).count, 0),
      cost: cost.reduce((s, p) => s + (p.value as number), 0),
      points: { tokens, durations, cost },
    };
  };

  it('gen_ai.client.token.usage, gen_ai.client.operation.duration and the USD cost counter', async () => {
    const before = await sums();
    h.fake.enqueue({ usage: imageUsage }, { toolCall: true, usage: toolUsage }, { usage: resultUsage });
    const client = h.client(SDKS[0]!);
    await withAttribution({ feature: 'vision-tools', userId: 'u-1' }, async () => {
      await client.messages.create({ model: MODEL, max_tokens: 200, messages: [imageMessage] });
      const first = await client.messages.create({
        model: MODEL,
        max_tokens: 200,
        tools: [weatherTool],
        messages: [ask],
      });
      await client.messages.create({
        model: MODEL,
        max_tokens: 200,
        tools: [weatherTool],
        messages: [ask, { role: 'assistant', content: first.content }, toolResult],
      });
    });
    await h.otel.waitForSpans(3);
    const after = await sums();
    expect(after.input - before.input).toBe(1590 + 410 + 520);
    expect(after.output - before.output).toBe(42 + 55 + 18);
    expect(after.calls - before.calls).toBe(3);
    expect(after.cost - before.cost).toBeCloseTo(cost(imageUsage) + cost(toolUsage) + cost(resultUsage), 15);
    const input = after.points.tokens.find((p) => p.attributes['gen_ai.token.type'] === 'input');
    expect(input?.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.RESPONSE_MODEL]: MODEL,
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
    });
    // The cost counter carries the feature, not the user (unbounded cardinality stays off metrics).
    expect(after.points.cost.length).toBeGreaterThan(0);
    expect(after.points.cost.every((p) => p.attributes[ATTR.USER_ID] === undefined)).toBe(true);
    expect(after.points.durations.every((p) => p.attributes[ATTR.SERVER_ADDRESS] === '127.0.0.1')).toBe(true);
  });
});
