/** Applies the versioned schema migrations and the configured retention (TTL). */
import type { ClickHouseClient } from '@clickhouse/client';
import { PREFIX_CALLS, PROMPT_CALLS } from '../advice/schema.js';
import { MIGRATIONS, type Migration, type SchemaBuilder, TABLES } from './schema.js';

export interface MigrationReport {
  applied: number[];
  current: number;
}

async function appliedVersions(client: ClickHouseClient, schema: SchemaBuilder): Promise<Set<number>> {
  const rs = await client.query({
    query: `SELECT DISTINCT version FROM ${schema.table(TABLES.migrations)}`,
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ version: number }>();
  return new Set(rows.map((r) => Number(r.version)));
}

export async function migrate(
  client: ClickHouseClient,
  schema: SchemaBuilder,
  migrations: Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  await client.command({ query: schema.createDatabase() });
  await client.command({ query: schema.migrationsTable() });
  if (schema.clustered) {
    for (const stmt of schema.distributed(TABLES.migrations, 'version'))
      await client.command({ query: stmt });
  }
  const done = await appliedVersions(client, schema);
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements(schema)) {
      try {
        await client.command({ query: statement });
      } catch (err) {
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
    }
    await client.insert({
      table: schema.table(TABLES.migrations),
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
    applied.push(m.version);
  }
  const current = Math.max(0, ...migrations.map((m) => m.version));
  await applyRetention(client, schema);
  return { applied, current };
}

interface TtlTarget {
  table: string;
  column: string;
  days: number;
}

/**
 * Brings each table's TTL to the configured retention. Only tables whose TTL differs are altered, and
 * existing parts are not rewritten (`materialize_ttl_after_modify = 0`): whole expired partitions are
 * dropped as they age out (`ttl_only_drop_parts`).
 */
export async function applyRetention(client: ClickHouseClient, schema: SchemaBuilder): Promise<void> {
  const r = schema.opts.retention;
  const targets: TtlTarget[] = [
    { table: TABLES.traces, column: 'toDateTime(Timestamp)', days: r.traces },
    { table: TABLES.traceIdTs, column: 'toDateTime(Start)', days: r.traces },
    { table: TABLES.spend, column: 'toDateTime(timestamp)', days: r.spend },
    { table: TABLES.spend1m, column: 'minute', days: r.rollups },
    { table: PROMPT_CALLS, column: 'toDateTime(timestamp)', days: r.spend },
    { table: PREFIX_CALLS, column: 'toDateTime(timestamp)', days: r.spend },
  ];
  for (const t of targets) {
    const name = schema.clustered ? `${t.table}_local` : t.table;
    const rs = await client.query({
      query:
        'SELECT create_table_query FROM system.tables WHERE database = {db:String} AND name = {name:String}',
      query_params: { db: schema.opts.database, name },
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ create_table_query: string }>();
    const ddl = rows[0]?.create_table_query ?? '';
    const match = /\bTTL\s+.*?toIntervalDay\((\d+)\)/.exec(ddl);
    const current = match ? Number(match[1]) : 0;
    if (current === t.days) continue;
    const clause = t.days > 0 ? `MODIFY ${schema.ttl(t.column, t.days)}` : 'REMOVE TTL';
    await client.command({
      query: `ALTER TABLE ${schema.storage(t.table)}${schema.onCluster} ${clause}`,
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    });
  }
}
