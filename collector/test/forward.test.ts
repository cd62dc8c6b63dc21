/** Forwarding to an OTLP endpoint (e.g. Jaeger) on its own queue: a dead endpoint never blocks storage. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeJson } from '../src/receiver/decode.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const servers: Server[] = [];
afterAll(() => {
  for (const s of servers) s.closeAllConnections();
});

async function fakeOtlp(
  handler: (req: IncomingMessage, body: string) => number | undefined,
): Promise<string> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const status = handler(req, body);
      if (status !== undefined) res.writeHead(status).end('{}');
      // undefined: never answer (a hung endpoint)
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function payload(service: string, n: number) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            scope: { name: 'fwd', version: '2.0' },
            spans: Array.from({ length: n }, (_, i) => ({
              traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
              spanId: (i + 1).toString(16).padStart(16, '0'),
              name: 'chat gpt-4o-mini',
              kind: 3,
              startTimeUnixNano: now.toString(),
              endTimeUnixNano: (now + 10n).toString(),
              attributes: [
                { key: 'gen_ai.system', value: { stringValue: 'openai' } },
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                { key: 'gen_ai.usage.prompt_tokens', value: { intValue: '1000' } },
                { key: 'gen_ai.usage.completion_tokens', value: { intValue: '100' } },
                { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } } },
              ],
              status: { code: 1 },
            })),
          },
        ],
      },
    ],
  });
}

describe('forwarding', () => {
  it('forwards spans, enriched with the computed cost, to the OTLP endpoint', async () => {
    const received: string[] = [];
    const paths: string[] = [];
    const url = await fakeOtlp((req, body) => {
      paths.push(req.url ?? '');
      received.push(body);
      return 200;
    });
    const t = tempDir();
    const c = await startTestCollector(t.dir, `forward:\n  endpoint: ${url}\n`);
    try {
      const res = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload('fwd', 2),
      });
      expect(res.status).toBe(200);
      for (let i = 0; i < 200 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(paths[0]).toBe('/v1/traces');
      const decoded = decodeJson(received[0]!);
      expect(decoded.spans).toHaveLength(2);
      const s = decoded.spans[0]!;
      expect(s.scope).toMatchObject({ name: 'fwd', version: '2.0' });
      expect(s.statusCode).toBe(1);
      expect(s.attributes.get('gen_ai.usage.cost')?.t).toBe('d');
      expect(s.attributes.get('gen_ai.usage.input_tokens')).toEqual({ t: 'i', v: 1000 });
      expect(s.attributes.get('tags')).toEqual({
        t: 'a',
        v: [
          { t: 's', v: 'a' },
          { t: 'i', v: 2 },
        ],
      });
      expect(c.metrics.value('burnrate_spans_forwarded_total')).toBe(2);
    } finally {
      await c.close();
      t.cleanup();
    }
  });

  it('a hung endpoint does not slow ingestion; overflow is dropped and counted', async () => {
    const url = await fakeOtlp(() => undefined);
    const t = tempDir();
    const c = await startTestCollector(
      t.dir,
      `forward:\n  endpoint: ${url}/custom/path\n  timeout_ms: 5000\n  max_queue_spans: 5\n  batch_spans: 5\n`,
    );
    try {
      const started = Date.now();
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${c.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payload(`hung-${i}`, 5),
        });
        expect(res.status).toBe(200);
      }
      expect(Date.now() - started).toBeLessThan(2000);
      const stored = await rows<{ c: string }>(
        c.store.client,
        "SELECT count() c FROM burnrate.otel_traces WHERE startsWith(ServiceName, 'hung-')",
      );
      expect(Number(stored[0]!.c)).toBe(20);
      // One batch of 5 is in flight; the queue (5) holds the next; the other 10 were dropped.
      expect(c.metrics.value('burnrate_spans_forward_dropped_total')).toBe(10);
      expect(c.forwarder!.url).toBe(`${url}/custom/path`);
    } finally {
      await c.forwarder!.close(0);
      await c.close();
      t.cleanup();
    }
  });
});
