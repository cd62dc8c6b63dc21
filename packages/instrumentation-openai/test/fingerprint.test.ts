/** Prompt fingerprints on real openai calls: no prompt text on the span, only keyed hashes and sizes. */
import { ATTR, PROMPT_ATTR } from '@burnrate/core';
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
  delete process.env['BURNRATE_PROMPT_FINGERPRINT'];
});

const system = { role: 'system', content: 'You are a terse assistant. '.repeat(40) };
const ask = (question: string) => ({
  model: 'gpt-4o-mini',
  max_tokens: 64,
  messages: [system, { role: 'user', content: question }],
});

describe('openai prompt fingerprints', () => {
  it('same system prompt, different questions: shared prefix fingerprint, distinct request fingerprints', async () => {
    const client = h.client(SDKS[0]!);
    await client.chat.completions.create(ask('What is 2+2?'));
    await client.chat.completions.create(ask('What is the capital of France?'));
    await client.chat.completions.create(ask('What is 2+2?'));
    const [a, b, c] = await h.otel.waitForSpans(3);
    for (const s of [a!, b!, c!]) {
      expect(s.attributes[PROMPT_ATTR.FINGERPRINT]).toMatch(/^[0-9a-f]{64}$/);
      expect(s.attributes[ATTR.REQUEST_MAX_TOKENS]).toBe(64);
      expect(JSON.stringify(s.attributes)).not.toContain('terse assistant');
    }
    expect(a!.attributes[PROMPT_ATTR.PREFIX_FINGERPRINT]).toBe(b!.attributes[PROMPT_ATTR.PREFIX_FINGERPRINT]);
    expect(a!.attributes[PROMPT_ATTR.FINGERPRINT]).not.toBe(b!.attributes[PROMPT_ATTR.FINGERPRINT]);
    expect(a!.attributes[PROMPT_ATTR.FINGERPRINT]).toBe(c!.attributes[PROMPT_ATTR.FINGERPRINT]);
    // The fake reports 12 input tokens; the system prompt is nearly all of the request's text.
    const prefixTokens = a!.attributes[PROMPT_ATTR.PREFIX_TOKENS] as number;
    expect(prefixTokens).toBeGreaterThanOrEqual(11);
    expect(prefixTokens).toBeLessThanOrEqual(12);
  });

  it('can be switched off', async () => {
    process.env['BURNRATE_PROMPT_FINGERPRINT'] = 'false';
    await h.client(SDKS[0]!).chat.completions.create(ask('hi'));
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[PROMPT_ATTR.FINGERPRINT]).toBeUndefined();
    expect(span!.attributes[PROMPT_ATTR.PREFIX_TOKENS]).toBeUndefined();
  });
});
