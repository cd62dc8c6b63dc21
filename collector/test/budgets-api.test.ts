/**
 * Budgets in the running collector: OTLP spans in, alerts out to a webhook soon after ingest,
 * /api/budgets and /api/alerts, the CLI, a restart that sends no duplicate, and config errors.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.js';
import type { Collector } from '../src/collector.js';
import { parseConfig } from '../src/config.js';
import { startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
let hook: Server;
let hookUrl: string;
const received: Array<{ body: any; at: number }> = [];

beforeAll(async () => {
  hook = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({ body: JSON.parse(raw), at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
});
afterAll(async () => {
  await new Promise((resolve) => hook.close(resolve));
  tmp.cleanup();
});

const yaml = () => `
budget_evaluation_interval_ms: 60000
budgets:
  - name: daily-total
    limit_usd: 1
    period: day
    thresholds: [0.5, 0.8, 1.0]
    notify: [billing]
  - name: per-user
    limit_usd: 0.5
    period: day
    group_by: user.id
    thresholds: [1.0]
    notify: [billing]
channels:
  billing: { type: webhook, url: "${hookUrl}", secret: "0123456789abcdef0123" }
`;

let seq = 0;
function spans(costs: Array<{ usd: number; user: string }>) {
  const now = BigInt(Date.now()) * 1_000_000n;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'budget-test' } }] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: costs.map((c) => {
              const id = (++seq).toString(16).padStart(16, '0');
              return {
                traceId: `${id}${id}`,
                spanId: id,
                name: 'chat gpt-4o',
                kind: 3,
                startTimeUnixNano: (now - 1_000_000n).toString(),
                endTimeUnixNano: now.toString(),
                attributes: [
                  { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                  { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } },
                  { key: 'gen_ai.usage.input_tokens', value: { intValue: 100 } },
                  { key: 'gen_ai.usage.output_tokens', value: { intValue: 10 } },
                  { key: 'gen_ai.usage.cost', value: { doubleValue: c.usd } },
                  { key: 'user.id', value: { stringValue: c.user } },
                ],
              };
            }),
          },
        ],
      },
    ],
  };
}

async function send(c: Collector, costs: Array<{ usd: number; user: string }>) {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spans(costs)),
  });
  expect(res.status).toBe(200);
}

async function waitFor(n: number, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (received.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return received.length;
}

describe('budgets in the collector', () => {
  it('alerts soon after ingest, once per threshold, and serves /api/budgets and /api/alerts', async () => {
    const c = await startTestCollector(tmp.dir, yaml());
    try {
      const sentAt = Date.now();
      await send(c, [
        { usd: 0.3, user: 'alice' },
        { usd: 0.25, user: 'bob' },
      ]);
      expect(await waitFor(1)).toBe(1);
      // The periodic evaluation is a minute away: this alert came from the post-ingest evaluation.
      console.log(`alert latency (span acknowledged -> webhook): ${received[0]!.at - sentAt} ms`);
      expect(received[0]!.body).toMatchObject({
        budget: 'daily-total',
        threshold: 0.5,
        spend_usd: 0.55,
        percent: 55,
      });

      await send(c, [{ usd: 0.5, user: 'alice' }]);
      expect(await waitFor(4)).toBe(4);
      const got = received.map((r) => [r.body.budget, r.body.group, r.body.threshold]).sort();
      expect(got).toEqual([
        ['daily-total', '', 0.5],
        ['daily-total', '', 0.8],
        ['daily-total', '', 1],
        ['per-user', 'alice', 1],
      ]);

      const budgets = (await (await fetch(`${c.url}/api/budgets`)).json()) as { budgets: any[] };
      expect(budgets.budgets.map((b) => [b.name, b.group, b.spend_usd, b.state])).toEqual([
        ['daily-total', '', 1.05, 'alert'],
        ['per-user', 'alice', 0.8, 'alert'],
        ['per-user', 'bob', 0.25, 'ok'],
      ]);
      expect(Object.keys(budgets.budgets[0]).sort()).toEqual(
        [
          'group',
          'limit_usd',
          'name',
          'percent',
          'period_end',
          'period_start',
          'projected_usd',
          'spend_usd',
          'state',
        ].sort(),
      );

      const alerts = (await (await fetch(`${c.url}/api/alerts?from=1h&to=now`)).json()) as { alerts: any[] };
      expect(alerts.alerts).toHaveLength(4);
      expect(alerts.alerts.every((a) => a.channels.join() === 'billing')).toBe(true);
      const bad = await fetch(`${c.url}/api/alerts?from=yesterday-ish`);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toContain('from: not a time');

      let out = '';
      expect(await runCli(['budgets', '--url', c.url], (s) => (out += s))).toBe(0);
      expect(out).toMatch(/daily-total\s+-\s+ALERT\s+\$1\.05\s+\$1\.00\s+105\.0%/);
      out = '';
      expect(await runCli(['alerts', '--url', c.url, '--from', '1h'], (s) => (out += s))).toBe(0);
      expect(out.split('\n').filter((l) => l.includes('threshold_crossed'))).toHaveLength(4);
    } finally {
      await c.close();
    }
  });

  it('a restarted collector sends no duplicate', async () => {
    const before = received.length;
    const c = await startTestCollector(tmp.dir, yaml());
    try {
      await c.budgets.evaluate();
      await send(c, [{ usd: 0.01, user: 'alice' }]);
      await c.budgets.evaluate();
      await new Promise((r) => setTimeout(r, 500));
      expect(received.length).toBe(before);
    } finally {
      await c.close();
    }
  });

  it('an invalid rule stops start-up with the rule and field named', () => {
    expect(() =>
      parseConfig(
        'budgets:\n  - name: team-a\n    limit_usd: 10\n    period: fortnight\n',
        '/etc/burnrate.yaml',
      ),
    ).toThrow('/etc/burnrate.yaml: budgets[0] (team-a).period: must be hour, day, week, month');
    expect(() =>
      parseConfig(
        'budgets:\n  - name: team-a\n    limit_usd: 10\n    period: day\n    notify: [nowhere]\n',
        'cfg.yaml',
      ),
    ).toThrow('cfg.yaml: budgets[0] (team-a).notify.0: channel "nowhere" is not defined under channels');
  });
});
