/** `GET /api/advice?from=&to=` and the periodic snapshot for the Savings dashboard. */

import type { ClickHouseClient } from '@clickhouse/client';
import type { Router } from '../api/router.js';
import { sendJson } from '../api/router.js';
import { withApiAuth } from '../api/server.js';
import { parseTime, SpendQueryError } from '../api/spend.js';
import type { Logger } from '../log.js';
import type { SchemaBuilder } from '../store/schema.js';
import type { Advisor } from './advice.js';
import { saveAdvice } from './store.js';

const INT = /^\d+$/;

export function addAdviceRoutes(router: Router, advisor: Advisor, apiToken: string | undefined): void {
  router.add(
    'GET',
    '/api/advice',
    withApiAuth(apiToken, async (_req, res, url) => {
      const p = url.searchParams;
      let from: Date;
      let to: Date;
      const ttl: Record<string, number> = {};
      try {
        const now = Date.now();
        from = parseTime(p.get('from') ?? '7d', 'from', now);
        to = parseTime(p.get('to') ?? 'now', 'to', now);
        if (from.getTime() >= to.getTime()) throw new SpendQueryError('from must be before to');
        for (const [param, key] of [
          ['exact_cache_ttl', 'exactCacheTtlSeconds'],
          ['prompt_cache_ttl', 'promptCacheTtlSeconds'],
        ] as const) {
          const v = p.get(param);
          if (v === null) continue;
          if (!INT.test(v) || Number(v) > 7 * 86_400) {
            throw new SpendQueryError(
              `${param}: must be whole seconds up to 604800, got ${JSON.stringify(v)}`,
            );
          }
          ttl[key] = Number(v);
        }
      } catch (err) {
        if (err instanceof SpendQueryError) return sendJson(res, 400, { error: err.message });
        throw err;
      }
      sendJson(res, 200, await advisor.advise({ from, to, ...ttl }));
    }),
  );
}

/** Refreshes the `savings_advice` snapshot every `intervalMs` over the last `windowMs`. */
export function startAdviceSnapshots(o: {
  advisor: Advisor;
  client: ClickHouseClient;
  schema: SchemaBuilder;
  intervalMs: number;
  windowMs: number;
  log: Logger;
}): () => void {
  let running = false;
  const refresh = async () => {
    if (running) return;
    running = true;
    try {
      const to = new Date();
      const report = await o.advisor.advise({ from: new Date(to.getTime() - o.windowMs), to });
      await saveAdvice(o.client, o.schema, report, to);
    } catch (err) {
      o.log.warn(`savings advice snapshot failed: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  // A first snapshot a minute after start (the dashboard is not empty for a whole interval), then periodic.
  const first = setTimeout(() => void refresh(), Math.min(o.intervalMs, 60_000));
  const timer = setInterval(() => void refresh(), o.intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
