/**
 * Collector ingest under load, and budget alert latency under that load. Three processes: the collector
 * (collector-proc.ts, embedded ClickHouse in a fresh temp dir), the load generator (load.ts, OTLP/HTTP
 * protobuf as fast as the collector accepts it, for a fixed time) and this orchestrator (which also runs
 * the webhook receiver for the alert runs).
 *
 *   pnpm --filter @burnrate/collector build && node collector/bench/ingest-load.ts [--smoke] [--json out.json]
 *
 * Ingest: for each batch size (spans per request) and run: spans/s stored in ClickHouse (rows in
 * otel_traces / load time; the load counts only acknowledged, hence durable, requests), p50/p99 request
 * latency, peak RSS of the collector process.
 * Alerts: an open-loop load at 70% of the ingest capacity just measured (a saturated closed loop would
 * measure its own queue), a `day` budget with thresholds 10%..100% whose limit the load crosses during
 * the run; latency = webhook receipt - send time of the request whose spans took the spend over the
 * threshold (requests ordered by acknowledgement).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SpanGenerator } from './lib/otlp-gen.ts';
import { jsonChild } from './lib/proc.ts';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}
function summarize(xs: number[]): Summary {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = s.length >> 1;
  return {
    median: s.length === 0 ? Number.NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2,
    min: s[0] ?? Number.NaN,
    max: s.at(-1) ?? Number.NaN,
    n: s.length,
  };
}

interface LoadResult {
  batch: number;
  concurrency: number;
  started: number;
  lastAck: number;
  seconds: number;
  accepted: number;
  requests: number;
  refused: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  records?: Array<[number, number, number]>;
}
interface CollectorResult {
  traces: number;
  spend: number;
  spooled: number;
  insertErrors: number;
  peakRssMiB: number;
  sampledPeakMiB: number;
  rssAtStartMiB: number;
  cpuUserS: number;
  cpuSystemS: number;
}

export interface IngestRun {
  batch: number;
  concurrency: number;
  spansPerSec: number;
  stored: number;
  accepted: number;
  refused: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  collectorCpuS: number;
  seconds: number;
}

export interface IngestRow {
  batch: number;
  concurrency: number;
  runs: IngestRun[];
  spansPerSec: Summary;
  p50Ms: Summary;
  p99Ms: Summary;
  peakRssMiB: Summary;
  refused: number;
}

export interface AlertResult {
  runs: number;
  batch: number;
  /** Offered load, spans/s (open loop). */
  offeredSpansPerSec: number[];
  loadShare: number;
  limitUsd: number[];
  alertsExpected: number;
  alertsReceived: number;
  latencyMs: Summary;
  p99Ms: number;
  perRunP99Ms: number[];
  spansPerSec: Summary;
}

/** Concurrency so that enough spans are in flight to fill the writer's batches. */
export const concurrencyFor = (batch: number) => Math.max(4, Math.min(200, Math.ceil(20_000 / batch)));

async function oneRun(opts: {
  batch: number;
  seconds: number;
  config?: Record<string, unknown>;
  records?: boolean;
  rate?: number;
}): Promise<{ load: LoadResult; collector: CollectorResult }> {
  const collector = jsonChild(here('./collector-proc.ts'), [JSON.stringify(opts.config ?? {})]);
  try {
    const { url } = await collector.next<{ url: string }>();
    const load = jsonChild(here('./load.ts'), [
      JSON.stringify({
        url,
        batch: opts.batch,
        seconds: opts.seconds,
        concurrency: concurrencyFor(opts.batch),
        poolSpans: 100_000,
        records: opts.records ?? false,
        ...(opts.rate ? { rate: opts.rate } : {}),
      }),
    ]);
    const lr = await load.next<LoadResult>();
    await load.exited;
    collector.send('stop');
    const cr = await collector.next<CollectorResult>();
    await collector.exited;
    return { load: lr, collector: cr };
  } catch (err) {
    collector.proc.kill();
    throw err;
  }
}

export async function runIngest(
  opts: {
    smoke?: boolean;
    batches?: number[];
    runs?: number;
    seconds?: number;
    log?: (s: string) => void;
  } = {},
): Promise<IngestRow[]> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const batches = opts.batches ?? (opts.smoke ? [500] : [100, 500, 2000]);
  const runs = opts.runs ?? (opts.smoke ? 1 : Number(process.env['BENCH_INGEST_RUNS'] ?? 3));
  const seconds = opts.seconds ?? (opts.smoke ? 4 : Number(process.env['BENCH_INGEST_SECONDS'] ?? 15));
  const byBatch = new Map<number, IngestRun[]>(batches.map((b) => [b, []]));
  for (let r = 0; r < runs; r++) {
    const order = batches.map((_, i) => batches[(i + r) % batches.length]!);
    for (const batch of order) {
      const { load, collector } = await oneRun({ batch, seconds });
      if (collector.traces < load.accepted)
        throw new Error(`batch ${batch}: ${collector.traces} spans stored, ${load.accepted} acknowledged`);
      const run: IngestRun = {
        batch,
        concurrency: load.concurrency,
        spansPerSec: collector.traces / load.seconds,
        stored: collector.traces,
        accepted: load.accepted,
        refused: load.refused,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
        peakRssMiB: collector.peakRssMiB,
        collectorCpuS: collector.cpuUserS + collector.cpuSystemS,
        seconds: load.seconds,
      };
      byBatch.get(batch)!.push(run);
      log(
        `  ingest run ${r + 1}/${runs} batch ${batch}: ${Math.round(run.spansPerSec).toLocaleString('en-US')} spans/s, p50 ${run.p50Ms.toFixed(0)} ms, p99 ${run.p99Ms.toFixed(0)} ms, peak RSS ${run.peakRssMiB.toFixed(0)} MiB, ${run.refused} refused (429), spooled ${collector.spooled}`,
      );
    }
  }
  return batches.map((batch) => {
    const rs = byBatch.get(batch)!;
    return {
      batch,
      concurrency: rs[0]!.concurrency,
      runs: rs,
      spansPerSec: summarize(rs.map((x) => x.spansPerSec)),
      p50Ms: summarize(rs.map((x) => x.p50Ms)),
      p99Ms: summarize(rs.map((x) => x.p99Ms)),
      peakRssMiB: summarize(rs.map((x) => x.peakRssMiB)),
      refused: rs.reduce((a, x) => a + x.refused, 0),
    };
  });
}

const THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export async function runAlerts(opts: {
  smoke?: boolean;
  batch?: number;
  runs?: number;
  seconds?: number;
  /** Measured ingest capacity (spans/s) at this batch size: the load is a share of it. */
  expectedSpansPerSec: number;
  /** Share of that capacity the open-loop load sends (default 0.7). */
  loadShare?: number;
  log?: (s: string) => void;
}): Promise<AlertResult> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const batch = opts.batch ?? 500;
  const runs = opts.runs ?? (opts.smoke ? 1 : Number(process.env['BENCH_INGEST_RUNS'] ?? 3));
  const seconds = opts.seconds ?? (opts.smoke ? 5 : Number(process.env['BENCH_INGEST_SECONDS'] ?? 15));
  const loadShare = opts.loadShare ?? 0.7;
  // average USD per span of the generator's requests
  const g = new SpanGenerator();
  let usd = 0;
  let spans = 0;
  for (let i = 0; i < 20; i++) {
    const r = g.request(batch, i);
    usd += r.costUsd;
    spans += r.spans;
  }
  const usdPerSpan = usd / spans;

  const received: Array<{ at: number; threshold: number; event: string }> = [];
  const hook = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      try {
        const p = JSON.parse(Buffer.concat(parts).toString('utf8')) as { threshold: number; event: string };
        received.push({ at, threshold: p.threshold, event: p.event });
      } catch {
        // not an alert
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;

  const latencies: number[] = [];
  const perRunP99: number[] = [];
  const limits: number[] = [];
  const offered: number[] = [];
  const rates: number[] = [];
  let expected = 0;
  try {
    for (let r = 0; r < runs; r++) {
      received.length = 0;
      // an open-loop load at `loadShare` of the measured capacity; 100% is reached ~60% into the run
      const rate = Math.max(500, Math.round(opts.expectedSpansPerSec * loadShare));
      const limit = Number((0.6 * seconds * rate * usdPerSpan).toFixed(4));
      limits.push(limit);
      offered.push(rate);
      const config = {
        budgets: [
          { name: 'bench-total', limit_usd: limit, period: 'day', thresholds: THRESHOLDS, notify: ['hook'] },
        ],
        channels: { hook: { type: 'webhook', url: hookUrl, retries: 0 } },
      };
      const { load, collector } = await oneRun({ batch, seconds, config, records: true, rate });
      // give the last evaluation a moment (the collector has stopped by now; alerts already sent count)
      rates.push(collector.traces / load.seconds);
      const recs = [...(load.records ?? [])].sort((a, b) => a[1] - b[1]);
      let cum = 0;
      const crossing = new Map<number, number>();
      let ti = 0;
      for (const [sent, , cost] of recs) {
        cum += cost;
        while (ti < THRESHOLDS.length && cum >= THRESHOLDS[ti]! * limit - 1e-9) {
          crossing.set(THRESHOLDS[ti]!, sent);
          ti++;
        }
      }
      expected += crossing.size;
      const runLat: number[] = [];
      for (const a of received) {
        if (a.event !== 'threshold_crossed') continue;
        const sent = crossing.get(a.threshold);
        if (sent === undefined) continue;
        runLat.push(a.at - sent);
      }
      latencies.push(...runLat);
      runLat.sort((a, b) => a - b);
      perRunP99.push(runLat[Math.max(0, Math.ceil(0.99 * runLat.length) - 1)] ?? Number.NaN);
      log(
        `  alert run ${r + 1}/${runs}: limit $${limit}, ${crossing.size} thresholds crossed, ${runLat.length} alerts matched, latency median ${summarize(runLat).median.toFixed(0)} ms max ${(runLat.at(-1) ?? Number.NaN).toFixed(0)} ms at ${Math.round(collector.traces / load.seconds).toLocaleString('en-US')} spans/s`,
      );
    }
  } finally {
    hook.close();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    runs,
    batch,
    offeredSpansPerSec: offered,
    loadShare,
    limitUsd: limits,
    alertsExpected: expected,
    alertsReceived: latencies.length,
    latencyMs: summarize(latencies),
    p99Ms: sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? Number.NaN,
    perRunP99Ms: perRunP99,
    spansPerSec: summarize(rates),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const smoke = process.argv.includes('--smoke');
  const jsonAt = process.argv.indexOf('--json');
  const ingest = await runIngest({ smoke });
  const mid = ingest.find((r) => r.batch === 500) ?? ingest[0]!;
  const alerts = await runAlerts({ smoke, batch: mid.batch, expectedSpansPerSec: mid.spansPerSec.median });
  const out = { ingest, alerts };
  console.log(JSON.stringify({ ...out, ingest: ingest.map(({ runs: _r, ...x }) => x) }, null, 2));
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(out, null, 2));
}
