/**
 * The savings advisor on the embedded ClickHouse engine: traffic with known repetition, prefixes,
 * models, interactivity and output lengths; each opportunity checked against a computation by hand
 * from published per-million prices (gpt-4o $2.50/$10, gpt-4o-mini $0.15/$0.60,
 * claude-sonnet-4-5 $3 in / $0.30 cache read / $3.75 cache write / $15 out).
 */
import { Pricer } from '@burnrate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdviceReport, Advisor } from '../src/advice/advice.js';
import { smallerTier } from '../src/advice/levers.js';
import { openClickHouse, type StoreHandle } from '../src/store/client.js';
import { migrate } from '../src/store/migrations.js';
import { SchemaBuilder } from '../src/store/schema.js';
import { tempDir } from './helpers.js';

const M = 1_000_000;
const tmp = tempDir();
let store: StoreHandle;
const schema = new SchemaBuilder({ database: 'advice', retention: { traces: 0, spend: 0, rollups: 0 } });
const t0 = Date.parse('2026-11-20T08:00:00Z');
const min = 60_000;

interface Call {
  feature: string;
  model: string;
  provider?: string;
  at: number;
  input: number;
  output: number;
  cost: number;
  fp?: string;
  prefix?: string;
  prefixTokens?: number;
  cacheRead?: number;
  maxTokens?: number;
  server?: boolean;
  stream?: boolean;
  tags?: Record<string, string>;
  tier?: string;
  route?: string;
  routeSaved?: number;
  cacheHit?: boolean;
  cacheKind?: string;
  cacheSaved?: number;
  costOutput?: number;
}

const calls: Call[] = [];
const add = (c: Call) => calls.push(c);
const usd = (model: string, input: number, output: number) =>
  model === 'gpt-4o' ? (input * 2.5 + output * 10) / M : (input * 0.15 + output * 0.6) / M;

// faq: the same request three times within an hour (2 repeats), another twice 2 h apart (no repeat).
for (const [fp, at] of [
  ['F1', 0],
  ['F1', 10],
  ['F1', 20],
  ['F2', 1],
  ['F2', 121],
] as const) {
  add({
    feature: 'faq',
    model: 'gpt-4o-mini',
    at: t0 + at * min,
    input: 800,
    output: 100,
    cost: 0.002,
    fp,
    maxTokens: 200,
    server: true,
  });
}
// support: a 5000-token prefix on claude-sonnet-4-5 at 0, 1, 2 and 10 min: two repeats in the 5-min cache,
// one cache write to start the run; the 10-min call is past the cache lifetime. Short prefixes and calls
// already reading the cache do not count.
for (const at of [0, 1, 2, 10]) {
  add({
    feature: 'support',
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    at: t0 + at * min,
    input: 6000,
    output: 400,
    cost: 0.03,
    prefix: 'P1',
    prefixTokens: 5000,
    maxTokens: 1000,
    server: true,
  });
}
for (const at of [0, 1]) {
  add({
    feature: 'support',
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    at: t0 + (30 + at) * min,
    input: 900,
    output: 400,
    cost: 0.01,
    prefix: 'P2',
    prefixTokens: 600,
    maxTokens: 1000,
    server: true,
  });
  add({
    feature: 'support',
    model: 'claude-sonnet-4-5',
    provider: 'anthropic',
    at: t0 + (40 + at) * min,
    input: 6000,
    output: 400,
    cost: 0.02,
    prefix: 'P3',
    prefixTokens: 5000,
    cacheRead: at ? 5000 : 0,
    maxTokens: 1000,
    server: true,
  });
}
// One app cache serves every feature: F3 sent by faq, then by help 5 min later (help's call repeats).
for (const [feature, at] of [
  ['faq', 400],
  ['help', 405],
] as const) {
  add({
    feature,
    model: 'gpt-4o-mini',
    at: t0 + at * min,
    input: 800,
    output: 100,
    cost: 0.003,
    fp: 'F3',
    maxTokens: 200,
    server: true,
  });
}
// A provider caches per model, whichever feature sends the prefix: P4 from support then triage on
// claude-sonnet-4-5 (a run of two: one write, one repeat), then on claude-haiku-4-5 (its own model: no repeat).
for (const [feature, model, at] of [
  ['support', 'claude-sonnet-4-5', 500],
  ['triage', 'claude-sonnet-4-5', 502],
  ['triage', 'claude-haiku-4-5', 503],
] as const) {
  add({
    feature,
    model,
    provider: 'anthropic',
    at: t0 + at * min,
    input: 6000,
    output: 400,
    cost: 0.03,
    prefix: 'P4',
    prefixTokens: 5000,
    maxTokens: 1000,
    server: true,
  });
}
// classify: ten short calls on gpt-4o (routing candidates) and one long-output call (not a candidate).
for (let i = 0; i < 10; i++) {
  add({
    feature: 'classify',
    model: 'gpt-4o',
    at: t0 + (60 + i) * min,
    input: 1000,
    output: 50,
    cost: usd('gpt-4o', 1000, 50),
    maxTokens: 300,
    server: true,
  });
}
add({
  feature: 'classify',
  model: 'gpt-4o',
  at: t0 + 80 * min,
  input: 1000,
  output: 500,
  cost: usd('gpt-4o', 1000, 500),
  maxTokens: 600,
  server: true,
});
// nightly-report: a job (no server span) of five calls; a streamed one and one tagged interactive are not batchable.
for (let i = 0; i < 5; i++) {
  add({
    feature: 'nightly-report',
    model: 'gpt-4o-mini',
    at: t0 + (120 + i) * min,
    input: 20000,
    output: 500,
    cost: 0.006,
    maxTokens: 1000,
  });
}
add({
  feature: 'nightly-report',
  model: 'gpt-4o-mini',
  at: t0 + 130 * min,
  input: 20000,
  output: 500,
  cost: 0.006,
  maxTokens: 1000,
  stream: true,
});
add({
  feature: 'nightly-report',
  model: 'gpt-4o-mini',
  at: t0 + 131 * min,
  input: 20000,
  output: 500,
  cost: 0.006,
  maxTokens: 1000,
  tags: { interactive: 'true' },
});
// essay: no max_tokens; 39 answers of 200 tokens and one of 2000 (p95 = 200).
for (let i = 0; i < 40; i++) {
  const output = i === 7 ? 2000 : 200;
  add({
    feature: 'essay',
    model: 'gpt-4o-mini',
    at: t0 + (200 + i) * min,
    input: 100,
    output,
    cost: usd('gpt-4o-mini', 100, output),
    costOutput: (output * 0.6) / M,
    maxTokens: 0,
    server: true,
  });
}
// Already realized: provider-cache and semantic-cache savings, a routed call, batch and flex calls.
add({
  feature: 'done',
  model: 'gpt-4o-mini',
  at: t0 + 300 * min,
  input: 10,
  output: 10,
  cost: 0.001,
  cacheHit: true,
  cacheKind: 'provider_prompt',
  cacheSaved: 0.5,
  server: true,
  maxTokens: 100,
});
add({
  feature: 'done',
  model: 'gpt-4o-mini',
  at: t0 + 301 * min,
  input: 0,
  output: 0,
  cost: 0,
  cacheHit: true,
  cacheKind: 'semantic',
  cacheSaved: 0.25,
  server: true,
  maxTokens: 100,
});
add({
  feature: 'done',
  model: 'gpt-4o-mini',
  at: t0 + 302 * min,
  input: 10,
  output: 10,
  cost: 0.001,
  route: 'r',
  routeSaved: 0.1,
  server: true,
  maxTokens: 100,
});
add({
  feature: 'done',
  model: 'gpt-4o-mini',
  at: t0 + 303 * min,
  input: 10,
  output: 10,
  cost: 0.2,
  tier: 'batch',
  server: true,
  maxTokens: 100,
});
add({
  feature: 'done',
  model: 'gpt-4o-mini',
  at: t0 + 304 * min,
  input: 10,
  output: 10,
  cost: 0.1,
  tier: 'flex',
  server: true,
  maxTokens: 100,
});
// Outside the window: ignored.
add({
  feature: 'faq',
  model: 'gpt-4o-mini',
  at: t0 - 9 * 3_600_000,
  input: 800,
  output: 100,
  cost: 5,
  fp: 'F1',
  server: true,
});

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

beforeAll(async () => {
  store = await openClickHouse({ user: 'default', password: '', embeddedPath: `${tmp.dir}/clickhouse` });
  await migrate(store.client, schema);
  await store.client.insert({
    table: schema.table('genai_spend'),
    format: 'JSONEachRow',
    values: calls.map((c, i) => ({
      timestamp: time(c.at),
      trace_id: `trace-${i}`,
      span_id: `span-${i}`,
      service_name: 'app',
      provider: c.provider ?? 'openai',
      model: c.model,
      input_tokens: c.input,
      output_tokens: c.output,
      cache_read_tokens: c.cacheRead ?? 0,
      cost_usd: c.cost,
      cost_output_usd: c.costOutput ?? 0,
      feature: c.feature,
      prompt_fingerprint: c.fp ?? `unique-${i}`,
      prefix_fingerprint: c.prefix ?? '',
      prefix_tokens: c.prefixTokens ?? 0,
      max_tokens: c.maxTokens ?? 0,
      stream: c.stream ?? false,
      tags: c.tags ?? {},
      pricing_tier: c.tier ?? 'standard',
      route_name: c.route ?? '',
      route_saved_usd: c.routeSaved ?? 0,
      cache_hit: c.cacheHit ?? false,
      cache_kind: c.cacheKind ?? '',
      cache_saved_usd: c.cacheSaved ?? 0,
      status_code: 'Unset',
    })),
  });
  // The server spans that make a call interactive (an HTTP request a user waits on).
  await store.client.insert({
    table: schema.table('otel_traces'),
    format: 'JSONEachRow',
    values: calls.flatMap((c, i) =>
      c.server
        ? [
            {
              Timestamp: time(c.at - 1000),
              TraceId: `trace-${i}`,
              SpanId: `srv-${i}`,
              SpanName: 'GET /',
              SpanKind: 'Server',
              ServiceName: 'app',
            },
          ]
        : [],
    ),
  });
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

let report: AdviceReport;
const lever = (name: string) => report.opportunities.find((o) => o.lever === name);

describe('savings advisor', () => {
  beforeAll(async () => {
    report = await new Advisor(store.client, schema, new Pricer()).advise({
      from: new Date('2026-11-20T00:00:00Z'),
      to: new Date('2026-11-21T00:00:00Z'),
    });
  });

  it('exact cache: the cost of requests repeated within the TTL', () => {
    const o = lever('exact_cache')!;
    expect(o.saved_usd).toBeCloseTo(2 * 0.002 + 0.003, 9);
    expect(o.requests).toBe(3);
    expect(o.features).toEqual(['faq', 'help']);
    expect(o.lines.map((l) => [l.feature, l.requests])).toEqual([
      ['faq', 2],
      ['help', 1],
    ]);
    expect(o.monthly_usd).toBeCloseTo(30 * (2 * 0.002 + 0.003), 9);
  });

  it('provider prompt cache: repeated long prefixes at the cache-read rate, minus the write premium', () => {
    const o = lever('provider_prompt_cache')!;
    const read = (5000 * (3 - 0.3)) / M; // saved per repeat
    const write = (5000 * (3.75 - 3)) / M; // premium per run
    // P1: two repeats, one run (support); P4 on sonnet: one run started by support, repeated by triage.
    expect(o.saved_usd).toBeCloseTo(3 * read - 2 * write, 9);
    expect(o.requests).toBe(3);
    expect(o.models).toEqual(['claude-sonnet-4-5']);
    expect(o.lines.map((l) => [l.feature, l.requests])).toEqual([
      ['support', 2],
      ['triage', 1],
    ]);
    expect(o.lines[0]!.saved_usd).toBeCloseTo(2 * read - 2 * write, 9);
    expect(o.lines[1]!.saved_usd).toBeCloseTo(read, 9);
  });

  it('model routing: short gpt-4o calls re-priced on gpt-4o-mini', () => {
    const o = lever('model_routing')!;
    const expected = 10 * (usd('gpt-4o', 1000, 50) - usd('gpt-4o-mini', 1000, 50));
    expect(o.saved_usd).toBeCloseTo(expected, 9);
    expect(o.lines).toEqual([
      expect.objectContaining({
        feature: 'classify',
        model: 'gpt-4o',
        to_model: 'gpt-4o-mini',
        requests: 10,
      }),
    ]);
    expect(o.method).toContain('Quality is NOT judged');
  });

  it('batch: non-interactive, non-streaming calls at half price', () => {
    const o = lever('batch')!;
    expect(o.saved_usd).toBeCloseTo((5 * 0.006) / 2, 9);
    expect(o.features).toEqual(['nightly-report']);
    expect(o.requests).toBe(5);
  });

  it('output limits: output past the p95 of a feature without max_tokens', () => {
    const o = lever('output_limits')!;
    expect(o.saved_usd).toBeCloseTo(((2000 - 200) * 0.6) / M, 12);
    expect(o.features).toEqual(['essay']);
  });

  it('reports realized savings beside them, and sorts opportunities biggest first', () => {
    const realized = Object.fromEntries(report.realized.map((r) => [r.lever, r.saved_usd]));
    expect(realized['provider_prompt_cache']).toBeCloseTo(0.5, 9);
    expect(realized['app_cache']).toBeCloseTo(0.25, 9);
    expect(realized['model_routing']).toBeCloseTo(0.1, 9);
    expect(realized['batch']).toBeCloseTo(0.2 + 0.1, 9);
    const saved = report.opportunities.map((o) => o.saved_usd);
    expect(saved).toEqual([...saved].sort((a, b) => b - a));
    expect(report.window_days).toBe(1);
    expect(report.spend_usd).toBeCloseTo(
      calls.filter((c) => c.at >= t0 - 8 * 3_600_000).reduce((s, c) => s + c.cost, 0),
      9,
    );
  });
});

describe('smaller tiers', () => {
  it('maps premium models to the same provider smaller sibling, and leaves small ones alone', () => {
    expect(smallerTier('openai', 'gpt-4o-2024-11-20')).toBe('gpt-4o-mini');
    expect(smallerTier('openai', 'gpt-4o-mini')).toBeUndefined();
    expect(smallerTier('openai', 'gpt-4.1')).toBe('gpt-4.1-mini');
    expect(smallerTier('anthropic', 'claude-sonnet-4-5-20250929')).toBe('claude-haiku-4-5');
    expect(smallerTier('anthropic', 'claude-haiku-4-5')).toBeUndefined();
    expect(smallerTier('gcp.gemini', 'gemini-2.5-pro')).toBe('gemini-2.5-flash');
    expect(smallerTier('groq', 'llama-3.3-70b-versatile')).toBeUndefined();
  });
});
