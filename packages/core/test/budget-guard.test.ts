import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ATTR } from '../src/attributes.js';
import { withAttribution } from '../src/attribution.js';
import { BudgetExceededError, BudgetGuard, type BudgetState } from '../src/budget-guard.js';
import { recordUsageAndCost, startGenAiSpan } from '../src/genai-span.js';
import { usageOf } from '../src/usage.js';
import { setupOtel } from './otel.js';

function budget(name: string, group: string, percent: number): BudgetState {
  return {
    name,
    group,
    period_start: '2026-11-01T00:00:00Z',
    period_end: '2026-12-01T00:00:00Z',
    spend_usd: percent / 10,
    limit_usd: 10,
    percent,
    projected_usd: percent / 5,
    state: percent >= 100 ? 'alert' : percent >= 50 ? 'warn' : 'ok',
  };
}

let budgets: BudgetState[] = [];
let requests = 0;
let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url !== '/api/budgets' || req.headers.authorization !== 'Bearer api-secret') {
      res.writeHead(req.url === '/api/budgets' ? 401 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ budgets }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

let otel: ReturnType<typeof setupOtel>;
beforeEach(() => {
  otel = setupOtel();
});

describe('budget guard', () => {
  it('blocks calls of the over-budget user only, with a typed error', async () => {
    budgets = [budget('per-user-daily', 'u-over', 104), budget('per-user-daily', 'u-fine', 20)];
    const guard = new BudgetGuard({
      collectorUrl: url,
      apiToken: 'api-secret',
      policies: [{ budget: 'per-user-daily', groupBy: 'user.id', action: 'block' }],
    });
    await guard.start();
    const decideAs = (userId: string) => withAttribution({ userId }, () => guard.decide({ model: 'gpt-4o' }));
    expect(() => decideAs('u-over')).toThrow(BudgetExceededError);
    expect(() => decideAs('u-over')).toThrow(
      'budget "per-user-daily" (u-over) is exhausted: $10.40 of $10.00 (104%)',
    );
    expect(decideAs('u-fine')).toMatchObject({ model: 'gpt-4o', downgraded: false });
    expect(guard.decide({ model: 'gpt-4o' }).downgraded).toBe(false); // no user: not in a group
    guard.stop();
  });

  it('downgrades to the cheaper model and tags the span with the budget route', async () => {
    budgets = [budget('monthly-total', '', 100)];
    const guard = new BudgetGuard({
      collectorUrl: url,
      apiToken: 'api-secret',
      policies: [
        {
          budget: 'monthly-total',
          action: 'downgrade',
          downgradeTo: 'gpt-4o-mini',
          match: { 'burnrate.feature': 'chat' },
        },
      ],
    });
    await guard.start();
    const other = withAttribution({ feature: 'search' }, () => guard.decide({ model: 'gpt-4o' }));
    expect(other.model).toBe('gpt-4o');
    const decision = withAttribution({ feature: 'chat' }, () => guard.decide({ model: 'gpt-4o' }));
    expect(decision).toMatchObject({ model: 'gpt-4o-mini', downgraded: true });

    const span = startGenAiSpan(
      otel.tracer,
      { operation: 'chat', provider: 'openai', requestModel: decision.model },
      decision.context,
    );
    recordUsageAndCost(
      span,
      { provider: 'openai', model: 'gpt-4o-mini', usage: usageOf({ inputTokens: 1e6, outputTokens: 0 }) },
      decision.context,
    );
    span.end();
    const a = (await otel.spans())[0]!.attributes;
    expect(a[ATTR.ROUTE_REASON]).toBe('budget');
    expect(a[ATTR.ROUTE_BASELINE_MODEL]).toBe('gpt-4o');
    expect(a[ATTR.ROUTE_BASELINE_COST]).toBeCloseTo(2.5, 12);
    expect(a[ATTR.USAGE_COST]).toBeCloseTo(0.15, 12);
    expect(a[ATTR.FEATURE]).toBe('chat');
    guard.stop();
  });

  it('respects atPercent', async () => {
    budgets = [budget('monthly-total', '', 85)];
    const guard = new BudgetGuard({
      collectorUrl: url,
      apiToken: 'api-secret',
      policies: [{ budget: 'monthly-total', action: 'block', atPercent: 80 }],
    });
    await guard.start();
    expect(() => guard.decide({ model: 'gpt-4o' })).toThrow(BudgetExceededError);
    guard.stop();
  });

  it('fails open with one warning when the collector is unreachable or refuses', async () => {
    budgets = [budget('monthly-total', '', 300)];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const unreachable = new BudgetGuard({
      collectorUrl: 'http://127.0.0.1:9', // discard port: connection refused
      policies: [{ budget: 'monthly-total', action: 'block' }],
    });
    await unreachable.start();
    await unreachable.refresh();
    expect(unreachable.decide({ model: 'gpt-4o' }).model).toBe('gpt-4o');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/cannot read budgets .*\(fail open\)/);
    unreachable.stop();

    const unauthorized = new BudgetGuard({
      collectorUrl: url,
      policies: [{ budget: 'monthly-total', action: 'block' }],
    });
    await unauthorized.start();
    expect(unauthorized.decide({ model: 'gpt-4o' }).model).toBe('gpt-4o');
    expect(String(warn.mock.calls[1]![0])).toContain('HTTP 401');
    unauthorized.stop();
    warn.mockRestore();
  });

  it('stops enforcing when its state goes stale', async () => {
    budgets = [budget('monthly-total', '', 150)];
    const before = requests;
    const guard = new BudgetGuard({
      collectorUrl: url,
      apiToken: 'api-secret',
      refreshMs: 10,
      policies: [{ budget: 'monthly-total', action: 'block' }],
    });
    await guard.refresh();
    expect(requests).toBe(before + 1);
    expect(() => guard.decide({ model: 'gpt-4o' })).toThrow(BudgetExceededError);
    await new Promise((resolve) => setTimeout(resolve, 50)); // > 3 refresh intervals, never refreshed
    expect(guard.decide({ model: 'gpt-4o' }).model).toBe('gpt-4o');
  });

  it('rejects a downgrade policy without a target model', () => {
    expect(
      () => new BudgetGuard({ collectorUrl: url, policies: [{ budget: 'b', action: 'downgrade' }] }),
    ).toThrow('policy for budget "b" downgrades but names no downgradeTo model');
  });
});
