/**
 * Dashboard query times on a large store: N GenAI spans (default 10 million) generated straight into the
 * embedded ClickHouse with INSERT ... SELECT FROM numbers() (genai_spend, whose materialized view fills
 * the minute rollup, and otel_traces, whose view fills the trace-id table), spread over 7 days, plus
 * budget state and alert history. Then every panel query of every dashboard (dashboards/json), expanded
 * the way Grafana and the ClickHouse plugin expand it (dashboards/test/grafana-sim.ts), every variable on
 * All, over the dashboard's default time range (`now-24h` for the spend dashboards) and over the whole
 * 7 days, run `runs` times round-robin; per panel: median, min, max.
 * The store lives in a temp dir that is deleted afterwards, unless `BENCH_DASH_STORE` (or `--store DIR`)
 * names a directory: then the store is generated there once, kept, and reused by later runs with the
 * same span count (its time range is read back from `bench-meta.json` there), so iterating on queries
 * does not regenerate 10M spans each time.
 *
 * Run directly, this prints to stdout (and `--json FILE`) and never writes RESULTS.md. Options:
 * `--baseline DIR` also runs the panels of another dashboards/json directory (e.g. one exported from an
 * earlier commit) interleaved with the current ones, so before/after are measured in the same run;
 * `--panels REGEX` keeps the panels whose `dashboard / panel` matches; `--runs N` (or `BENCH_DASH_RUNS`).
 *
 *   pnpm build && node test/bench/dashboards.ts [--smoke] [--spans 10000000] [--store DIR] [--baseline DIR]
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, openStore, parseConfig, schemaFor } from '@burnrate/collector';
import { expand, type SimContext } from '../../dashboards/test/grafana-sim.ts';
import { type Summary, summarize } from './lib/stats.ts';

const JSON_DIR = fileURLToPath(new URL('../../dashboards/json/', import.meta.url));

export interface PanelTiming {
  dashboard: string;
  panel: string;
  /** The dashboard's default time range (`now-24h`, ...). */
  range: string;
  rows: number;
  /** Over the dashboard's default time range. */
  ms: Summary;
  /** Over the whole 7 days (all N spans). */
  ms7d: Summary;
  /** The same panel from the `baseline` dashboards, measured interleaved in the same run. */
  /**
   * CPU time of this process (ClickHouse runs in it) per query, default range and 7 days: less sensitive
   * than wall time to other jobs on a shared machine (with 2 cores, wall ≈ CPU / 2 when idle).
   */
  cpuMs: Summary;
  cpuMs7d: Summary;
  baseline?: { ms: Summary; ms7d: Summary; cpuMs: Summary; cpuMs7d: Summary; rows: number };
}
export interface DashboardResult {
  spans: number;
  traceRows: number;
  rollupRows: number;
  generateSeconds: number;
  runs: number;
  panels: PanelTiming[];
}

const DAY_MS = 86_400_000;
/**
 * Generation only (not what the collector does): the Replacing/Summing engines collapse rows in
 * background merges instead of in each 2M-row insert block, which makes generation ~3x faster.
 */
const GEN_SETTINGS = 'SETTINGS optimize_on_insert = 0, max_insert_threads = 2';

function genaiSelect(off: number, count: number, fromS: number, spanS: number): string {
  const pick = (arr: string[], h: string) =>
    `arrayElement([${arr.map((s) => `'${s}'`).join(',')}], 1 + ${h} % ${arr.length})`;
  const h = (salt: number) => `intHash32(n + ${salt})`;
  return `SELECT
    n,
    toDateTime64(${fromS} + (n - ${off}) * ${spanS} , 9) AS timestamp,
    lower(leftPad(hex(intHash64(intDiv(n, 4))), 32, '0')) AS trace_id,
    lower(leftPad(hex(intHash64(n)), 16, '0')) AS span_id,
    lower(leftPad(hex(intHash64(intDiv(n, 4) + 7)), 16, '0')) AS parent_span_id,
    concat('chat ', model) AS span_name,
    ${pick(['chat-api', 'search-api', 'agent-worker', 'batch-jobs'], h(1))} AS service_name,
    multiIf(model LIKE 'gpt%' OR model LIKE 'o3%', 'openai', model LIKE 'claude%', 'anthropic', 'gcp.gemini') AS provider,
    if(${h(2)} % 20 = 0, 'embeddings', 'chat') AS operation,
    ${pick(['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku-20241022', 'claude-sonnet-4-20250514', 'gemini-2.0-flash', 'o3-mini', 'mystery-model'], h(3))} AS request_model,
    request_model AS response_model,
    request_model AS model,
    'api.example.com' AS server_address,
    200 + ${h(4)} % 4000 AS input_tokens,
    20 + ${h(5)} % 900 AS output_tokens,
    if(${h(6)} % 3 = 0, intDiv(input_tokens, 2), 0) AS cache_read_tokens,
    if(${h(7)} % 17 = 0, 100, 0) AS cache_write_tokens,
    if(model = 'o3-mini', intDiv(output_tokens, 2), 0) AS reasoning_tokens,
    model = 'mystery-model' AS unpriced,
    if(unpriced, 0, input_tokens * 1e-6 + output_tokens * 4e-6) AS cost_usd,
    if(unpriced, 0, input_tokens * 1e-6) AS cost_input_usd,
    if(unpriced, 0, output_tokens * 4e-6) AS cost_output_usd,
    if(unpriced, 0, cache_read_tokens * 0.5e-6) AS cost_cache_read_usd,
    if(unpriced, '', if(${h(8)} % 2 = 0, 'computed', 'provider')) AS cost_source,
    if(unpriced, '', if(${h(9)} % 3 = 0, 'collector', 'span')) AS priced_by,
    ${h(10)} % 50 = 0 AS usage_estimated,
    if(${h(11)} % 10 = 0, 'batch', 'standard') AS pricing_tier,
    ${pick(['support-chat', 'search', 'summaries', 'agent', 'classify', 'extract', ''], h(12))} AS feature,
    concat('user-', toString(${h(13)} % 20000)) AS user_id,
    concat('session-', toString(intDiv(n, 8))) AS session_id,
    concat('tenant-', toString(${h(14)} % 200)) AS tenant,
    cache_read_tokens > 0 OR ${h(15)} % 25 = 0 AS cache_hit,
    multiIf(cache_read_tokens > 0, 'provider_prompt', cache_hit AND ${h(16)} % 2 = 0, 'exact', cache_hit, 'semantic', '') AS cache_kind,
    if(cache_hit, cost_cache_read_usd + 0.0001, 0) AS cache_saved_usd,
    if(${h(17)} % 5 = 0, 'cheap-first', '') AS route_name,
    if(route_name != '', ${pick(['complexity', 'budget', 'fallback'], h(18))}, '') AS route_reason,
    if(route_name != '', 'gpt-4o', '') AS route_baseline_model,
    if(route_name != '', CAST(cost_usd * 3 AS Nullable(Float64)), NULL) AS route_baseline_cost_usd,
    if(route_name != '', cost_usd * 2, 0) AS route_saved_usd,
    (300 + ${h(19)} % 9000) * 1000000 AS duration_ns,
    if(${h(20)} % 2 = 0, CAST((50 + ${h(21)} % 900) / 1000 AS Nullable(Float64)), NULL) AS ttft_seconds,
    ttft_seconds IS NOT NULL AS stream,
    if(stream, CAST(${h(22)} % 40 != 0 AS Nullable(Bool)), NULL) AS stream_completed,
    if(${h(23)} % 100 = 0, 'Error', 'Ok') AS status_code,
    if(status_code = 'Error', ${pick(['rate_limit_exceeded', 'server_error', 'timeout'], h(24))}, '') AS error_type,
    ${pick(['burnrate', 'burnrate', 'openllmetry', 'openinference', 'vercel_ai', 'otel_genai'], h(25))} AS instrumentation_source,
    '@burnrate/instrumentation-openai' AS scope_name
  FROM (SELECT number AS n FROM numbers(${off}, ${count}))`;
}

const SPEND_COLUMNS =
  'timestamp, trace_id, span_id, parent_span_id, span_name, service_name, provider, operation, request_model, response_model, model, server_address, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, unpriced, cost_usd, cost_input_usd, cost_output_usd, cost_cache_read_usd, cost_source, priced_by, usage_estimated, pricing_tier, feature, user_id, session_id, tenant, cache_hit, cache_kind, cache_saved_usd, route_name, route_reason, route_baseline_model, route_baseline_cost_usd, route_saved_usd, duration_ns, ttft_seconds, stream, stream_completed, status_code, error_type, instrumentation_source, scope_name';

interface StoreMeta {
  spans: number;
  fromMs: number;
  toMs: number;
  generateSeconds: number;
}

export async function runDashboards(
  opts: {
    smoke?: boolean;
    spans?: number;
    runs?: number;
    log?: (s: string) => void;
    /** Keep the store here and reuse it when it already holds `spans` spans (default `BENCH_DASH_STORE`). */
    storeDir?: string;
    /** Another dashboards/json directory whose panels run interleaved with the current ones. */
    baselineDir?: string;
    /** Only panels whose `dashboard / panel` matches. */
    panels?: RegExp;
  } = {},
): Promise<DashboardResult> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const N = opts.spans ?? (opts.smoke ? 200_000 : 10_000_000);
  const runs = opts.runs ?? (opts.smoke ? 2 : Number(process.env['BENCH_DASH_RUNS'] ?? 5));
  const keepDir = opts.storeDir ?? process.env['BENCH_DASH_STORE'];
  if (keepDir) mkdirSync(keepDir, { recursive: true });
  const dir = keepDir ?? mkdtempSync(join(tmpdir(), 'burnrate-bench-dash-'));
  const metaFile = join(dir, 'bench-meta.json');
  const kept: StoreMeta | undefined =
    keepDir && existsSync(metaFile) ? (JSON.parse(readFileSync(metaFile, 'utf8')) as StoreMeta) : undefined;
  if (kept && kept.spans !== N)
    throw new Error(
      `${dir} holds a store of ${kept.spans} spans, not ${N}: remove it or pick another directory`,
    );
  const config = parseConfig(JSON.stringify({ data_dir: dir }), 'bench');
  const store = await openStore(config);
  const client = store.client;
  try {
    await migrate(client, schemaFor(config));
    const toMs = kept?.toMs ?? Math.floor(Date.now() / 60_000) * 60_000;
    const fromMs = toMs - 7 * DAY_MS;
    const spanS = (7 * DAY_MS) / 1000 / N;
    const t0 = performance.now();
    if (kept)
      log(`  dashboards: reusing the store in ${dir} (generated in ${kept.generateSeconds.toFixed(0)} s)`);
    else await generate();
    const generateSeconds = kept?.generateSeconds ?? (performance.now() - t0) / 1000;
    if (keepDir && !kept)
      writeFileSync(
        metaFile,
        JSON.stringify({ spans: N, fromMs, toMs, generateSeconds } satisfies StoreMeta),
      );
    return await measure(generateSeconds);

    async function generate() {
      // in chunks, so each INSERT's blocks stay moderate (memory) and the rollup MV sees every row
      const chunk = Math.min(N, 2_000_000);
      for (let off = 0; off < N; off += chunk) {
        const n = Math.min(chunk, N - off);
        const sel = genaiSelect(off, n, fromMs / 1000 + off * spanS, spanS);
        const c0 = performance.now();
        await client.command({
          query: `INSERT INTO burnrate.genai_spend (${SPEND_COLUMNS}) SELECT ${SPEND_COLUMNS} FROM (${sel}) ${GEN_SETTINGS}`,
        });
        const c1 = performance.now();
        await client.command({
          query: `INSERT INTO burnrate.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode)
SELECT timestamp, trace_id, span_id, parent_span_id, span_name, 'Client', service_name,
  map('service.name', service_name, 'service.version', '1.4.2', 'host.name', concat('host-', toString(intHash32(n) % 16))),
  scope_name, '0.1.0',
  map('gen_ai.provider.name', provider, 'gen_ai.operation.name', operation, 'gen_ai.request.model', request_model,
      'gen_ai.response.model', response_model, 'gen_ai.usage.input_tokens', toString(input_tokens),
      'gen_ai.usage.output_tokens', toString(output_tokens), 'gen_ai.usage.cost', toString(cost_usd),
      'burnrate.feature', feature, 'user.id', user_id, 'session.id', session_id, 'burnrate.tenant', tenant),
  duration_ns, status_code
FROM (${sel}) ${GEN_SETTINGS}`,
        });
        log(
          `  dashboards: generated ${(off + n).toLocaleString('en-US')} of ${N.toLocaleString('en-US')} spans (genai_spend ${((c1 - c0) / 1000).toFixed(1)} s, otel_traces ${((performance.now() - c1) / 1000).toFixed(1)} s)`,
        );
      }
      // budget state and alert history (small tables)
      await client.command({
        query: `INSERT INTO burnrate.budget_state SELECT concat('budget-', toString(number % 20)), concat('tenant-', toString(number)), toDateTime64(${Math.floor(toMs / DAY_MS) * 86400}, 3), toDateTime64(${Math.floor(toMs / DAY_MS) * 86400 + 86400}, 3), number * 1.5, 1000, number * 0.15, number * 2.1, multiIf(number > 600, 'alert', number > 400, 'warn', 'ok'), now64(3) FROM numbers(1000)`,
      });
      await client.command({
        query: `INSERT INTO burnrate.budget_alerts SELECT toString(number), 'threshold_crossed', concat('budget-', toString(number % 20)), concat('tenant-', toString(number % 200)), 0.8, 81, 810, 1000, 1100, toDateTime64(${fromMs / 1000}, 3), toDateTime64(${toMs / 1000}, 3), toDateTime64(${fromMs / 1000} + number * 60, 3), toDateTime64(${fromMs / 1000} + number * 60, 3), toDateTime64(${fromMs / 1000} + number * 60, 3), 'bench', ['hook'], if(number % 10 = 0, ['slack'], []), '{}' FROM numbers(5000)`,
      });
    }

    async function measure(generateSeconds: number): Promise<DashboardResult> {
      const countOf = async (sql: string) => {
        const rs = await client.query({ query: sql, format: 'JSONEachRow' });
        return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
      };
      const spans = await countOf('SELECT count() AS c FROM burnrate.genai_spend');
      const traceRows = await countOf('SELECT count() AS c FROM burnrate.otel_traces');
      const rollupRows = await countOf('SELECT count() AS c FROM burnrate.genai_spend_1m');
      log(
        `  dashboards: ${spans.toLocaleString('en-US')} spans, ${rollupRows.toLocaleString('en-US')} rollup rows, generated in ${generateSeconds.toFixed(0)} s`,
      );

      // variables: All, with the options the variable queries would list
      const distinct = async (col: string) => {
        const rs = await client.query({
          query: `SELECT DISTINCT ${col} AS v FROM burnrate.genai_spend_1m WHERE ${col} != '' ORDER BY v`,
          format: 'JSONEachRow',
        });
        return ((await rs.json()) as Array<{ v: string }>).map((r) => r.v);
      };
      const costliest = await client.query({
        query: `SELECT trace_id FROM burnrate.genai_spend WHERE timestamp >= toDateTime64(${(toMs - DAY_MS) / 1000}, 3) ORDER BY cost_usd DESC LIMIT 1`,
        format: 'JSONEachRow',
      });
      const traceId = ((await costliest.json()) as Array<{ trace_id: string }>)[0]?.trace_id ?? '';
      const ctx7d: SimContext = {
        fromMs,
        toMs,
        intervalSeconds: 600,
        variables: {
          datasource: { current: 'burnrate-clickhouse' },
          database: { current: 'burnrate' },
          jaeger_url: { current: 'http://localhost:16686' },
          trace_id: { current: traceId },
          service: { current: ['$__all'], options: await distinct('service_name'), allValue: null },
          feature: { current: ['$__all'], options: await distinct('feature'), allValue: null },
          model: { current: ['$__all'], options: await distinct('model'), allValue: null },
          tenant: { current: ['$__all'], options: await distinct('tenant'), allValue: null },
        },
      };
      interface Timed {
        sql: string;
        sql7d: string;
        times: number[];
        times7d: number[];
        cpu: number[];
        cpu7d: number[];
        rows: number;
      }
      const panels: Array<
        Timed & {
          dashboard: string;
          panel: string;
          range: string;
          baseline?: Timed;
        }
      > = [];
      const baseline = new Map<string, { sql: string; sql7d: string }>();
      const load = (
        jsonDir: string,
        add: (dashboard: string, panel: string, range: string, sql: string, sql7d: string) => void,
      ) => {
        for (const file of readdirSync(jsonDir)
          .filter((f) => f.endsWith('.json'))
          .sort()) {
          const d = JSON.parse(readFileSync(join(jsonDir, file), 'utf8')) as {
            title: string;
            time?: { from?: string };
            panels: Array<{ title: string; targets?: Array<{ rawSql?: string }> }>;
          };
          // the dashboard's default range (`now-24h`), and Grafana's interval for it (~1,000 points, whole minutes)
          const range = d.time?.from ?? 'now-24h';
          const m = /^now-(\d+)([hd])$/.exec(range);
          const rangeMs = m ? Number(m[1]) * (m[2] === 'd' ? DAY_MS : 3_600_000) : DAY_MS;
          const ctx: SimContext = {
            ...ctx7d,
            fromMs: toMs - rangeMs,
            intervalSeconds: Math.max(60, Math.round(rangeMs / 1000 / 1000 / 60) * 60),
          };
          for (const p of d.panels) {
            const rawSql = p.targets?.[0]?.rawSql;
            if (!rawSql) continue;
            add(d.title, p.title, range, expand(rawSql, ctx), expand(rawSql, ctx7d));
          }
        }
      };
      if (opts.baselineDir)
        load(opts.baselineDir, (dashboard, panel, _range, sql, sql7d) =>
          baseline.set(`${dashboard} / ${panel}`, { sql, sql7d }),
        );
      load(JSON_DIR, (dashboard, panel, range, sql, sql7d) => {
        const key = `${dashboard} / ${panel}`;
        if (opts.panels && !opts.panels.test(key)) return;
        const b = baseline.get(key);
        panels.push({
          dashboard,
          panel,
          range,
          sql,
          sql7d,
          times: [],
          times7d: [],
          cpu: [],
          cpu7d: [],
          rows: 0,
          ...(b ? { baseline: { ...b, times: [], times7d: [], cpu: [], cpu7d: [], rows: 0 } } : {}),
        });
      });
      const cpuMs = (since: NodeJS.CpuUsage) => {
        const d = process.cpuUsage(since);
        return (d.user + d.system) / 1000;
      };
      const time = async (t: Timed) => {
        let c0 = process.cpuUsage();
        const t0 = performance.now();
        const rs = await client.query({ query: t.sql, format: 'JSON' });
        const body = (await rs.json()) as { data: unknown[] };
        t.times.push(performance.now() - t0);
        t.cpu.push(cpuMs(c0));
        t.rows = body.data.length;
        c0 = process.cpuUsage();
        const t7 = performance.now();
        await (await client.query({ query: t.sql7d, format: 'JSON' })).json();
        t.times7d.push(performance.now() - t7);
        t.cpu7d.push(cpuMs(c0));
      };
      for (let r = 0; r < runs; r++) {
        for (const p of panels) {
          // before and after alternate which goes first, so neither always runs on a warmer cache
          if (p.baseline && r % 2 === 0) await time(p.baseline);
          await time(p);
          if (p.baseline && r % 2 === 1) await time(p.baseline);
        }
        log(`  dashboards: query round ${r + 1}/${runs} done`);
      }
      return {
        spans,
        traceRows,
        rollupRows,
        generateSeconds,
        runs,
        panels: panels.map((p) => ({
          dashboard: p.dashboard,
          panel: p.panel,
          range: p.range,
          rows: p.rows,
          ms: summarize(p.times),
          ms7d: summarize(p.times7d),
          cpuMs: summarize(p.cpu),
          cpuMs7d: summarize(p.cpu7d),
          ...(p.baseline
            ? {
                baseline: {
                  ms: summarize(p.baseline.times),
                  ms7d: summarize(p.baseline.times7d),
                  cpuMs: summarize(p.baseline.cpu),
                  cpuMs7d: summarize(p.baseline.cpu7d),
                  rows: p.baseline.rows,
                },
              }
            : {}),
        })),
      };
    }
  } finally {
    await store.close();
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const spans = arg('--spans');
  const runsArg = arg('--runs');
  const panelsArg = arg('--panels');
  const storeDir = arg('--store');
  const baselineDir = arg('--baseline');
  const jsonFile = arg('--json');
  const res = await runDashboards({
    smoke: process.argv.includes('--smoke'),
    ...(spans ? { spans: Number(spans) } : {}),
    ...(runsArg ? { runs: Number(runsArg) } : {}),
    ...(panelsArg ? { panels: new RegExp(panelsArg) } : {}),
    ...(storeDir ? { storeDir } : {}),
    ...(baselineDir ? { baselineDir } : {}),
  });
  const ms = (x: number) => x.toFixed(1).padStart(8);
  for (const p of res.panels) {
    const b = p.baseline;
    console.log(
      b
        ? `${ms(b.ms.median)} -> ${ms(p.ms.median)} ms (${p.range}) ${ms(b.ms7d.median)} -> ${ms(p.ms7d.median)} ms (7 days)  cpu ${ms(b.cpuMs7d.median)} -> ${ms(p.cpuMs7d.median)} ms (7 days)  ${p.dashboard} / ${p.panel}  [${b.rows} -> ${p.rows} rows]`
        : `${ms(p.ms.median)} ms (${p.range}) ${ms(p.ms7d.median)} ms (7 days)  cpu ${ms(p.cpuMs.median)} / ${ms(p.cpuMs7d.median)} ms  ${p.dashboard} / ${p.panel}  [${p.rows} rows]`,
    );
  }
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify(res, null, 2));
}
