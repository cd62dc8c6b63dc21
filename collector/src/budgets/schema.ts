/**
 * Budget tables. `budget_alerts` is the alert state and history: one row per (budget, group, period,
 * threshold, event), keyed by the alert's stable `id`, so a restarted collector or a second replica
 * sees what already fired. `budget_state` holds the latest evaluation of every budget and group, for
 * the Budgets dashboard (Grafana reads ClickHouse, not the REST API).
 */
import type { SchemaBuilder } from '../store/schema.js';

export const BUDGET_TABLES = {
  alerts: 'budget_alerts',
  state: 'budget_state',
} as const;

export function budgetAlertsTable(s: SchemaBuilder): string[] {
  const t = BUDGET_TABLES.alerts;
  return [
    `CREATE TABLE IF NOT EXISTS ${s.storage(t)}${s.onCluster} (
    id String,
    event LowCardinality(String),
    budget LowCardinality(String),
    group_key String,
    threshold Float64,
    percent Float64,
    spend_usd Float64,
    limit_usd Float64,
    projected_usd Float64,
    period_start DateTime64(3, 'UTC'),
    period_end DateTime64(3, 'UTC'),
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    sent_at Nullable(DateTime64(3, 'UTC')),
    claimed_by String,
    channels Array(String),
    failed_channels Array(String),
    payload String CODEC(ZSTD(1))
) ENGINE = ${s.engine('Replacing', ['updated_at'])}
ORDER BY id`,
    ...s.distributed(t, 'cityHash64(id)'),
  ];
}

export function budgetStateTable(s: SchemaBuilder): string[] {
  const t = BUDGET_TABLES.state;
  return [
    `CREATE TABLE IF NOT EXISTS ${s.storage(t)}${s.onCluster} (
    budget LowCardinality(String),
    group_key String,
    period_start DateTime64(3, 'UTC'),
    period_end DateTime64(3, 'UTC'),
    spend_usd Float64,
    limit_usd Float64,
    percent Float64,
    projected_usd Float64,
    state LowCardinality(String),
    evaluated_at DateTime64(3, 'UTC')
) ENGINE = ${s.engine('Replacing', ['evaluated_at'])}
PARTITION BY toYYYYMM(period_start)
ORDER BY (budget, group_key, period_start)`,
    ...s.distributed(t, 'cityHash64(budget, group_key)'),
  ];
}
