/** The instrumentation never throws into the app: odd responses reach the caller as without burnrate. */
import { ATTR } from '@burnrate/core';
import * as genai from '@google/genai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './setup.js';

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
  ['no candidates, no usage', { modelVersion: 'gemini-2.5-flash' }],
  ['nulls everywhere', { candidates: null, usageMetadata: null, modelVersion: null, responseId: null }],
  [
    'usage with wrong types',
    { candidates: [], usageMetadata: { promptTokenCount: 'ten', candidatesTokenCount: {} } },
  ],
  ['negative usage', { usageMetadata: { promptTokenCount: -5, candidatesTokenCount: 2 } }],
  ['cache larger than the prompt', { usageMetadata: { promptTokenCount: 1, cachedContentTokenCount: 9 } }],
  [
    'candidates of odd types',
    { candidates: [null, 7, 'x', { content: null, finishReason: 5 }], modelVersion: 42 },
  ],
  ['empty usageMetadata', { candidates: [], usageMetadata: {} }],
  ['a JSON array', [1, 2, 3]],
];

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return {
      ok: true,
      value: JSON.parse(JSON.stringify(await fn(), (k, v) => (k === 'sdkHttpResponse' ? undefined : v))),
    };
  } catch (err) {
    return { ok: false, error: `${(err as Error)?.constructor?.name}: ${(err as Error)?.message}` };
  }
}

describe('odd generateContent responses', () => {
  it.each(ODD)('%s: same result as the uninstrumented SDK, no made-up cost', async (_name, raw) => {
    const client = h.client();
    const params = { model: 'gemini-2.5-flash', contents: 'Hi' };
    h.fake.enqueue({ raw }, { raw });
    const instrumented = await outcome(() => client.models.generateContent(params));
    const original = (genai.Models.prototype as any).generateContentInternal.__original;
    expect(typeof original).toBe('function');
    const plain = await outcome(() => original.call(client.models, params));
    expect(instrumented).toEqual(plain);
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.OPERATION_NAME]).toBe('generate_content');
    if (span!.attributes[ATTR.USAGE_INPUT_TOKENS] !== undefined) {
      expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBe(true);
    }
  });

  it('odd params (not an object) are passed to the SDK untouched', async () => {
    const client = h.client();
    const original = (genai.Models.prototype as any).generateContentInternal.__original;
    const a = await outcome(() => (client.models as any).generateContentInternal(null));
    const b = await outcome(() => original.call(client.models, null));
    expect(a).toEqual(b);
    expect(a.ok).toBe(false);
    expect(h.otel.spans()).toHaveLength(0);
  });
});
