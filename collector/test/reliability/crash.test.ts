/**
 * Crash safety: the built collector is killed with SIGKILL in the middle of a sustained ingest, several
 * times, and restarted on the same data directory. Every span that got a 2xx must be stored exactly once
 * (the on-disk spool is replayed, inserts carry deduplication tokens), and no span is stored twice.
 *
 * Cycle 1 points the collector at a ClickHouse server that refuses connections, so every acknowledged
 * batch sits in the spool when the process is killed; the next cycles use the embedded store, which
 * replays that spool while new load arrives, and are killed mid-insert.
 *
 * Client side: several concurrent OTLP/HTTP clients send unique span ids and record the ids of every
 * request answered 2xx. Requests that fail (connection reset by the kill, 429/503) are not retried, so
 * their spans may or may not be stored (a batch killed mid-insert can be partly stored; an OTLP
 * exporter would retry it), but never twice.
 *
 * Long run: `CRASH_CYCLES=12 CRASH_CYCLE_MS=20000 pnpm vitest run collector/test/reliability/crash.test.ts`.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClickHouse } from '../../src/store/client.js';
import { rows, tempDir } from '../helpers.js';
import { ensureBuilt, metric, type RunningCollector, startBinary, until } from './proc.js';

const CYCLES = Number(process.env['CRASH_CYCLES'] ?? 3);
const CYCLE_MS = Number(process.env['CRASH_CYCLE_MS'] ?? 2500);
const CLIENTS = Number(process.env['CRASH_CLIENTS'] ?? 6);
const SPANS_PER_REQUEST = 40;

const tmp = tempDir('burnrate-crash-');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => tmp.cleanup());

async function refusingPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const RUN = Date.now().toString(16).slice(-6);
let next = 0;
const acked = new Set<string>();
const sent = { requests: 0, spans: 0, ok: 0, failed: 0, refused: 0 };

function body(ids: string[]): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'crash' } }] },
        scopeSpans: [
          {
            scope: { name: 'crash-test' },
            spans: ids.map((id) => ({
              traceId: `${id}${id}`,
              spanId: id,
              name: 'chat gpt-4o-mini',
              kind: 3,
              startTimeUnixNano: now.toString(),
              endTimeUnixNano: (now + 1_000_000n).toString(),
              attributes: [
                { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: 120 } },
                { key: 'gen_ai.usage.output_tokens', value: { intValue: 12 } },
              ],
            })),
          },
        ],
      },
    ],
  });
}

/** One client: sends until `stop()` is true, to whatever `target()` currently is. */
async function client(target: () => string | undefined, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const url = target();
    if (!url) {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    const ids = Array.from(
      { length: SPANS_PER_REQUEST },
      () => `${RUN}${(next++).toString(16).padStart(10, '0')}`,
    );
    sent.requests++;
    sent.spans += ids.length;
    try {
      const res = await fetch(`${url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(ids),
        signal: AbortSignal.timeout(15_000),
      });
      await res.arrayBuffer();
      if (res.status === 200) {
        sent.ok++;
        for (const id of ids) acked.add(id);
      } else {
        sent.refused++;
        await new Promise((r) => setTimeout(r, 50));
      }
    } catch {
      sent.failed++; // killed mid-request: unknown outcome, not retried
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

describe('SIGKILL during sustained ingest', () => {
  it(
    'every acknowledged span is stored exactly once after restarts',
    async () => {
      const config = join(tmp.dir, 'burnrate.yaml');
      writeFileSync(
        config,
        'writer:\n  batch_spans: 400\n  flush_interval_ms: 50\n  replay_interval_ms: 200\n  insert_attempts: 2\n  retry_base_ms: 20\n',
      );
      const baseEnv = {
        BURNRATE_DATA_DIR: join(tmp.dir, 'data'),
        BURNRATE_HOST: '127.0.0.1',
        BURNRATE_GRPC_PORT: 'off',
        BURNRATE_CONFIG: config,
        BURNRATE_LOG_LEVEL: 'info',
      };
      let current: RunningCollector | undefined;
      let url: string | undefined;
      let done = false;
      const clients = Array.from({ length: CLIENTS }, () =>
        client(
          () => url,
          () => done,
        ),
      );
      const kills: Array<{ cycle: number; acked: number; spool: number }> = [];
      try {
        for (let cycle = 1; cycle <= CYCLES; cycle++) {
          // Cycle 1: ClickHouse server unreachable -> everything acknowledged is in the spool.
          const env =
            cycle === 1
              ? { ...baseEnv, BURNRATE_CLICKHOUSE_URL: `http://127.0.0.1:${await refusingPort()}` }
              : baseEnv;
          current = await startBinary(env);
          url = current.url;
          const before = acked.size;
          await until(() => acked.size >= before + SPANS_PER_REQUEST * 4, 60_000, 'acknowledged load');
          await new Promise((r) => setTimeout(r, CYCLE_MS * (0.5 + Math.random())));
          const spool = await metric(url, 'burnrate_spool_batches').catch(() => -1);
          // Kill while requests are in flight.
          url = undefined;
          current.proc.kill('SIGKILL');
          await current.exited;
          kills.push({ cycle, acked: acked.size, spool });
          if (cycle === 1) expect(spool).toBeGreaterThan(0);
        }
        // Final run: let the spool drain while load continues, then stop load and shut down cleanly.
        current = await startBinary(baseEnv);
        url = current.url;
        const before = acked.size;
        await until(() => acked.size >= before + SPANS_PER_REQUEST * 4, 60_000, 'acknowledged load');
        done = true;
        await Promise.all(clients);
        await until(
          async () =>
            (await metric(current!.url, 'burnrate_spool_batches')) === 0 &&
            (await metric(current!.url, 'burnrate_queue_spans')) === 0,
          120_000,
          'spool replayed',
        );
        expect(await current.stop()).toBe(0);
      } finally {
        done = true;
        url = undefined;
        if (current && current.proc.exitCode === null) current.proc.kill('SIGKILL');
      }

      // Open the embedded store the collector left behind.
      const store = await openClickHouse({
        user: 'default',
        password: '',
        embeddedPath: join(baseEnv.BURNRATE_DATA_DIR, 'clickhouse'),
      });
      try {
        const dup = await rows<{ id: string; n: string }>(
          store.client,
          `SELECT SpanId id, count() n FROM burnrate.otel_traces GROUP BY SpanId HAVING n > 1 LIMIT 10`,
        );
        const dupSpend = await rows<{ id: string; n: string }>(
          store.client,
          `SELECT span_id id, count() n FROM burnrate.genai_spend GROUP BY span_id HAVING n > 1 LIMIT 10`,
        );
        const stored = new Set(
          (await rows<{ id: string }>(store.client, 'SELECT SpanId id FROM burnrate.otel_traces')).map(
            (r) => r.id,
          ),
        );
        const spend = new Set(
          (await rows<{ id: string }>(store.client, 'SELECT span_id id FROM burnrate.genai_spend')).map(
            (r) => r.id,
          ),
        );
        const spendRows = spend.size;
        const rollup = Number(
          (await rows<{ n: string }>(store.client, 'SELECT sum(requests) n FROM burnrate.genai_spend_1m'))[0]!
            .n,
        );
        const lost = [...acked].filter((id) => !stored.has(id));
        const lostSpend = [...acked].filter((id) => !spend.has(id));
        const summary = {
          cycles: CYCLES,
          kills,
          ...sent,
          spansAcked: acked.size,
          spansStored: stored.size,
          lost: lost.length,
          lostSpend: lostSpend.length,
          duplicates: dup.length,
          duplicateSpendRows: dupSpend.length,
          spendRows,
          rollupRequests: rollup,
        };
        console.log(`crash summary ${JSON.stringify(summary)}`);
        expect(kills).toHaveLength(CYCLES);
        expect(acked.size).toBeGreaterThan(SPANS_PER_REQUEST * 4 * (CYCLES + 1) - 1);
        expect(sent.failed).toBeGreaterThan(0); // the kills did interrupt requests
        expect(lost.slice(0, 5)).toEqual([]);
        expect(dup).toEqual([]);
        expect(dupSpend).toEqual([]);
        expect(lostSpend.slice(0, 5)).toEqual([]);
        // A request killed mid-insert was never acknowledged: its batch may be partly stored (traces but
        // not spend rows, or spend rows but not the rollup). Acknowledged spans are in all three, once.
        expect(rollup).toBeGreaterThanOrEqual(acked.size);
        expect(rollup).toBeLessThanOrEqual(spendRows);
        expect(spendRows).toBeLessThanOrEqual(stored.size);
      } finally {
        await store.close();
      }
    },
    Math.max(240_000, CYCLES * (CYCLE_MS * 1.5 + 60_000) + 180_000),
  );
});
