/**
 * The REST API under hostile query strings: SQL injection attempts in every parameter of `/api/spend`,
 * `/api/alerts` and `/api/budgets` are treated as values (or refused with 400), never as SQL; the tables
 * are still there afterwards; bad time ranges get 400 with a message, never 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector.js';
import { rows, startTestCollector, tempDir } from '../helpers.js';

const tmp = tempDir('burnrate-api-inj-');
let c: Collector;

/** A value that would widen or break the query if it were spliced into SQL. */
const EVIL = "x' OR '1'='1";
const INJECTIONS = [
  EVIL,
  "' OR 1=1 --",
  "'); DROP TABLE burnrate.genai_spend; --",
  "x' UNION ALL SELECT name, 1, 1, 1, 1, 1, 1, 1 FROM system.tables --",
  '{f0:String}',
  "\\'",
  '1; SELECT 1',
  '`feature`',
  'feature) OR (1=1',
  "\u0000'",
  'ü\u2028"',
];
const DIMENSION_PARAMS = ['feature', 'model', 'provider', 'user', 'session', 'tenant', 'route', 'service'];

const BUDGETS = `budgets:
  - name: monthly
    limit_usd: 100
    period: month
    notify: [log]
channels:
  log: { type: log }
`;

beforeAll(async () => {
  c = await startTestCollector(tmp.dir, BUDGETS);
  const now = BigInt(Date.now() - 120_000) * 1_000_000n;
  const span = (id: string, feature: string) => ({
    traceId: id.repeat(2),
    spanId: id,
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: now.toString(),
    endTimeUnixNano: (now + 1000n).toString(),
    attributes: [
      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: 1000 } },
      { key: 'gen_ai.usage.output_tokens', value: { intValue: 10 } },
      { key: 'burnrate.feature', value: { stringValue: feature } },
      { key: 'burnrate.tenant', value: { stringValue: feature } },
      { key: 'user.id', value: { stringValue: feature } },
      { key: 'session.id', value: { stringValue: feature } },
    ],
  });
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api-inj' } }] },
          scopeSpans: [
            {
              spans: [
                span('00000000000000a1', 'search'),
                span('00000000000000a2', 'chat'),
                span('00000000000000a3', EVIL),
              ],
            },
          ],
        },
      ],
    }),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await c.close();
  tmp.cleanup();
});

async function get(path: string, params: Record<string, string>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${c.url}${path}?${new URLSearchParams(params)}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function tablesIntact(): Promise<void> {
  const t = await rows<{ name: string }>(
    c.store.client,
    "SELECT name FROM system.tables WHERE database = 'burnrate'",
  );
  const names = t.map((r) => r.name);
  for (const n of ['otel_traces', 'genai_spend', 'genai_spend_1m', 'budget_alerts'])
    expect(names).toContain(n);
  const n = await rows<{ n: string }>(c.store.client, 'SELECT count() n FROM burnrate.genai_spend');
  expect(Number(n[0]!.n)).toBe(3);
}

describe('/api/spend', () => {
  it('every dimension filter treats injected text as a value', async () => {
    for (const dim of DIMENSION_PARAMS) {
      for (const value of INJECTIONS) {
        // Raw (non-minute-aligned) and rollup (aligned) paths both.
        for (const range of <Array<Record<string, string>>>[
          { from: '1h' },
          {
            from: String(Math.floor(Date.now() / 3_600_000 - 2) * 3600),
            to: String(Math.ceil(Date.now() / 3_600_000) * 3600),
          },
        ]) {
          const r = await get('/api/spend', { ...range, [dim]: value, group_by: 'service' });
          expect(r.status, `${dim}=${value}`).toBe(200);
          const requests = r.body.rows.reduce((n: number, row: { requests: number }) => n + row.requests, 0);
          // Only the span that literally carries EVIL matches it (for the dimensions it was set on).
          const expected = value === EVIL && ['feature', 'tenant', 'user', 'session'].includes(dim) ? 1 : 0;
          expect(requests, `${dim}=${value}`).toBe(expected);
        }
      }
    }
    await tablesIntact();
  });

  it('group_by, from, to and limit refuse injected text with 400 and a message', async () => {
    for (const value of INJECTIONS) {
      for (const param of ['group_by', 'from', 'to', 'limit']) {
        const r = await get('/api/spend', { [param]: value });
        expect(r.status, `${param}=${value}`).toBe(400);
        expect(r.body.error, `${param}=${value}`).toMatch(/\w{4,}/);
      }
    }
    await tablesIntact();
  });

  it('grouping by an injected value keeps it a value', async () => {
    const r = await get('/api/spend', { from: '1h', group_by: 'feature' });
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x: { key: string }) => x.key).sort()).toEqual([EVIL, 'chat', 'search'].sort());
  });

  it('unknown and repeated parameters do not change the query', async () => {
    const r = await get('/api/spend', { from: '1h', group_by: 'feature', "feature'": 'x', 'limit;': '1' });
    expect(r.status).toBe(200);
    expect(r.body.rows).toHaveLength(3);
    const twice = await fetch(`${c.url}/api/spend?from=1h&feature=chat&feature=${encodeURIComponent(EVIL)}`);
    expect(twice.status).toBe(200);
    expect(((await twice.json()) as { rows: unknown[] }).rows).toHaveLength(1);
  });

  it('bad time ranges get 400, never 500', async () => {
    const bad: Array<Record<string, string>> = [
      { from: 'now', to: '1h' },
      { from: '2026-01-02', to: '2026-01-01' },
      { from: '1h', to: '1h' },
      { from: 'yesterday' },
      { to: '' },
      { from: '-5' },
      { from: '1e10' },
      { from: '99999999999999999999999' },
      { to: '99999999999999999999999' },
      { from: '999999999999999d' },
      { from: '9999999999999999999999w' },
      { from: '+275760-09-14T00:00:00Z' },
      { from: '1800-01-01T00:00:00Z' },
      { from: '2026-13-45' },
      { from: '2026-11-23T10:00:00Z; DROP TABLE x' },
      { to: '3000-01-01T00:00:00Z' },
      { from: 'NaN' },
      { from: 'Infinity' },
      { limit: '0' },
      { limit: '100001' },
    ];
    for (const p of bad) {
      const r = await get('/api/spend', p);
      expect(r.status, JSON.stringify(p)).toBe(400);
      expect(r.body.error, JSON.stringify(p)).toMatch(/\w{4,}/);
    }
  });
});

describe('/api/alerts and /api/budgets', () => {
  it('/api/alerts: injected from/to get 400; valid ranges work', async () => {
    for (const value of INJECTIONS) {
      for (const param of ['from', 'to']) {
        const r = await get('/api/alerts', { [param]: value });
        expect(r.status, `${param}=${value}`).toBe(400);
        expect(r.body.error).toMatch(/\w{4,}/);
      }
    }
    const ok = await get('/api/alerts', { from: '7d', to: 'now', budget: EVIL });
    expect(ok.status).toBe(200);
    expect(Array.isArray(ok.body.alerts)).toBe(true);
    await tablesIntact();
  });

  it('/api/alerts: bad time ranges get 400, never 500', async () => {
    for (const p of <Array<Record<string, string>>>[
      { from: 'now', to: '1d' },
      { from: '99999999999999999999999' },
      { to: '999999999999999d' },
      { from: '1800-01-01T00:00:00Z' },
      { to: '3000-01-01T00:00:00Z' },
      { from: 'x' },
    ]) {
      const r = await get('/api/alerts', p);
      expect(r.status, JSON.stringify(p)).toBe(400);
      expect(r.body.error).toMatch(/\w{4,}/);
    }
  });

  it('/api/budgets takes no filters: injected parameters are ignored', async () => {
    for (const value of INJECTIONS) {
      const r = await get('/api/budgets', { name: value, group: value, from: value });
      expect(r.status).toBe(200);
      expect(r.body.budgets.map((b: { name: string }) => b.name)).toEqual(['monthly']);
    }
    await tablesIntact();
  });
});
