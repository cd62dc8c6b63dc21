/**
 * Spend queries (`GET /api/spend`, `burnrate report`): cost, requests, tokens and savings grouped by one
 * dimension, with optional filters. Parameterized SQL only: dimension names map to fixed columns, every
 * value is a bound parameter. Minute-aligned ranges read the `genai_spend_1m` rollup; others (and the
 * session dimension, which the rollup does not keep) read `genai_spend`.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { type SchemaBuilder, TABLES } from '../store/schema.js';

export const DIMENSIONS = {
  feature: 'feature',
  model: 'model',
  provider: 'provider',
  user: 'user_id',
  session: 'session_id',
  tenant: 'tenant',
  route: 'route_name',
  service: 'service_name',
} as const;

export type Dimension = keyof typeof DIMENSIONS;

export interface SpendQuery {
  from: Date;
  to: Date;
  groupBy: Dimension;
  filters: Partial<Record<Dimension, string>>;
  limit?: number | undefined;
}

export interface SpendRowOut {
  key: string;
  cost_usd: number;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  saved_usd: number;
}

export interface SpendResponse {
  from: string;
  to: string;
  group_by: Dimension;
  rows: SpendRowOut[];
  unpriced_requests: number;
}

export class SpendQueryError extends Error {
  override name = 'SpendQueryError';
}

const isDimension = (d: string): d is Dimension => Object.hasOwn(DIMENSIONS, d);

/** ISO 8601 date or date-time (`2026-11-23`, `2026-11-23T10:00:00Z`, `2026-11-23 10:00:00.5+01:00`). */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
/** Times the store can hold: 1970-01-01 up to 2100-01-01 (where span timestamps are clamped). */
const MIN_MS = 0;
const MAX_MS = 4_102_444_800_000;

/** Accepts ISO 8601, epoch seconds or milliseconds, `now`, or a duration back from now (`15m`, `24h`, `7d`). */
export function parseTime(value: string, name: string, now = Date.now()): Date {
  const v = value.trim();
  let d: Date | undefined;
  const rel = /^(\d+)(s|m|h|d|w)$/.exec(v);
  if (v === 'now') d = new Date(now);
  else if (rel) {
    const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[rel[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    d = new Date(now - Number(rel[1]) * unit);
  } else if (/^\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    d = new Date(n < 1e11 ? n * 1000 : n);
  } else if (ISO.test(v)) {
    // Only ISO 8601: Date's lenient parser would read garbage such as "x' OR '1'='1" or "-5" as a date.
    d = new Date(v);
  }
  if (!d || Number.isNaN(d.getTime())) {
    throw new SpendQueryError(
      `${name}: not a time (use ISO 8601, epoch seconds/ms, now, or 24h/7d): ${JSON.stringify(value)}`,
    );
  }
  if (d.getTime() < MIN_MS || d.getTime() > MAX_MS) {
    throw new SpendQueryError(`${name}: must be between 1970-01-01 and 2100-01-01: ${JSON.stringify(value)}`);
  }
  return d;
}

/** Builds a SpendQuery from URL parameters; throws SpendQueryError with a message for 400. */
export function spendQueryFromParams(params: URLSearchParams, now = Date.now()): SpendQuery {
  const groupBy = params.get('group_by') ?? 'feature';
  if (!isDimension(groupBy)) {
    throw new SpendQueryError(
      `group_by must be one of ${Object.keys(DIMENSIONS).join(', ')}; got ${JSON.stringify(groupBy)}`,
    );
  }
  const from = params.has('from') ? parseTime(params.get('from')!, 'from', now) : new Date(now - 864e5);
  const to = params.has('to') ? parseTime(params.get('to')!, 'to', now) : new Date(now);
  if (from.getTime() >= to.getTime()) throw new SpendQueryError('from must be before to');
  const filters: SpendQuery['filters'] = {};
  for (const d of Object.keys(DIMENSIONS) as Dimension[]) {
    const v = params.get(d);
    if (v !== null) filters[d] = v;
  }
  let limit: number | undefined;
  if (params.has('limit')) {
    limit = Number(params.get('limit'));
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
      throw new SpendQueryError('limit must be an integer from 1 to 100000');
  }
  return { from, to, groupBy, filters, limit };
}

const MINUTE = 60_000;

export async function querySpend(
  client: ClickHouseClient,
  schema: SchemaBuilder,
  q: SpendQuery,
): Promise<SpendResponse> {
  const usesSession = q.groupBy === 'session' || q.filters.session !== undefined;
  const aligned = q.from.getTime() % MINUTE === 0 && q.to.getTime() % MINUTE === 0;
  const rollup = aligned && !usesSession;
  const params: Record<string, unknown> = { from_ms: q.from.getTime(), to_ms: q.to.getTime() };
  const where: string[] = rollup
    ? [
        'minute >= fromUnixTimestamp64Milli({from_ms:Int64})',
        'minute < fromUnixTimestamp64Milli({to_ms:Int64})',
      ]
    : [
        'timestamp >= fromUnixTimestamp64Milli({from_ms:Int64})',
        'timestamp < fromUnixTimestamp64Milli({to_ms:Int64})',
      ];
  let i = 0;
  for (const [dim, value] of Object.entries(q.filters) as Array<[Dimension, string]>) {
    const p = `f${i++}`;
    where.push(`${DIMENSIONS[dim]} = {${p}:String}`);
    params[p] = value;
  }
  const col = DIMENSIONS[q.groupBy];
  const table = rollup ? `${schema.table(TABLES.spend1m)}` : `${schema.table(TABLES.spend)} FINAL`;
  const measures = rollup
    ? `sum(cost_usd) AS cost_usd, sum(requests) AS requests, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_saved_usd) + sum(route_saved_usd) AS saved_usd, sum(unpriced_requests) AS unpriced`
    : `sum(cost_usd) AS cost_usd, count() AS requests, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_saved_usd) + sum(route_saved_usd) AS saved_usd, countIf(unpriced) AS unpriced`;
  params['limit'] = q.limit ?? 1000;
  const rs = await client.query({
    query: `SELECT ${col} AS key, ${measures}
FROM ${table}
WHERE ${where.join(' AND ')}
GROUP BY key
ORDER BY cost_usd DESC, requests DESC, key
LIMIT {limit:UInt32}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const raw = await rs.json<Record<string, string | number>>();
  let unpriced = 0;
  const rows = raw.map((r) => {
    unpriced += Number(r['unpriced']);
    return {
      key: String(r['key']),
      cost_usd: Number(r['cost_usd']),
      requests: Number(r['requests']),
      input_tokens: Number(r['input_tokens']),
      output_tokens: Number(r['output_tokens']),
      cache_read_tokens: Number(r['cache_read_tokens']),
      saved_usd: Number(r['saved_usd']),
    };
  });
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    group_by: q.groupBy,
    rows,
    unpriced_requests: unpriced,
  };
}
