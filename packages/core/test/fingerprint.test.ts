import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  DEFAULT_PROMPT_HASH_KEY,
  fingerprintAttributes,
  PROMPT_ATTR,
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
