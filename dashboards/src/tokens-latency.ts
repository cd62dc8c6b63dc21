import { filters, ROLLUP, SPEND, standardVars } from './common.ts';
import type { DashboardSpec } from './grafana.ts';

export const tokensLatency: DashboardSpec = {
  uid: 'burnrate-tokens-latency',
  title: 'burnrate: Tokens and latency',
  description: 'Token volumes, call duration and time to first chunk (p50/p95), and error rates by model.',
  tags: ['burnrate', 'llm', 'latency'],
  variables: standardVars(),
  items: [
    {
      title: 'Tokens over time',
      description:
        'Input tokens (all, cached included), output tokens (reasoning included) and the reasoning part of output.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      unit: 'short',
      sql: `SELECT
  $__timeInterval(minute) AS time,
  sum(input_tokens) AS input,
  sum(output_tokens) AS output,
  sum(reasoning_tokens) AS reasoning
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Tokens by model',
      description: 'Token totals per model, with provider prompt-cache reads and writes.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      sql: `SELECT
  model,
  sum(requests) AS calls,
  sum(input_tokens) AS input,
  sum(output_tokens) AS output,
  sum(reasoning_tokens) AS reasoning,
  sum(cache_read_tokens) AS cached_input,
  sum(cache_write_tokens) AS cache_writes,
  sum(output_tokens) / nullIf(sum(requests), 0) AS output_per_request
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY model
ORDER BY input DESC, model`,
    },
    { row: 'Latency' },
    {
      title: 'Duration p50 / p95',
      description: 'Call duration percentiles per interval, in seconds (span duration).',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      unit: 's',
      sql: `SELECT
  $__timeInterval(timestamp) AS time,
  quantilesExact(0.5, 0.95)(duration_ns)[1] / 1e9 AS p50,
  quantilesExact(0.5, 0.95)(duration_ns)[2] / 1e9 AS p95
FROM ${SPEND}
WHERE ${filters('timestamp')}
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Time to first chunk p50 / p95',
      description:
        'Streaming calls only: time from request start to the first chunk (gen_ai.response.time_to_first_chunk).',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      unit: 's',
      sql: `SELECT
  $__timeInterval(timestamp) AS time,
  quantilesExact(0.5, 0.95)(ttft_seconds)[1] AS p50,
  quantilesExact(0.5, 0.95)(ttft_seconds)[2] AS p95
FROM ${SPEND}
WHERE ${filters('timestamp')}
  AND ttft_seconds IS NOT NULL
GROUP BY time
ORDER BY time`,
    },
    {
      title: 'Latency by model',
      description:
        'Per model: calls, duration p50/p95, and for streams time to first chunk p50/p95 (seconds).',
      type: 'table',
      format: 'table',
      w: 24,
      h: 8,
      sql: `SELECT
  model,
  count() AS calls,
  quantilesExact(0.5, 0.95)(duration_ns)[1] / 1e9 AS duration_p50,
  quantilesExact(0.5, 0.95)(duration_ns)[2] / 1e9 AS duration_p95,
  count(ttft_seconds) AS streams,
  if(streams = 0, NULL, quantilesExact(0.5, 0.95)(ttft_seconds)[1]) AS ttft_p50,
  if(streams = 0, NULL, quantilesExact(0.5, 0.95)(ttft_seconds)[2]) AS ttft_p95
FROM ${SPEND}
WHERE ${filters('timestamp')}
GROUP BY model
ORDER BY calls DESC, model`,
      overrides: [
        { field: 'duration_p50', unit: 's' },
        { field: 'duration_p95', unit: 's' },
        { field: 'ttft_p50', unit: 's' },
        { field: 'ttft_p95', unit: 's' },
      ],
    },
    { row: 'Errors' },
    {
      title: 'Error rate by model',
      description: 'Share of calls per interval whose span status is Error, one series per model.',
      type: 'timeseries',
      format: 'timeSeries',
      w: 12,
      h: 8,
      unit: 'percentunit',
      sql: `SELECT
  $__timeInterval(minute) AS time,
  model,
  sum(errors) / sum(requests) AS error_rate
FROM ${ROLLUP}
WHERE ${filters('minute')}
GROUP BY time, model
ORDER BY time, model`,
    },
    {
      title: 'Errors by model and type',
      description: 'Failed calls per model and error.type, with the share of that model’s calls.',
      type: 'table',
      format: 'table',
      w: 12,
      h: 8,
      sql: `SELECT
  model,
  error_type,
  countIf(status_code = 'Error') AS errors,
  countIf(status_code = 'Error') / any(model_requests) AS error_rate
FROM ${SPEND}
INNER JOIN (
  SELECT model, count() AS model_requests FROM ${SPEND}
  WHERE ${filters('timestamp')}
  GROUP BY model
) AS totals USING (model)
WHERE ${filters('timestamp')}
  AND status_code = 'Error'
GROUP BY model, error_type
ORDER BY errors DESC, model, error_type`,
      overrides: [{ field: 'error_rate', unit: 'percentunit' }],
    },
  ],
};
