import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  DEFAULT_PROMPT_HASH_KEY,
  fingerprintAttributes,
  hmacSha256Hex,
  PROMPT_ATTR,
  promptShape,
  promptTexts,
} from '../src/fingerprint.js';

afterEach(() => {
  delete process.env['BURNRATE_PROMPT_FINGERPRINT'];
  delete process.env['BURNRATE_PROMPT_HASH_KEY'];
});

const system = { role: 'system', content: 'You are a support agent for ACME.' };
const request = (question: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o',
  messages: [system, { role: 'user', content: question }],
  temperature: 0,
  ...extra,
});

describe('prompt fingerprints', () => {
  it('equal requests share a fingerprint whatever the key order or volatile fields', () => {
    const a = fingerprintAttributes({ request: request('Where is my order?'), prefix: [system] });
    const b = fingerprintAttributes({
      request: {
        stream: true,
        user: 'u-1',
        ...Object.fromEntries(Object.entries(request('Where is my order?')).reverse()),
      },
      prefix: [system],
    });
    expect(a[PROMPT_ATTR.FINGERPRINT]).toBe(b[PROMPT_ATTR.FINGERPRINT]);
    expect(a[PROMPT_ATTR.FINGERPRINT]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('different questions on one system prompt share only the prefix fingerprint', () => {
    const a = fingerprintAttributes({ request: request('Q1'), prefix: [system], prefixTokens: 9 });
    const b = fingerprintAttributes({ request: request('Q2'), prefix: [system], prefixTokens: 9 });
    expect(a[PROMPT_ATTR.FINGERPRINT]).not.toBe(b[PROMPT_ATTR.FINGERPRINT]);
    expect(a[PROMPT_ATTR.PREFIX_FINGERPRINT]).toBe(b[PROMPT_ATTR.PREFIX_FINGERPRINT]);
    expect(a[PROMPT_ATTR.PREFIX_TOKENS]).toBe(9);
  });

  it('is an HMAC under the configured key, with a documented default', () => {
    const parts = { request: request('Q'), prefix: [system] };
    const expected = createHmac('sha256', DEFAULT_PROMPT_HASH_KEY)
      .update(canonicalJson(parts.request))
      .digest('hex');
    expect(fingerprintAttributes(parts)[PROMPT_ATTR.FINGERPRINT]).toBe(expected);
    process.env['BURNRATE_PROMPT_HASH_KEY'] = 'tenant-secret';
    expect(fingerprintAttributes(parts)[PROMPT_ATTR.FINGERPRINT]).not.toBe(expected);
  });

  it('can be switched off', () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    expect(fingerprintAttributes({ request: request('Q'), prefix: [system] })).toEqual({});
  });

  it('collects the text of nested content, skipping inline media', () => {
    expect(
      promptTexts([
        system,
        {
          role: 'user',
          content: [
            { type: 'text', text: 'hi' },
            { type: 'image_url', image_url: { url: 'data:...' } },
          ],
        },
      ]),
    ).toEqual(['system', 'You are a support agent for ACME.', 'user', 'text', 'hi', 'image_url']);
  });
});

/** The original implementations, kept verbatim: the fast ones must give the same text and digests. */
const REFERENCE_VOLATILE = new Set([
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'safety_identifier',
  'prompt_cache_key',
  'service_tier',
  'signal',
  'timeout',
]);
function referenceCanonicalJson(value: unknown, depth = 0): string {
  if (depth > 64) return '"<deep>"';
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => referenceCanonicalJson(v, depth + 1)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(
      ([k, v]) => v !== undefined && typeof v !== 'function' && !(depth === 0 && REFERENCE_VOLATILE.has(k)),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v, depth + 1)}`).join(',')}}`;
}
const referenceHmac = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');

describe('fingerprint fast paths match the reference implementation', () => {
  const odd: unknown[] = [
    undefined,
    null,
    Number.NaN,
    -0,
    Number.POSITIVE_INFINITY,
    'lone \ud800 surrogate',
    [1, undefined, () => 1, null],
    // biome-ignore lint/suspicious/noSparseArray: holes are part of what is pinned
    [1, , 3],
    { b: 1, a: undefined, c: () => 1, B: 2, é: 3, '\u0000': 4, '10': 5, '9': 6 },
    { stream: true, user: 'u', nested: { stream: true, user: 'u' } },
    Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${(i * 7919) % 40}`, i])),
    new Date(0),
    new Map([[1, 2]]),
    new Uint8Array([3, 1, 2]),
    (() => {
      let v: unknown = 'leaf';
      for (let i = 0; i < 70; i++) v = i % 2 ? [v] : { v };
      return v;
    })(),
  ];
  it('canonicalJson: odd values', () => {
    for (const v of odd) expect(canonicalJson(v)).toBe(referenceCanonicalJson(v));
  });

  it('canonicalJson: arbitrary JSON-like values', () => {
    fc.assert(
      fc.property(
        fc.anything({
          withNullPrototype: true,
          withSparseArray: true,
          withDate: true,
          withTypedArray: true,
          withMap: true,
          withSet: true,
          withBoxedValues: true,
        }),
        (v) => {
          let expected: string | Error;
          try {
            expected = referenceCanonicalJson(v);
          } catch (err) {
            expected = err as Error;
          }
          if (expected instanceof Error) expect(() => canonicalJson(v)).toThrow();
          else expect(canonicalJson(v)).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('canonicalJson: any string as a key or value (escapes, surrogates, non-ASCII)', () => {
    const str = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(str, fc.oneof(str, fc.array(str, { maxLength: 3 }))), { maxLength: 8 }),
        (pairs) => {
          const v = Object.fromEntries(pairs);
          expect(canonicalJson(v)).toBe(referenceCanonicalJson(v));
          expect(canonicalJson(v, 3)).toBe(referenceCanonicalJson(v, 3));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('HMAC: same digest as createHmac for any key and text (short, long, non-ASCII, lone surrogates)', () => {
    const keys = ['', 'k', DEFAULT_PROMPT_HASH_KEY, 'x'.repeat(64), 'y'.repeat(65), 'ключ🔑'.repeat(20)];
    const texts = [
      '',
      'a',
      'é🔥\ud800x',
      'z'.repeat(1000),
      'é'.repeat(5000),
      'q'.repeat(20_000),
      '🔥'.repeat(9000),
    ];
    for (const k of keys) for (const t of texts) expect(hmacSha256Hex(k, t)).toBe(referenceHmac(k, t));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 3000 }), (k, t) => {
        expect(hmacSha256Hex(k, t)).toBe(referenceHmac(k, t));
      }),
      { numRuns: 200 },
    );
  });

  it('fingerprint attributes and prefix share are unchanged', () => {
    const tools = [{ type: 'function', name: 'f' }];
    const req = request('Where is my order?', { stream: true, tools });
    const prefix = { model: req.model, tools, messages: req.messages.slice(0, -1) };
    const k = DEFAULT_PROMPT_HASH_KEY;
    const shape = promptShape(req, prefix)!;
    expect(shape.attributes).toEqual({
      [PROMPT_ATTR.FINGERPRINT]: referenceHmac(k, referenceCanonicalJson(req)),
      [PROMPT_ATTR.PREFIX_FINGERPRINT]: referenceHmac(k, referenceCanonicalJson(prefix)),
    });
    const chars = (v: unknown) => promptTexts(v).reduce((n, t) => n + t.length, 0);
    expect(shape.prefixShare).toBe(Math.min(1, chars(prefix) / chars(req)));
  });
});
