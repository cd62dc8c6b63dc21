/** `GET /api/budgets` and `GET /api/alerts` (shapes in CONVENTIONS.md). */
import type { Router } from '../api/router.js';
import { sendJson } from '../api/router.js';
import { withApiAuth } from '../api/server.js';
import { parseTime, SpendQueryError } from '../api/spend.js';
import type { BudgetEngine } from './engine.js';

/** Budget state older than this is re-evaluated before answering. */
const FRESH_MS = 2_000;

export function addBudgetRoutes(router: Router, engine: BudgetEngine, apiToken: string | undefined): void {
  let evaluatedAt = 0;
  router.add(
    'GET',
    '/api/budgets',
    withApiAuth(apiToken, async (_req, res) => {
      if (engine.enabled && Date.now() - evaluatedAt > FRESH_MS) {
        await engine.evaluate();
        evaluatedAt = Date.now();
      }
      sendJson(res, 200, { budgets: engine.latest() });
    }),
  );
  router.add(
    'GET',
    '/api/alerts',
    withApiAuth(apiToken, async (_req, res, url) => {
      let from: Date;
      let to: Date;
      try {
        const now = Date.now();
        from = parseTime(url.searchParams.get('from') ?? '30d', 'from', now);
        to = parseTime(url.searchParams.get('to') ?? 'now', 'to', now);
        if (from.getTime() >= to.getTime()) throw new SpendQueryError('from must be before to');
      } catch (err) {
        if (err instanceof SpendQueryError) return sendJson(res, 400, { error: err.message });
        throw err;
      }
      const alerts = await engine.store.alerts(from, new Date(to.getTime() + 1));
      sendJson(res, 200, { from: from.toISOString(), to: to.toISOString(), alerts });
    }),
  );
}
