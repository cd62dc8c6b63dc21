/** GET /api/spend (rollup and raw paths), auth on the API, health, readiness and metrics. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../src/collector.js';
import { startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
let collector: Collector;
const API = 'api-secret';
// A fixed, minute-aligned hour a few minutes ago, so every span falls inside [from, to).
const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000;

interface Call {
  feature: string;
  user: string;
  session: string;
  tenant: string;
  model: string;
  input: number;
  output: number;
  cacheRead?: number;
  route?: string;
  baseline?: string;
  minute: number;
}

const calls: Call[] = [
  {
    feature: 'chat',
    user: 'u1',
    session: 's1',
    tenant: 'acme',
    model: 'gpt-4o',
    input: 1000,
    output: 200,
    minute: 1,
  },
  {
    feature: 'chat',
    user: 'u2',
    session: 's2',
    tenant: 'acme',
    model: 'gpt-4o-mini',
    input: 5000,
    output: 100,
    cacheRead: 4000,
    minute: 2,
  },
  {
    feature: 'search',
    user: 'u1',
    session: 's3',
    tenant: 'globex',
    model: 'gpt-4o-mini',
    input: 300,
    output: 30,
    route: 'router',
    baseline: 'gpt-4o',
    minute: 3,
  },
  {
    feature: 'search',
    user: 'u3',
    session: 's3',
    tenant: 'globex',
    model: 'mystery-model',
    input: 10,
    output: 1,
    minute: 4,
  },
];

function otlp(): unknown {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: calls.map((c, i) => {
              const start = BigInt(base + c.minute * 60_000 + 1000) * 1_000_000n;
              const a = (key: string, v: string | number) => ({
                key,
                value: typeof v === 'number' ? { intValue: v } : { stringValue: v },
              });
              const attributes = [
                a('gen_ai.provider.name', 'openai'),
                a('gen_ai.request.model', c.model),
                a('gen_ai.usage.input_tokens', c.input),
                a('gen_ai.usage.output_tokens', c.output),
                a('burnrate.feature', c.feature),
                a('user.id', c.user),
                a('session.id', c.session),
                a('burnrate.tenant', c.tenant),
              ];
              if (c.cacheRead) attributes.push(a('gen_ai.usage.cache_read.input_tokens', c.cacheRead));
              if (c.route)
                attributes.push(
                  a('burnrate.route.name', c.route),
                  a('burnrate.route.baseline_model', c.baseline!),
                );
              const id = (i + 1).toString(16).padStart(16, '0');
              return {
                traceId: `${id}${id}`,
                spanId: id,
                name: `chat ${c.model}`,
                kind: 3,
                startTimeUnixNano: start.toString(),
                endTimeUnixNano: (start + 500_000_000n).toString(),
                attributes,
              };
            }),
          },
        ],
      },
    ],
  };
}

beforeAll(async () => {
  collector = await startTestCollector(tmp.dir, `auth:\n  api_token: ${API}\n`);
  const res = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(otlp()),
  });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await collector.close();
  tmp.cleanup();
});

interface Spend {
  from: string;
  to: string;
  group_by: string;
  rows: Array<{
    key: string;
    cost_usd: number;
    requests: number;
    input_tokens: number;
    output_tokens: number;
    cache_read_tokens: number;
    saved_usd: number;
  }>;
  unpriced_requests: number;
}

async function spend(
  query: string,
  token = API,
): Promise<{ status: number; body: Spend & { error?: string } }> {
  const res = await fetch(`${collector.url}/api/spend?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Spend & { error?: string } };
}

const range = (alignedTo = 0) =>
  `from=${new Date(base + alignedTo).toISOString()}&to=${new Date(base + 3_600_000 - alignedTo).toISOString()}`;

describe('GET /api/spend', () => {
  it('groups by feature with the contract shape (rollup path)', async () => {
    const { status, body } = await spend(`${range()}&group_by=feature`);
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['from', 'group_by', 'rows', 'to', 'unpriced_requests']);
    expect(body.group_by).toBe('feature');
    expect(body.from).toBe(new Date(base).toISOString());
    expect(body.rows.map((r) => r.key).sort()).toEqual(['chat', 'search']);
    const chat = body.rows.find((r) => r.key === 'chat')!;
    expect(Object.keys(chat).sort()).toEqual([
      'cache_read_tokens',
      'cost_usd',
      'input_tokens',
      'key',
      'output_tokens',
      'requests',
      'saved_usd',
    ]);
    expect(chat).toMatchObject({
      requests: 2,
      input_tokens: 6000,
      output_tokens: 300,
      cache_read_tokens: 4000,
    });
    expect(chat.cost_usd).toBeGreaterThan(0);
    expect(chat.saved_usd).toBeGreaterThan(0); // provider prompt-cache savings
    const search = body.rows.find((r) => r.key === 'search')!;
    expect(search.saved_usd).toBeGreaterThan(0); // routing savings vs gpt-4o
    expect(body.unpriced_requests).toBe(1);
  });

  it('gives the same numbers from the raw table (unaligned range) as from the rollup', async () => {
    const rollup = await spend(`${range()}&group_by=feature`);
    const raw = await spend(`${range(1000)}&group_by=feature`);
    expect(raw.status).toBe(200);
    const norm = (s: Spend) =>
      s.rows.map((r) => ({ ...r, cost_usd: r.cost_usd.toFixed(12), saved_usd: r.saved_usd.toFixed(12) }));
    expect(norm(raw.body)).toEqual(norm(rollup.body));
  });

  it('filters by dimensions and groups by every dimension, session included', async () => {
    const byUser = await spend(`${range()}&group_by=user&tenant=globex`);
    expect(byUser.body.rows.map((r) => r.key).sort()).toEqual(['u1', 'u3']);
    const bySession = await spend(`${range()}&group_by=session&feature=search`);
    expect(bySession.body.rows).toHaveLength(1);
    expect(bySession.body.rows[0]).toMatchObject({ key: 's3', requests: 2 });
    const byModel = await spend(`${range()}&group_by=model`);
    expect(byModel.body.rows.map((r) => r.key).sort()).toEqual(['gpt-4o', 'gpt-4o-mini', 'mystery-model']);
    for (const g of ['provider', 'tenant', 'route', 'service']) {
      const r = await spend(`${range()}&group_by=${g}`);
      expect(r.status).toBe(200);
      expect(r.body.rows.reduce((n, x) => n + x.requests, 0)).toBe(4);
    }
    const none = await spend(`${range()}&group_by=feature&user=${encodeURIComponent("nobody' OR 1=1 --")}`);
    expect(none.body.rows).toEqual([]);
  });

  it('rejects bad parameters with 400 and a message', async () => {
    const bad = await spend(`${range()}&group_by=color`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/group_by must be one of/);
    const badTime = await spend('from=yesterday-ish&group_by=feature');
    expect(badTime.status).toBe(400);
    expect(badTime.body.error).toMatch(/from: not a time/);
  });

  it('requires the API token when one is configured', async () => {
    expect((await spend(range(), 'wrong')).status).toBe(401);
    const res = await fetch(`${collector.url}/api/spend`);
    expect(res.status).toBe(401);
  });
});

describe('service endpoints', () => {
  it('/healthz, /readyz, /metrics, 404 and 405', async () => {
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${collector.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', clickhouse: 'ok', spooling: false });
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    for (const name of [
      'burnrate_spans_received_total 4',
      'burnrate_spans_written_total 4',
      'burnrate_genai_spans_written_total 4',
      'burnrate_spans_spooled_total 0',
      'burnrate_queue_spans 0',
      'burnrate_insert_duration_seconds_count',
      'burnrate_spans_rejected_total 0',
    ]) {
      expect(metrics).toContain(name);
    }
    expect((await fetch(`${collector.url}/nope`)).status).toBe(404);
    const wrong = await fetch(`${collector.url}/v1/traces`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});
