/**
 * Shutdown under load: exporters that keep sending on keep-alive connections must not hold the
 * collector open. Before the fix, `close()` waited for every connection to go idle, which never
 * happens while clients send back to back, so SIGTERM (and a failing test's cleanup) hung forever.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { otlpJsonRequest, rows, startTestCollector, tempDir } from '../helpers.js';

const tmp = tempDir('burnrate-shutdown-');
afterAll(() => tmp.cleanup());

describe('collector shutdown', () => {
  it('close() completes while exporters keep sending, and acknowledged spans are stored', async () => {
    const c = await startTestCollector(tmp.dir);
    let stop = false;
    let n = 0;
    const acked: number[] = [];
    const outcomes = new Map<string, number>();
    const client = async () => {
      while (!stop) {
        const i = ++n;
        try {
          const res = await fetch(`${c.url}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(otlpJsonRequest('shutdown', ['chat gpt-4o-mini'])),
          });
          await res.arrayBuffer();
          outcomes.set(String(res.status), (outcomes.get(String(res.status)) ?? 0) + 1);
          if (res.status === 200) acked.push(i);
        } catch {
          // The collector went away: what a real exporter sees at shutdown.
          outcomes.set('refused', (outcomes.get('refused') ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    try {
      while (acked.length < 50) await new Promise((r) => setTimeout(r, 20));
      const closed = c.close().then(() => 'closed');
      const hung = new Promise((r) => setTimeout(() => r('still open after 30 s'), 30_000).unref());
      expect(await Promise.race([closed, hung])).toBe('closed');
      expect(outcomes.get('200')).toBeGreaterThanOrEqual(50);
    } finally {
      stop = true;
      await Promise.all(clients);
      await c.close();
    }
    // Every span acknowledged before or during shutdown is in ClickHouse (reopened on the same directory).
    const again = await startTestCollector(tmp.dir);
    try {
      const [row] = await rows<{ n: string }>(
        again.store.client,
        'SELECT count() AS n FROM burnrate.otel_traces',
      );
      expect(Number(row?.n)).toBe(acked.length);
    } finally {
      await again.close();
    }
  }, 90_000);
});
