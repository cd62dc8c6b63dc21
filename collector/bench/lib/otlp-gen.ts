/**
 * Realistic OTLP/protobuf export requests for load generation, encoded by hand (a few µs per span, so
 * the load generator stays light). Each request is one resource (an app instance) with one trace per
 * 4 spans: an HTTP server span and 3 GenAI CLIENT calls under it, as @burnrate/auto emits them (usage,
 * cost breakdown, attribution, server address). Every GenAI span carries `gen_ai.usage.cost`, so the
 * generator knows the exact spend it sent (budget alert latency), and ids are unique per process run.
 */
import { randomBytes } from 'node:crypto';

class W {
  buf: Buffer;
  len = 0;
  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private ensure(n: number) {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }
  varint(v: number) {
    this.ensure(10);
    while (v > 127) {
      this.buf[this.len++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }
  tag(field: number, wire: number) {
    this.varint(field * 8 + wire);
  }
  bytes(field: number, b: Uint8Array) {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  string(field: number, s: string) {
    this.bytes(field, Buffer.from(s, 'utf8'));
  }
  fixed64(field: number, v: bigint) {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.len);
    this.len += 8;
  }
  double(field: number, v: number) {
    this.tag(field, 1);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.len);
    this.len += 8;
  }
  raw(b: Uint8Array) {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** A length-delimited submessage written by `fn`. */
  sub(field: number, fn: (w: W) => void) {
    const inner = new W();
    fn(inner);
    this.bytes(field, inner.buf.subarray(0, inner.len));
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

type V = string | number | boolean | { double: number };
const kvCache = new Map<string, Buffer>();
/** An encoded KeyValue (cached: most attribute pairs repeat). */
function kv(w: W, field: number, key: string, value: V) {
  if (typeof value === 'object') return kvEncode(w, field, key, value);
  const ck = `${field}\u0000${key}\u0000${typeof value}\u0000${value}`;
  let enc = kvCache.get(ck);
  if (!enc) {
    const t = new W(64);
    kvEncode(t, field, key, value);
    enc = t.done();
    if (kvCache.size < 200_000) kvCache.set(ck, enc);
  }
  w.raw(enc);
}
function kvEncode(w: W, field: number, key: string, value: V) {
  w.sub(field, (k) => {
    k.string(1, key);
    k.sub(2, (v) => {
      if (typeof value === 'string') v.string(1, value);
      else if (typeof value === 'boolean') {
        v.tag(2, 0);
        v.varint(value ? 1 : 0);
      } else if (typeof value === 'number') {
        v.tag(3, 0);
        v.varint(value);
      } else v.double(4, value.double);
    });
  });
}

const MODELS = [
  ['openai', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 0.15e-6, 0.6e-6],
  ['openai', 'gpt-4o', 'gpt-4o-2024-08-06', 2.5e-6, 10e-6],
  ['anthropic', 'claude-3-5-haiku-20241022', 'claude-3-5-haiku-20241022', 0.8e-6, 4e-6],
  ['gcp.gemini', 'gemini-2.0-flash', 'gemini-2.0-flash', 0.1e-6, 0.4e-6],
] as const;
const FEATURES = ['support-chat', 'search', 'summaries', 'agent', 'classify', 'extract'];

export interface GeneratedRequest {
  body: Buffer;
  spans: number;
  /** USD carried by the request's GenAI spans. */
  costUsd: number;
}

export class SpanGenerator {
  private readonly run = randomBytes(4);
  private seq = 0;
  private trace = 0;

  /** One export request of `spans` spans (rounded up to whole traces of 4), timestamps around now. */
  request(spans: number, instance = 0): GeneratedRequest {
    const w = new W(spans * 700);
    let cost = 0;
    let count = 0;
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    w.sub(1, (rs) => {
      rs.sub(1, (res) => {
        kv(res, 1, 'service.name', `bench-app-${instance % 4}`);
        kv(res, 1, 'service.version', '1.4.2');
        kv(res, 1, 'deployment.environment.name', 'production');
        kv(res, 1, 'host.name', `bench-host-${instance % 16}`);
        kv(res, 1, 'telemetry.sdk.name', 'opentelemetry');
        kv(res, 1, 'telemetry.sdk.language', 'nodejs');
        kv(res, 1, 'telemetry.sdk.version', '3.1.1');
      });
      rs.sub(2, (ss) => {
        ss.sub(1, (scope) => {
          scope.string(1, '@burnrate/instrumentation-openai');
          scope.string(2, '0.1.0');
        });
        while (count < spans) {
          const t = ++this.trace;
          const traceId = Buffer.alloc(16);
          this.run.copy(traceId, 0);
          traceId.writeUInt32BE(t, 4);
          traceId.writeUInt32BE(process.pid, 8);
          const rootId = this.spanId();
          const start = nowNs - BigInt((t % 1000) * 1_000_000);
          // the HTTP server span
          ss.sub(2, (s) => {
            s.bytes(1, traceId);
            s.bytes(2, rootId);
            s.string(5, 'POST /v1/answer');
            s.tag(6, 0);
            s.varint(2);
            s.fixed64(7, start);
            s.fixed64(8, start + 2_400_000_000n);
            kv(s, 9, 'http.request.method', 'POST');
            kv(s, 9, 'http.route', '/v1/answer');
            kv(s, 9, 'url.path', '/v1/answer');
            kv(s, 9, 'http.response.status_code', 200);
            kv(s, 9, 'user_agent.original', 'bench/1.0');
          });
          count++;
          for (let c = 0; c < 3 && count < spans; c++) {
            const n = ++this.seq;
            const [provider, model, responseModel, inRate, outRate] = MODELS[n % MODELS.length]!;
            const input = 200 + (n % 3000);
            const output = 20 + (n % 700);
            const cacheRead = n % 3 === 0 ? Math.floor(input / 2) : 0;
            const costIn = input * inRate;
            const costOut = output * outRate;
            const total = costIn + costOut;
            cost += total;
            const s0 = start + BigInt(c * 700_000_000);
            ss.sub(2, (s) => {
              s.bytes(1, traceId);
              s.bytes(2, this.spanId());
              s.bytes(4, rootId);
              s.string(5, `chat ${model}`);
              s.tag(6, 0);
              s.varint(3);
              s.fixed64(7, s0);
              s.fixed64(8, s0 + 650_000_000n);
              kv(s, 9, 'gen_ai.provider.name', provider);
              kv(s, 9, 'gen_ai.operation.name', 'chat');
              kv(s, 9, 'gen_ai.request.model', model);
              kv(s, 9, 'gen_ai.response.model', responseModel);
              kv(s, 9, 'gen_ai.response.id', `chatcmpl-${n.toString(36)}`);
              kv(s, 9, 'gen_ai.request.stream', n % 2 === 0);
              kv(s, 9, 'gen_ai.usage.input_tokens', input);
              kv(s, 9, 'gen_ai.usage.output_tokens', output);
              kv(s, 9, 'gen_ai.usage.cache_read.input_tokens', cacheRead);
              kv(s, 9, 'gen_ai.usage.cost', { double: total });
              kv(s, 9, 'burnrate.cost.input', { double: costIn });
              kv(s, 9, 'burnrate.cost.output', { double: costOut });
              kv(s, 9, 'burnrate.cost.source', 'computed');
              kv(s, 9, 'burnrate.pricing.tier', 'standard');
              kv(s, 9, 'burnrate.feature', FEATURES[n % FEATURES.length]!);
              kv(s, 9, 'user.id', `user-${n % 5000}`);
              kv(s, 9, 'session.id', `session-${n % 50_000}`);
              kv(s, 9, 'burnrate.tenant', `tenant-${n % 50}`);
              kv(s, 9, 'server.address', provider === 'openai' ? 'api.openai.com' : 'api.example.com');
              kv(s, 9, 'server.port', 443);
              s.sub(15, (st) => {
                st.tag(3, 0);
                st.varint(1);
              });
            });
            count++;
          }
        }
      });
    });
    return { body: w.done(), spans: count, costUsd: cost };
  }

  /**
   * A copy of a request this generator made, with fresh ids: the 4 run bytes every trace and span id
   * starts with are replaced by `pass`-derived ones (cheap, so a pool of bodies can be replayed as new spans).
   */
  respin(body: Buffer, pass: number): Buffer {
    const out = Buffer.from(body);
    const fresh = Buffer.from(this.run);
    fresh.writeUInt16BE((fresh.readUInt16BE(2) + pass) & 0xffff, 2);
    let at = out.indexOf(this.run);
    while (at >= 0) {
      fresh.copy(out, at);
      at = out.indexOf(this.run, at + 4);
    }
    return out;
  }

  private spanId(): Buffer {
    const id = Buffer.alloc(8);
    this.run.copy(id, 0);
    id.writeUInt32BE(++this.seq, 4);
    return id;
  }
}
