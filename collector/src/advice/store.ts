/**
 * `savings_advice`: snapshots of the advisor's report, so Grafana (which reads ClickHouse, not the REST
 * API) can show the opportunities on the Savings dashboard. The collector refreshes it periodically;
 * a snapshot is a dozen rows, so the table is kept without TTL.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SchemaBuilder } from '../store/schema.js';
import type { AdviceReport } from './advice.js';

export const ADVICE_TABLE = 'savings_advice';

export function adviceTable(s: SchemaBuilder): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${s.storage(ADVICE_TABLE)}${s.onCluster} (
    computed_at DateTime64(3, 'UTC'),
    window_from DateTime64(3, 'UTC'),
    window_to DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    lever LowCardinality(String),
    title String,
    saved_usd Float64,
    monthly_usd Float64,
    requests UInt64,
    features Array(String),
    models Array(String),
    method String
) ENGINE = ${s.engine()}
ORDER BY (computed_at, kind, lever)`,
    ...s.distributed(ADVICE_TABLE, 'rand()'),
  ];
}

const chTime = (iso: string | Date) => new Date(iso).toISOString().replace('T', ' ').replace('Z', '');

export async function saveAdvice(
  client: ClickHouseClient,
  schema: SchemaBuilder,
  r: AdviceReport,
  at = new Date(),
) {
  const common = { computed_at: chTime(at), window_from: chTime(r.from), window_to: chTime(r.to) };
  await client.insert({
    table: schema.table(ADVICE_TABLE),
    format: 'JSONEachRow',
    values: [
      ...r.opportunities.map((o) => ({
        ...common,
        kind: 'opportunity',
        lever: o.lever,
        title: o.title,
        saved_usd: o.saved_usd,
        monthly_usd: o.monthly_usd,
        requests: o.requests,
        features: o.features,
        models: o.models,
        method: o.method,
      })),
      ...r.realized.map((x) => ({
        ...common,
        kind: 'realized',
        lever: x.lever,
        title: '',
        saved_usd: x.saved_usd,
        monthly_usd: x.monthly_usd,
        requests: 0,
        features: [],
        models: [],
        method: '',
      })),
    ],
  });
}
