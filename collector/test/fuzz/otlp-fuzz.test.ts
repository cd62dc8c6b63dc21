/**
 * Hostile input: fast-check throws thousands of random and mutated OTLP bodies at `POST /v1/traces`
 * (and the gRPC receiver): random bytes, valid protobuf with bit flips, truncation, inserted bytes and
 * wrong wire types, random and mutated OTLP/JSON, invalid UTF-8, huge attribute counts, AnyValue nested
 * thousands deep, oversized strings, gzip bombs and broken gzip. The collector must never crash, answer
 * every request with 2xx or a 4xx that carries a message (never 5xx), never let an accepted span poison
 * a ClickHouse batch, and keep serving: a valid request after the storm is stored.
 *
 * `FUZZ_RUNS` scales the number of cases per property (CI default 150, about 1,500 requests).
 */
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector.js';
import { TRACE_SERVICE_EXPORT } from '../../src/receiver/grpc.js';
import { ExportTraceServiceRequest, RpcStatus } from '../../src/receiver/otlp-proto.js';
import { rows, startTestCollector, tempDir } from '../helpers.js';

const RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
// Long runs (FUZZ_RUNS in the thousands) need more than the default 30 s per property.
const TIMEOUT = Math.max(30_000, RUNS * 100);
/** Cases sent concurrently per property run where requests are accepted (they wait for a durable batch). */
const PARALLEL = 10;
const batchOf = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: PARALLEL, maxLength: PARALLEL });
const LIMIT = 256 * 1024;
const tmp = tempDir('burnrate-fuzz-');
let c: Collector;
const statuses = new Map<number, number>();

beforeAll(async () => {
  c = await startTestCollector(
    tmp.dir,
    `server:\n  max_body_bytes: ${LIMIT}\nclickhouse:\n  retention_days: { traces: 0, spend: 0 }\nwriter:\n  insert_attempts: 1\n  batch_spans: 2000\n  flush_interval_ms: 20\n`,
  );
});
afterAll(async () => {
  await c.close();
  tmp.cleanup();
  if (process.env['FUZZ_RUNS']) console.log('fuzz status counts', Object.fromEntries(statuses));
});

let seq = 0;
function validObject(spans = 2) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fuzz' } }] },
        scopeSpans: [
          {
            scope: { name: 'fuzz', version: '1' },
            spans: Array.from({ length: spans }, () => {
              const id = (++seq).toString(16).padStart(16, '0');
              return {
                traceId: `${id}${id}`,
                spanId: id,
                name: 'chat gpt-4o-mini',
                kind: 3,
                startTimeUnixNano: now.toString(),
                endTimeUnixNano: (now + 1_000_000n).toString(),
                attributes: [
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: 100 } },
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: '7' } },
                  { key: 'd', value: { doubleValue: 1.5 } },
                  { key: 'b', value: { boolValue: true } },
                  { key: 'bytes', value: { bytesValue: 'AAEC' } },
                  {
                    key: 'nested',
                    value: {
                      kvlistValue: {
                        values: [{ key: 'a', value: { arrayValue: { values: [{ intValue: 1 }] } } }],
                      },
                    },
                  },
                ],
                events: [{ timeUnixNano: now.toString(), name: 'ev', attributes: [] }],
                links: [{ traceId: `${id}${id}`, spanId: id }],
                status: { code: 2, message: 'boom' },
              };
            }),
          },
        ],
      },
    ],
  };
}

function validProtobuf(spans = 2): Uint8Array {
  const o = validObject(spans);
  // protobufjs reads strings in bytes fields as base64; OTLP/JSON ids are hex.
  const bytes = (h: string) => Buffer.from(h, 'hex');
  const pb = {
    resourceSpans: o.resourceSpans.map((rs) => ({
      ...rs,
      scopeSpans: rs.scopeSpans.map((ss) => ({
        ...ss,
        spans: ss.spans.map((s) => ({
          ...s,
          traceId: bytes(s.traceId),
          spanId: bytes(s.spanId),
          links: s.links.map((l) => ({ traceId: bytes(l.traceId), spanId: bytes(l.spanId) })),
        })),
      })),
    })),
  };
  return ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(pb)).finish();
}

// --- protobuf building blocks for structures the encoder cannot make (deep nesting) ---------------
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
const ld = (field: number, body: Uint8Array | number[]): Uint8Array =>
  Uint8Array.from([...varint((field << 3) | 2), ...varint(body.length), ...body]);

/**
 * A request with one span whose attribute is an AnyValue nested `depth` times (array or kvlist). Every
 * level only adds a prefix (tags and lengths), so the body is built as prefixes + the innermost value.
 */
function deepProtobuf(depth: number, kind: 'array' | 'kvlist'): Uint8Array {
  const innermost = ld(1, [...Buffer.from('x')]); // AnyValue{stringValue}
  const prefixes: number[][] = [];
  let size = innermost.length;
  for (let i = 0; i < depth; i++) {
    // array: AnyValue{5: ArrayValue{1: inner}}; kvlist: AnyValue{6: KeyValueList{1: KeyValue{1: "k", 2: inner}}}
    const p =
      kind === 'array'
        ? (() => {
            const arr = [...varint((1 << 3) | 2), ...varint(size)];
            return [...varint((5 << 3) | 2), ...varint(arr.length + size), ...arr];
          })()
        : (() => {
            const kv = [10, 1, 107, ...varint((2 << 3) | 2), ...varint(size)];
            const list = [...varint((1 << 3) | 2), ...varint(kv.length + size), ...kv];
            return [...varint((6 << 3) | 2), ...varint(list.length + size), ...list];
          })();
    prefixes.push(p);
    size += p.length;
  }
  const v = Buffer.concat([...prefixes.reverse().map((p) => Uint8Array.from(p)), innermost]);
  const kv = Buffer.concat([
    ld(1, [...Buffer.from('deep')]),
    Uint8Array.from(varint((2 << 3) | 2)),
    Uint8Array.from(varint(v.length)),
    v,
  ]);
  const id = (++seq).toString(16).padStart(16, '0');
  const spanHead = Buffer.concat([
    ld(1, Buffer.from(`${id}${id}`, 'hex')),
    ld(2, Buffer.from(id, 'hex')),
    ld(5, [...Buffer.from('deep')]),
    Uint8Array.from(varint((9 << 3) | 2)),
    Uint8Array.from(varint(kv.length)),
  ]);
  const span = Buffer.concat([spanHead, kv]);
  const wrap = (field: number, body: Uint8Array) =>
    Buffer.concat([Uint8Array.from(varint((field << 3) | 2)), Uint8Array.from(varint(body.length)), body]);
  return wrap(1, wrap(2, wrap(2, span)));
}

function deepJson(depth: number, kind: 'array' | 'kvlist'): string {
  let v = '{"stringValue":"x"}';
  for (let i = 0; i < depth; i++)
    v =
      kind === 'array'
        ? `{"arrayValue":{"values":[${v}]}}`
        : `{"kvlistValue":{"values":[{"key":"k","value":${v}}]}}`;
  const o = validObject(1);
  const text = JSON.stringify(o);
  return text.replace('"attributes":[', `"attributes":[{"key":"deep","value":${v}},`);
}

// --- mutations ----------------------------------------------------------------------------------
type Mutation =
  | { t: 'flip'; at: number; bit: number }
  | { t: 'truncate'; at: number }
  | { t: 'insert'; at: number; bytes: Uint8Array }
  | { t: 'wiretype'; at: number; wt: number }
  | { t: 'set'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ t: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ t: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ t: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ t: fc.constant('wiretype' as const), at: fc.nat(), wt: fc.nat(7) }),
  fc.record({ t: fc.constant('set' as const), at: fc.nat(), byte: fc.nat(255) }),
);

function mutate(input: Uint8Array, ms: Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    if (m.t === 'flip') b[at] = b[at]! ^ (1 << m.bit);
    else if (m.t === 'truncate') b = b.subarray(0, at);
    else if (m.t === 'insert') b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
    else if (m.t === 'wiretype') b[at] = (b[at]! & ~7) | m.wt;
    else b[at] = m.byte;
  }
  return b;
}

// --- the oracle ---------------------------------------------------------------------------------
type Kind = 'protobuf' | 'json';
const CT: Record<Kind, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

async function send(
  body: Uint8Array | string,
  kind: Kind,
  headers: Record<string, string> = {},
): Promise<{ status: number; message: string }> {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': CT[kind], ...headers },
    body,
  });
  const buf = Buffer.from(await res.arrayBuffer());
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  let message = '';
  if (res.status >= 300) {
    message =
      kind === 'json' || res.headers.get('content-type')?.startsWith('application/json')
        ? String((JSON.parse(buf.toString('utf8')) as { message?: unknown }).message ?? '')
        : String((RpcStatus.decode(buf) as unknown as { message?: string }).message ?? '');
  }
  return { status: res.status, message };
}

/** 2xx, or a 4xx with a message; never 5xx (storage is healthy throughout). */
function expectHandled(r: { status: number; message: string }, allowed = [200, 400, 413]): void {
  if (!allowed.includes(r.status)) throw new Error(`unexpected status ${r.status}: ${r.message}`);
  if (r.status !== 200 && r.message.length < 5) throw new Error(`${r.status} without a clear message`);
}

const storedFuzzSpans = async () =>
  Number(
    (
      await rows<{ n: string }>(
        c.store.client,
        "SELECT count() n FROM burnrate.otel_traces WHERE ServiceName = 'fuzz'",
      )
    )[0]!.n,
  );

describe('OTLP/HTTP under hostile input', { timeout: TIMEOUT }, () => {
  it('random bytes as protobuf and as JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom<Kind>('protobuf', 'json'),
        async (b, k) => {
          expectHandled(await send(b, k));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('valid protobuf with bit flips, truncation, inserted bytes and wrong wire types', async () => {
    const base = validProtobuf(3);
    await fc.assert(
      fc.asyncProperty(batchOf(fc.array(mutation, { minLength: 1, maxLength: 6 })), async (cases) => {
        for (const r of await Promise.all(cases.map((ms) => send(mutate(base, ms), 'protobuf'))))
          expectHandled(r);
      }),
      { numRuns: Math.ceil((RUNS * 2) / PARALLEL) },
    );
  });

  it('mutated OTLP/JSON text (including invalid UTF-8 bytes)', async () => {
    const base = Buffer.from(JSON.stringify(validObject(2)));
    await fc.assert(
      fc.asyncProperty(batchOf(fc.array(mutation, { minLength: 1, maxLength: 6 })), async (cases) => {
        for (const r of await Promise.all(cases.map((ms) => send(mutate(base, ms), 'json'))))
          expectHandled(r);
      }),
      { numRuns: Math.ceil((RUNS * 2) / PARALLEL) },
    );
  });

  it('OTLP/JSON with random values in every field', async () => {
    // Replace one field anywhere in a valid request with an arbitrary JSON value.
    const base = validObject(1);
    const paths: string[][] = [];
    const walk = (o: unknown, p: string[]) => {
      if (o && typeof o === 'object')
        for (const [k, v] of Object.entries(o)) {
          paths.push([...p, k]);
          walk(v, [...p, k]);
        }
    };
    walk(base, []);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom(...paths),
            fc.oneof(
              fc.jsonValue(),
              fc.string({ unit: 'binary' }),
              fc.constantFrom('NaN', '-1', '1e400', '18446744073709551616', '\ud800', '\u0000', '__proto__'),
              fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
            ),
          ),
          { minLength: PARALLEL, maxLength: PARALLEL },
        ),
        async (cases) => {
          // Sent concurrently: accepted requests wait for their batch to be durable.
          const results = await Promise.all(
            cases.map(([path, value]) => {
              const o = structuredClone(base) as Record<string, unknown>;
              let at: Record<string, unknown> = o;
              for (const k of path.slice(0, -1)) at = at[k] as Record<string, unknown>;
              at[path.at(-1)!] = value;
              return send(JSON.stringify(o), 'json');
            }),
          );
          for (const r of results) expectHandled(r);
        },
      ),
      { numRuns: Math.ceil((RUNS * 2) / PARALLEL) },
    );
  });

  it('random attribute keys and values of every type (accepted spans never poison a batch)', async () => {
    const anyValue = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.record({ stringValue: fc.string({ unit: 'binary', maxLength: 64 }) }),
        fc.record({
          intValue: fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)),
        }),
        fc.record({
          doubleValue: fc.oneof(
            fc.double({ noNaN: true, noDefaultInfinity: true }),
            fc.constantFrom('NaN', 'Infinity', '-Infinity'),
          ),
        }),
        fc.record({ boolValue: fc.boolean() }),
        fc.record({ bytesValue: fc.base64String({ maxLength: 32 }) }),
        fc.record({ arrayValue: fc.record({ values: fc.array(tie('v'), { maxLength: 3 }) }) }),
        fc.record({
          kvlistValue: fc.record({
            values: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: tie('v') }), {
              maxLength: 3,
            }),
          }),
        }),
      ),
    })).v;
    const genAiKey = fc.constantFrom(
      'gen_ai.usage.input_tokens',
      'gen_ai.usage.output_tokens',
      'gen_ai.usage.cache_read.input_tokens',
      'gen_ai.usage.cost',
      'gen_ai.request.max_tokens',
      'burnrate.prompt.prefix_tokens',
      'burnrate.route.baseline_cost',
      'burnrate.route.baseline_model',
      'burnrate.cache.similarity',
      'gen_ai.response.time_to_first_chunk',
      'burnrate.pricing.tier',
      'user.id',
    );
    const timestamp = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 90n }).map(String),
      fc.constantFrom(undefined, 0, '0'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.array(
              fc.record({
                key: fc.oneof(genAiKey, fc.string({ unit: 'binary', maxLength: 16 })),
                value: anyValue,
              }),
              { maxLength: 12 },
            ),
            timestamp,
            timestamp,
          ),
          { minLength: PARALLEL, maxLength: PARALLEL },
        ),
        async (cases) => {
          const results = await Promise.all(
            cases.map(([attrs, start, end]) => {
              const o = validObject(1);
              const s = o.resourceSpans[0]!.scopeSpans[0]!.spans[0]! as Record<string, unknown>;
              (s['attributes'] as unknown[]).push(...attrs);
              s['startTimeUnixNano'] = start;
              s['endTimeUnixNano'] = end;
              return send(JSON.stringify(o), 'json');
            }),
          );
          for (const r of results) expectHandled(r);
        },
      ),
      { numRuns: Math.ceil((RUNS * 2) / PARALLEL) },
    );
    await c.writer.drain();
    expect(c.metrics.value('burnrate_insert_errors_total')).toBe(0);
    expect(c.writer.storageHealthy).toBe(true);
  });

  it('AnyValue nested thousands deep (protobuf and JSON), arrays and kvlists', async () => {
    for (const kind of ['array', 'kvlist'] as const) {
      for (const depth of [33, 200, 5000, 20000]) {
        expectHandled(await send(deepProtobuf(depth, kind), 'protobuf'));
        const json = deepJson(depth, kind);
        const r = await send(json, 'json');
        if (json.length <= LIMIT) expect(r.status, `json ${kind} ${depth}`).toBe(400);
        expectHandled(r);
      }
    }
  });

  it('huge attribute counts, oversized strings, and many spans', async () => {
    const o = validObject(1);
    const s = o.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    for (let i = 0; i < 5000; i++) s.attributes.push({ key: `k${i}`, value: { stringValue: 'v' } });
    expect((await send(JSON.stringify(o), 'json')).status).toBe(200);
    const big = validObject(1);
    big.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'x'.repeat(LIMIT);
    const r = await send(JSON.stringify(big), 'json');
    expect(r.status).toBe(413);
    expect(r.message).toMatch(/exceeds the limit/);
    expect((await send(validProtobuf(500), 'protobuf')).status).toBe(200);
    const nearLimit = validObject(1);
    nearLimit.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.name = 'y'.repeat(LIMIT - 4096);
    expect((await send(JSON.stringify(nearLimit), 'json')).status).toBe(200);
  });

  it('gzip bombs, broken gzip and gzip of garbage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: LIMIT + 1, max: LIMIT * 64 }),
        fc.array(mutation, { maxLength: 3 }),
        fc.constantFrom<Kind>('protobuf', 'json'),
        async (size, ms, kind) => {
          const gz = mutate(gzipSync(Buffer.alloc(size, 0x20)), ms);
          const r = await send(gz, kind, { 'content-encoding': 'gzip' });
          expectHandled(r, [400, 413]);
        },
      ),
      { numRuns: Math.max(20, Math.floor(RUNS / 10)) },
    );
    const notGzip = await send(validProtobuf(1), 'protobuf', { 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
    expect(notGzip.message).toMatch(/invalid gzip body/);
    expect((await send(gzipSync(validProtobuf(2)), 'protobuf', { 'content-encoding': 'gzip' })).status).toBe(
      200,
    );
  });

  it('after the storm: no internal errors, storage healthy, and a valid request is stored', async () => {
    const before = await storedFuzzSpans();
    await c.writer.drain();
    expect((await send(validProtobuf(3), 'protobuf')).status).toBe(200);
    await c.writer.drain();
    expect(await storedFuzzSpans()).toBeGreaterThanOrEqual(before + 3);
    expect(c.metrics.value('burnrate_requests_rejected_total', { reason: 'internal' })).toBe(0);
    expect(c.metrics.value('burnrate_insert_errors_total')).toBe(0);
    expect(c.metrics.value('burnrate_spans_spooled_total')).toBe(0);
    expect(c.writer.storageHealthy).toBe(true);
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(statuses.get(503) ?? 0).toBe(0);
    expect((statuses.get(400) ?? 0) + (statuses.get(200) ?? 0)).toBeGreaterThan(RUNS);
  });
});

describe('OTLP/gRPC under hostile input', { timeout: TIMEOUT }, () => {
  it('mutated protobuf messages get OK or INVALID_ARGUMENT, never a crash', async () => {
    const client = new grpc.Client(`127.0.0.1:${c.grpcPort}`, grpc.credentials.createInsecure());
    const call = (msg: Uint8Array) =>
      new Promise<grpc.ServiceError | null>((resolve) => {
        client.makeUnaryRequest(
          TRACE_SERVICE_EXPORT,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => b,
          msg,
          (err) => resolve(err),
        );
      });
    const base = validProtobuf(2);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), async (ms) => {
          const err = await call(mutate(base, ms));
          if (err && err.code !== grpc.status.INVALID_ARGUMENT)
            throw new Error(`gRPC answered ${err.code}: ${err.details}`);
          if (err) expect(err.details.length).toBeGreaterThan(5);
        }),
        { numRuns: RUNS },
      );
      expect(await call(deepProtobuf(20000, 'array'))).toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect(await call(validProtobuf(1))).toBeNull();
    } finally {
      client.close();
    }
  });
});
