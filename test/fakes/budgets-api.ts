/** A stand-in for the collector's `GET /api/budgets` (all the budget guard reads), on 127.0.0.1. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One budget's state as `/api/budgets` reports it: `percent` of a $100 limit spent this month. */
export function budgetState(name: string, group: string, percent: number) {
  return {
    name,
    group,
    period_start: '2026-11-01T00:00:00.000Z',
    period_end: '2026-12-01T00:00:00.000Z',
    spend_usd: percent,
    limit_usd: 100,
    percent,
    projected_usd: percent,
    state: percent >= 100 ? 'alert' : 'ok',
  };
}

export interface FakeBudgetsApi {
  url: string;
  close(): Promise<void>;
}

export async function startFakeBudgetsApi(budgets: unknown[]): Promise<FakeBudgetsApi> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ budgets }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
