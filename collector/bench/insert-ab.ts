/**
 * A/B of ClickHouse insert settings on the collector's real insert path (ClickHouseSink), interleaved:
 * the same normalized batches (5,000 generated spans each) inserted with and without extra settings;
 * per span: wall time and process CPU time (JS + ClickHouse threads; background merges land wherever
 * they happen, hence many alternations). Used to decide insert settings, kept to re-check them.
 *
 *   pnpm --filter @burnrate/collector build && node collector/bench/insert-ab.ts [batches=12] [spans=5000]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPricer } from '@burnrate/core';
import {
  ClickHouseSink,
  decodeProtobuf,
  migrate,
  normalizeSpan,
  openStore,
  parseConfig,
  schemaFor,
} from '../dist/index.js';
import { SpanGenerator } from './lib/otlp-gen.ts';

const BATCHES = Number(process.argv[2] ?? 12);
const SPANS = Number(process.argv[3] ?? 5000);
const dir = mkdtempSync(join(tmpdir(), 'burnrate-insert-ab-'));
const config = parseConfig(JSON.stringify({ data_dir: dir }), 'bench');
const store = await openStore(config);
const schema = schemaFor(config);
await migrate(store.client, schema);
const pricer = defaultPricer();
const gen = new SpanGenerator();

// variant B wraps the client so every INSERT gets extra settings
const EXTRA = process.env['AB_SETTINGS'] ?? 'optimize_on_insert = 0';
const clientB = new Proxy(store.client, {
  get(target, prop, recv) {
    if (prop === 'exec')
      return (p: { query: string }) =>
        target.exec({ ...p, query: p.query.replace(' SETTINGS ', ` SETTINGS ${EXTRA}, `) } as never);
    return Reflect.get(target, prop, recv);
  },
});
const sinks = { A: new ClickHouseSink(store.client, schema), B: new ClickHouseSink(clientB, schema) };
const acc = { A: { wall: 0, cpu: 0, n: 0 }, B: { wall: 0, cpu: 0, n: 0 } };
for (let i = 0; i < BATCHES; i++) {
  const rows = decodeProtobuf(gen.request(SPANS, i).body).spans.map((s) => normalizeSpan(s, pricer));
  const traces = rows.map((r) => r.trace);
  const spend = rows.flatMap((r) => (r.spend ? [r.spend] : []));
  for (const v of i % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sinks[v].insertBatch({ id: randomUUID(), traces, spend });
    acc[v].wall += performance.now() - t0;
    const c = process.cpuUsage(c0);
    acc[v].cpu += (c.user + c.system) / 1000;
    acc[v].n += traces.length;
  }
}
for (const [v, a] of Object.entries(acc))
  console.log(
    `${v === 'A' ? 'default' : EXTRA}: wall ${((a.wall / a.n) * 1000).toFixed(1)} µs/span, CPU ${((a.cpu / a.n) * 1000).toFixed(1)} µs/span`,
  );
await store.close();
rmSync(dir, { recursive: true, force: true });
