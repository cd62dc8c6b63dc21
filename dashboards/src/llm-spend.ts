import {
  BUDGET_STATE,
  filters,
  jaegerVar,
  label,
  ROLLUP,
  SPEND,
  standardVars,
  traceLinks,
} from './common.ts';
import type { DashboardSpec } from './grafana.ts';

/** The latest evaluation of each budget and group, in its latest period. */
export const LATEST_BUDGET_STATE = `SELECT
  budget,
  if(group_key = '', '(all)', group_key) AS group,
  period_start,
  period_end,
  spend_usd,
  limit_usd,
  percent,
  projected_usd,
  if(limit_usd > 0, projected_usd / limit_usd * 100, 0) AS projected_percent,
  state,
  evaluated_at
FROM ${BUDGET_STATE} FINAL
ORDER BY budget, group_key, period_start DESC
LIMIT 1 BY budget, group_key`;

/** A dimension column as shown: empty values become '(none)' unless the alias is the column itself. */
const dimColumn = (dim: string, alias: string) => (dim === alias ? dim : `${label(dim)} AS ${alias}`);

/**
 * Top ten by a rollup dimension. The rollup rows are grouped on the column itself (LowCardinality keys,
 * no per-row label), then labelled and, in case a literal '(none)' exists too, grouped again.
 */
const byDim = (dim: string, alias: string) => `SELECT
  ${dimColumn(dim, alias)},
  sum(spend) AS spend_usd,
  sum(n) AS calls,
  spend_usd / nullIf(calls - sum(unpriced), 0) AS cost_per_request,
  sum(input_tokens) AS input,
  sum(output_tokens) AS output
FROM (
  SELECT
    ${dim},
    sum(cost_usd) AS spend,
    sum(requests) AS n,
    sum(unpriced_requests) AS unpriced,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens
  FROM ${ROLLUP}
  WHERE ${filters('minute')}
  GROUP BY ${dim}
)
GROUP BY ${alias}
ORDER BY spend_usd DESC, ${alias}
LIMIT 10`;

const spendOverTime = (dim: string, alias: string) => `SELECT
  $__timeInterval(minute) AS time,
  ${dimColumn(dim, alias)},
  sum(cost_usd) AS spend_usd
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY time, ${alias}
ORDER BY time, ${alias}`;

const money = { unit: 'currencyUSD' };

export const llmSpend: DashboardSpec = {
  uid: 'burnrate-llm-spend',
  title: 'burnrate: LLM spend',
  description:
    'Where the money goes: spend by model, provider, feature, user, tenant and session, and budgets.',
  tags: ['burnrate', 'llm', 'cost'],
  variables: standardVars([jaegerVar]),
  items: [
    {
      title: 'Total spend',
      description: 'USD spent on priced GenAI calls in the time range (minute rollup).',
      type: 'stat',
      format: 'table',
      w: 5,
      h: 4,
      ...money,
      sql: `SELECT sum(cost_usd) AS spend_usd FROM ${ROLLUP}\nWHERE ${filters('minute')}`,
    },
    {
      title: 'Requests',
      description: 'GenAI calls in the time range, priced or not.',
      type: 'stat',
      format: 'table',
      w: 4,
      h: 4,
      unit: 'short',
      sql: `SELECT sum(requests) AS calls FROM ${ROLLUP}\nWHERE ${filters('minute')}`,
    },
    {
      title: 'Cost per request',
      description: 'Spend divided by priced requests (unpriced calls have no cost and are left out).',
      type: 'stat',
      format: 'table',
      w: 5,
      h: 4,
      unit: 'currencyUSD',
      decimals: 5,
      sql: `SELECT sum(cost_usd) / nullIf(sum(requests) - sum(unpriced_requests), 0) AS cost_per_request
FROM ${ROLLUP}
WHERE ${filters('minute')}`,
    },
    {
      title: 'Cost per session',
      description:
        'Spend of calls that carry a session.id, divided by the number of distinct sessions (counted with uniqCombined: exact up to 4,096 sessions, within about 1% above).',
      type: 'stat',
      format: 'table',
      w: 5,
      h: 4,
      unit: 'currencyUSD',
      decimals: 4,
      sql: `SELECT sum(cost_usd) / nullIf(sessions, 0) AS cost_per_session, uniqCombined(session_id) AS sessions
FROM ${SPEND}
WHERE ${filters('timestamp')}
  AND session_id != ''`,
    },
    {
      title: 'Unpriced requests',
      description:
        'Calls to models with no known price: no cost recorded (never a silent $0). See Data quality.',
      type: 'stat',
      format: 'table',
      w: 5,
      h: 4,
      unit: 'short',
      thresholds: [
        [null, 'green'],
        [1, 'orange'],
      ],
      sql: `SELECT sum(unpriced_requests) AS unpriced_calls FROM ${ROLLUP}\nWHERE ${filters('minute')}`,
    },
    { row: 'Spend over time' },
    {
      title: 'Spend by model',
      description: 'USD per interval, one series per model that answered.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 9,
      stacked: true,
      ...money,
      sql: spendOverTime('model', 'model'),
    },
    {
      title: 'Spend by provider',
      description: 'USD per interval, one series per provider (gen_ai.provider.name).',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 9,
      stacked: true,
      ...money,
      sql: spendOverTime('provider', 'provider'),
    },
    { row: 'Attribution' },
    {
      title: 'Top features',
      description: 'The ten features (burnrate.feature) that spent most.',
      type: 'table',
      format: 'table',
      w: 8,
      h: 9,
      sql: byDim('feature', 'feature'),
      overrides: [
        { field: 'spend_usd', ...money },
        { field: 'cost_per_request', unit: 'currencyUSD' },
      ],
    },
    {
      title: 'Top users',
      description: 'The ten end users (user.id) that spent most.',
      type: 'table',
      format: 'table',
      w: 8,
      h: 9,
      sql: byDim('user_id', 'user'),
      overrides: [
        { field: 'spend_usd', ...money },
        { field: 'cost_per_request', unit: 'currencyUSD' },
      ],
    },
    {
      title: 'Top tenants',
      description: 'The ten tenants (burnrate.tenant) that spent most.',
      type: 'table',
      format: 'table',
      w: 8,
      h: 9,
      sql: byDim('tenant', 'tenant'),
      overrides: [
        { field: 'spend_usd', ...money },
        { field: 'cost_per_request', unit: 'currencyUSD' },
      ],
    },
    {
      title: 'Costliest sessions',
      description: 'Sessions (session.id) by spend, with their calls and duration.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 9,
      // two passes: the 20 costliest sessions from a narrow scan (session_id, cost_usd), then their
      // user, feature, calls and times from those sessions' rows only (the session_id bloom filter
      // skips the other granules)
      sql: `SELECT
  session_id AS session,
  any(user_id) AS user,
  anyHeavy(feature) AS top_feature,
  count() AS calls,
  sum(cost_usd) AS spend_usd,
  sum(cost_usd) / count() AS cost_per_request,
  min(timestamp) AS first_call,
  max(timestamp) AS last_call
FROM ${SPEND}
WHERE ${filters('timestamp')}
  AND session_id IN (
    SELECT session_id
    FROM ${SPEND}
    WHERE ${filters('timestamp')}
      AND session_id != ''
    GROUP BY session_id
    ORDER BY sum(cost_usd) DESC, session_id
    LIMIT 20
  )
GROUP BY session_id
ORDER BY spend_usd DESC, session
LIMIT 20`,
      overrides: [
        { field: 'spend_usd', ...money },
        { field: 'cost_per_request', unit: 'currencyUSD' },
      ],
    },
    {
      title: 'Costliest calls',
      description:
        'The most expensive single calls. Click a trace id for the trace view in Grafana (ClickHouse otel_traces) or in Jaeger.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 9,
      sql: `SELECT
  timestamp AS time,
  service_name AS service,
  model,
  feature,
  user_id AS user,
  input_tokens,
  output_tokens,
  cost_usd,
  trace_id
FROM ${SPEND}
WHERE ${filters('timestamp')}
ORDER BY cost_usd DESC, trace_id
LIMIT 25`,
      overrides: [{ field: 'cost_usd', ...money }, traceLinks('trace_id')],
    },
    { row: 'Budgets' },
    {
      title: 'Spend vs budget',
      description:
        'Each budget (and group) in its current period: spend, limit, percent used, and the forecast of the spend at the end of the period. Budgets are not narrowed by the variables.',
      type: 'table',
      format: 'table',
      w: 16,
      h: 8,
      sql: LATEST_BUDGET_STATE,
      overrides: [
        { field: 'spend_usd', ...money },
        { field: 'limit_usd', ...money },
        { field: 'projected_usd', ...money },
        { field: 'percent', unit: 'percent', gauge: { max: 100 } },
        { field: 'projected_percent', unit: 'percent', gauge: { max: 150 } },
        { field: 'state', colors: { ok: 'green', warn: 'orange', alert: 'red' } },
      ],
    },
    {
      title: 'Forecast: end-of-period spend vs limit',
      description: 'Projected spend at the end of each budget period as a percentage of its limit.',
      type: 'bargauge',
      format: 'table',
      w: 8,
      h: 8,
      unit: 'percent',
      max: 150,
      thresholds: [
        [null, 'green'],
        [80, 'orange'],
        [100, 'red'],
      ],
      sql: `SELECT concat(budget, ' / ', group) AS budget_group, projected_percent
FROM (${LATEST_BUDGET_STATE})
ORDER BY projected_percent DESC`,
    },
  ],
};
