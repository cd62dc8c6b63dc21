/**
 * Storage outage: while ClickHouse fails, spans are acknowledged from the on-disk spool; when it is
 * back, every span is stored exactly once, including a batch whose insert committed but reported an
 * error (the ambiguous case), and including batches spooled before a collector restart.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Collector } from '../src/collector.js';
import type { Batch, BatchSink } from '../src/store/batch.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Wraps the real sink: `down` fails every insert; `commitThenFail` writes, then reports an error. */
class FlakySink implements BatchSink {
  down = false;
  commitThenFail = 0;
  attempts = 0;
  constructor(private readonly inner: BatchSink) {}
  async insertBatch(batch: Batch): Promise<void> {
    this.attempts++;
    if (this.commitThenFail > 0) {
      this.commitThenFail--;
      await this.inner.insertBatch(batch);
      throw new Error('timeout after commit (simulated)');
    }
    if (this.down) throw new Error('connect ECONNREFUSED (simulated)');
    await this.inner.insertBatch(batch);
  }
}

const YAML = `writer:\n  insert_attempts: 2\n  retry_base_ms: 5\n  retry_max_ms: 10\n  replay_interval_ms: 50\n  batch_spans: 50\n`;

let counter = 0;
function request(service: string, spans: number) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'outage-test' },
            spans: Array.from({ length: spans }, (_, i) => {
              const id = (++counter).toString(16).padStart(16, '0');
              return {
                traceId: `${id}${id}`,
                spanId: id,
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: (now + BigInt(i)).toString(),
                endTimeUnixNano: (now + 1_000_000n).toString(),
                attributes: [
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: 100 } },
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: 10 } },
                ],
              };
            }),
          },
        ],
      },
    ],
  };
}

async function send(c: Collector, service: string, spans: number): Promise<number> {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request(service, spans)),
  });
  await res.arrayBuffer();
  return res.status;
}

async function counts(c: Collector, service: string) {
  const q = async (sql: string) =>
    Number((await rows<{ c: string }>(c.store.client, sql, { s: service }))[0]!.c);
  return {
    traces: await q('SELECT count() c FROM burnrate.otel_traces WHERE ServiceName = {s:String}'),
    distinctTraces: await q(
      'SELECT uniqExact(SpanId) c FROM burnrate.otel_traces WHERE ServiceName = {s:String}',
    ),
    spend: await q('SELECT count() c FROM burnrate.genai_spend WHERE service_name = {s:String}'),
    rollup: await q('SELECT sum(requests) c FROM burnrate.genai_spend_1m WHERE service_name = {s:String}'),
  };
}

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const spoolFiles = () => readdirSync(join(tmp.dir, 'spool')).filter((f) => f.endsWith('.json'));

describe('ClickHouse outage', () => {
  it('spools while ClickHouse fails, then stores every span exactly once', async () => {
    let flaky!: FlakySink;
    const c = await startTestCollector(tmp.dir, YAML, { wrapSink: (s) => (flaky = new FlakySink(s)) });
    try {
      // The ambiguous case: the first batch lands in ClickHouse but the insert reports an error.
      flaky.commitThenFail = 1;
      flaky.down = true;
      for (let i = 0; i < 6; i++) expect(await send(c, 'outage', 20)).toBe(200);
      expect(spoolFiles().length).toBeGreaterThan(0);
      expect(c.metrics.value('burnrate_spans_spooled_total')).toBe(120);
      const during = await counts(c, 'outage');
      expect(during.traces).toBeLessThan(120);
      const ready = (await (await fetch(`${c.url}/readyz`)).json()) as { spooling: boolean };
      expect(ready.spooling).toBe(true);

      flaky.down = false;
      await until(() => spoolFiles().length === 0 && c.writer.storageHealthy);
      expect(await counts(c, 'outage')).toEqual({
        traces: 120,
        distinctTraces: 120,
        spend: 120,
        rollup: 120,
      });
      expect(c.metrics.value('burnrate_spans_replayed_total')).toBe(120);
      // Writes after recovery go straight to ClickHouse.
      expect(await send(c, 'outage', 5)).toBe(200);
      expect((await counts(c, 'outage')).traces).toBe(125);
    } finally {
      await c.close();
    }
  });

  it('replays batches spooled before a restart, once', async () => {
    let flaky!: FlakySink;
    const c1 = await startTestCollector(tmp.dir, YAML, { wrapSink: (s) => (flaky = new FlakySink(s)) });
    flaky.down = true;
    for (let i = 0; i < 3; i++) expect(await send(c1, 'restart', 10)).toBe(200);
    await c1.close();
    expect(spoolFiles().length).toBeGreaterThan(0);

    const c2 = await startTestCollector(tmp.dir, YAML);
    try {
      await until(() => spoolFiles().length === 0);
      expect(await counts(c2, 'restart')).toEqual({ traces: 30, distinctTraces: 30, spend: 30, rollup: 30 });
      // Data from before the restart is still there.
      expect((await counts(c2, 'outage')).traces).toBe(125);
    } finally {
      await c2.close();
    }
  });

  it('answers 503 with Retry-After when ClickHouse is down and the spool is full', async () => {
    let flaky!: FlakySink;
    const c = await startTestCollector(tmp.dir, `${YAML}  spool_max_bytes: 100\n`, {
      wrapSink: (s) => (flaky = new FlakySink(s)),
    });
    try {
      flaky.down = true;
      const res = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request('full', 3)),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await res.json()) as { message: string }).message).toMatch(/spool full/);
      flaky.down = false;
      expect(await send(c, 'full', 3)).toBe(200);
      expect((await counts(c, 'full')).traces).toBe(3);
    } finally {
      await c.close();
    }
  });

  it('answers 429 with Retry-After when the queue is full', async () => {
    const c = await startTestCollector(tmp.dir, 'writer:\n  max_queue_spans: 10\n');
    try {
      const res = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request('queue', 11)),
      });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await send(c, 'queue', 10)).toBe(200);
    } finally {
      await c.close();
    }
  });

  it('spools when a ClickHouse server refuses connections, even at start', async () => {
    const dir = tempDir();
    const c = await startTestCollector(
      dir.dir,
      'clickhouse:\n  url: http://127.0.0.1:1\n  request_timeout_ms: 2000\n' + YAML,
    );
    try {
      expect(await send(c, 'refused', 4)).toBe(200);
      expect(readdirSync(join(dir.dir, 'spool')).filter((f) => f.endsWith('.json')).length).toBe(1);
      expect(c.metrics.value('burnrate_spans_spooled_total')).toBe(4);
    } finally {
      await c.close();
      dir.cleanup();
    }
  });
});
