/** /api/advice and `burnrate advise` on a running collector, fed through OTLP (fingerprints normalized). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveAdvice } from '../src/advice/store.js';
import { runCli } from '../src/cli/index.js';
import type { Collector } from '../src/collector.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
let c: Collector;
// gpt-4o: $2.50 in / $10 out per 1M. Each call: 2000 in, 100 out = $0.006.
const CALL = (2000 * 2.5 + 100 * 10) / 1e6;

beforeAll(async () => {
  c = await startTestCollector(tmp.dir, 'advice: { snapshot_interval_ms: 0 }\n');
  const start = BigInt(Date.now() - 10 * 60_000) * 1_000_000n;
  const spans = [0, 1, 2].map((i) => {
    const id = (i + 1).toString(16).padStart(16, '0');
    const s = start + BigInt(i) * 60_000_000_000n;
    const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
    const int = (key: string, v: number) => ({ key, value: { intValue: v } });
    return {
      traceId: `${id}${id}`,
      spanId: id,
      name: 'chat gpt-4o',
      kind: 3,
      startTimeUnixNano: s.toString(),
      endTimeUnixNano: (s + 1_000_000_000n).toString(),
      attributes: [
        str('gen_ai.provider.name', 'openai'),
        str('gen_ai.request.model', 'gpt-4o'),
        int('gen_ai.usage.input_tokens', 2000),
        int('gen_ai.usage.output_tokens', 100),
        int('gen_ai.request.max_tokens', 150),
        str('burnrate.feature', 'faq'),
        str('burnrate.prompt.fingerprint', 'a'.repeat(64)),
        str('burnrate.prompt.prefix_fingerprint', 'b'.repeat(64)),
        int('burnrate.prompt.prefix_tokens', 1900),
      ],
    };
  });
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 't' }, spans }] }],
    }),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await c.close();
  tmp.cleanup();
});

describe('advice API and CLI', () => {
  it('stores fingerprints and serves the advice', async () => {
    const stored = await rows<{ prompt_fingerprint: string; prefix_tokens: number; max_tokens: number }>(
      c.store.client,
      'SELECT prompt_fingerprint, prefix_tokens, max_tokens FROM burnrate.genai_spend LIMIT 1',
    );
    expect(stored[0]).toEqual({ prompt_fingerprint: 'a'.repeat(64), prefix_tokens: 1900, max_tokens: 150 });

    const res = await fetch(`${c.url}/api/advice?from=1h&to=now`);
    expect(res.status).toBe(200);
    const advice = (await res.json()) as {
      opportunities: Array<{ lever: string; saved_usd: number; requests: number }>;
    };
    const exact = advice.opportunities.find((o) => o.lever === 'exact_cache')!;
    expect(exact.requests).toBe(2);
    expect(exact.saved_usd).toBeCloseTo(2 * CALL, 9);
    // The same 1900-token prefix three times a minute apart: two reads at $1.25 instead of $2.50.
    const prompt = advice.opportunities.find((o) => o.lever === 'provider_prompt_cache')!;
    expect(prompt.saved_usd).toBeCloseTo((2 * 1900 * (2.5 - 1.25)) / 1e6, 9);
  });

  it('rejects bad parameters with 400', async () => {
    for (const q of [
      'from=soon',
      'from=now&to=1h',
      'exact_cache_ttl=-5',
      'prompt_cache_ttl=1;DROP TABLE x',
    ]) {
      const res = await fetch(`${c.url}/api/advice?${q}`);
      expect(res.status, q).toBe(400);
    }
  });

  it('prints a table biggest first, and snapshots it for the dashboard', async () => {
    let out = '';
    expect(await runCli(['advise', '--url', c.url, '--from', '1h'], (s) => (out += s))).toBe(0);
    const lines = out.split('\n');
    const at = (name: string) => lines.findIndex((l) => l.startsWith(name));
    expect(at('model routing')).toBeGreaterThan(0);
    expect(at('exact cache')).toBeGreaterThan(at('model routing'));
    expect(at('provider prompt cache')).toBeGreaterThan(at('exact cache'));
    expect(out).toContain('ALREADY SAVED');

    const report = await (await fetch(`${c.url}/api/advice?from=1h`)).json();
    await saveAdvice(c.store.client, c.schema, report as never);
    const saved = await rows<{ lever: string }>(
      c.store.client,
      "SELECT lever FROM burnrate.savings_advice WHERE kind = 'opportunity' ORDER BY saved_usd DESC",
    );
    // Short gpt-4o calls are routing candidates too (the biggest lever here: 3 x $0.00564), and with no
    // server span above them they are batchable ($0.009); then exact cache ($0.012), prompt cache ($0.00475).
    expect(saved.map((r) => r.lever)).toEqual([
      'model_routing',
      'exact_cache',
      'batch',
      'provider_prompt_cache',
    ]);
  });
});
