/**
 * Narrow copies of `genai_spend` for the advisor's repeat levers: only the columns those levers read,
 * fingerprints as 8-byte numbers, sorted by fingerprint then time. "Was this request (or prefix) seen
 * within the TTL?" then groups small numeric columns instead of every call's 64-character fingerprint
 * and string dimensions. On 10M spans the two levers went from 34 s to about 3 s (test/bench/RESULTS.md).
 *
 * - `genai_prompt_calls`: calls with a full-request fingerprint (exact-cache lever);
 * - `genai_prefix_calls`: calls whose stable prefix is long enough for any provider to cache
 *   (provider prompt-cache lever).
 *
 * Both are fed by materialized views on `genai_spend` and backfilled once from it when created. Only
 * calls a lever can apply to are copied (priced, not failed, not an app-cache hit). Fingerprints are
 * stored as `cityHash64` of the hex HMAC; a collision needs ~4 billion distinct requests in one window
 * to become likely. A row's identity (`span`) is in the sorting key of a ReplacingMergeTree, so a
 * backfill that is re-run after an interruption converges instead of counting twice.
 *
 * Cluster mode: the views write to the Distributed tables, sharded by fingerprint, so every call of
 * a fingerprint lands on one shard.
 */
import { type SchemaBuilder, TABLES } from '../store/schema.js';

export const PROMPT_CALLS = 'genai_prompt_calls';
export const PREFIX_CALLS = 'genai_prefix_calls';

/** The smallest prefix any provider caches (OpenAI and Anthropic: 1024 tokens). */
export const MIN_PREFIX_TOKENS = 1024;

/** Calls a lever can apply to; the same filter the advisor uses on `genai_spend`. */
export const LEVER_CALLS = "status_code != 'Error' AND NOT unpriced AND NOT cache_hit";

interface CallTable {
  name: string;
  columns: string;
  orderBy: string;
  shardBy: string;
  select: string;
  where: string;
}

const TABLE_DEFS: CallTable[] = [
  {
    name: PROMPT_CALLS,
    columns: `fingerprint UInt64,
    timestamp DateTime64(3) CODEC(Delta(8), ZSTD(1)),
    span UInt64 CODEC(ZSTD(1)),
    feature LowCardinality(String),
    provider LowCardinality(String),
    model LowCardinality(String),
    cost_usd Float64 CODEC(ZSTD(1))`,
    orderBy: 'fingerprint, timestamp, span',
    shardBy: 'fingerprint',
    select: `cityHash64(prompt_fingerprint) AS fingerprint, toDateTime64(timestamp, 3) AS timestamp,
    cityHash64(trace_id, span_id) AS span, feature, provider, model, cost_usd`,
    where: `prompt_fingerprint != '' AND ${LEVER_CALLS}`,
  },
  {
    name: PREFIX_CALLS,
    columns: `prefix UInt64,
    provider LowCardinality(String),
    model LowCardinality(String),
    timestamp DateTime64(3) CODEC(Delta(8), ZSTD(1)),
    span UInt64 CODEC(ZSTD(1)),
    feature LowCardinality(String),
    pricing_tier LowCardinality(String),
    prefix_tokens UInt32 CODEC(T64, ZSTD(1)),
    cache_read_tokens UInt64 CODEC(T64, ZSTD(1))`,
    orderBy: 'prefix, provider, model, timestamp, span',
    shardBy: 'prefix',
    select: `cityHash64(prefix_fingerprint) AS prefix, provider, model, toDateTime64(timestamp, 3) AS timestamp,
    cityHash64(trace_id, span_id) AS span, feature, pricing_tier, prefix_tokens, cache_read_tokens`,
    where: `prefix_fingerprint != '' AND prefix_tokens >= ${MIN_PREFIX_TOKENS} AND ${LEVER_CALLS}`,
  },
];

/** Tables, views and the one-time backfill (migration 9). */
export function advisorCallTables(s: SchemaBuilder): string[] {
  return TABLE_DEFS.flatMap((t) => [
    `CREATE TABLE IF NOT EXISTS ${s.storage(t.name)}${s.onCluster} (
    ${t.columns}
) ENGINE = ${s.engine('Replacing')}
PARTITION BY toMonday(timestamp)
ORDER BY (${t.orderBy})
${s.ttl('toDateTime(timestamp)', s.opts.retention.spend)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${s.dedupSetting()}`,
    ...s.distributed(t.name, t.shardBy),
    // Views read the local spend table and write to the public name (Distributed in cluster mode).
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${s.storage(`${t.name}_mv`)}${s.onCluster}
TO ${s.table(t.name)}
AS SELECT ${t.select}
FROM ${s.storage(TABLES.spend)}
WHERE ${t.where}`,
    `INSERT INTO ${s.table(t.name)} SELECT ${t.select} FROM ${s.table(TABLES.spend)} WHERE ${t.where}`,
  ]);
}
