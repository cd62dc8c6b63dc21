/**
 * `pnpm bench`: runs the benchmarks and writes test/bench/RESULTS.md (measurements, not tests).
 *
 *   pnpm build                     # the benchmarks use the built packages and collector
 *   pnpm bench                     # everything (~15 min on 2 cores), writes RESULTS.md + results.json
 *   pnpm bench --only ingest,alerts   # some parts; the others keep their last results in RESULTS.md
 *   pnpm bench --render            # rewrites RESULTS.md from results.json
 *   pnpm bench --smoke             # a quick pass (< 60 s) that checks every benchmark still runs;
 *                                  # prints the report instead of writing RESULTS.md
 *
 * Parts: overhead (instrumentation overhead vs peers), startup (@burnrate/auto import, tokenizer first
 * call), ingest (collector throughput by batch size), alerts (budget alert latency under load),
 * dashboards (panel query times on a 10M-span store).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type AlertResult, type IngestRow, runAlerts, runIngest } from '../../collector/bench/ingest-load.ts';
import { type DashboardResult, runDashboards } from './dashboards.ts';
import { fmt, type Summary } from './lib/stats.ts';
import { type OverheadResult, runOverhead } from './openai-overhead.ts';
import { runStartup, type StartupResult } from './startup.ts';

const PARTS = ['overhead', 'startup', 'ingest', 'alerts', 'dashboards'] as const;
type Part = (typeof PARTS)[number];

interface Results {
  machine: { cpus: number; cpuModel: string; node: string; os: string; memGiB: number };
  parts: Partial<Record<Part, { at: string; loadBefore: number[]; loadAfter: number[]; seconds: number }>>;
  overhead?: OverheadResult;
  startup?: StartupResult;
  ingest?: IngestRow[];
  alerts?: AlertResult;
  dashboards?: DashboardResult;
}

const RESULTS_JSON = fileURLToPath(new URL('./results.json', import.meta.url));
const RESULTS_MD = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const onlyAt = args.indexOf('--only');
// --render: rewrite RESULTS.md from results.json without measuring anything
const only = args.includes('--render')
  ? []
  : onlyAt >= 0
    ? (args[onlyAt + 1] ?? '').split(',').filter(Boolean)
    : [...PARTS];
for (const p of only)
  if (!PARTS.includes(p as Part)) throw new Error(`unknown part ${p}; parts: ${PARTS.join(', ')}`);

for (const built of [
  'collector/dist/index.js',
  'packages/core/dist/index.js',
  'packages/auto/dist/register.js',
]) {
  if (!existsSync(`${ROOT}${built}`)) {
    console.error(`${built} is missing: run \`pnpm build\` first`);
    process.exit(2);
  }
}

const log = (s: string) => console.error(s);
const previous: Results | undefined =
  !smoke && existsSync(RESULTS_JSON)
    ? (JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Results)
    : undefined;
const results: Results = {
  ...(previous ?? {}),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    os: `${platform()} ${release()}`,
    memGiB: Math.round(totalmem() / 2 ** 30),
  },
  parts: { ...(previous?.parts ?? {}) },
};

const started = performance.now();
let ingestRows: IngestRow[] | undefined;
for (const part of PARTS) {
  if (!only.includes(part)) continue;
  log(`== ${part}${smoke ? ' (smoke)' : ''}`);
  const loadBefore = loadavg();
  const t0 = performance.now();
  switch (part) {
    case 'overhead':
      results.overhead = await runOverhead({ smoke, log });
      break;
    case 'startup':
      results.startup = await runStartup({ smoke, log });
      break;
    case 'ingest':
      ingestRows = await runIngest({ smoke, log });
      results.ingest = ingestRows;
      break;
    case 'alerts': {
      const rows = ingestRows ?? results.ingest;
      const at500 = rows?.find((r) => r.batch === 500) ?? rows?.[0];
      results.alerts = await runAlerts({
        smoke,
        batch: 500,
        expectedSpansPerSec: at500?.spansPerSec.median ?? 5000,
        // BENCH_ALERT_LOAD_SHARE: the share of the measured capacity the load offers (default 0.7)
        loadShare: Number(process.env['BENCH_ALERT_LOAD_SHARE'] ?? 0.7),
        log,
      });
      break;
    }
    case 'dashboards':
      results.dashboards = await runDashboards({ smoke, log });
      break;
  }
  results.parts[part] = {
    at: new Date().toISOString(),
    loadBefore,
    loadAfter: loadavg(),
    seconds: (performance.now() - t0) / 1000,
  };
}
log(`== done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

// results first, so a rendering problem never loses a long run
if (!smoke) writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
const md = render(results, smoke);
if (smoke) {
  console.log(md);
} else {
  writeFileSync(RESULTS_MD, md);
  log(`wrote ${RESULTS_MD}`);
}

// ---------------------------------------------------------------------------------------------------

function render(r: Results, isSmoke: boolean): string {
  const out: string[] = [];
  const f1 = (s: Summary | undefined, unit = '', d = 1) => (s ? fmt(s, d, unit) : 'n/a');
  const when = (p: Part) => {
    const x = r.parts[p];
    return x
      ? `_Measured ${x.at.slice(0, 16).replace('T', ' ')} UTC in ${x.seconds.toFixed(0)} s; load average before ${x.loadBefore.map((l) => l.toFixed(1)).join(' / ')}, after ${x.loadAfter.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min)._`
      : '_not measured_';
  };
  out.push('# burnrate benchmarks');
  out.push('');
  out.push(
    `Machine: ${r.machine.cpus} CPUs (${r.machine.cpuModel}), ${r.machine.memGiB} GiB RAM, ${r.machine.os}, Node ${r.machine.node}.${isSmoke ? ' **Smoke run: too few runs to mean anything.**' : ''}`,
  );
  out.push('');
  out.push(
    "Figures are `median (min – max)` over the runs named in each section. The machine was shared with other jobs while these ran (see each section's load average), so absolute figures are noisy and low; the comparisons (interleaved in the same run) are the part to trust. Reproduce with `pnpm build && pnpm bench` (or `pnpm bench --only overhead,startup,ingest,alerts,dashboards`).",
  );
  out.push('');

  if (r.overhead) {
    const o = r.overhead;
    out.push('## 1. Instrumentation overhead (OpenAI chat completions)');
    out.push('');
    out.push(when('overhead'));
    out.push('');
    out.push(
      `One app calling \`chat.completions.create\` against a local fake OpenAI server (\`test/bench/lib/fast-openai-server.ts\`, in the parent process), each variant in its own child process with the same OpenTelemetry setup (AsyncLocalStorage context manager, SDK \`TracerProvider\`, \`SimpleSpanProcessor\` into an in-memory exporter), instrumentations enabled with their default configuration. ${o.rounds} rounds, variants in rotating order; per round and variant ${o.plainCalls} non-streaming calls and ${o.streamCalls} streams of ${o.chunksPerStream} chunks. "Added" is the variant minus the uninstrumented process of the same round and SDK (paired); wall time is the median per call, CPU time the process's mean CPU (all threads) per call.`,
    );
    out.push('');
    out.push(
      '| variant | openai | spans/call | call wall µs | added wall µs/call | added CPU µs/call | added wall µs/stream | added wall µs/chunk | added CPU µs/chunk |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const row of o.rows) {
      out.push(
        `| ${row.variant} | ${row.sdkVersion} | ${row.spansPerCall.toFixed(2)} | ${f1(row.plainWallUs, '', 0)} | ${row.variant === 'none' ? '—' : f1(row.addedPlainWallUs, '', 0)} | ${row.variant === 'none' ? '—' : f1(row.addedPlainCpuUs, '', 0)} | ${row.variant === 'none' ? '—' : f1(row.addedStreamWallUs, '', 0)} | ${row.variant === 'none' ? '—' : f1(row.addedPerChunkWallUs, '', 2)} | ${row.variant === 'none' ? '—' : f1(row.addedPerChunkCpuUs, '', 2)} |`,
      );
    }
    out.push('');
    const br = o.rows.find((x) => x.variant === 'burnrate' && x.sdk === 'v6');
    const peers = o.rows.filter((x) => x.sdk === 'v6' && x.variant !== 'none' && x.variant !== 'burnrate');
    if (br && peers.length) {
      out.push(
        'Ratio burnrate / peer of the added time (medians; openai 6; a ratio of two noisy differences, so read it as a direction):',
      );
      out.push('');
      out.push('| peer | non-streaming wall | non-streaming CPU | streaming CPU per chunk |');
      out.push('|---|---|---|---|');
      const ratio = (a: number, b: number) =>
        b > 0 && a > 0 ? (a / b).toFixed(2) : `n/a (${a.toFixed(1)} vs ${b.toFixed(1)})`;
      for (const p of peers) {
        out.push(
          `| ${p.variant} | ${ratio(br.addedPlainWallUs.median, p.addedPlainWallUs.median)} | ${ratio(br.addedPlainCpuUs.median, p.addedPlainCpuUs.median)} | ${ratio(br.addedPerChunkCpuUs.median, p.addedPerChunkCpuUs.median)} |`,
        );
      }
      out.push('');
    }
    out.push(
      "Peers: `otel` = `@opentelemetry/instrumentation-openai`, `traceloop` = `@traceloop/instrumentation-openai`, `arize` = `@arizeai/openinference-instrumentation-openai` (versions in `test/package.json`). Defaults differ: Traceloop and OpenInference record prompt and completion text by default, burnrate and the OTel contrib instrumentation do not; burnrate also prices the call, fingerprints the prompt and asks for streamed usage (`stream_options.include_usage`). A negative or tiny difference means the instrumentation's cost is below this run's noise.",
    );
    out.push('');
  }

  if (r.startup) {
    const s = r.startup;
    out.push('## 2. Startup and first-call costs');
    out.push('');
    out.push(when('startup'));
    out.push('');
    out.push(`${s.runs} runs, each a fresh child process, interleaved.`);
    out.push('');
    out.push('| what | figure |');
    out.push('|---|---|');
    out.push(`| \`node -e ''\` wall | ${f1(s.plainNodeMs, ' ms', 0)} |`);
    out.push(`| \`node --import @burnrate/auto/register -e ''\` wall | ${f1(s.autoImportMs, ' ms', 0)} |`);
    out.push(`| added by the one import (paired) | ${f1(s.addedImportMs, ' ms', 0)} |`);
    out.push(
      `| peak RSS, plain node / with the import | ${f1(s.plainNodeRssMiB, ' MiB', 0)} / ${f1(s.autoImportRssMiB, ' MiB', 0)} |`,
    );
    out.push(
      `| tokenizer first \`countTokens\` call: wall time to the answer | ${f1(s.tokenizer.firstMs, ' ms', 0)} |`,
    );
    out.push(
      `| — main thread blocked by the call itself (synchronous part) | ${f1(s.tokenizer.syncMs, ' ms', 1)} |`,
    );
    out.push(
      `| — main-thread busy time while the first call ran (event-loop utilization) | ${f1(s.tokenizer.activeMs, ' ms', 1)} |`,
    );
    out.push(
      `| — longest event-loop stall meanwhile (1 ms ticker; idle baseline ${f1(s.tokenizer.idleGapMs, ' ms', 1)}) | ${f1(s.tokenizer.maxGapMs, ' ms', 1)} |`,
    );
    out.push(`| tokenizer second call wall | ${f1(s.tokenizer.secondMs, ' ms', 1)} |`);
    out.push('');
  }

  if (r.ingest) {
    out.push('## 3. Collector ingest (embedded ClickHouse)');
    out.push('');
    out.push(when('ingest'));
    out.push('');
    out.push(
      "Three processes: the collector (`collector/bench/collector-proc.ts`, default config, embedded ClickHouse in a fresh temp dir), the load generator (`collector/bench/load.ts`: OTLP/HTTP protobuf, realistic spans — per trace one HTTP server span and three priced GenAI calls with usage, cost, attribution — each connection sending its next request as soon as the previous one is answered) and the orchestrator. Spans/s = rows in `otel_traces` after the run / time from first send to last acknowledgement (a 200 means the spans are in ClickHouse). Latency is per acknowledged request; with a closed loop it is mostly queueing behind the batches in flight (concurrency × batch spans). CPU µs/span is the collector process's CPU time (JS and ClickHouse threads) per stored span: less sensitive to the other jobs than spans/s, and 2 cores / (CPU per span) bounds what this machine could do alone.",
    );
    out.push('');
    out.push(
      '| spans/request | connections | spans/s stored | p50 latency | p99 latency | collector peak RSS | collector CPU µs/span | 429s | runs |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const row of r.ingest) {
      const cpu = row.runs.map((x) => (x.collectorCpuS * 1e6) / x.stored);
      const s = cpu.sort((a, b) => a - b);
      const cpuS: Summary = { median: s[s.length >> 1]!, min: s[0]!, max: s.at(-1)!, n: s.length };
      out.push(
        `| ${row.batch} | ${row.concurrency} | ${f1(row.spansPerSec, '', 0)} | ${f1(row.p50Ms, ' ms', 0)} | ${f1(row.p99Ms, ' ms', 0)} | ${f1(row.peakRssMiB, ' MiB', 0)} | ${f1(cpuS, '', 0)} | ${row.refused} | ${row.runs.length} × ${row.runs[0]!.seconds.toFixed(0)} s |`,
      );
    }
    out.push('');
  }

  if (r.alerts) {
    const a = r.alerts;
    out.push('## 4. Budget alert latency under load');
    out.push('');
    out.push(when('alerts'));
    out.push('');
    out.push(
      `An open-loop load (${a.batch} spans/request, requests started on schedule) at ${Math.round(a.loadShare * 100)}% of the ingest capacity measured in section 3 (offered ${a.offeredSpansPerSec.map((x) => x.toLocaleString('en-US')).join(', ')} spans/s; a saturated closed loop would mostly measure its own queue), against a collector configured with one \`day\` budget (thresholds 10%, 20%, … 100%, webhook channel to a receiver in the orchestrator), its limit set so the load crosses 100% about 60% into the run. Latency = webhook receipt − send time of the request whose spans took the spend over the threshold (requests ordered by acknowledgement; every GenAI span carries its cost, so the generator knows the spend exactly). Budget evaluation runs 250 ms after ingest (debounced) and every 5 s.`,
    );
    out.push('');
    out.push('| figure | value |');
    out.push('|---|---|');
    out.push(`| runs | ${a.runs} |`);
    out.push(`| ingest rate during the runs (spans/s) | ${f1(a.spansPerSec, '', 0)} |`);
    out.push(`| thresholds crossed / alerts matched | ${a.alertsExpected} / ${a.alertsReceived} |`);
    out.push(`| alert latency, all alerts | ${f1(a.latencyMs, ' ms', 0)} |`);
    out.push(`| alert latency p99 (all alerts) | ${a.p99Ms.toFixed(0)} ms |`);
    out.push(`| p99 per run | ${a.perRunP99Ms.map((x) => `${x.toFixed(0)} ms`).join(', ')} |`);
    out.push('');
  }

  if (r.dashboards) {
    const d = r.dashboards;
    out.push('## 5. Dashboard queries on a large store');
    out.push('');
    out.push(when('dashboards'));
    out.push('');
    out.push(
      `${d.spans.toLocaleString('en-US')} GenAI spans over 7 days generated into the embedded ClickHouse with \`INSERT … SELECT FROM numbers()\` (${d.generateSeconds.toFixed(0)} s): \`genai_spend\` (its materialized view filled \`genai_spend_1m\`: ${d.rollupRows.toLocaleString('en-US')} rows) and \`otel_traces\` (${d.traceRows.toLocaleString('en-US')} rows), plus 1,000 budget states and 5,000 alerts. 20,000 users, 200 tenants, 7 models, 6 features, 4 services. Every panel query of \`dashboards/json/*.json\`, expanded as Grafana and the ClickHouse plugin expand it (\`dashboards/test/grafana-sim.ts\`), with every variable on All, over the dashboard's default time range (24 h for the spend dashboards: ~1/7 of the spans) and over the whole 7 days, ${d.runs} rounds round-robin. The store is deleted afterwards.`,
    );
    out.push('');
    const sorted = [...d.panels].sort((a, b) => b.ms.median - a.ms.median);
    const sorted7 = [...d.panels].sort((a, b) => b.ms7d.median - a.ms7d.median);
    const over = d.panels.filter((p) => p.ms.median > 500).length;
    const over7 = d.panels.filter((p) => p.ms7d.median > 500).length;
    out.push(
      `Default ranges: slowest panel ${sorted[0]?.dashboard} / ${sorted[0]?.panel} at ${sorted[0]?.ms.median.toFixed(0)} ms median; ${over} of ${d.panels.length} panels over 500 ms. Whole 7 days (${d.spans.toLocaleString('en-US')} spans): slowest ${sorted7[0]?.panel} at ${sorted7[0]?.ms7d.median.toFixed(0)} ms; ${over7} of ${d.panels.length} panels over 500 ms.`,
    );
    out.push('');
    out.push(
      '| dashboard | panel | default range | query ms, default range | query ms, 7 days (all spans) |',
    );
    out.push('|---|---|---|---|---|');
    for (const p of d.panels)
      out.push(
        `| ${p.dashboard.replace('burnrate: ', '')} | ${p.panel} | ${p.range} | ${f1(p.ms, '', 0)} | ${f1(p.ms7d, '', 0)} |`,
      );
    out.push('');
  }
  const analysis = fileURLToPath(new URL('./analysis.md', import.meta.url));
  if (!isSmoke && existsSync(analysis)) out.push(readFileSync(analysis, 'utf8').trimEnd(), '');
  return `${out.join('\n')}\n`;
}
