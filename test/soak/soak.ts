/**
 * Soak: runs the built `burnrate-collector` binary at a moderate, steady rate for SOAK_SECONDS, samples
 * its RSS (/proc), queue depth and spool size (/metrics) and the spool directory, then checks that
 * memory is flat (no sustained growth trend), that neither the queue nor the spool grows, and that
 * every acknowledged span is stored once. Prints a summary line `soak summary {...}`.
 *
 *   SOAK_SECONDS=1200 SOAK_RATE=2000 node test/soak/soak.ts     # the long run
 *
 * CI runs it for ~20 s through soak.test.ts. Only Node built-ins are used, so it runs as a plain script.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../collector/dist/main.js');

export interface SoakOptions {
  seconds: number;
  /** Spans per second offered. */
  rate: number;
  spansPerRequest?: number;
  sampleMs?: number;
  log?: (line: string) => void;
}

interface Sample {
  t: number;
  rssMiB: number;
  queue: number;
  spoolBytes: number;
  spoolFiles: number;
}

export interface SoakSummary {
  seconds: number;
  offeredRate: number;
  spansSent: number;
  spansAcked: number;
  spansRefused: number;
  spansStored: number;
  lost: number;
  duplicates: number;
  requestsFailed: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  /** Least-squares slope of RSS over the second half of the run, MiB per minute. */
  rssSlopeMiBPerMin: number;
  /** Mean RSS of the last quarter over the mean of the second quarter. */
  rssLateOverEarly: number;
  queueMax: number;
  queueEnd: number;
  spoolMaxBytes: number;
  spoolEndBytes: number;
  samples: number;
  problems: string[];
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function dirBytes(dir: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      files++;
      bytes += statSync(join(dir, name)).size;
    }
  } catch {
    // not created yet
  }
  return { bytes, files };
}

async function metrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(burnrate_[a-z_]+) (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function start(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`collector did not start: ${log}`)), 90_000);
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.length > 100_000) log = log.slice(-50_000);
      const m = /OTLP\/HTTP and API on ([\d.]+):(\d+)/.exec(log);
      if (m) {
        clearTimeout(t);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    });
    proc.on('exit', (code) => reject(new Error(`collector exited ${code}: ${log}`)));
  });
  return { proc, url };
}

export async function runSoak(o: SoakOptions): Promise<SoakSummary> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const perRequest = o.spansPerRequest ?? 50;
  const sampleMs = o.sampleMs ?? Math.max(500, Math.min(10_000, (o.seconds * 1000) / 120));
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-soak-'));
  const { proc, url } = await start({
    BURNRATE_DATA_DIR: dir,
    BURNRATE_HOST: '127.0.0.1',
    BURNRATE_PORT: '0',
    BURNRATE_GRPC_PORT: 'off',
    BURNRATE_CONFIG: '',
    BURNRATE_LOG_LEVEL: 'info',
  });
  const pid = proc.pid!;
  const samples: Sample[] = [];
  const acked = new Set<string>();
  let sent = 0;
  let refused = 0;
  let failed = 0;
  let seq = 0;
  const run = Date.now().toString(16).slice(-6);
  const t0 = Date.now();
  const deadline = t0 + o.seconds * 1000;
  const services = ['checkout', 'search', 'support'];
  const features = ['chat', 'summarize', 'classify', 'embed'];

  const sendOne = async () => {
    const ids = Array.from({ length: perRequest }, () => `${run}${(seq++).toString(16).padStart(10, '0')}`);
    const now = BigInt(Date.now()) * 1_000_000n;
    sent += ids.length;
    try {
      const res = await fetch(`${url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: {
                attributes: [{ key: 'service.name', value: { stringValue: services[seq % 3]! } }],
              },
              scopeSpans: [
                {
                  scope: { name: 'soak' },
                  spans: ids.map((id, i) => ({
                    traceId: `${id}${id}`,
                    spanId: id,
                    name: 'chat gpt-4o-mini',
                    kind: 3,
                    startTimeUnixNano: now.toString(),
                    endTimeUnixNano: (now + 800_000_000n).toString(),
                    attributes: [
                      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: 200 + i } },
                      { key: 'gen_ai.usage.output_tokens', value: { intValue: 20 } },
                      { key: 'burnrate.feature', value: { stringValue: features[i % 4]! } },
                      { key: 'user.id', value: { stringValue: `u${i % 50}` } },
                    ],
                  })),
                },
              ],
            },
          ],
        }),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) for (const id of ids) acked.add(id);
      else refused += ids.length;
    } catch {
      failed++;
    }
  };

  const sampler = setInterval(async () => {
    try {
      const m = await metrics(url);
      const spool = dirBytes(join(dir, 'spool'));
      samples.push({
        t: (Date.now() - t0) / 1000,
        rssMiB: rssMiB(pid),
        queue: m['burnrate_queue_spans'] ?? 0,
        spoolBytes: Math.max(spool.bytes, m['burnrate_spool_bytes'] ?? 0),
        spoolFiles: spool.files,
      });
    } catch {
      // a missed sample
    }
  }, sampleMs);

  // Open loop at the offered rate: one request every perRequest/rate seconds, at most 32 in flight.
  const interval = (perRequest / o.rate) * 1000;
  const inflight = new Set<Promise<void>>();
  let nextAt = Date.now();
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    if (inflight.size < 32) {
      const p = sendOne().finally(() => inflight.delete(p));
      inflight.add(p);
    }
    nextAt += interval;
    const wait = nextAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -1000) nextAt = Date.now();
    if (Date.now() - lastReport > 60_000) {
      lastReport = Date.now();
      const s = samples.at(-1);
      log(
        `soak t=${Math.round((Date.now() - t0) / 1000)}s acked=${acked.size} rss=${s?.rssMiB.toFixed(0)}MiB queue=${s?.queue} spool=${s?.spoolBytes}`,
      );
    }
  }
  await Promise.all(inflight);
  clearInterval(sampler);

  // Let the writer settle, then read what was stored through a clean shutdown + a fresh query process.
  const end = await metrics(url);
  const endSpool = dirBytes(join(dir, 'spool'));
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  const { openClickHouse } = await import('../../collector/src/store/client.ts');
  const store = await openClickHouse({
    user: 'default',
    password: '',
    embeddedPath: join(dir, 'clickhouse'),
  });
  let stored = 0;
  let duplicates = 0;
  let lost = 0;
  try {
    const rs = await store.client.query({
      query: 'SELECT SpanId id, count() n FROM burnrate.otel_traces GROUP BY SpanId',
      format: 'JSONEachRow',
    });
    const rowsOut = await rs.json<{ id: string; n: string }>();
    const have = new Set<string>();
    for (const r of rowsOut) {
      have.add(r.id);
      if (Number(r.n) > 1) duplicates++;
    }
    stored = have.size;
    for (const id of acked) if (!have.has(id)) lost++;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const second = samples.filter((s) => s.t >= o.seconds / 2);
  const q2 = samples.filter((s) => s.t >= o.seconds / 4 && s.t < o.seconds / 2).map((s) => s.rssMiB);
  const q4 = samples.filter((s) => s.t >= (o.seconds * 3) / 4).map((s) => s.rssMiB);
  const summary: SoakSummary = {
    seconds: o.seconds,
    offeredRate: o.rate,
    spansSent: sent,
    spansAcked: acked.size,
    spansRefused: refused,
    spansStored: stored,
    lost,
    duplicates,
    requestsFailed: failed,
    rssStartMiB: Math.round(samples[0]?.rssMiB ?? 0),
    rssPeakMiB: Math.round(Math.max(...samples.map((s) => s.rssMiB))),
    rssEndMiB: Math.round(samples.at(-1)?.rssMiB ?? 0),
    rssSlopeMiBPerMin: Number((slope(second.map((s) => [s.t / 60, s.rssMiB])) || 0).toFixed(2)),
    rssLateOverEarly: Number((mean(q4) / mean(q2)).toFixed(3)),
    queueMax: Math.max(...samples.map((s) => s.queue)),
    queueEnd: end['burnrate_queue_spans'] ?? -1,
    spoolMaxBytes: Math.max(...samples.map((s) => s.spoolBytes)),
    spoolEndBytes: endSpool.bytes,
    samples: samples.length,
    problems: [],
  };
  // Flat memory: RSS in the last quarter within 15% of the second quarter (after warm-up), and no
  // sustained climb over the second half. The queue stays bounded, the spool stays empty.
  // Short runs (CI) are still warming up the embedded engine's caches: a looser bound there.
  const maxGrowth = o.seconds >= 300 ? 1.15 : 1.5;
  if (summary.rssLateOverEarly > maxGrowth)
    summary.problems.push(`RSS grew more than ${Math.round((maxGrowth - 1) * 100)}% after warm-up`);
  if (o.seconds >= 600 && summary.rssSlopeMiBPerMin > 2) summary.problems.push('RSS keeps climbing');
  if (summary.queueMax > 100_000) summary.problems.push('queue beyond its limit');
  if (summary.spoolMaxBytes > 0) summary.problems.push('spans were spooled with healthy storage');
  if (summary.lost > 0) summary.problems.push(`${summary.lost} acknowledged spans lost`);
  if (summary.duplicates > 0) summary.problems.push(`${summary.duplicates} spans stored twice`);
  if (summary.spansAcked < summary.spansSent * 0.9) summary.problems.push('under 90% of spans acknowledged');
  log(`soak summary ${JSON.stringify(summary)}`);
  return summary;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const summary = await runSoak({
    seconds: Number(process.env['SOAK_SECONDS'] ?? 20),
    rate: Number(process.env['SOAK_RATE'] ?? 1000),
  });
  process.exit(summary.problems.length ? 1 : 0);
}
