/** The instrumentation never throws into the app: odd responses reach the caller as without burnrate. */
import * as bedrock from '@aws-sdk/client-bedrock-runtime';
import { ATTR } from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HAIKU, type Harness, json, startHarness } from './setup.js';

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

const ODD: Array<[string, unknown]> = [
  ['empty object', {}],
  ['usage with wrong types', { usage: { inputTokens: 'ten', outputTokens: null }, stopReason: 7 }],
  ['negative usage', { usage: { inputTokens: -1, outputTokens: 2 } }],
  ['output of odd types', { output: { message: { content: [null, 5, 'x'] } }, usage: [] }],
  ['anthropic-looking body with odd usage', { type: 'message', content: null, usage: { input_tokens: {} } }],
];

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
async function outcome(fn: () => Promise<any>): Promise<Outcome> {
  try {
    const v = await fn();
    const { $metadata: _m, ...rest } = v;
    return {
      ok: true,
      value: JSON.parse(JSON.stringify(rest, (_k, x) => (x instanceof Uint8Array ? [...x] : x))),
    };
  } catch (err) {
    return { ok: false, error: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` };
  }
}

const sendOriginal = (client: bedrock.BedrockRuntimeClient, command: unknown) =>
  (bedrock.BedrockRuntimeClient.prototype.send as any).__original.call(client, command);

describe('odd Bedrock responses', () => {
  it.each(ODD)('Converse, %s: same outcome as the uninstrumented SDK, no made-up cost', async (_n, raw) => {
    const client = h.client();
    const input = { modelId: HAIKU, messages: [{ role: 'user' as const, content: [{ text: 'Hi' }] }] };
    h.fake.enqueue({ raw }, { raw });
    const a = await outcome(() => client.send(new bedrock.ConverseCommand(input)));
    const b = await outcome(() => sendOriginal(client, new bedrock.ConverseCommand(input)));
    expect(a).toEqual(b);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined)
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
  });

  it.each(ODD)('InvokeModel, %s: same outcome as the uninstrumented SDK', async (_n, raw) => {
    const client = h.client();
    const input = { modelId: HAIKU, body: json({ messages: [{ role: 'user', content: 'Hi' }] }) };
    h.fake.enqueue({ raw }, { raw });
    const a = await outcome(() => client.send(new bedrock.InvokeModelCommand(input)));
    const b = await outcome(() => sendOriginal(client, new bedrock.InvokeModelCommand(input)));
    expect(a).toEqual(b);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBeUndefined();
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined)
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
  });

  it('a command without input, and a non-command, go to the SDK untouched', async () => {
    const client = h.client();
    const a = await outcome(() => client.send({} as any));
    const b = await outcome(() => sendOriginal(client, {}));
    expect(a).toEqual(b);
    expect(a.ok).toBe(false);
    expect(h.otel.spans()).toHaveLength(0);
  });
});
