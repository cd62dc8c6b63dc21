/** The instrumentation never throws into the app: odd responses reach the caller as without burnrate. */
import { ATTR } from '@burnrate/core';
import * as mistral from '@mistralai/mistralai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { MistralInstrumentation } from '../src/index.js';
import { type FakeMistral, startFakeMistral } from './fake-mistral.js';

let otel: TestOtel;
let fake: FakeMistral;
let instrumentation: MistralInstrumentation;
beforeAll(async () => {
  otel = setupOtel();
  fake = await startFakeMistral();
  instrumentation = new MistralInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(otel.tracerProvider);
  instrumentation.patch(mistral);
});
afterAll(async () => {
  await fake.close();
});
afterEach(() => {
  otel.reset();
  fake.reset();
});

const ODD: Array<[string, unknown]> = [
  ['no usage, no choices', { id: 'x', object: 'chat.completion', model: 'mistral-small-latest', created: 1 }],
  [
    'usage with wrong types',
    {
      id: 'x',
      object: 'chat.completion',
      model: 'm',
      created: 1,
      choices: [],
      usage: { prompt_tokens: 'ten' },
    },
  ],
  ['choices of odd types', { id: 'x', model: 42, choices: [null, 7] }],
  ['a JSON array', [1, 2, 3]],
  ['a JSON string', 'just a string'],
];

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: JSON.parse(JSON.stringify(await fn())) };
  } catch (err) {
    return { ok: false, error: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` };
  }
}

describe('odd Mistral responses', () => {
  it.each(ODD)('%s: same outcome with and without burnrate, no made-up cost', async (_n, raw) => {
    const client = new mistral.Mistral({
      apiKey: 'k',
      serverURL: fake.url,
      retryConfig: { strategy: 'none' },
    });
    const request = { model: 'mistral-small-latest', messages: [{ role: 'user' as const, content: 'Hi' }] };
    fake.enqueue({ raw }, { raw });
    const a = await outcome(() => client.chat.complete(request));
    const [span] = await otel.waitForSpans(1, 20_000);
    if (
      span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined &&
      span!.attributes[ATTR.USAGE_ESTIMATED] !== true
    ) {
      expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBeGreaterThan(0);
    }
    instrumentation.unpatch(mistral);
    try {
      const b = await outcome(() => client.chat.complete(request));
      expect(a).toEqual(b);
    } finally {
      instrumentation.patch(mistral);
    }
  });
});
