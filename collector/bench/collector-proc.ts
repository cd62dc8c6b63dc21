/**
 * The collector under test, in its own process: starts an in-process collector (embedded ClickHouse in
 * a fresh temp dir) with the config JSON given as argv[2] merged over the defaults, prints
 * `{"url": ...}` when ready, and on `stop` (stdin) drains, counts what ClickHouse holds, closes, deletes
 * the data dir and prints one JSON line with the counts, writer metrics, the process's peak RSS and
 * the CPU time it used between ready and stop (all threads: JS and the ClickHouse engine).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig, startCollector } from '../dist/index.js';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-collector-'));
const base = parseConfig(JSON.stringify(overrides), 'bench');
const collector = await startCollector({
  ...base,
  data_dir: dir,
  log_level: 'warn',
  server: { ...base.server, host: '127.0.0.1', port: 0, grpc_port: false },
});
const rssAtStartMiB = process.memoryUsage().rss / 1048576;
const cpuAtStart = process.cpuUsage();
let sampledPeakMiB = rssAtStartMiB;
let peakHeapMiB = 0;
let peakExternalMiB = 0;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  sampledPeakMiB = Math.max(sampledPeakMiB, m.rss / 1048576);
  peakHeapMiB = Math.max(peakHeapMiB, m.heapUsed / 1048576);
  peakExternalMiB = Math.max(peakExternalMiB, (m.external + m.arrayBuffers) / 1048576);
}, 100);
sampler.unref();
console.log(JSON.stringify({ url: collector.url, rssAtStartMiB }));

async function count(sql: string): Promise<number> {
  const rs = await collector.store.client.query({ query: sql, format: 'JSONEachRow' });
  return Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  if (line.trim() !== 'stop') return;
  rl.close();
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpuAtStart);
  await collector.writer.drain();
  const traces = await count('SELECT count() AS c FROM burnrate.otel_traces');
  const spend = await count('SELECT count() AS c FROM burnrate.genai_spend');
  const metrics = collector.metrics.render();
  const metric = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics);
    return m ? Number(m[1]) : 0;
  };
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      traces,
      spend,
      spooled: metric('burnrate_spans_spooled_total'),
      insertErrors: metric('burnrate_insert_errors_total'),
      peakRssMiB,
      sampledPeakMiB,
      peakHeapMiB,
      peakExternalMiB,
      rssAtStartMiB,
      cpuUserS: cpu.user / 1e6,
      cpuSystemS: cpu.system / 1e6,
    }),
  );
  process.exit(0);
});
