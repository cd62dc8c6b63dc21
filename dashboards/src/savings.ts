import { ADVICE, filters, label, ROLLUP, SPEND, standardVars } from './common.ts';
import type { DashboardSpec } from './grafana.ts';

const money = { unit: 'currencyUSD' };

export const savings: DashboardSpec = {
  uid: 'burnrate-savings',
  title: 'burnrate: Savings',
  description:
    'What caching (provider prompt caches, exact and semantic app caches), routing and batch pricing saved.',
  tags: ['burnrate', 'llm', 'savings'],
  variables: standardVars(),
  items: [
    {
      title: 'Saved by caching',
      description:
        'USD avoided by cache hits (burnrate.cache.saved_usd): provider prompt caches and app caches.',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      ...money,
      sql: `SELECT sum(cache_saved_usd) AS saved_by_caching_usd FROM ${ROLLUP}\nWHERE ${filters('minute')}`,
    },
    {
      title: 'Saved by routing',
      description:
        'USD saved by model routing: baseline-model cost minus the cost of the model that answered.',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      ...money,
      sql: `SELECT sum(route_saved_usd) AS saved_by_routing_usd FROM ${ROLLUP}\nWHERE ${filters('minute')}`,
    },
    {
      title: 'Prompt-cache hit ratio',
      description:
        'Share of input tokens read from the provider prompt cache (cache_read / all input tokens).',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      unit: 'percentunit',
      decimals: 1,
      sql: `SELECT sum(cache_read_tokens) / nullIf(sum(input_tokens), 0) AS prompt_cache_hit_ratio
FROM ${ROLLUP}
WHERE ${filters('minute')}`,
    },
    {
      title: 'Batch share of spend',
      description: 'Share of spend billed at the batch tier (burnrate.pricing.tier = batch).',
      type: 'stat',
      format: 'table',
      w: 6,
      h: 4,
      unit: 'percentunit',
      decimals: 1,
      sql: `SELECT sumIf(cost_usd, pricing_tier = 'batch') / nullIf(sum(cost_usd), 0) AS batch_cost_share,
  sumIf(requests, pricing_tier = 'batch') / nullIf(sum(requests), 0) AS batch_request_share
FROM ${ROLLUP}
WHERE ${filters('minute')}`,
    },
    { row: 'Caching' },
    {
      title: 'Cached vs uncached input tokens',
      description: 'Input tokens per interval, split into provider prompt-cache reads and the rest.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      stacked: true,
      unit: 'short',
      sql: `SELECT
  $__timeInterval(minute) AS time,
  sum(cache_read_tokens) AS cached_tokens,
  sum(input_tokens) - sum(cache_read_tokens) AS uncached_tokens
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Prompt-cache hit ratio by model',
      description: 'Per model: input tokens, tokens read from the provider cache, hit ratio and USD saved.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      sql: `SELECT
  model,
  sum(input_tokens) AS input,
  sum(cache_read_tokens) AS cached_tokens,
  sum(cache_write_tokens) AS cache_writes,
  sum(cache_read_tokens) / nullIf(sum(input_tokens), 0) AS hit_ratio,
  sum(cache_saved_usd) AS saved_by_caching_usd
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY model
HAVING input > 0
ORDER BY cached_tokens DESC, model`,
      overrides: [
        { field: 'hit_ratio', unit: 'percentunit' },
        { field: 'saved_by_caching_usd', ...money },
      ],
    },
    {
      title: 'Cache hits by kind',
      description:
        'Calls marked burnrate.cache.hit, by kind: provider_prompt (provider prompt cache), exact and semantic (application caches), with USD saved and mean semantic similarity.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 7,
      sql: `SELECT
  cache_kind,
  count() AS hits,
  sum(cache_saved_usd) AS saved_usd,
  avgIf(cache_similarity, cache_similarity IS NOT NULL) AS avg_similarity
FROM ${SPEND}
WHERE ${filters('timestamp')}
  AND cache_hit
GROUP BY cache_kind
ORDER BY hits DESC, cache_kind`,
      overrides: [{ field: 'saved_usd', ...money }],
    },
    {
      title: 'USD saved over time',
      description: 'USD saved per interval by caching and by routing.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 7,
      stacked: true,
      ...money,
      sql: `SELECT
  $__timeInterval(minute) AS time,
  sum(cache_saved_usd) AS caching,
  sum(route_saved_usd) AS routing
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY time
ORDER BY time`,
    },
    { row: 'Routing and pricing tiers' },
    {
      title: 'Route mix',
      description:
        'Routed calls (burnrate.route.name) by the model that answered: requests, cost, what the baseline model would have cost, and the difference.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      sql: `SELECT
  route_name AS route,
  model,
  sum(requests) AS calls,
  sum(cost_usd) AS spend_usd,
  sum(route_baseline_cost_usd) AS baseline_cost_usd,
  sum(route_saved_usd) AS saved_usd
FROM ${ROLLUP}
WHERE ${filters('minute')}
  AND route_name != ''
GROUP BY route, model
ORDER BY route, calls DESC, model`,
      overrides: [
        { field: 'spend_usd', ...money },
        { field: 'baseline_cost_usd', ...money },
        { field: 'saved_usd', ...money },
      ],
    },
    {
      title: 'Routing reasons',
      description:
        'Routed calls by burnrate.route.reason (complexity, budget, fallback, ...) and baseline model.',
      type: 'table',
      format: 'table',
      w: 6,
      h: 8,
      sql: `SELECT
  ${label('route_reason')} AS reason,
  ${label('route_baseline_model')} AS baseline_model,
  count() AS calls,
  sum(route_saved_usd) AS saved_usd
FROM ${SPEND}
WHERE ${filters('timestamp')}
  AND route_name != ''
GROUP BY reason, baseline_model
ORDER BY calls DESC, reason, baseline_model`,
      overrides: [{ field: 'saved_usd', ...money }],
    },
    {
      title: 'Spend by pricing tier',
      description: 'Spend per pricing tier: standard, batch, flex, priority.',
      type: 'piechart',
      format: 'table',
      w: 6,
      h: 8,
      ...money,
      sql: `SELECT ${label('pricing_tier')} AS tier, sum(cost_usd) AS spend_usd
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY tier
ORDER BY spend_usd DESC, tier`,
    },
    {
      title: 'Savings opportunities (advisor)',
      description:
        'What each cost lever would have saved, from the latest savings-advisor snapshot (the collector computes it ' +
        'every 15 minutes over the last 7 days; `burnrate advise` or /api/advice for any window). How each figure ' +
        'is computed is in the method column. Routing figures do not judge answer quality.',
      type: 'table',
      format: 'table',
      w: 24,
      h: 8,
      ...money,
      sql: `SELECT lever, title, saved_usd, monthly_usd, requests,
  arrayStringConcat(features, ', ') AS features, arrayStringConcat(models, ', ') AS models, method
FROM ${ADVICE}
WHERE kind = 'opportunity' AND computed_at = (SELECT max(computed_at) FROM ${ADVICE})
ORDER BY saved_usd DESC, lever`,
    },
  ],
};
