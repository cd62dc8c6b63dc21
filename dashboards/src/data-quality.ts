import { filters, label, ROLLUP, SPEND, standardVars } from './common.ts';
import type { DashboardSpec } from './grafana.ts';

export const dataQuality: DashboardSpec = {
  uid: 'burnrate-data-quality',
  title: 'burnrate: Data quality',
  description:
    'How much of the spend can be trusted: unpriced models, token counts estimated locally, and which instrumentations the spans came from.',
  tags: ['burnrate', 'llm', 'data-quality'],
  variables: standardVars(),
  items: [
    {
      title: 'Unpriced share of requests',
      description: 'Calls to models with no known price (burnrate.cost.unpriced): they carry no cost.',
      type: 'stat',
      format: 'table',
      w: 8,
      h: 4,
      unit: 'percentunit',
      decimals: 1,
      thresholds: [
        [null, 'green'],
        [0.01, 'orange'],
        [0.05, 'red'],
      ],
      sql: `SELECT sum(unpriced_requests) / nullIf(sum(requests), 0) AS unpriced_share
FROM ${ROLLUP}
WHERE ${filters('minute')}`,
    },
    {
      title: 'Estimated usage share',
      description:
        'Calls whose token counts came from the local tokenizer because the provider reported no usage (burnrate.usage.estimated).',
      type: 'stat',
      format: 'table',
      w: 8,
      h: 4,
      unit: 'percentunit',
      decimals: 1,
      thresholds: [
        [null, 'green'],
        [0.05, 'orange'],
        [0.2, 'red'],
      ],
      sql: `SELECT countIf(usage_estimated) / nullIf(count(), 0) AS estimated_share
FROM ${SPEND}
WHERE ${filters('timestamp')}`,
    },
    {
      title: 'Instrumentation sources',
      description: 'Distinct instrumentations that sent GenAI spans in the time range.',
      type: 'stat',
      format: 'table',
      w: 8,
      h: 4,
      unit: 'short',
      // GROUP BY a LowCardinality column works on its dictionary keys: ~2x cheaper than uniqExact, still exact
      sql: `SELECT count() AS sources
FROM (
  SELECT instrumentation_source
  FROM ${SPEND}
  WHERE ${filters('timestamp')}
  GROUP BY instrumentation_source
)`,
    },
    {
      title: 'Unpriced models',
      description:
        'Models with no price in the bundled table or your overrides (BURNRATE_PRICES_FILE). Add a price to have them counted.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      sql: `SELECT
  provider,
  model,
  count() AS calls,
  sum(input_tokens) AS input,
  sum(output_tokens) AS output,
  groupUniqArray(service_name) AS services,
  min(timestamp) AS first_seen,
  max(timestamp) AS last_seen
FROM ${SPEND}
WHERE ${filters('timestamp')}
  AND unpriced
GROUP BY provider, model
ORDER BY calls DESC, provider, model`,
    },
    {
      title: 'Spans by instrumentation source',
      description:
        'GenAI spans per instrumentation (burnrate, OpenLLMetry, OpenInference, Vercel AI SDK, ...) with their unpriced, estimated and error shares.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      // grouped on the LowCardinality column itself, labelled afterwards (grouping on the label is slower)
      sql: `SELECT
  ${label('instrumentation_source')} AS source,
  sum(n) AS spans,
  sum(unpriced) / spans AS unpriced_share,
  sum(estimated) / spans AS estimated_share,
  sum(errors) / spans AS error_share,
  sum(cost) AS spend_usd
FROM (
  SELECT
    instrumentation_source,
    count() AS n,
    countIf(unpriced) AS unpriced,
    countIf(usage_estimated) AS estimated,
    countIf(status_code = 'Error') AS errors,
    sum(cost_usd) AS cost
  FROM ${SPEND}
  WHERE ${filters('timestamp')}
  GROUP BY instrumentation_source
)
GROUP BY source
ORDER BY spans DESC, source`,
      overrides: [
        { field: 'unpriced_share', unit: 'percentunit' },
        { field: 'estimated_share', unit: 'percentunit' },
        { field: 'error_share', unit: 'percentunit' },
        { field: 'spend_usd', unit: 'currencyUSD' },
      ],
    },
    {
      title: 'Spans over time by source',
      description: 'GenAI spans per interval, one series per instrumentation source.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      stacked: true,
      unit: 'short',
      sql: `SELECT
  time,
  ${label('instrumentation_source')} AS source,
  sum(n) AS spans
FROM (
  SELECT $__timeInterval(timestamp) AS time, instrumentation_source, count() AS n
  FROM ${SPEND}
  WHERE ${filters('timestamp')}
  GROUP BY time, instrumentation_source
)
GROUP BY time, source
ORDER BY time, source`,
    },
    {
      title: 'Estimated usage share over time',
      description: 'Share of calls per interval whose token counts were estimated locally.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      unit: 'percentunit',
      sql: `SELECT
  $__timeInterval(timestamp) AS time,
  countIf(usage_estimated) / count() AS estimated_share
FROM ${SPEND}
WHERE ${filters('timestamp')}
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Cost provenance',
      description:
        'Where each cost came from (burnrate.cost.source: provider-reported, computed from the price table, estimated from local token counts) and who priced it.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      sql: `SELECT
  cost_source,
  priced_by,
  count() AS spans,
  sum(cost_usd) AS spend_usd
FROM ${SPEND}
WHERE ${filters('timestamp')}
GROUP BY cost_source, priced_by
ORDER BY spans DESC, cost_source, priced_by`,
      overrides: [{ field: 'spend_usd', unit: 'currencyUSD' }],
    },
  ],
};
