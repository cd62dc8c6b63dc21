/**
 * Runs every panel and variable query of every dashboard, expanded the way Grafana and the ClickHouse
 * plugin expand them, against the embedded ClickHouse engine with the collector's real schema, seeded
 * with realistic GenAI spans, traces, budget state and alerts; then checks each panel's columns and
 * values against aggregates computed here from the seed data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouse, type StoreHandle } from '../../collector/src/store/client.js';
import { migrate } from '../../collector/src/store/migrations.js';
import { SchemaBuilder } from '../../collector/src/store/schema.js';
import { PLUGIN_ID } from '../src/grafana.ts';
import { DASHBOARDS, render } from '../src/index.ts';
import {
  count,
  expectRows,
  expectValue,
  groupRows,
  noneLabel,
  quantileExact,
  type Row,
  ratio,
  sortRows,
  sum,
  uniq,
} from './expect-helpers.ts';
import { expand, type SimContext, type SimVariable } from './grafana-sim.ts';
import {
  adviceRows,
  type BudgetStateRow,
  budgetAlertRows,
  budgetStateRows,
  FROM_MS,
  makeSeed,
  type SeedSpan,
  spendRows,
  TO_MS,
  traceRows,
} from './seed.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const JSON_DIR = join(HERE, '..', 'json');
const INTERVAL_S = 600;

const seed = makeSeed();
let store: StoreHandle;
let client: StoreHandle['client'];
let tmpDir: string;
const timings: { panel: string; ms: number }[] = [];

interface Result {
  columns: { name: string; type: string }[];
  rows: Row[];
}

async function run(sql: string): Promise<Result> {
  const rs = await client.query({
    query: sql,
    format: 'JSON',
    clickhouse_settings: {
      date_time_output_format: 'unix_timestamp',
      output_format_json_quote_64bit_integers: 0,
    },
  });
  const body = (await rs.json()) as { meta: { name: string; type: string }[]; data: Row[] };
  return { columns: body.meta, rows: body.data };
}

// --- scenarios: variable selections and the seed rows they keep ---------------------------------

type Dim = 'service' | 'feature' | 'model' | 'tenant';
const DIM_OF: Record<Dim, (s: SeedSpan) => string> = {
  service: (s) => s.service,
  feature: (s) => s.feature,
  model: (s) => s.model,
  tenant: (s) => s.tenant,
};

interface Scenario {
  name: string;
  select: Partial<Record<Dim, string[]>>;
}

const SCENARIOS: Scenario[] = [
  { name: 'all variables All', select: {} },
  { name: 'two services, one tenant', select: { service: ['chat-api', 'support-bot'], tenant: ['acme'] } },
  {
    name: 'two models, one feature',
    select: { model: ['gpt-4o-mini', 'claude-sonnet-4'], feature: ['chat'] },
  },
];

const inRange = (s: SeedSpan) => s.ts >= FROM_MS && s.ts <= TO_MS;

function scoped(sc: Scenario): SeedSpan[] {
  return seed.spans.filter(
    (s) =>
      inRange(s) &&
      (Object.entries(sc.select) as [Dim, string[]][]).every(([dim, values]) =>
        values.includes(DIM_OF[dim](s)),
      ),
  );
}

const costliest = [...seed.spans.filter(inRange)].sort((a, b) => b.cost - a.cost)[0]!;

function context(sc: Scenario): SimContext {
  const variables: Record<string, SimVariable> = {
    datasource: { current: 'burnrate-clickhouse' },
    database: { current: 'burnrate' },
    jaeger_url: { current: 'http://localhost:16686' },
    trace_id: { current: costliest.trace_id },
  };
  for (const dim of Object.keys(DIM_OF) as Dim[]) {
    const options = uniq(seed.spans.map(DIM_OF[dim]).filter((v) => v !== '')).sort();
    variables[dim] = { current: sc.select[dim] ?? ['$__all'], options, allValue: null };
  }
  return { fromMs: FROM_MS, toMs: TO_MS, intervalSeconds: INTERVAL_S, variables };
}

// --- expected values, computed from the seed ------------------------------------------------------

/** DateTime64(3) and DateTime64(9) values as ClickHouse prints them with date_time_output_format=unix_timestamp. */
const t3 = (ms: number) => (ms / 1000).toFixed(3);
const t9 = (ms: number) => `${t3(ms)}000000`;
const bucket = (s: SeedSpan) => Math.floor(s.ts / 1000 / INTERVAL_S) * INTERVAL_S;
const pricedRequests = (g: SeedSpan[]) => count(g, (s) => !s.unpriced);
const costPerRequest = (g: SeedSpan[]) =>
  ratio(
    sum(g, (s) => s.cost),
    pricedRequests(g),
  );

function latestBudgets(): (BudgetStateRow & { group: string; projected_percent: number })[] {
  const best = new Map<string, BudgetStateRow>();
  for (const r of seed.budgetState) {
    const key = `${r.budget}|${r.group_key}`;
    const cur = best.get(key);
    if (
      !cur ||
      r.period_start > cur.period_start ||
      (r.period_start === cur.period_start && r.evaluated_at > cur.evaluated_at)
    )
      best.set(key, r);
  }
  return [...best.values()]
    .sort((a, b) =>
      a.budget === b.budget ? (a.group_key < b.group_key ? -1 : 1) : a.budget < b.budget ? -1 : 1,
    )
    .map((r) => ({
      ...r,
      group: r.group_key === '' ? '(all)' : r.group_key,
      projected_percent: (r.projected_usd / r.limit_usd) * 100,
    }));
}

function latestAlerts() {
  const byId = new Map<string, (typeof seed.budgetAlerts)[number]>();
  for (const a of seed.budgetAlerts) {
    const cur = byId.get(a.id);
    if (!cur || a.created_at >= cur.created_at) byId.set(a.id, a); // later insert wins on equal version
  }
  return [...byId.values()]
    .filter((a) => a.created_at >= FROM_MS && a.created_at <= TO_MS)
    .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1));
}

const budgetStateExpected = () =>
  latestBudgets().map((b) => ({
    budget: b.budget,
    group: b.group,
    spend_usd: b.spend_usd,
    limit_usd: b.limit_usd,
    percent: b.percent,
    projected_usd: b.projected_usd,
    projected_percent: b.projected_percent,
    state: b.state,
    period_start: t3(b.period_start),
    evaluated_at: t3(b.evaluated_at),
  }));

/** Time-series rows: one per interval (and series), ordered by time then series. */
function series(
  spans: SeedSpan[],
  seriesCol: string | null,
  seriesOf: ((s: SeedSpan) => string) | null,
  values: Record<string, (g: SeedSpan[]) => number | null>,
): Row[] {
  const rows = groupRows(
    spans,
    (s) => (seriesCol && seriesOf ? { time: bucket(s), [seriesCol]: seriesOf(s) } : { time: bucket(s) }),
    values,
  );
  return sortRows(
    rows,
    seriesCol
      ? [
          ['time', 'asc'],
          [seriesCol, 'asc'],
        ]
      : [['time', 'asc']],
  );
}

/** Top-N tables by a dimension, as the LLM spend dashboard's byDim query computes them. */
function topBy(spans: SeedSpan[], alias: string, dim: (s: SeedSpan) => string): Row[] {
  const rows = groupRows(spans, (s) => ({ [alias]: dim(s) }), {
    spend_usd: (g) => sum(g, (s) => s.cost),
    calls: (g) => g.length,
    cost_per_request: costPerRequest,
    input: (g) => sum(g, (s) => s.input),
    output: (g) => sum(g, (s) => s.output),
  });
  return sortRows(rows, [
    ['spend_usd', 'desc'],
    [alias, 'asc'],
  ]).slice(0, 10);
}

type Check = (r: Result, spans: SeedSpan[], sc: Scenario) => void;
const one = (r: Result) => {
  expect(r.rows).toHaveLength(1);
  return r.rows[0]!;
};
const stat =
  (values: Record<string, (spans: SeedSpan[]) => number | null>): Check =>
  (r, spans) => {
    const row = one(r);
    for (const [col, f] of Object.entries(values)) expectValue(row[col], f(spans), col);
  };
const table =
  (expected: (spans: SeedSpan[]) => Row[]): Check =>
  (r, spans) =>
    expectRows(r.rows, expected(spans), 'rows');

const totalCost = (g: SeedSpan[]) => sum(g, (s) => s.cost);

const EXPECTATIONS: Record<string, Check> = {
  // LLM spend
  'burnrate-llm-spend/Total spend': stat({ spend_usd: totalCost }),
  'burnrate-llm-spend/Requests': stat({ calls: (g) => g.length }),
  'burnrate-llm-spend/Cost per request': stat({ cost_per_request: costPerRequest }),
  // uniqCombined is exact below UNIQ_COMBINED_EXACT distinct values (checked below), and the seed has far fewer sessions
  'burnrate-llm-spend/Cost per session': stat({
    cost_per_session: (g) => {
      const withSession = g.filter((s) => s.session !== '');
      return ratio(totalCost(withSession), uniq(withSession.map((s) => s.session)).length);
    },
    sessions: (g) => uniq(g.filter((s) => s.session !== '').map((s) => s.session)).length,
  }),
  'burnrate-llm-spend/Unpriced requests': stat({ unpriced_calls: (g) => count(g, (s) => s.unpriced) }),
  'burnrate-llm-spend/Spend by model': table((g) =>
    series(g, 'model', (s) => s.model, { spend_usd: totalCost }),
  ),
  'burnrate-llm-spend/Spend by provider': table((g) =>
    series(g, 'provider', (s) => s.provider, { spend_usd: totalCost }),
  ),
  'burnrate-llm-spend/Top features': table((g) => topBy(g, 'feature', (s) => s.feature)),
  'burnrate-llm-spend/Top users': table((g) => topBy(g, 'user', (s) => noneLabel(s.user))),
  'burnrate-llm-spend/Top tenants': table((g) => topBy(g, 'tenant', (s) => s.tenant)),
  'burnrate-llm-spend/Costliest sessions': (r, g) => {
    const withSession = g.filter((s) => s.session !== '');
    const expected = sortRows(
      groupRows(withSession, (s) => ({ session: s.session }), {
        user: (x) => x[0]!.user,
        calls: (x) => x.length,
        spend_usd: totalCost,
        cost_per_request: (x) => totalCost(x) / x.length,
        first_call: (x) => t9(Math.min(...x.map((s) => s.ts))),
        last_call: (x) => t9(Math.max(...x.map((s) => s.ts))),
      }),
      [
        ['spend_usd', 'desc'],
        ['session', 'asc'],
      ],
    ).slice(0, 20);
    expectRows(r.rows, expected, 'sessions');
    for (const row of r.rows) {
      const features = withSession.filter((s) => s.session === row['session']).map((s) => s.feature);
      expect(features, `feature of session ${row['session']}`).toContain(row['top_feature']);
    }
  },
  'burnrate-llm-spend/Costliest calls': table((g) =>
    sortRows(
      g.map((s) => ({
        time: t9(s.ts),
        service: s.service,
        model: s.model,
        feature: s.feature,
        user: s.user,
        input_tokens: s.input,
        output_tokens: s.output,
        cost_usd: s.cost,
        trace_id: s.trace_id,
      })),
      [
        ['cost_usd', 'desc'],
        ['trace_id', 'asc'],
      ],
    ).slice(0, 25),
  ),
  'burnrate-llm-spend/Spend vs budget': table(budgetStateExpected),
  'burnrate-llm-spend/Forecast: end-of-period spend vs limit': table(() =>
    sortRows(
      latestBudgets().map((b) => ({
        budget_group: `${b.budget} / ${b.group}`,
        projected_percent: b.projected_percent,
      })),
      [['projected_percent', 'desc']],
    ),
  ),

  // Savings
  'burnrate-savings/Saved by caching': stat({ saved_by_caching_usd: (g) => sum(g, (s) => s.cache_saved) }),
  'burnrate-savings/Saved by routing': stat({ saved_by_routing_usd: (g) => sum(g, (s) => s.route_saved) }),
  'burnrate-savings/Prompt-cache hit ratio': stat({
    prompt_cache_hit_ratio: (g) =>
      ratio(
        sum(g, (s) => s.cache_read),
        sum(g, (s) => s.input),
      ),
  }),
  'burnrate-savings/Batch share of spend': stat({
    batch_cost_share: (g) => ratio(totalCost(g.filter((s) => s.tier === 'batch')), totalCost(g)),
    batch_request_share: (g) =>
      ratio(
        count(g, (s) => s.tier === 'batch'),
        g.length,
      ),
  }),
  'burnrate-savings/Cached vs uncached input tokens': table((g) =>
    series(g, null, null, {
      cached_tokens: (x) => sum(x, (s) => s.cache_read),
      uncached_tokens: (x) => sum(x, (s) => s.input - s.cache_read),
    }),
  ),
  'burnrate-savings/Prompt-cache hit ratio by model': table((g) =>
    sortRows(
      groupRows(g, (s) => ({ model: s.model }), {
        input: (x) => sum(x, (s) => s.input),
        cached_tokens: (x) => sum(x, (s) => s.cache_read),
        cache_writes: (x) => sum(x, (s) => s.cache_write),
        hit_ratio: (x) =>
          ratio(
            sum(x, (s) => s.cache_read),
            sum(x, (s) => s.input),
          ),
        saved_by_caching_usd: (x) => sum(x, (s) => s.cache_saved),
      }).filter((r) => (r['input'] as number) > 0),
      [
        ['cached_tokens', 'desc'],
        ['model', 'asc'],
      ],
    ),
  ),
  'burnrate-savings/Cache hits by kind': table((g) =>
    sortRows(
      groupRows(
        g.filter((s) => s.cache_hit),
        (s) => ({ cache_kind: s.cache_kind }),
        {
          hits: (x) => x.length,
          saved_usd: (x) => sum(x, (s) => s.cache_saved),
          avg_similarity: (x) => {
            const sims = x.filter((s) => s.cache_similarity !== null).map((s) => s.cache_similarity!);
            return sims.length ? sum(sims, (v) => v) / sims.length : null;
          },
        },
      ),
      [
        ['hits', 'desc'],
        ['cache_kind', 'asc'],
      ],
    ),
  ),
  'burnrate-savings/USD saved over time': table((g) =>
    series(g, null, null, {
      caching: (x) => sum(x, (s) => s.cache_saved),
      routing: (x) => sum(x, (s) => s.route_saved),
    }),
  ),
  'burnrate-savings/Route mix': table((g) =>
    sortRows(
      groupRows(
        g.filter((s) => s.route_name !== ''),
        (s) => ({ route: s.route_name, model: s.model }),
        {
          calls: (x) => x.length,
          spend_usd: totalCost,
          baseline_cost_usd: (x) => sum(x, (s) => s.route_baseline_cost ?? 0),
          saved_usd: (x) => sum(x, (s) => s.route_saved),
        },
      ),
      [
        ['route', 'asc'],
        ['calls', 'desc'],
        ['model', 'asc'],
      ],
    ),
  ),
  'burnrate-savings/Routing reasons': table((g) =>
    sortRows(
      groupRows(
        g.filter((s) => s.route_name !== ''),
        (s) => ({ reason: noneLabel(s.route_reason), baseline_model: noneLabel(s.route_baseline_model) }),
        { calls: (x) => x.length, saved_usd: (x) => sum(x, (s) => s.route_saved) },
      ),
      [
        ['calls', 'desc'],
        ['reason', 'asc'],
        ['baseline_model', 'asc'],
      ],
    ),
  ),
  'burnrate-savings/Spend by pricing tier': table((g) =>
    sortRows(
      groupRows(g, (s) => ({ tier: noneLabel(s.tier) }), { spend_usd: totalCost }),
      [
        ['spend_usd', 'desc'],
        ['tier', 'asc'],
      ],
    ),
  ),

  // Budgets (not narrowed by the attribution variables)
  'burnrate-budgets/Budgets in alert': stat({
    alerting: () => count(latestBudgets(), (b) => b.state === 'alert'),
  }),
  'burnrate-budgets/Budgets in warning': stat({
    warning: () => count(latestBudgets(), (b) => b.state === 'warn'),
  }),
  'burnrate-budgets/Alerts sent': stat({ alerts: () => latestAlerts().length }),
  'burnrate-budgets/Failed deliveries': stat({
    failed: () => count(latestAlerts(), (a) => a.failed_channels.length > 0),
  }),
  'burnrate-budgets/Budget state': table(budgetStateExpected),
  'burnrate-budgets/Percent used': table(() =>
    sortRows(
      latestBudgets().map((b) => ({ budget_group: `${b.budget} / ${b.group}`, percent: b.percent })),
      [['percent', 'desc']],
    ),
  ),
  'burnrate-budgets/Projected end-of-period spend': table(() =>
    sortRows(
      latestBudgets().map((b) => ({
        budget_group: `${b.budget} / ${b.group}`,
        spend_usd: b.spend_usd,
        projected_usd: b.projected_usd,
        limit_usd: b.limit_usd,
      })),
      [['projected_usd', 'desc']],
    ),
  ),
  'burnrate-savings/Savings opportunities (advisor)': table(() => {
    const latest = Math.max(...seed.advice.map((a) => a.computed_at));
    return seed.advice
      .filter((a) => a.computed_at === latest && a.kind === 'opportunity')
      .sort((a, b) => b.saved_usd - a.saved_usd)
      .map((a) => ({
        lever: a.lever,
        title: a.title,
        saved_usd: a.saved_usd,
        monthly_usd: a.monthly_usd,
        requests: a.requests,
        features: a.features.join(', '),
        models: a.models.join(', '),
        method: a.method,
      }));
  }),
  'burnrate-budgets/Alert history': table(() =>
    latestAlerts().map((a) => ({
      created_at: t3(a.created_at),
      budget: a.budget,
      group: a.group_key === '' ? '(all)' : a.group_key,
      event: a.event,
      threshold_percent: a.threshold * 100,
      percent: a.percent,
      spend_usd: a.spend_usd,
      limit_usd: a.limit_usd,
      projected_usd: a.projected_usd,
      sent_at: a.sent_at === null ? null : t3(a.sent_at),
      channels: a.channels.join(', '),
      failed_channels: a.failed_channels.join(', '),
    })),
  ),

  // Tokens and latency
  'burnrate-tokens-latency/Tokens over time': table((g) =>
    series(g, null, null, {
      input: (x) => sum(x, (s) => s.input),
      output: (x) => sum(x, (s) => s.output),
      reasoning: (x) => sum(x, (s) => s.reasoning),
    }),
  ),
  'burnrate-tokens-latency/Tokens by model': table((g) =>
    sortRows(
      groupRows(g, (s) => ({ model: s.model }), {
        calls: (x) => x.length,
        input: (x) => sum(x, (s) => s.input),
        output: (x) => sum(x, (s) => s.output),
        reasoning: (x) => sum(x, (s) => s.reasoning),
        cached_input: (x) => sum(x, (s) => s.cache_read),
        cache_writes: (x) => sum(x, (s) => s.cache_write),
        output_per_request: (x) => sum(x, (s) => s.output) / x.length,
      }),
      [
        ['input', 'desc'],
        ['model', 'asc'],
      ],
    ),
  ),
  'burnrate-tokens-latency/Duration p50 / p95': table((g) =>
    series(g, null, null, {
      p50: (x) =>
        quantileExact(
          x.map((s) => s.duration_ns),
          0.5,
        )! / 1e9,
      p95: (x) =>
        quantileExact(
          x.map((s) => s.duration_ns),
          0.95,
        )! / 1e9,
    }),
  ),
  'burnrate-tokens-latency/Time to first chunk p50 / p95': table((g) =>
    series(
      g.filter((s) => s.ttft !== null),
      null,
      null,
      {
        p50: (x) =>
          quantileExact(
            x.map((s) => s.ttft!),
            0.5,
          ),
        p95: (x) =>
          quantileExact(
            x.map((s) => s.ttft!),
            0.95,
          ),
      },
    ),
  ),
  'burnrate-tokens-latency/Latency by model': table((g) =>
    sortRows(
      groupRows(g, (s) => ({ model: s.model }), {
        calls: (x) => x.length,
        duration_p50: (x) =>
          quantileExact(
            x.map((s) => s.duration_ns),
            0.5,
          )! / 1e9,
        duration_p95: (x) =>
          quantileExact(
            x.map((s) => s.duration_ns),
            0.95,
          )! / 1e9,
        streams: (x) => count(x, (s) => s.ttft !== null),
        ttft_p50: (x) =>
          quantileExact(
            x.filter((s) => s.ttft !== null).map((s) => s.ttft!),
            0.5,
          ),
        ttft_p95: (x) =>
          quantileExact(
            x.filter((s) => s.ttft !== null).map((s) => s.ttft!),
            0.95,
          ),
      }),
      [
        ['calls', 'desc'],
        ['model', 'asc'],
      ],
    ),
  ),
  'burnrate-tokens-latency/Error rate by model': table((g) =>
    series(g, 'model', (s) => s.model, {
      error_rate: (x) => count(x, (s) => s.status === 'Error') / x.length,
    }),
  ),
  'burnrate-tokens-latency/Errors by model and type': table((g) => {
    const perModel = new Map<string, number>();
    for (const s of g) perModel.set(s.model, (perModel.get(s.model) ?? 0) + 1);
    return sortRows(
      groupRows(
        g.filter((s) => s.status === 'Error'),
        (s) => ({ model: s.model, error_type: s.error_type }),
        {
          errors: (x) => x.length,
          error_rate: (x) => x.length / perModel.get(x[0]!.model)!,
        },
      ),
      [
        ['errors', 'desc'],
        ['model', 'asc'],
        ['error_type', 'asc'],
      ],
    );
  }),

  // Data quality
  'burnrate-data-quality/Unpriced share of requests': stat({
    unpriced_share: (g) =>
      ratio(
        count(g, (s) => s.unpriced),
        g.length,
      ),
  }),
  'burnrate-data-quality/Estimated usage share': stat({
    estimated_share: (g) =>
      ratio(
        count(g, (s) => s.estimated),
        g.length,
      ),
  }),
  'burnrate-data-quality/Instrumentation sources': stat({
    sources: (g) => uniq(g.map((s) => s.source)).length,
  }),
  'burnrate-data-quality/Unpriced models': table((g) =>
    sortRows(
      groupRows(
        g.filter((s) => s.unpriced),
        (s) => ({ provider: s.provider, model: s.model }),
        {
          calls: (x) => x.length,
          input: (x) => sum(x, (s) => s.input),
          output: (x) => sum(x, (s) => s.output),
          services: (x) => uniq(x.map((s) => s.service)),
          first_seen: (x) => t9(Math.min(...x.map((s) => s.ts))),
          last_seen: (x) => t9(Math.max(...x.map((s) => s.ts))),
        },
      ),
      [
        ['calls', 'desc'],
        ['provider', 'asc'],
        ['model', 'asc'],
      ],
    ),
  ),
  'burnrate-data-quality/Spans by instrumentation source': table((g) =>
    sortRows(
      groupRows(g, (s) => ({ source: noneLabel(s.source) }), {
        spans: (x) => x.length,
        unpriced_share: (x) => count(x, (s) => s.unpriced) / x.length,
        estimated_share: (x) => count(x, (s) => s.estimated) / x.length,
        error_share: (x) => count(x, (s) => s.status === 'Error') / x.length,
        spend_usd: totalCost,
      }),
      [
        ['spans', 'desc'],
        ['source', 'asc'],
      ],
    ),
  ),
  'burnrate-data-quality/Spans over time by source': table((g) =>
    series(g, 'source', (s) => noneLabel(s.source), { spans: (x) => x.length }),
  ),
  'burnrate-data-quality/Estimated usage share over time': table((g) =>
    series(g, null, null, { estimated_share: (x) => count(x, (s) => s.estimated) / x.length }),
  ),
  'burnrate-data-quality/Cost provenance': table((g) =>
    sortRows(
      groupRows(g, (s) => ({ cost_source: s.cost_source, priced_by: s.priced_by }), {
        spans: (x) => x.length,
        spend_usd: totalCost,
      }),
      [
        ['spans', 'desc'],
        ['cost_source', 'asc'],
        ['priced_by', 'asc'],
      ],
    ),
  ),

  // Trace (the trace id variable is the costliest call's trace; the variables above do not apply)
  'burnrate-trace/Trace': (r) => {
    const calls = seed.spans.filter((s) => s.trace_id === costliest.trace_id);
    const expected = traceRows(calls);
    expect(r.rows).toHaveLength(expected.length);
    const bySpan = new Map(r.rows.map((row) => [row['spanID'] as string, row]));
    for (const e of expected) {
      const row = bySpan.get(e['SpanId'] as string);
      expect(row, `span ${e['SpanId']}`).toBeDefined();
      expect(row!['traceID']).toBe(costliest.trace_id);
      expect(row!['parentSpanID']).toBe(e['ParentSpanId']);
      expect(row!['serviceName']).toBe(e['ServiceName']);
      expect(row!['operationName']).toBe(e['SpanName']);
      expectValue(row!['duration'], (e['Duration'] as number) / 1e6, 'duration (ms)');
      const tags = row!['tags'] as { key: string; value: string }[];
      for (const [key, value] of Object.entries(e['SpanAttributes'] as Record<string, string>))
        expect(tags, `tag ${key}`).toContainEqual({ key, value });
      expect(row!['serviceTags']).toContainEqual({ key: 'service.name', value: e['ServiceName'] });
    }
    const costly = bySpan.get(costliest.span_id)!;
    expect(
      (costly['tags'] as { key: string; value: string }[]).find((t) => t.key === 'gen_ai.usage.cost')?.value,
    ).toBe(String(costliest.cost));
  },
  'burnrate-trace/GenAI spans in this trace': table(() =>
    sortRows(
      seed.spans
        .filter((s) => s.trace_id === costliest.trace_id)
        .map((s) => ({
          time: t9(s.ts),
          span_id: s.span_id,
          service: s.service,
          model: s.model,
          input_tokens: s.input,
          output_tokens: s.output,
          cost_usd: s.cost,
          trace_id: s.trace_id,
        })),
      [
        ['time', 'asc'],
        ['span_id', 'asc'],
      ],
    ),
  ),
  'burnrate-trace/Trace cost': stat({
    spend_usd: () => totalCost(seed.spans.filter((s) => s.trace_id === costliest.trace_id)),
    genai_calls: () => count(seed.spans, (s) => s.trace_id === costliest.trace_id),
  }),
};

// --- dashboards as Grafana loads them --------------------------------------------------------------

interface PanelJson {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  fieldConfig?: {
    overrides: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  options?: { xField?: string };
  targets?: {
    rawSql: string;
    format: number;
    queryType: string;
    datasource: { type: string; uid: string };
  }[];
}
interface DashboardJson {
  uid: string;
  title: string;
  templating: {
    list: { name: string; type: string; query: unknown; multi?: boolean; includeAll?: boolean }[];
  };
  panels: PanelJson[];
}

const files = readdirSync(JSON_DIR).filter((f) => f.endsWith('.json'));
const dashboards: DashboardJson[] = files.map((f) => JSON.parse(readFileSync(join(JSON_DIR, f), 'utf8')));
const queryPanels = dashboards.flatMap((d) =>
  d.panels
    .filter((p) => p.type !== 'row')
    .map((p) => ({ dashboard: d, panel: p, key: `${d.uid}/${p.title}` })),
);

beforeAll(async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  tmpDir = mkdtempSync(join(tmpdir(), 'burnrate-dashboards-'));
  store = await openClickHouse({ user: 'default', password: '', embeddedPath: join(tmpDir, 'clickhouse') });
  client = store.client;
  await migrate(
    client,
    new SchemaBuilder({ database: 'burnrate', retention: { traces: 0, spend: 0, rollups: 0 } }),
  );
  const insert = (table: string, values: Record<string, unknown>[]) =>
    client.insert({
      table: `burnrate.${table}`,
      values,
      format: 'JSONEachRow',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  await insert('genai_spend', spendRows(seed.spans));
  await insert('otel_traces', traceRows(seed.spans));
  for (const at of uniq(seed.budgetState.map((r) => r.evaluated_at)))
    await insert('budget_state', budgetStateRows(seed.budgetState.filter((r) => r.evaluated_at === at)));
  // each alert write is its own insert, as the collector does it (a re-write replaces the earlier row)
  for (const a of seed.budgetAlerts) await insert('budget_alerts', budgetAlertRows([a]));
  await insert('savings_advice', adviceRows(seed.advice));
});

afterAll(async () => {
  if (timings.length > 0) {
    const slowest = [...timings].sort((a, b) => b.ms - a.ms);
    console.log(
      `slowest panels (of ${timings.length} queries):\n` +
        slowest
          .slice(0, 5)
          .map((t) => `  ${t.ms.toFixed(1)} ms  ${t.panel}`)
          .join('\n'),
    );
  }
  await store?.close();
  if (tmpDir) (await import('node:fs')).rmSync(tmpDir, { recursive: true, force: true });
});

describe('seed data', () => {
  it('covers every case the dashboards show', () => {
    const spans = seed.spans.filter(inRange);
    expect(spans.length).toBe(seed.spans.length - 40);
    expect(uniq(spans.map((s) => s.service)).length).toBeGreaterThanOrEqual(3);
    expect(uniq(spans.map((s) => s.provider)).sort()).toEqual(['anthropic', 'ollama', 'openai']);
    expect(uniq(spans.map((s) => s.cache_kind)).sort()).toEqual(['', 'exact', 'provider_prompt', 'semantic']);
    expect(uniq(spans.map((s) => s.route_reason)).sort()).toEqual(['', 'budget', 'complexity', 'fallback']);
    expect(uniq(spans.map((s) => s.tier)).sort()).toEqual(['batch', 'priority', 'standard']);
    expect(uniq(spans.map((s) => s.source)).sort()).toEqual([
      'burnrate',
      'openinference',
      'openllmetry',
      'vercel-ai',
    ]);
    expect(count(spans, (s) => s.status === 'Error')).toBeGreaterThan(10);
    expect(count(spans, (s) => s.unpriced)).toBeGreaterThan(10);
    expect(count(spans, (s) => s.estimated)).toBeGreaterThan(10);
    expect(count(spans, (s) => s.reasoning > 0)).toBeGreaterThan(10);
    expect(count(spans, (s) => s.ttft !== null)).toBeGreaterThan(100);
    expect(uniq(spans.map((s) => s.session)).length).toBeGreaterThan(20);
  });
});

/** uniqCombined (default precision 17) counts exactly up to this many distinct values, then estimates. */
const UNIQ_COMBINED_EXACT = 4096;

describe('approximate aggregates the panels use', () => {
  it('uniqCombined (Cost per session) is exact up to 4,096 distinct values and within 1% above', async () => {
    const sessions = uniq(seed.spans.filter((s) => s.session !== '').map((s) => s.session)).length;
    expect(sessions, 'the seed stays in the exact range, so the panel check compares exactly').toBeLessThan(
      UNIQ_COMBINED_EXACT,
    );
    const sizes = [1, 100, 1000, UNIQ_COMBINED_EXACT, 10_000, 100_000, 1_000_000];
    const r = await run(`SELECT n, uniqCombined(s) AS approx
FROM (SELECT k AS n, concat('session-', toString(number)) AS s
      FROM (SELECT arrayJoin([${sizes.join(', ')}]) AS k) ARRAY JOIN range(k) AS number)
GROUP BY n ORDER BY n`);
    for (const row of r.rows) {
      const n = Number(row['n']);
      const approx = Number(row['approx']);
      if (n <= UNIQ_COMBINED_EXACT) expect(approx, `${n} distinct`).toBe(n);
      else expect(Math.abs(approx - n) / n, `${n} distinct: ${approx}`).toBeLessThan(0.01);
    }
    expect(r.rows).toHaveLength(sizes.length);
  });
});

describe('dashboard JSON', () => {
  it('the committed JSON is exactly what the TypeScript sources generate, with no stray files', () => {
    expect(files.sort()).toEqual(DASHBOARDS.map((d) => d.file).sort());
    for (const { file, spec } of DASHBOARDS) {
      expect(
        readFileSync(join(JSON_DIR, file), 'utf8'),
        `${file} is stale: pnpm --filter @burnrate/dashboards generate`,
      ).toBe(render(spec));
    }
  });

  it('has the five dashboards and the trace view, with unique uids and panel ids', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      'burnrate-budgets',
      'burnrate-data-quality',
      'burnrate-llm-spend',
      'burnrate-savings',
      'burnrate-tokens-latency',
      'burnrate-trace',
    ]);
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, d.uid).toBe(ids.length);
    }
  });

  it('spend dashboards have datasource, service, feature, model and tenant variables (multi-value, All)', () => {
    for (const d of dashboards.filter((x) => !['burnrate-budgets', 'burnrate-trace'].includes(x.uid))) {
      const vars = new Map(d.templating.list.map((v) => [v.name, v]));
      expect(vars.get('datasource')?.type, d.uid).toBe('datasource');
      expect(vars.get('datasource')?.query).toBe(PLUGIN_ID);
      for (const name of ['service', 'feature', 'model', 'tenant']) {
        const v = vars.get(name);
        expect(v?.type, `${d.uid} $${name}`).toBe('query');
        expect(v?.multi && v?.includeAll, `${d.uid} $${name} multi + All`).toBe(true);
      }
    }
  });

  it('every query panel uses the ClickHouse datasource variable and has an expectation in this test', () => {
    for (const { panel, key } of queryPanels) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template variable syntax, not a JS template
      expect(panel.datasource?.uid, key).toBe('${datasource}');
      expect(panel.targets?.length, key).toBe(1);
      expect(panel.targets![0]!.datasource.type, key).toBe(PLUGIN_ID);
      expect(Object.keys(EXPECTATIONS), 'a panel without a check').toContain(key);
    }
    expect(Object.keys(EXPECTATIONS).sort()).toEqual(queryPanels.map((p) => p.key).sort());
  });

  it('costly calls link their trace id to the Grafana trace view and to Jaeger', () => {
    const spend = dashboards.find((d) => d.uid === 'burnrate-llm-spend')!;
    const calls = spend.panels.find((p) => p.title === 'Costliest calls')!;
    const links = calls
      .fieldConfig!.overrides.find((o) => o.matcher.options === 'trace_id')!
      .properties.find((p) => p.id === 'links')!.value as { url: string }[];
    expect(links.map((l) => l.url)).toEqual([
      expect.stringMatching(/^\/d\/burnrate-trace\/burnrate-trace\?var-trace_id=\$\{__value\.raw\}&/),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template variable syntax, not a JS template
      '${jaeger_url}/trace/${__value.raw}',
    ]);
    expect(spend.templating.list.map((v) => v.name)).toContain('jaeger_url');
    const traceDash = dashboards.find((d) => d.uid === 'burnrate-trace')!;
    const tracePanel = traceDash.panels.find((p) => p.type === 'traces')!;
    expect(tracePanel.targets![0]!.format).toBe(3);
    expect(tracePanel.targets![0]!.queryType).toBe('traces');
  });
});

describe.each(SCENARIOS)('panels against the embedded ClickHouse: $name', (sc) => {
  const ctx = context(sc);
  const spans = scoped(sc);

  it('the scenario keeps a realistic slice of the seed', () => {
    expect(spans.length).toBeGreaterThan(40);
    expect(spans.length).toBeLessThan(seed.spans.length);
  });

  it.each(queryPanels.map((p) => [p.key, p] as const))('%s', async (_key, { panel, key }) => {
    const target = panel.targets![0]!;
    const sql = expand(target.rawSql, ctx);
    const t0 = performance.now();
    const result = await run(sql);
    timings.push({ panel: `${key} [${sc.name}]`, ms: performance.now() - t0 });
    const columns = result.columns.map((c) => c.name);

    // the panel returns rows with the columns its field overrides and options refer to
    if (sc === SCENARIOS[0]) expect(result.rows.length, `${key}: rows`).toBeGreaterThan(0);
    for (const o of panel.fieldConfig?.overrides ?? [])
      expect(columns, `${key}: override field`).toContain(o.matcher.options);
    if (panel.options?.xField) expect(columns).toContain(panel.options.xField);
    if (target.format === 0) {
      // time series: a DateTime `time` column first, then values (and at most one series label column)
      expect(columns[0]).toBe('time');
      expect(result.columns[0]!.type).toMatch(/^DateTime/);
      expect(sql).toContain(`INTERVAL ${INTERVAL_S} second`);
    }
    EXPECTATIONS[key]!(result, spans, sc);
  });
});

describe('variable queries', () => {
  const variablePanels = dashboards.flatMap((d) =>
    d.templating.list.filter((v) => v.type === 'query').map((v) => ({ d, v, key: `${d.uid}/$${v.name}` })),
  );

  it.each(SCENARIOS)(
    'list the values in the time range, narrowed by the variables before them: $name',
    async (sc) => {
      const ctx = context(sc);
      for (const { v, key } of variablePanels) {
        const name = v.name as Dim;
        const order: Dim[] = ['service', 'feature', 'model', 'tenant'];
        const before = order.slice(0, order.indexOf(name));
        const expected = uniq(
          seed.spans
            .filter(inRange)
            .filter((s) => before.every((dim) => !sc.select[dim] || sc.select[dim]!.includes(DIM_OF[dim](s))))
            .map(DIM_OF[name])
            .filter((x) => x !== ''),
        ).sort();
        const sql = expand((v.query as { rawSql: string }).rawSql, ctx);
        const result = await run(sql);
        expect(
          result.rows.map((r) => Object.values(r)[0]),
          key,
        ).toEqual(expected);
      }
    },
  );
});
