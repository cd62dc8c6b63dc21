/**
 * Ingest throughput into the embedded store: OTLP/HTTP protobuf requests (200 spans each, 3 in 4 of them
 * GenAI calls that get priced) sent by concurrent clients to an in-process collector; a request
 * counts once the collector acknowledged it (spans durable in ClickHouse). Each run uses a fresh data
 * directory; prints every run, the median, and the process's peak RSS. BENCH_CONCURRENCY sets the
 * number of concurrent clients (default 32).
 *
 *   pnpm --filter @burnrate/collector build && node collector/bench/ingest.ts [totalSpans=100000] [runs=5]
 *
 * The load generator runs in the same process (and on the same cores), so the figures are a floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportTraceServiceRequest, parseConfig, startCollector } from '../dist/index.js';

const TOTAL = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 5);
const PER_REQUEST = 200;
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku-20241022', 'gemini-2.0-flash'];
const PROVIDERS = ['openai', 'openai', 'anthropic', 'gcp.gemini'];
const FEATURES = ['chat', 'search', 'summaries', 'agent'];

let seq = 0;
function request(): Uint8Array {
  const now = Date.now() * 1e6;
  const spans = [];
  for (let i = 0; i < PER_REQUEST; i++) {
    const n = ++seq;
    const m = n % MODELS.length;
    const genai = n % 4 !== 0;
    const kv = (key: string, value: Record<string, unknown>) => ({ key, value });
    const attributes = genai
      ? [
          kv('gen_ai.provider.name', { stringValue: PROVIDERS[m] }),
          kv('gen_ai.operation.name', { stringValue: 'chat' }),
          kv('gen_ai.request.model', { stringValue: MODELS[m] }),
          kv('gen_ai.usage.input_tokens', { intValue: 500 + (n % 2000) }),
          kv('gen_ai.usage.output_tokens', { intValue: 50 + (n % 500) }),
          kv('gen_ai.usage.cache_read.input_tokens', { intValue: n % 3 === 0 ? 200 : 0 }),
          kv('burnrate.feature', { stringValue: FEATURES[n % FEATURES.length] }),
          kv('user.id', { stringValue: `user-${n % 500}` }),
          kv('session.id', { stringValue: `session-${n % 5000}` }),
          kv('burnrate.tenant', { stringValue: `tenant-${n % 20}` }),
          kv('server.address', { stringValue: 'api.example.com' }),
        ]
      : [kv('http.request.method', { stringValue: 'POST' }), kv('http.route', { stringValue: '/v1/answer' })];
    const id = Buffer.alloc(8);
    id.writeUInt32BE(n, 4);
    spans.push({
      traceId: Buffer.concat([id, id]),
      spanId: id,
      name: genai ? `chat ${MODELS[m]}` : 'POST /v1/answer',
      kind: genai ? 3 : 2,
      startTimeUnixNano: now + i,
      endTimeUnixNano: now + i + 800_000_000,
      attributes,
    });
  }
  const msg = ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'bench-app' } },
            { key: 'service.version', value: { stringValue: '1.2.3' } },
          ],
        },
        scopeSpans: [{ scope: { name: '@burnrate/instrumentation-openai', version: '0.1.0' }, spans }],
      },
    ],
  });
  return ExportTraceServiceRequest.encode(msg).finish();
}

async function run(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-bench-'));
  const base = parseConfig('{}', 'bench');
  const collector = await startCollector({
    ...base,
    data_dir: dir,
    log_level: 'warn',
    server: { ...base.server, host: '127.0.0.1', port: 0, grpc_port: false },
  });
  const requests = Math.ceil(TOTAL / PER_REQUEST);
  const bodies = Array.from({ length: requests }, request);
  const url = `${collector.url}/v1/traces`;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rs = await collector.store.client.query({
    query: 'SELECT count() AS c FROM burnrate.otel_traces',
    format: 'JSONEachRow',
  });
  const stored = Number(((await rs.json()) as Array<{ c: string }>)[0]!.c);
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
  if (stored !== requests * PER_REQUEST)
    throw new Error(`stored ${stored} of ${requests * PER_REQUEST} spans`);
  return (requests * PER_REQUEST) / seconds;
}

const results: number[] = [];
for (let i = 0; i < RUNS; i++) {
  const r = await run();
  results.push(r);
  console.log(`run ${i + 1}: ${Math.round(r).toLocaleString('en-US')} spans/s`);
}
const sorted = [...results].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(
  `median: ${Math.round(median).toLocaleString('en-US')} spans/s over ${RUNS} runs of ${TOTAL.toLocaleString('en-US')} spans`,
);
console.log(`peak RSS: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
