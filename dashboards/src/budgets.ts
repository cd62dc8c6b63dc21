import { BUDGET_ALERTS, databaseVar, datasourceVar } from './common.ts';
import type { DashboardSpec } from './grafana.ts';
import { LATEST_BUDGET_STATE } from './llm-spend.ts';

const money = { unit: 'currencyUSD' };

export const budgets: DashboardSpec = {
  uid: 'burnrate-budgets',
  title: 'burnrate: Budgets',
  description:
    'Every budget and group in its current period (budget_state, written by the collector at each evaluation) and the alert history (budget_alerts).',
  tags: ['burnrate', 'llm', 'budgets'],
  time: { from: 'now-30d', to: 'now' },
  variables: [datasourceVar, databaseVar],
  items: [
    {
      title: 'Budgets in alert',
      description: 'Budgets (and groups) at or over 100% of their limit in the current period.',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      unit: 'short',
      thresholds: [
        [null, 'green'],
        [1, 'red'],
      ],
      sql: `SELECT countIf(state = 'alert') AS alerting FROM (${LATEST_BUDGET_STATE})`,
    },
    {
      title: 'Budgets in warning',
      description:
        'Budgets past their first threshold, or forecast to exceed their limit by the end of the period.',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      unit: 'short',
      thresholds: [
        [null, 'green'],
        [1, 'orange'],
      ],
      sql: `SELECT countIf(state = 'warn') AS warning FROM (${LATEST_BUDGET_STATE})`,
    },
    {
      title: 'Alerts sent',
      description: 'Alerts created in the time range (threshold crossed or forecast exceeded).',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      unit: 'short',
      sql: `SELECT count() AS alerts FROM ${BUDGET_ALERTS} FINAL\nWHERE $__timeFilter(created_at)`,
    },
    {
      title: 'Failed deliveries',
      description: 'Alerts in the time range with at least one channel that failed to deliver.',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      unit: 'short',
      thresholds: [
        [null, 'green'],
        [1, 'red'],
      ],
      sql: `SELECT countIf(length(failed_channels) > 0) AS failed FROM ${BUDGET_ALERTS} FINAL\nWHERE $__timeFilter(created_at)`,
    },
    {
      title: 'Budget state',
      description:
        'Latest evaluation of every budget and group: spend so far, limit, percent used, projected end-of-period spend and state (ok, warn, alert).',
      type: 'table',
      format: 'table',
      w: 24,
      h: 9,
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
      title: 'Percent used',
      description: 'Spend so far as a percentage of each limit.',
      type: 'bargauge',
      format: 'table',
      w: 12,
      h: 8,
      unit: 'percent',
      max: 100,
      thresholds: [
        [null, 'green'],
        [80, 'orange'],
        [100, 'red'],
      ],
      sql: `SELECT concat(budget, ' / ', group) AS budget_group, percent
FROM (${LATEST_BUDGET_STATE})
ORDER BY percent DESC`,
    },
    {
      title: 'Projected end-of-period spend',
      description: 'Forecast spend at the end of the current period next to the limit, in USD.',
      type: 'barchart',
      format: 'table',
      w: 12,
      h: 8,
      ...money,
      xField: 'budget_group',
      sql: `SELECT concat(budget, ' / ', group) AS budget_group, spend_usd, projected_usd, limit_usd
FROM (${LATEST_BUDGET_STATE})
ORDER BY projected_usd DESC`,
    },
    {
      title: 'Alert history',
      description: 'Alerts created in the time range, newest first, with the channels they went to.',
      type: 'table',
      format: 'table',
      w: 24,
      h: 10,
      sql: `SELECT
  created_at,
  budget,
  if(group_key = '', '(all)', group_key) AS group,
  event,
  threshold * 100 AS threshold_percent,
  percent,
  spend_usd,
  limit_usd,
  projected_usd,
  period_start,
  period_end,
  sent_at,
  arrayStringConcat(channels, ', ') AS channels,
  arrayStringConcat(failed_channels, ', ') AS failed_channels
FROM ${BUDGET_ALERTS} FINAL
WHERE $__timeFilter(created_at)
ORDER BY created_at DESC, id
LIMIT 500`,
      overrides: [
        { field: 'threshold_percent', unit: 'percent' },
        { field: 'percent', unit: 'percent' },
        { field: 'spend_usd', ...money },
        { field: 'limit_usd', ...money },
        { field: 'projected_usd', ...money },
        { field: 'event', colors: { threshold_crossed: 'red', forecast_exceeded: 'orange' } },
      ],
    },
  ],
};
