/**
 * Bad input gets a clear error and costs nothing else: after each refused request, valid spans from
 * another client are still stored.
 */
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../src/collector.js';
import { ExportTraceServiceRequest, RpcStatus } from '../src/receiver/otlp-proto.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const TOKEN = 'ingest-secret';
const LIMIT = 256 * 1024;
const tmp = tempDir();
let collector: Collector;
let good = 0;

beforeAll(async () => {
  collector = await startTestCollector(
    tmp.dir,
    `server:\n  max_body_bytes: ${LIMIT}\nauth:\n  ingest_token: ${TOKEN}\n`,
  );
});
afterAll(async () => {
  await collector.close();
  tmp.cleanup();
});

const auth = { authorization: `Bearer ${TOKEN}` };

function otlpJson(spanId: string, extra: Record<string, unknown> = {}) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'good-client' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: [
              {
                traceId: '5b8efff798038103d269b633813fc60c',
                spanId,
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: now.toString(),
                endTimeUnixNano: (now + 1_000_000n).toString(),
                attributes: [
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: '100' } },
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: 10 } },
                ],
                ...extra,
              },
            ],
          },
        ],
      },
    ],
  };
}

/** A valid request from another client, then the count of its spans in both tables. */
async function goodClientStillWorks(): Promise<void> {
  good++;
  const spanId = good.toString(16).padStart(16, '0');
  const res = await fetch(`${collector.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify(otlpJson(spanId)),
  });
  expect(res.status).toBe(200);
  const t = await rows<{ c: string }>(
    collector.store.client,
    "SELECT count() c FROM burnrate.otel_traces WHERE ServiceName = 'good-client'",
  );
  const s = await rows<{ c: string }>(
    collector.store.client,
    "SELECT count() c FROM burnrate.genai_spend WHERE service_name = 'good-client'",
  );
  expect(Number(t[0]!.c)).toBe(good);
  expect(Number(s[0]!.c)).toBe(good);
}

function post(body: Buffer | string, headers: Record<string, string>) {
  return fetch(`${collector.url}/v1/traces`, { method: 'POST', headers: { ...auth, ...headers }, body });
}

describe('bad input', () => {
  it('malformed protobuf: 400 with a google.rpc.Status message', async () => {
    const res = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    const status = RpcStatus.decode(new Uint8Array(await res.arrayBuffer())) as unknown as {
      message: string;
    };
    expect(status.message).toMatch(/invalid OTLP protobuf/);
    await goodClientStillWorks();
  });

  it('malformed JSON: 400 with a message', async () => {
    const res = await post('{"resourceSpans": [', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/invalid JSON/);
    await goodClientStillWorks();
  });

  it('JSON of the wrong shape: 400 naming the field', async () => {
    const res = await post(
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: 1 }] }] }] }),
      {
        'content-type': 'application/json',
      },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(
      /resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId/,
    );
    await goodClientStillWorks();
  });

  it('invalid span ids: partial success, the valid spans are stored', async () => {
    const body = otlpJson('00000000000000ff');
    const bad = structuredClone(body.resourceSpans[0]!.scopeSpans[0]!.spans[0]!) as Record<string, unknown>;
    bad['spanId'] = 'abcd';
    body.resourceSpans[0]!.scopeSpans[0]!.spans.push(bad as never);
    const res = await post(JSON.stringify(body), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(json.partialSuccess.rejectedSpans).toBe('1');
    expect(json.partialSuccess.errorMessage).toMatch(/spanId must be 8 bytes/);
    const stored = await rows<{ c: string }>(
      collector.store.client,
      "SELECT count() c FROM burnrate.otel_traces WHERE SpanId = '00000000000000ff'",
    );
    expect(Number(stored[0]!.c)).toBe(1);
    good++; // that span came from the good client too
    await goodClientStillWorks();
  });

  it('wrong content type: 415', async () => {
    const res = await post('hello', { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { message: string }).message).toMatch(/unsupported Content-Type/);
    await goodClientStillWorks();
  });

  it('unsupported content encoding: 415', async () => {
    const res = await post('x', { 'content-type': 'application/json', 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    await goodClientStillWorks();
  });

  it('body over the limit (declared length): 413', async () => {
    const res = await post(Buffer.alloc(LIMIT + 1, 0x20), { 'content-type': 'application/json' });
    expect(res.status).toBe(413);
    await goodClientStillWorks();
  });

  it('body over the limit without a declared length (chunked): 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${collector.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      Readable.from(
        (function* () {
          for (let i = 0; i < 40; i++) yield Buffer.alloc(16 * 1024, 0x20);
        })(),
      ).pipe(req);
    });
    expect(status).toBe(413);
    await goodClientStillWorks();
  });

  it('over the limit after gunzip: 413, and a gzip bomb does not exhaust memory', async () => {
    const small = gzipSync(Buffer.alloc(LIMIT + 1, 0x20));
    expect(small.length).toBeLessThan(LIMIT);
    const r1 = await post(small, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(r1.status).toBe(413);
    expect(((await r1.json()) as { message: string }).message).toMatch(/after decompression/);

    // ~256 MB of zeros, gzipped as a stream to ~250 KB: the collector must stop at the limit.
    const gz = createGzip({ level: 9 });
    const chunks: Buffer[] = [];
    gz.on('data', (c: Buffer) => chunks.push(c));
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 256; i++) gz.write(zeros);
    await new Promise<void>((r) => gz.end(r));
    const bomb = Buffer.concat(chunks);
    expect(bomb.length).toBeLessThan(LIMIT);
    const before = process.memoryUsage().rss;
    const r2 = await post(bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
    const grew = process.memoryUsage().rss - before;
    expect(r2.status).toBe(413);
    expect(grew).toBeLessThan(64 * 1024 * 1024);
    await goodClientStillWorks();
  });

  it('invalid gzip: 400', async () => {
    const res = await post(Buffer.from('not gzip at all'), {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(res.status).toBe(400);
    await goodClientStillWorks();
  });

  it('missing or wrong token: 401', async () => {
    const body = JSON.stringify(otlpJson('0000000000000abc'));
    const none = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    const wrong = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body,
    });
    expect(wrong.status).toBe(401);
    const stored = await rows<{ c: string }>(
      collector.store.client,
      "SELECT count() c FROM burnrate.otel_traces WHERE SpanId = '0000000000000abc'",
    );
    expect(Number(stored[0]!.c)).toBe(0);
    await goodClientStillWorks();
  });

  it('a valid protobuf request still works, and counts show in /metrics', async () => {
    const msg = ExportTraceServiceRequest.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'proto-client' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.alloc(16, 1),
                  spanId: Buffer.alloc(8, 2),
                  name: 'op',
                  startTimeUnixNano: Date.now() * 1e6,
                  endTimeUnixNano: Date.now() * 1e6 + 5,
                },
              ],
            },
          ],
        },
      ],
    });
    const res = await post(Buffer.from(ExportTraceServiceRequest.encode(msg).finish()), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(200);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/burnrate_requests_rejected_total\{reason="unauthorized"\} 2/);
    expect(metrics).toMatch(/burnrate_requests_rejected_total\{reason="too_large"\} 4/);
    expect(metrics).toMatch(/burnrate_spans_written_total \d+/);
  });
});
