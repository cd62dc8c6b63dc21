/** Cluster-mode DDL (no cluster here to run it on: the generated SQL is checked) and identifier safety. */
import { describe, expect, it } from 'vitest';
import { ident, MIGRATIONS, SchemaBuilder } from '../src/store/schema.js';

describe('cluster mode DDL', () => {
  const s = new SchemaBuilder({
    database: 'burnrate',
    cluster: 'prod',
    retention: { traces: 7, spend: 90, rollups: 0 },
  });
  const all = [s.createDatabase(), s.migrationsTable(), ...MIGRATIONS.flatMap((m) => m.statements(s))];

  it('runs every DDL statement ON CLUSTER', () => {
    const ddl = all.filter((sql) => !sql.startsWith('INSERT'));
    for (const sql of ddl) expect(sql).toContain('ON CLUSTER `prod`');
    // The advisor call tables' one-time backfill is the only DML, run once through the Distributed tables.
    expect(all.filter((sql) => sql.startsWith('INSERT')).map((sql) => sql.split(' ')[2])).toEqual([
      '`burnrate`.`genai_prompt_calls`',
      '`burnrate`.`genai_prefix_calls`',
    ]);
  });

  it('shards the advisor call tables by fingerprint, so one shard sees all calls of a request', () => {
    const sql = MIGRATIONS.find((m) => m.version === 9)!
      .statements(s)
      .join('\n');
    expect(sql).toContain('Distributed(`prod`, `burnrate`, `genai_prompt_calls_local`, fingerprint)');
    expect(sql).toContain('Distributed(`prod`, `burnrate`, `genai_prefix_calls_local`, prefix)');
    // Views read the local spend table and write through the Distributed table (not shard-locally).
    expect(sql).toMatch(
      /TO `burnrate`.`genai_prompt_calls`\nAS SELECT[\s\S]*FROM `burnrate`.`genai_spend_local`/,
    );
  });

  it('stores data in Replicated tables named _local behind Distributed tables', () => {
    const traces = s.traces().join('\n');
    expect(traces).toContain('CREATE TABLE IF NOT EXISTS `burnrate`.`otel_traces_local` ON CLUSTER `prod`');
    expect(traces).toContain(
      "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(traces).toContain('replicated_deduplication_window = 10000');
    expect(traces).toMatch(
      /`otel_traces` ON CLUSTER `prod` AS `burnrate`.`otel_traces_local`\s+ENGINE = Distributed\(`prod`, `burnrate`, `otel_traces_local`, cityHash64\(TraceId\)\)/,
    );
    const spend = s.spend().join('\n');
    expect(spend).toContain('ReplicatedReplacingMergeTree(');
    const rollup = s.spend1m().join('\n');
    expect(rollup).toContain('ReplicatedSummingMergeTree(');
    expect(rollup).toContain('TO `burnrate`.`genai_spend_1m_local`');
    expect(rollup).toContain('FROM `burnrate`.`genai_spend_local`');
    expect(s.traceIdTs().join('\n')).toContain('ReplicatedAggregatingMergeTree(');
  });

  it('applies retention as TTL', () => {
    expect(s.traces()[0]).toContain('TTL toDateTime(Timestamp) + toIntervalDay(7)');
    expect(s.spend()[0]).toContain('TTL toDateTime(timestamp) + toIntervalDay(90)');
    expect(s.spend1m()[0]).not.toContain('TTL');
  });

  it('single node: no ON CLUSTER, no Distributed', () => {
    const single = new SchemaBuilder({
      database: 'burnrate',
      retention: { traces: 0, spend: 0, rollups: 0 },
    });
    const sql = MIGRATIONS.flatMap((m) => m.statements(single)).join('\n');
    expect(sql).not.toContain('ON CLUSTER');
    expect(sql).not.toContain('Distributed');
    expect(sql).toContain('non_replicated_deduplication_window = 10000');
  });

  it('refuses identifiers that are not plain names', () => {
    expect(() => ident('x`; DROP TABLE y')).toThrow(/invalid ClickHouse identifier/);
    expect(
      () => new SchemaBuilder({ database: 'a-b', retention: { traces: 0, spend: 0, rollups: 0 } }),
    ).toThrow();
  });
});
