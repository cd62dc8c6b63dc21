/** The instrumentation never throws into the app: odd responses reach the caller as without burnrate. */
import { ATTR } from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cohere, type Harness, startHarness, v2ClientModule } from './setup.js';

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
  ['usage with wrong types', { id: 'x', usage: { billed_units: { input_tokens: 'ten' } } }],
  ['negative billed units', { id: 'x', usage: { billed_units: { input_tokens: -3, output_tokens: 1 } } }],
  [
    'empty usage',
    { id: 'x', finish_reason: 'COMPLETE', message: { role: 'assistant', content: [] }, usage: {} },
  ],
  ['odd message', { message: { content: 'not an array', tool_calls: 5 }, finish_reason: 7 }],
  ['a JSON array', [1, 2]],
];

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: JSON.parse(JSON.stringify(await fn())) };
  } catch (err) {
    return { ok: false, error: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` };
  }
}

describe('odd Cohere chat responses', () => {
  it.each(ODD)('%s: same outcome with and without burnrate, no made-up cost', async (_n, raw) => {
    const client = new cohere.CohereClientV2({ token: 'k', environment: h.fake.url, maxRetries: 0 } as any);
    const request = { model: 'command-r-08-2024', messages: [{ role: 'user' as const, content: 'Hi' }] };
    h.fake.enqueue({ raw }, { raw });
    const a = await outcome(() => client.chat(request));
    const [span] = await h.otel.waitForSpans(1, 20_000);
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined) {
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    }
    h.instrumentation.unpatch(v2ClientModule);
    try {
      expect(await outcome(() => client.chat(request))).toEqual(a);
    } finally {
      h.instrumentation.patch(v2ClientModule);
    }
  });
});
