/** The instrumentation never throws into the app: odd responses come back to the caller unchanged. */
import { ATTR } from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, SDKS, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
afterEach(() => {
  h.otel.reset();
});

const ODD: Array<[string, unknown]> = [
  ['no usage, no choices', { id: 'x', object: 'chat.completion', model: 'gpt-4o-mini' }],
  ['null everywhere', { id: null, model: null, choices: null, usage: null }],
  [
    'usage with wrong types',
    { model: 'gpt-4o-mini', choices: [{ message: { content: 'hi' } }], usage: { prompt_tokens: 'ten' } },
  ],
  [
    'negative usage',
    { model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: -1, completion_tokens: 2 } },
  ],
  ['choices of odd types', { model: 42, choices: [null, 7, 'x', { message: null }], usage: [] }],
  ['a JSON array', [1, 2, 3]],
  ['a JSON string', 'just a string'],
  [
    'inconsistent cache counts',
    { model: 'gpt-4o-mini', usage: { prompt_tokens: 1, prompt_tokens_details: { cached_tokens: 5 } } },
  ],
];

describe.each(SDKS)('$name odd responses', (sdk) => {
  it.each(ODD)('%s: the app gets exactly what the server sent', async (_name, raw) => {
    h.fake.enqueue({ raw });
    const res = await h.client(sdk).chat.completions.create({ model: 'gpt-4o-mini', messages: [] });
    expect(JSON.parse(JSON.stringify(res))).toEqual(raw);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.OPERATION_NAME]).toBe('chat');
    expect(span!.attributes[ATTR.ERROR_TYPE]).toBeUndefined();
    // Never a made-up $0: either no usage at all, or a local count marked estimated.
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined) {
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    }
  });

  it('odd request bodies are passed through to the SDK unchanged', async () => {
    const client = h.client(sdk);
    // A body that is not an object: the SDK decides what happens, burnrate stays out of the way.
    const err = await Promise.resolve()
      .then(() => client.chat.completions.create(null as any))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const direct = await Promise.resolve()
      .then(() => sdk.OpenAI.Chat.Completions.prototype.create.__original.call(client.chat.completions, null))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err?.constructor).toBe(direct?.constructor);
  });
});
