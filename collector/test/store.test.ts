import { Pricer } from '@burnrate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSpan } from '../src/normalize/index.js';
import { openClickHouse, type StoreHandle } from '../src/store/client.js';
import { migrate } from '../src/store/migrations.js';
import { MIGRATIONS, SchemaBuilder } from '../src/store/schema.js';
import { ClickHouseSink } from '../src/store/sink.js';
import { makeSpan, rows, tempDir } from './helpers.js';

const tmp = tempDir();
let store: StoreHandle;
const schema = new SchemaBuilder({ database: 'burnrate', retention: { traces: 30, spend: 400, rollups: 0 } });
const pricer = new Pricer();

beforeAll(async () => {
  store = await openClickHouse({ user: 'default', password: '', embeddedPath: `${tmp.dir}/clickhouse` });
});
afterAll(async () => {
  await store.close();
  tmp.cleanup();
});

describe('schema and migrations', () => {
  it('creates every table once, records versions, and is idempotent', async () => {
    const first = await migrate(store.client, schema);
    expect(first.applied).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const second = await migrate(store.client, schema);
    expect(second.applied).toEqual([]);
    const tables = await rows<{ name: string }>(
      store.client,
      "SELECT name FROM system.tables WHERE database = 'burnrate' ORDER BY name",
    );
    expect(tables.map((t) => t.name)).toEqual([
      'budget_alerts',
      'budget_state',
      'genai_prefix_calls',
      'genai_prefix_calls_mv',
      'genai_prompt_calls',
      'genai_prompt_calls_mv',
      'genai_spend',
      'genai_spend_1m',
      'genai_spend_1m_mv',
      'otel_traces',
      'otel_traces_trace_id_ts',
      'otel_traces_trace_id_ts_mv',
      'savings_advice',
      'schema_migrations',
    ]);
    const versions = await rows<{ version: number }>(
      store.client,
      'SELECT version FROM burnrate.schema_migrations FINAL ORDER BY version',
    );
    expect(versions.map((v) => Number(v.version))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('otel_traces has the contrib exporter columns, in order, with their types', async () => {
    const cols = await rows<{ name: string; type: string }>(
      store.client,
      "SELECT name, type FROM system.columns WHERE database = 'burnrate' AND table = 'otel_traces' AND default_kind != 'ALIAS' ORDER BY position",
    );
    expect(cols.map((c) => `${c.name} ${c.type}`)).toEqual([
      'Timestamp DateTime64(9)',
      'TraceId String',
      'SpanId String',
      'ParentSpanId String',
      'TraceState String',
      'SpanName LowCardinality(String)',
      'SpanKind LowCardinality(String)',
      'ServiceName LowCardinality(String)',
      'ResourceAttributes Map(LowCardinality(String), String)',
      'ScopeName String',
      'ScopeVersion String',
      'SpanAttributes Map(LowCardinality(String), String)',
      'Duration UInt64',
      'StatusCode LowCardinality(String)',
      'StatusMessage String',
      'Events.Timestamp Array(DateTime64(9))',
      'Events.Name Array(LowCardinality(String))',
      'Events.Attributes Array(Map(LowCardinality(String), String))',
      'Links.TraceId Array(String)',
      'Links.SpanId Array(String)',
      'Links.TraceState Array(String)',
      'Links.Attributes Array(Map(LowCardinality(String), String))',
    ]);
  });

  it('applies the configured retention as TTL and changes it on restart', async () => {
    const ddl = await rows<{ q: string }>(
      store.client,
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'burnrate' AND name = 'genai_spend'",
    );
    expect(ddl[0]!.q).toContain('toIntervalDay(400)');
    const changed = new SchemaBuilder({
      database: 'burnrate',
      retention: { traces: 30, spend: 90, rollups: 0 },
    });
    await migrate(store.client, changed);
    const after = await rows<{ q: string }>(
      store.client,
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'burnrate' AND name = 'genai_spend'",
    );
    expect(after[0]!.q).toContain('toIntervalDay(90)');
    // The advisor's call tables are copies of genai_spend: they keep its retention.
    const calls = await rows<{ q: string }>(
      store.client,
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'burnrate' AND name IN ('genai_prompt_calls', 'genai_prefix_calls')",
    );
    expect(calls).toHaveLength(2);
    for (const c of calls) expect(c.q).toContain('toIntervalDay(90)');
    const rollup = await rows<{ q: string }>(
      store.client,
      "SELECT create_table_query AS q FROM system.tables WHERE database = 'burnrate' AND name = 'genai_spend_1m'",
    );
    expect(rollup[0]!.q).not.toContain('TTL');
  });
});

describe('advisor call tables (migration 9)', () => {
  it('are backfilled from spans stored before the migration, then fed by their views', async () => {
    const db = new SchemaBuilder({ database: 'backfill', retention: { traces: 0, spend: 0, rollups: 0 } });
    await migrate(
      store.client,
      db,
      MIGRATIONS.filter((m) => m.version < 9),
    );
    const insert = (trace: string, fp: string, prefix: string, prefixTokens: number, status = 'Unset') =>
      store.client.command({
        query: `INSERT INTO backfill.genai_spend (timestamp, trace_id, span_id, provider, model, feature, cost_usd,
            prompt_fingerprint, prefix_fingerprint, prefix_tokens, status_code)
          VALUES (now64(9), '${trace}', '01', 'openai', 'gpt-4o', 'faq', 0.01, '${fp}', '${prefix}', ${prefixTokens}, '${status}')`,
      });
    await insert('a1', 'f1', 'p1', 2000);
    await insert('a2', 'f1', 'p1', 500); // prefix too short for any provider's cache
    await insert('a3', '', '', 0); // no fingerprints (another instrumentation)
    await insert('a4', 'f2', 'p2', 3000, 'Error'); // failed calls are not levers' business
    const before = await migrate(store.client, db);
    expect(before.applied).toEqual([9]);
    await insert('b1', 'f1', 'p1', 2000); // after the migration: through the views
    const count = async (table: string) =>
      Number((await rows<{ n: string }>(store.client, `SELECT count() AS n FROM backfill.${table}`))[0]!.n);
    expect(await count('genai_prompt_calls')).toBe(3);
    expect(await count('genai_prefix_calls')).toBe(2);
    const fp = await rows<{ same: number }>(
      store.client,
      'SELECT uniqExact(fingerprint) = 1 AS same FROM backfill.genai_prompt_calls',
    );
    expect(Number(fp[0]!.same)).toBe(1);
  });
});

describe('ClickHouseSink', () => {
  it('writes trace and spend rows, and a replayed batch is stored exactly once (tables and rollups)', async () => {
    const sink = new ClickHouseSink(store.client, schema);
    const span = makeSpan({
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 500,
        'burnrate.feature': 'search',
      },
    });
    const n = normalizeSpan(span, pricer);
    const batch = { id: 'batch-1', traces: [n.trace], spend: [n.spend!] };
    await sink.insertBatch(batch);
    await sink.insertBatch(batch);
    const t = await rows<{ c: string }>(store.client, 'SELECT count() c FROM burnrate.otel_traces');
    expect(Number(t[0]!.c)).toBe(1);
    const s = await rows<{ c: string; cost: number }>(
      store.client,
      'SELECT count() c, sum(cost_usd) cost FROM burnrate.genai_spend',
    );
    expect(Number(s[0]!.c)).toBe(1);
    expect(s[0]!.cost).toBeGreaterThan(0);
    const r = await rows<{ req: string; cost: number }>(
      store.client,
      'SELECT sum(requests) req, sum(cost_usd) cost FROM burnrate.genai_spend_1m',
    );
    expect(Number(r[0]!.req)).toBe(1);
    expect(r[0]!.cost).toBeCloseTo(s[0]!.cost, 12);
    const ids = await rows<{ c: string }>(
      store.client,
      'SELECT count() c FROM burnrate.otel_traces_trace_id_ts',
    );
    expect(Number(ids[0]!.c)).toBe(1);
    // A new batch id is a new write.
    await sink.insertBatch({ ...batch, id: 'batch-2' });
    const t2 = await rows<{ c: string }>(store.client, 'SELECT count() c FROM burnrate.otel_traces');
    expect(Number(t2[0]!.c)).toBe(2);
  });
});
