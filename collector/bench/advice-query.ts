/**
 * Savings-advisor query time on a large embedded store: N GenAI spans (default 10 million) generated
 * straight into ClickHouse with INSERT ... SELECT FROM numbers(), a server span for 70% of the traces,
 * then the advisor over a 7-day window, several runs. Usage:
 *   pnpm --filter @burnrate/collector build && node collector/bench/advice-query.ts [spans] [runs]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pricer } from '@burnrate/core';
import { Advisor, migrate, openClickHouse, SchemaBuilder } from '../dist/index.js';

const spans = Number(process.argv[2] ?? 10_000_000);
const runs = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'burnrate-advice-bench-'));
const store = await openClickHouse({ user: 'default', password: '', embeddedPath: join(dir, 'clickhouse') });
try {
  const schema = new SchemaBuilder({ database: 'burnrate', retention: { traces: 0, spend: 0, rollups: 0 } });
  await migrate(store.client, schema);
  const to = Date.UTC(2026, 10, 23);
  const from = to - 7 * 86_400_000;
  const t0 = performance.now();
  process.stderr.write(`generating ${spans.toLocaleString()} spans...\n`);
  // 7 days of traffic; 20 features, 6 models; 1M distinct requests (repeats), 5k prefixes.
  await store.client.command({
    query: `INSERT INTO burnrate.genai_spend (timestamp, trace_id, span_id, service_name, provider, model, operation,
        input_tokens, output_tokens, cache_read_tokens, cost_usd, cost_output_usd, feature, user_id, pricing_tier,
        prompt_fingerprint, prefix_fingerprint, prefix_tokens, max_tokens, stream, status_code)
      SELECT
        fromUnixTimestamp64Milli(toInt64(${from} + intDiv(number * ${7 * 86_400_000}, ${spans}))) AS ts,
        hex(cityHash64(number)) AS trace_id, hex(cityHash64(number, 1)) AS span_id,
        ['api', 'worker', 'search'][number % 3 + 1],
        ['openai', 'openai', 'openai', 'anthropic', 'anthropic', 'gcp.gemini'][number % 6 + 1] AS provider,
        ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'gemini-2.5-pro'][number % 6 + 1],
        'chat',
        200 + (cityHash64(number, 2) % 6000) AS input, 20 + (cityHash64(number, 3) % 800) AS output,
        if(number % 4 = 0, intDiv(input, 2), 0), (input * 2.5 + output * 10) / 1e6, output * 10 / 1e6,
        concat('feature-', toString(number % 20)), concat('user-', toString(cityHash64(number, 4) % 5000)),
        if(number % 10 = 0, 'batch', 'standard'),
        hex(cityHash64(cityHash64(number, 5) % 1000000)), hex(cityHash64(number % 5000)), 1500 + (number % 5000) % 3000,
        if(number % 20 < 5, 0, 1024), number % 7 = 0, 'Unset'
      FROM numbers(${spans})`,
    clickhouse_settings: { max_insert_threads: '2' },
  });
  await store.client.command({
    query: `INSERT INTO burnrate.otel_traces (Timestamp, TraceId, SpanId, SpanName, SpanKind, ServiceName)
      SELECT fromUnixTimestamp64Milli(toInt64(${from} + intDiv(number * ${7 * 86_400_000}, ${spans}))),
        hex(cityHash64(number)), hex(cityHash64(number, 9)), 'GET /', 'Server', 'api'
      FROM numbers(${spans}) WHERE number % 10 < 7`,
  });
  process.stderr.write(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

  const advisor = new Advisor(store.client, schema, new Pricer());
  const times: number[] = [];
  let report: Awaited<ReturnType<Advisor['advise']>> | undefined;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    report = await advisor.advise({ from: new Date(from), to: new Date(to) });
    times.push(performance.now() - start);
    process.stderr.write(`run ${i + 1}: ${times.at(-1)!.toFixed(0)} ms\n`);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(
    JSON.stringify({
      spans,
      runs,
      median_ms: Math.round(median),
      min_ms: Math.round(times[0]!),
      max_ms: Math.round(times.at(-1)!),
      opportunities: report?.opportunities.map((o) => [o.lever, Math.round(o.saved_usd)]),
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
