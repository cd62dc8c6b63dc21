/**
 * Storage faults under load: ClickHouse unreachable for a while, slow, and failing part of its inserts
 * (some of them after committing), wrapped around the real embedded store with a time schedule. While
 * clients keep sending:
 * - nothing acknowledged is lost and nothing is stored twice;
 * - memory stays bounded: the queue never exceeds its limit, excess load is shed with 429/503 and a
 *   Retry-After header;
 * - ingest recovers by itself: once the faults stop, spans go straight to ClickHouse again and the spool
 *   drains to empty.
 *
 * `FAULT_SCALE` stretches every phase (CI: 1, about 12 s of load; the long run used 5).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector.js';
import type { Batch, BatchSink } from '../../src/store/batch.js';
import { rows, startTestCollector, tempDir } from '../helpers.js';

const SCALE = Number(process.env['FAULT_SCALE'] ?? 1);
const tmp = tempDir('burnrate-faults-');
afterAll(() => tmp.cleanup());

type Mode = 'ok' | 'down' | 'slow' | 'flaky';

/** The real sink behind a fault schedule. */
class ScheduledSink implements BatchSink {
  mode: Mode = 'ok';
  slowMs = 400;
  failRate = 0.4;
  readonly seen: Record<Mode, number> = { ok: 0, down: 0, slow: 0, flaky: 0 };
  constructor(private readonly inner: BatchSink) {}
  async insertBatch(batch: Batch): Promise<void> {
    this.seen[this.mode]++;
    switch (this.mode) {
      case 'down':
        throw new Error('connect ECONNREFUSED 127.0.0.1:8123 (simulated)');
      case 'slow':
        await new Promise((r) => setTimeout(r, this.slowMs));
        return this.inner.insertBatch(batch);
      case 'flaky': {
        const roll = Math.random();
        if (roll < this.failRate / 2) throw new Error('Code: 202. Too many simultaneous queries (simulated)');
        if (roll < this.failRate) {
          await this.inner.insertBatch(batch);
          throw new Error('socket hang up after commit (simulated)');
        }
        return this.inner.insertBatch(batch);
      }
      default:
        return this.inner.insertBatch(batch);
    }
  }
}

interface Load {
  acked: Set<string>;
  statuses: Map<number, number>;
  retryAfter: Set<string>;
  maxDepth: number;
  stop(): Promise<void>;
}

let next = 0;
function startLoad(c: Collector, service: string, clients: number, spans: number, pauseMs = 0): Load {
  const acked = new Set<string>();
  const statuses = new Map<number, number>();
  const retryAfter = new Set<string>();
  let stopping = false;
  const load: Load = { acked, statuses, retryAfter, maxDepth: 0, stop: async () => {} };
  const sampler = setInterval(() => {
    load.maxDepth = Math.max(load.maxDepth, c.writer.depth);
  }, 5);
  const one = async () => {
    while (!stopping) {
      const ids = Array.from({ length: spans }, () => (++next).toString(16).padStart(16, '0'));
      const now = BigInt(Date.now()) * 1_000_000n;
      const res = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
              scopeSpans: [
                {
                  spans: ids.map((id) => ({
                    traceId: `${id}${id}`,
                    spanId: id,
                    name: 'chat gpt-4o-mini',
                    startTimeUnixNano: now.toString(),
                    endTimeUnixNano: (now + 1000n).toString(),
                    attributes: [
                      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: 50 } },
                      { key: 'gen_ai.usage.output_tokens', value: { intValue: 5 } },
                    ],
                  })),
                },
              ],
            },
          ],
        }),
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 200) {
        for (const id of ids) acked.add(id);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      } else {
        expect([429, 503]).toContain(res.status);
        const ra = res.headers.get('retry-after');
        expect(ra).toMatch(/^[1-9]\d*$/);
        retryAfter.add(ra!);
        // A real exporter waits Retry-After seconds; the test backs off briefly to keep the pressure on.
        await new Promise((r) => setTimeout(r, 30));
      }
    }
  };
  const running = Array.from({ length: clients }, one);
  // Safe to call twice (the test body, then its cleanup); a client's failed assertion is rethrown.
  load.stop = async () => {
    stopping = true;
    const settled = await Promise.allSettled(running);
    clearInterval(sampler);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  return load;
}

/** The collector's state, for the message of a wait that timed out. */
function state(c: Collector, load?: Load): string {
  const spool = c.writer['o'].spool!;
  const statuses = load ? JSON.stringify(Object.fromEntries(load.statuses)) : '-';
  return `healthy=${c.writer.storageHealthy} depth=${c.writer.depth} spool=${spool.count} batches/${spool.sizeBytes} B acked=${load?.acked.size ?? '-'} statuses=${statuses}`;
}

async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  describeState: () => string = () => '',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}: ${describeState()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function verifyStored(c: Collector, service: string, acked: Set<string>) {
  const ids = await rows<{ id: string; n: string }>(
    c.store.client,
    'SELECT SpanId id, count() n FROM burnrate.otel_traces WHERE ServiceName = {s:String} GROUP BY id',
    { s: service },
  );
  const stored = new Map(ids.map((r) => [r.id, Number(r.n)]));
  const spend = Number(
    (
      await rows<{ n: string }>(
        c.store.client,
        'SELECT count() n FROM burnrate.genai_spend WHERE service_name = {s:String}',
        { s: service },
      )
    )[0]!.n,
  );
  const rollup = Number(
    (
      await rows<{ n: string }>(
        c.store.client,
        'SELECT sum(requests) n FROM burnrate.genai_spend_1m WHERE service_name = {s:String}',
        { s: service },
      )
    )[0]!.n,
  );
  const lost = [...acked].filter((id) => !stored.has(id)).length;
  const duplicates = [...stored.values()].filter((n) => n > 1).length;
  return { acked: acked.size, stored: stored.size, lost, duplicates, spend, rollup };
}

const phase = (ms: number) => new Promise((r) => setTimeout(r, ms * SCALE));

describe('storage faults under load', () => {
  it(
    'down, slow and flaky ClickHouse: nothing acknowledged lost, bounded queue, recovers by itself',
    async () => {
      const dir = tmp.dir;
      let sink!: ScheduledSink;
      const MAX_QUEUE = 200;
      const c = await startTestCollector(
        dir,
        `writer:\n  batch_spans: 300\n  flush_interval_ms: 20\n  max_queue_spans: ${MAX_QUEUE}\n  insert_attempts: 2\n  retry_base_ms: 10\n  retry_max_ms: 50\n  replay_interval_ms: 100\n`,
        { wrapSink: (s) => (sink = new ScheduledSink(s)) },
      );
      const rssStart = process.memoryUsage().rss;
      const heapStart = process.memoryUsage().heapUsed;
      let rssPeak = rssStart;
      let heapPeak = heapStart;
      const rssSampler = setInterval(() => {
        const m = process.memoryUsage();
        rssPeak = Math.max(rssPeak, m.rss);
        heapPeak = Math.max(heapPeak, m.heapUsed);
      }, 50);
      let load: Load | undefined;
      try {
        const l = startLoad(c, 'faults', 6, 50, 20);
        load = l;
        const progress = setInterval(() => {
          if (process.env['FAULT_DEBUG']) console.log(`progress ${sink.mode} ${state(c, l)}`);
        }, 1000);
        await phase(1000);
        sink.mode = 'slow';
        await phase(3000);
        sink.mode = 'down';
        await phase(2500);
        expect(c.writer.storageHealthy).toBe(false);
        expect(c.metrics.value('burnrate_spans_spooled_total')).toBeGreaterThan(0);
        sink.mode = 'flaky';
        await phase(3000);
        sink.mode = 'ok';
        await until(
          () => c.writer.storageHealthy && c.writer['o'].spool!.count === 0,
          60_000 * SCALE,
          'recovery',
          () => state(c, l),
        );
        // Recovered by itself: new spans go straight to ClickHouse, not to the spool.
        const spooledBefore = c.metrics.value('burnrate_spans_spooled_total');
        const writtenBefore = c.metrics.value('burnrate_spans_written_total');
        await phase(1000);
        await load.stop();
        clearInterval(progress);
        await c.writer.drain();
        expect(c.metrics.value('burnrate_spans_spooled_total')).toBe(spooledBefore);
        expect(c.metrics.value('burnrate_spans_written_total')).toBeGreaterThan(writtenBefore);

        const r = await verifyStored(c, 'faults', load.acked);
        const summary = {
          ...r,
          statuses: Object.fromEntries(load.statuses),
          retryAfter: [...load.retryAfter],
          maxQueueDepth: load.maxDepth,
          inserts: sink.seen,
          spooled: c.metrics.value('burnrate_spans_spooled_total'),
          replayed: c.metrics.value('burnrate_spans_replayed_total'),
          rssGrowthMiB: Math.round((rssPeak - rssStart) / 2 ** 20),
          heapGrowthMiB: Math.round((heapPeak - heapStart) / 2 ** 20),
        };
        console.log(`storage faults summary ${JSON.stringify(summary)}`);
        expect(r.lost).toBe(0);
        expect(r.duplicates).toBe(0);
        expect(r.stored).toBeGreaterThanOrEqual(r.acked);
        // Every acknowledged span counted once in genai_spend and the rollup (commit-then-fail included).
        expect(r.spend).toBe(r.stored);
        expect(r.rollup).toBe(r.stored);
        expect(load.maxDepth).toBeLessThanOrEqual(MAX_QUEUE);
        // The slow phase shed load with 429 + Retry-After.
        expect(load.statuses.get(429) ?? 0).toBeGreaterThan(0);
        expect(sink.seen.down + sink.seen.slow + sink.seen.flaky).toBeGreaterThan(3);
        expect(r.acked).toBeGreaterThan(1000);
        // Bounded: the queue (200 spans) and the fsynced spool hold the backlog, not the JS heap. (RSS
        // also counts the in-process ClickHouse engine's caches, so it is reported, not asserted.)
        expect(heapPeak - heapStart).toBeLessThan(256 * 2 ** 20);
      } finally {
        clearInterval(rssSampler);
        await load?.stop().catch(() => {});
        await c.close();
      }
    },
    120_000 * SCALE,
  );

  it('spool full while ClickHouse is down: 503 with Retry-After, then recovery without loss', async () => {
    const dir = tmp.dir; // one embedded data directory per process
    let sink!: ScheduledSink;
    const c = await startTestCollector(
      dir,
      'writer:\n  batch_spans: 100\n  flush_interval_ms: 10\n  insert_attempts: 1\n  replay_interval_ms: 100\n  spool_max_bytes: 200000\n',
      { wrapSink: (s) => (sink = new ScheduledSink(s)) },
    );
    let load: Load | undefined;
    try {
      sink.mode = 'down';
      load = startLoad(c, 'spool-full', 4, 25);
      const l = load;
      const now = () => state(c, l);
      await until(() => (l.statuses.get(503) ?? 0) > 5, 60_000, '503 answers', now);
      expect(c.writer['o'].spool!.sizeBytes).toBeLessThanOrEqual(200_000);
      expect([...load.retryAfter].every((s) => Number(s) >= 1)).toBe(true);
      sink.mode = 'ok';
      await until(
        () => c.writer.storageHealthy && c.writer['o'].spool!.count === 0,
        120_000,
        'recovery',
        now,
      );
      const okBefore = load.statuses.get(200) ?? 0;
      await until(() => (l.statuses.get(200) ?? 0) > okBefore + 10, 60_000, 'accepted again', now);
      await load.stop();
      await c.writer.drain();
      const r = await verifyStored(c, 'spool-full', load.acked);
      console.log(
        `spool full summary ${JSON.stringify({ ...r, statuses: Object.fromEntries(load.statuses) })}`,
      );
      expect(r.lost).toBe(0);
      expect(r.duplicates).toBe(0);
      expect(r.spend).toBe(r.stored);
      expect(r.rollup).toBe(r.stored);
    } finally {
      await load?.stop().catch(() => {});
      await c.close();
    }
  }, 300_000); // generous: CI machines are shared and the embedded engine competes for 2 cores

  it('once ClickHouse answers again, new spans go to it at once while the spool still replays', async () => {
    let sink!: ScheduledSink;
    const c = await startTestCollector(
      tmp.dir,
      'writer:\n  batch_spans: 50\n  flush_interval_ms: 10\n  insert_attempts: 1\n  replay_interval_ms: 50\n',
      { wrapSink: (s) => (sink = new ScheduledSink(s)) },
    );
    const loads: Load[] = [];
    try {
      sink.mode = 'down';
      const load = startLoad(c, 'recover', 4, 50);
      loads.push(load);
      await until(
        () => c.writer['o'].spool!.count >= 30,
        30_000,
        '30 spooled batches',
        () => state(c, load),
      );
      await load.stop();
      // ClickHouse is back, but slow: replaying 30 batches takes 9 s or more.
      sink.mode = 'slow';
      sink.slowMs = 300;
      await until(
        () => c.metrics.value('burnrate_spans_replayed_total') > 0,
        30_000,
        'first replayed batch',
        () => state(c),
      );
      const spooled = c.metrics.value('burnrate_spans_spooled_total');
      const more = startLoad(c, 'recover', 2, 50);
      loads.push(more);
      await until(
        () => more.acked.size >= 200,
        30_000,
        'new spans acknowledged',
        () => state(c, more),
      );
      await more.stop();
      // Before the fix, every new batch went to the spool until the whole backlog was replayed.
      expect(c.metrics.value('burnrate_spans_spooled_total')).toBe(spooled);
      expect(c.writer['o'].spool!.count).toBeGreaterThan(0);
      await until(
        () => c.writer['o'].spool!.count === 0,
        60_000,
        'spool drained',
        () => state(c),
      );
      const r = await verifyStored(c, 'recover', new Set([...load.acked, ...more.acked]));
      expect(r.lost).toBe(0);
      expect(r.duplicates).toBe(0);
      expect(r.rollup).toBe(r.stored);
    } finally {
      for (const l of loads) await l.stop().catch(() => {});
      await c.close();
    }
  }, 120_000);
});
