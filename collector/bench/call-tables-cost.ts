/**
 * What the advisor's call tables (migration 9: two materialized views on genai_spend) cost at insert
 * time: the same generated GenAI rows inserted into a store without them (migrations 1-8) and one with
 * them, alternately in one process, several rounds; prints the medians and their ratio. Usage:
 *   pnpm --filter @burnrate/collector build && node collector/bench/call-tables-cost.ts [rows=1000000] [rounds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, migrate, openClickHouse, SchemaBuilder } from '../dist/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'burnrate-calls-bench-'));
const store = await openClickHouse({ user: 'default', password: '', embeddedPath: join(dir, 'clickhouse') });
const retention = { traces: 0, spend: 0, rollups: 0 };
const without = new SchemaBuilder({ database: 'without_calls', retention });
const withCalls = new SchemaBuilder({ database: 'with_calls', retention });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  await migrate(
    store.client,
    without,
    MIGRATIONS.filter((m) => m.version < 9),
  );
  await migrate(store.client, withCalls);
  const insert = async (db: string, round: number) => {
    const start = performance.now();
    await store.client.command({
      query: `INSERT INTO ${db}.genai_spend (timestamp, trace_id, span_id, provider, model, feature, cost_usd,
          input_tokens, output_tokens, prompt_fingerprint, prefix_fingerprint, prefix_tokens, status_code)
        SELECT now64(9) - toIntervalSecond(number % 86400), hex(cityHash64(number, ${round})), hex(cityHash64(number, 1)),
          'openai', ['gpt-4o', 'gpt-4o-mini'][number % 2 + 1], concat('feature-', toString(number % 20)), 0.001,
          1000, 100, hex(cityHash64(number % 100000)), hex(cityHash64(number % 500)), 500 + number % 3000, 'Unset'
        FROM numbers(${rows})`,
    });
    return performance.now() - start;
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < rounds; r++) {
    a.push(await insert('without_calls', r));
    b.push(await insert('with_calls', r));
    process.stderr.write(
      `round ${r + 1}: without ${a.at(-1)!.toFixed(0)} ms, with ${b.at(-1)!.toFixed(0)} ms\n`,
    );
  }
  console.log(
    JSON.stringify({
      rows,
      rounds,
      without_ms: Math.round(median(a)),
      with_ms: Math.round(median(b)),
      ratio: Number((median(b) / median(a)).toFixed(2)),
    }),
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
