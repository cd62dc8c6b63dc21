import {
  DB,
  databaseVar,
  datasourceVar,
  jaegerVar,
  SPEND,
  TRACE_ID_TS,
  TRACES,
  traceLinks,
} from './common.ts';
import type { DashboardSpec } from './grafana.ts';

/**
 * The span window of one trace, from the exporter-compatible lookup table, so the trace query reads
 * only the partitions that hold it, whatever the dashboard's time range.
 */
const TRACE_WINDOW = `WITH
  '\${trace_id}' AS trace_id,
  (SELECT min(Start) FROM ${TRACE_ID_TS} WHERE TraceId = trace_id) AS trace_start,
  (SELECT max(End) + 1 FROM ${TRACE_ID_TS} WHERE TraceId = trace_id) AS trace_end`;

export const trace: DashboardSpec = {
  uid: 'burnrate-trace',
  title: 'burnrate: Trace',
  description:
    'One trace from otel_traces in Grafana’s trace view (the ClickHouse plugin’s trace query type), with the cost of each GenAI span in it. Opened from the trace id links on the other dashboards.',
  tags: ['burnrate', 'llm', 'traces'],
  time: { from: 'now-7d', to: 'now' },
  variables: [
    datasourceVar,
    databaseVar,
    {
      kind: 'textbox',
      name: 'trace_id',
      label: 'Trace id',
      value: '',
      description: 'Trace id (32 hex digits), e.g. from the Costliest calls table.',
    },
    jaegerVar,
  ],
  items: [
    {
      title: 'Trace',
      description:
        'Every span of the trace, as a waterfall. Span attributes include the gen_ai.* usage and cost.',
      type: 'traces',
      format: 'trace',
      w: 24,
      h: 16,
      sql: `${TRACE_WINDOW}
SELECT
  TraceId AS traceID,
  SpanId AS spanID,
  ParentSpanId AS parentSpanID,
  ServiceName AS serviceName,
  SpanName AS operationName,
  Timestamp AS startTime,
  multiply(Duration, 0.000001) AS duration,
  arrayMap(key -> map('key', key, 'value', SpanAttributes[key]), mapKeys(SpanAttributes)) AS tags,
  arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]), mapKeys(ResourceAttributes)) AS serviceTags,
  StatusCode AS statusCode,
  SpanKind AS kind
FROM ${TRACES}
WHERE TraceId = trace_id
  AND Timestamp >= trace_start
  AND Timestamp <= trace_end
ORDER BY Timestamp, SpanId
LIMIT 1000`,
    },
    {
      title: 'GenAI spans in this trace',
      description:
        'The priced GenAI calls in the trace (genai_spend), with their cost, tokens, cache and route.',
      type: 'table',
      format: 'table',
      w: 24,
      h: 8,
      sql: `SELECT
  timestamp AS time,
  span_id,
  service_name AS service,
  provider,
  model,
  input_tokens,
  output_tokens,
  cache_read_tokens,
  cost_usd,
  unpriced,
  cache_kind,
  route_name,
  status_code,
  trace_id
FROM ${SPEND}
WHERE trace_id = '\${trace_id}'
ORDER BY timestamp, span_id
LIMIT 500`,
      overrides: [{ field: 'cost_usd', unit: 'currencyUSD' }, traceLinks('trace_id')],
    },
    {
      title: 'Trace cost',
      description: 'Total cost and calls of the GenAI spans in the trace.',
      type: 'stat',
      format: 'table',
      w: 24,
      h: 4,
      unit: 'currencyUSD',
      decimals: 5,
      sql: `SELECT sum(cost_usd) AS spend_usd, count() AS genai_calls FROM ${DB}.genai_spend
WHERE trace_id = '\${trace_id}'`,
    },
  ],
};
