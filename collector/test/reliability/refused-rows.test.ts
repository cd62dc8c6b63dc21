/**
 * Rows ClickHouse refuses for their data (a value it cannot parse), as opposed to ClickHouse being
 * unavailable. The collector repairs every value it knows to be unstorable (poison-values.test.ts); this
 * covers the next kind nobody has thought of yet. Before the fix, one such row failed its whole batch
 * (other clients' spans included): the batch was spooled, replayed and refused forever, and the spans
 * acknowledged with it were never stored. Now the batch is split until the refused rows are alone; they
 * are kept in spool/bad/ with the error, everything else is stored once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector.js';
import type { Batch, BatchSink } from '../../src/store/batch.js';
import { otlpJsonRequest, rows, startTestCollector, tempDir } from '../helpers.js';

const tmp = tempDir('burnrate-refused-');
afterAll(() => tmp.cleanup());

/** The real sink, but a span named "poison" gets a Duration ClickHouse cannot parse; `down` refuses all. */
class CorruptingSink implements BatchSink {
  down = false;
  constructor(private readonly inner: BatchSink) {}
  insertBatch(batch: Batch): Promise<void> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8123 (simulated)'));
    const traces = batch.traces.map((t) =>
      (t as { SpanName?: string }).SpanName === 'poison' ? { ...t, Duration: 'not a number' } : t,
    );
    return this.inner.insertBatch({ ...batch, traces });
  }
}

async function send(c: Collector, body: unknown): Promise<number> {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

async function stored(c: Collector, service: string) {
  const count = async (sql: string) =>
    Number((await rows<{ n: string }>(c.store.client, sql, { s: service }))[0]!.n);
  return {
    traces: await count('SELECT count() AS n FROM burnrate.otel_traces WHERE ServiceName = {s:String}'),
    spend: await count('SELECT count() AS n FROM burnrate.genai_spend WHERE service_name = {s:String}'),
  };
}

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const badFiles = (c: Collector) => {
  const bad = join(c.config.data_dir, 'spool', 'bad');
  try {
    return readdirSync(bad).map((f) => readFileSync(join(bad, f), 'utf8'));
  } catch {
    return [];
  }
};

describe('rows ClickHouse refuses', () => {
  it('one refused row costs only itself: the rest of its batch is stored, the row is kept in spool/bad/', async () => {
    let sink!: CorruptingSink;
    const c = await startTestCollector(
      `${tmp.dir}/live`,
      'writer:\n  insert_attempts: 1\n  replay_interval_ms: 100\n  batch_spans: 1000\n  flush_interval_ms: 50\n',
      { wrapSink: (s) => (sink = new CorruptingSink(s)) },
    );
    try {
      const names = Array.from({ length: 20 }, (_, i) => (i === 13 ? 'poison' : 'chat gpt-4o-mini'));
      expect(await send(c, otlpJsonRequest('live', names))).toBe(200);
      await until(async () => (await stored(c, 'live')).traces === 19, 30_000, 'the 19 good spans');
      // The poison span's own spend row is fine: only its trace row was refused.
      expect(await stored(c, 'live')).toEqual({ traces: 19, spend: 20 });
      const bad = badFiles(c);
      expect(bad).toHaveLength(1);
      expect(bad[0]).toContain('"poison"');
      expect(bad[0]).toMatch(/CANNOT_PARSE|Cannot parse/);
      expect(c.metrics.value('burnrate_spans_refused_total')).toBe(1);
      // Nothing waits in the spool, and the next request goes straight in.
      await until(async () => c.writer['o'].spool!.count === 0, 30_000, 'an empty spool');
      expect(await send(c, otlpJsonRequest('live', ['chat gpt-4o-mini']))).toBe(200);
      expect((await stored(c, 'live')).traces).toBe(20);
      expect(c.writer.storageHealthy).toBe(true);
      expect(sink.down).toBe(false);
    } finally {
      await c.close();
    }
  }, 60_000);

  it('a spooled batch with a refused row replays the rest once ClickHouse is back, exactly once', async () => {
    let sink!: CorruptingSink;
    const c = await startTestCollector(
      `${tmp.dir}/spooled`,
      'writer:\n  insert_attempts: 1\n  replay_interval_ms: 100\n  batch_spans: 1000\n  flush_interval_ms: 50\n',
      { wrapSink: (s) => (sink = new CorruptingSink(s)) },
    );
    try {
      sink.down = true;
      expect(await send(c, otlpJsonRequest('spooled', ['a', 'poison', 'b', 'c']))).toBe(200);
      expect(await send(c, otlpJsonRequest('spooled', ['d', 'e']))).toBe(200);
      expect(c.writer['o'].spool!.count).toBeGreaterThan(0);
      sink.down = false;
      await until(async () => c.writer['o'].spool!.count === 0, 30_000, 'the spool to drain');
      expect(await stored(c, 'spooled')).toEqual({ traces: 5, spend: 6 });
      const dupes = await rows<{ n: string }>(
        c.store.client,
        "SELECT count() AS n FROM (SELECT SpanId FROM burnrate.otel_traces WHERE ServiceName = 'spooled' GROUP BY SpanId HAVING count() > 1)",
      );
      expect(Number(dupes[0]!.n)).toBe(0);
      expect(badFiles(c)).toHaveLength(1);
      expect(c.metrics.value('burnrate_spans_refused_total')).toBe(1);
    } finally {
      await c.close();
    }
  }, 60_000);
});
