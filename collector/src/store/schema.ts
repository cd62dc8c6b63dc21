/**
 * ClickHouse schema: the tables users, dashboards and budgets rely on (shared/CONVENTIONS.md).
 *
 * - `otel_traces`, `otel_traces_trace_id_ts`, `otel_traces_trace_id_ts_mv`: column-for-column the
 *   OpenTelemetry Collector contrib ClickHouse exporter's schema, so Grafana's ClickHouse plugin
 *   (OTel mode) reads what burnrate writes and a contrib collector can write spans burnrate reads.
 * - `genai_spend`: one typed row per GenAI span.
 * - `genai_spend_1m` (+ `genai_spend_1m_mv`): per-minute rollup for dashboards and budgets.
 *
 * Idempotent replay: every insert carries an `insert_deduplication_token` derived from its batch id and
 * every table keeps a deduplication window, so a batch written twice (retry after an ambiguous failure,
 * spool replay) is stored once, in the tables and in the rollups fed by materialized views
 * (`deduplicate_blocks_in_dependent_materialized_views`). `genai_spend` is also a ReplacingMergeTree on
 * the span's identity, so even a span a client sent twice collapses in `FINAL` queries.
 *
 * Cluster mode (`cluster` set): every DDL runs `ON CLUSTER`, data lives in `Replicated*` tables named
 * `<table>_local`, and the public name is a `Distributed` table over them; materialized views work
 * shard-locally (local source -> local target).
 */

import { advisorCallTables } from '../advice/schema.js';
import { adviceTable } from '../advice/store.js';
import { budgetAlertsTable, budgetStateTable } from '../budgets/schema.js';

export interface RetentionDays {
  /** `otel_traces` and the trace-id lookup table; 0 keeps data forever. */
  traces: number;
  /** `genai_spend`; 0 keeps data forever. */
  spend: number;
  /** `genai_spend_1m`; 0 keeps data forever. */
  rollups: number;
}

export interface SchemaOptions {
  database: string;
  /** Cluster name: `ON CLUSTER`, Replicated engines and Distributed tables. Unset: single node. */
  cluster?: string | undefined;
  retention: RetentionDays;
}

/** Blocks remembered per table for insert deduplication (spool replays, retries). */
export const DEDUP_WINDOW = 10_000;

export const TABLES = {
  traces: 'otel_traces',
  traceIdTs: 'otel_traces_trace_id_ts',
  traceIdTsMv: 'otel_traces_trace_id_ts_mv',
  spend: 'genai_spend',
  spend1m: 'genai_spend_1m',
  spend1mMv: 'genai_spend_1m_mv',
  migrations: 'schema_migrations',
} as const;

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes an identifier; names come from configuration, so they are validated, never interpolated raw. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`invalid ClickHouse identifier: ${JSON.stringify(name)}`);
  return '`' + name + '`';
}

export class SchemaBuilder {
  constructor(readonly opts: SchemaOptions) {
    ident(opts.database);
    if (opts.cluster !== undefined) ident(opts.cluster);
  }

  get clustered(): boolean {
    return this.opts.cluster !== undefined && this.opts.cluster !== '';
  }

  /** `ON CLUSTER x` or nothing. */
  get onCluster(): string {
    return this.clustered ? ` ON CLUSTER ${ident(this.opts.cluster!)}` : '';
  }

  /** Fully qualified name of the table queries and inserts use. */
  table(name: string): string {
    return `${ident(this.opts.database)}.${ident(name)}`;
  }

  /** Fully qualified name of the table that stores data (`<name>_local` in cluster mode). */
  storage(name: string): string {
    return this.table(this.clustered ? `${name}_local` : name);
  }

  /** `MergeTree()` or its `Replicated` form; `kind` e.g. `Replacing`, `Summing`. */
  engine(kind = '', params: string[] = []): string {
    if (this.clustered) {
      const args = ["'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'", ...params];
      return `Replicated${kind}MergeTree(${args.join(', ')})`;
    }
    return `${kind}MergeTree(${params.join(', ')})`;
  }

  dedupSetting(): string {
    return this.clustered
      ? `replicated_deduplication_window = ${DEDUP_WINDOW}`
      : `non_replicated_deduplication_window = ${DEDUP_WINDOW}`;
  }

  ttl(column: string, days: number): string {
    if (!Number.isInteger(days) || days < 0)
      throw new Error(`retention must be whole days >= 0, got ${days}`);
    return days > 0 ? `TTL ${column} + toIntervalDay(${days})` : '';
  }

  /** The Distributed table over `<name>_local`, in cluster mode only. */
  distributed(name: string, shardingKey: string): string[] {
    if (!this.clustered) return [];
    return [
      `CREATE TABLE IF NOT EXISTS ${this.table(name)}${this.onCluster} AS ${this.storage(name)}
ENGINE = Distributed(${ident(this.opts.cluster!)}, ${ident(this.opts.database)}, ${ident(`${name}_local`)}, ${shardingKey})`,
    ];
  }

  createDatabase(): string {
    return `CREATE DATABASE IF NOT EXISTS ${ident(this.opts.database)}${this.onCluster}`;
  }

  migrationsTable(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table(TABLES.migrations)}${this.onCluster} (
    version UInt32,
    name String,
    applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = ${this.engine('Replacing')}
ORDER BY version`;
  }

  // --- contrib-exporter-compatible trace tables ---------------------------------------------------

  traces(): string[] {
    const t = TABLES.traces;
    return [
      `CREATE TABLE IF NOT EXISTS ${this.storage(t)}${this.onCluster} (
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(T64, ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    ResourceAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
    SpanAttributeItems Array(String) ALIAS arrayMap(kv -> concat(kv.1, '=', kv.2), CAST(SpanAttributes, 'Array(Tuple(String, String))')),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1,
    INDEX idx_lower_span_name lower(SpanName) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = ${this.engine()}
PARTITION BY toDate(Timestamp)
PRIMARY KEY (ServiceName, SpanName, toDateTime(Timestamp))
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp), Timestamp)
${this.ttl('toDateTime(Timestamp)', this.opts.retention.traces)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${this.dedupSetting()}`,
      ...this.distributed(t, 'cityHash64(TraceId)'),
    ];
  }

  traceIdTs(): string[] {
    const t = TABLES.traceIdTs;
    return [
      `CREATE TABLE IF NOT EXISTS ${this.storage(t)}${this.onCluster} (
    TraceId String CODEC(ZSTD(1)),
    Start SimpleAggregateFunction(min, DateTime) CODEC(ZSTD(1)),
    End SimpleAggregateFunction(max, DateTime) CODEC(ZSTD(1))
) ENGINE = ${this.engine('Aggregating')}
PARTITION BY toStartOfWeek(Start)
ORDER BY (TraceId)
${this.ttl('toDateTime(Start)', this.opts.retention.traces)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${this.dedupSetting()}`,
      ...this.distributed(t, 'cityHash64(TraceId)'),
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${this.storage(TABLES.traceIdTsMv)}${this.onCluster}
TO ${this.storage(t)}
AS SELECT
    TraceId,
    min(Timestamp) AS Start,
    max(Timestamp) AS End
FROM ${this.storage(TABLES.traces)}
WHERE TraceId != ''
GROUP BY TraceId`,
    ];
  }

  // --- GenAI spend ----------------------------------------------------------------------------------

  spend(): string[] {
    const t = TABLES.spend;
    return [
      `CREATE TABLE IF NOT EXISTS ${this.storage(t)}${this.onCluster} (
    timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    trace_id String CODEC(ZSTD(1)),
    span_id String CODEC(ZSTD(1)),
    parent_span_id String CODEC(ZSTD(1)),
    span_name LowCardinality(String) CODEC(ZSTD(1)),
    service_name LowCardinality(String) CODEC(ZSTD(1)),
    provider LowCardinality(String) CODEC(ZSTD(1)),
    operation LowCardinality(String) CODEC(ZSTD(1)),
    request_model LowCardinality(String) CODEC(ZSTD(1)),
    response_model LowCardinality(String) CODEC(ZSTD(1)),
    model LowCardinality(String) CODEC(ZSTD(1)),
    server_address LowCardinality(String) CODEC(ZSTD(1)),
    input_tokens UInt64 CODEC(T64, ZSTD(1)),
    output_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_read_tokens UInt64 CODEC(T64, ZSTD(1)),
    cache_write_tokens UInt64 CODEC(T64, ZSTD(1)),
    reasoning_tokens UInt64 CODEC(T64, ZSTD(1)),
    cost_usd Float64 CODEC(ZSTD(1)),
    cost_input_usd Float64 CODEC(ZSTD(1)),
    cost_output_usd Float64 CODEC(ZSTD(1)),
    cost_cache_read_usd Float64 CODEC(ZSTD(1)),
    cost_cache_write_usd Float64 CODEC(ZSTD(1)),
    cost_source LowCardinality(String) CODEC(ZSTD(1)),
    priced_by LowCardinality(String) CODEC(ZSTD(1)),
    unpriced Bool,
    usage_estimated Bool,
    pricing_tier LowCardinality(String) CODEC(ZSTD(1)),
    feature LowCardinality(String) CODEC(ZSTD(1)),
    user_id String CODEC(ZSTD(1)),
    session_id String CODEC(ZSTD(1)),
    tenant LowCardinality(String) CODEC(ZSTD(1)),
    tags Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    cache_hit Bool,
    cache_kind LowCardinality(String) CODEC(ZSTD(1)),
    cache_similarity Nullable(Float64),
    cache_saved_usd Float64 CODEC(ZSTD(1)),
    route_name LowCardinality(String) CODEC(ZSTD(1)),
    route_tier LowCardinality(String) CODEC(ZSTD(1)),
    route_reason LowCardinality(String) CODEC(ZSTD(1)),
    route_baseline_model LowCardinality(String) CODEC(ZSTD(1)),
    route_baseline_cost_usd Nullable(Float64),
    route_saved_usd Float64 CODEC(ZSTD(1)),
    duration_ns UInt64 CODEC(T64, ZSTD(1)),
    ttft_seconds Nullable(Float64),
    stream Bool,
    stream_completed Nullable(Bool),
    status_code LowCardinality(String) CODEC(ZSTD(1)),
    error_type LowCardinality(String) CODEC(ZSTD(1)),
    instrumentation_source LowCardinality(String) CODEC(ZSTD(1)),
    scope_name LowCardinality(String) CODEC(ZSTD(1)),
    INDEX idx_trace_id trace_id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_user user_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_session session_id TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_feature feature TYPE set(1000) GRANULARITY 4,
    INDEX idx_tenant tenant TYPE set(1000) GRANULARITY 4
) ENGINE = ${this.engine('Replacing')}
PARTITION BY toDate(timestamp)
ORDER BY (toStartOfHour(timestamp), service_name, trace_id, span_id)
${this.ttl('toDateTime(timestamp)', this.opts.retention.spend)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${this.dedupSetting()}`,
      ...this.distributed(t, 'cityHash64(trace_id)'),
    ];
  }

  /** Savings-advisor columns (added after the first release, hence ALTER; on Distributed too). */
  spendAdvisorColumns(): string[] {
    const add = `ADD COLUMN IF NOT EXISTS prompt_fingerprint String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS prefix_fingerprint String CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS prefix_tokens UInt32 CODEC(T64, ZSTD(1)),
    ADD COLUMN IF NOT EXISTS max_tokens UInt32 CODEC(T64, ZSTD(1))`;
    const tables = this.clustered
      ? [this.storage(TABLES.spend), this.table(TABLES.spend)]
      : [this.table(TABLES.spend)];
    return tables.map((t) => `ALTER TABLE ${t}${this.onCluster} ${add}`);
  }

  /** Dimensions of the minute rollup, in sorting-key order. */
  static readonly ROLLUP_DIMENSIONS = [
    'service_name',
    'provider',
    'model',
    'operation',
    'feature',
    'tenant',
    'user_id',
    'route_name',
    'pricing_tier',
  ] as const;

  spend1m(): string[] {
    const t = TABLES.spend1m;
    const dims = SchemaBuilder.ROLLUP_DIMENSIONS;
    return [
      `CREATE TABLE IF NOT EXISTS ${this.storage(t)}${this.onCluster} (
    minute DateTime CODEC(Delta(4), ZSTD(1)),
    service_name LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    operation LowCardinality(String),
    feature LowCardinality(String),
    tenant LowCardinality(String),
    user_id String,
    route_name LowCardinality(String),
    pricing_tier LowCardinality(String),
    requests UInt64,
    unpriced_requests UInt64,
    errors UInt64,
    cost_usd Float64,
    cost_input_usd Float64,
    cost_output_usd Float64,
    cost_cache_read_usd Float64,
    cost_cache_write_usd Float64,
    input_tokens UInt64,
    output_tokens UInt64,
    cache_read_tokens UInt64,
    cache_write_tokens UInt64,
    reasoning_tokens UInt64,
    cache_hits UInt64,
    cache_saved_usd Float64,
    route_baseline_cost_usd Float64,
    route_saved_usd Float64,
    duration_ns_sum UInt64
) ENGINE = ${this.engine('Summing')}
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, ${dims.join(', ')})
${this.ttl('minute', this.opts.retention.rollups)}
SETTINGS index_granularity = 8192, ${this.dedupSetting()}`,
      ...this.distributed(t, 'cityHash64(minute, service_name, model)'),
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${this.storage(TABLES.spend1mMv)}${this.onCluster}
TO ${this.storage(t)}
AS SELECT
    toStartOfMinute(timestamp) AS minute,
    ${dims.join(',\n    ')},
    count() AS requests,
    countIf(unpriced) AS unpriced_requests,
    countIf(status_code = 'Error') AS errors,
    sum(cost_usd) AS cost_usd,
    sum(cost_input_usd) AS cost_input_usd,
    sum(cost_output_usd) AS cost_output_usd,
    sum(cost_cache_read_usd) AS cost_cache_read_usd,
    sum(cost_cache_write_usd) AS cost_cache_write_usd,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(cache_read_tokens) AS cache_read_tokens,
    sum(cache_write_tokens) AS cache_write_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    countIf(cache_hit) AS cache_hits,
    sum(cache_saved_usd) AS cache_saved_usd,
    sum(ifNull(route_baseline_cost_usd, 0)) AS route_baseline_cost_usd,
    sum(route_saved_usd) AS route_saved_usd,
    sum(duration_ns) AS duration_ns_sum
FROM ${this.storage(TABLES.spend)}
GROUP BY minute, ${dims.join(', ')}`,
    ];
  }
}

export interface Migration {
  version: number;
  name: string;
  statements(schema: SchemaBuilder): string[];
}

/**
 * Versioned migrations, applied in order and recorded in `schema_migrations`. Every statement is
 * idempotent (`IF NOT EXISTS`), so a migration interrupted half-way, or two collectors starting at once,
 * converge. Never edit a released migration: add a new one.
 */
export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'otel_traces (contrib exporter schema)', statements: (s) => s.traces() },
  { version: 2, name: 'otel_traces_trace_id_ts + materialized view', statements: (s) => s.traceIdTs() },
  { version: 3, name: 'genai_spend', statements: (s) => s.spend() },
  { version: 4, name: 'genai_spend_1m rollup + materialized view', statements: (s) => s.spend1m() },
  { version: 5, name: 'budget_alerts', statements: budgetAlertsTable },
  { version: 6, name: 'budget_state', statements: budgetStateTable },
  {
    version: 7,
    name: 'genai_spend prompt fingerprints and max_tokens',
    statements: (s) => s.spendAdvisorColumns(),
  },
  { version: 8, name: 'savings_advice', statements: adviceTable },
  {
    version: 9,
    name: 'genai_prompt_calls, genai_prefix_calls (advisor repeat levers) + views + backfill',
    statements: advisorCallTables,
  },
];
