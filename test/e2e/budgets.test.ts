/**
 * Budgets end to end: an app with only the one import calls a fake provider; the collector (embedded
 * ClickHouse) stores the spans; a webhook receiver gets the 50%, 80% and 100% alerts; a group_by rule
 * alerts only for the user who overspent; the budget guard blocks and downgrades.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Collector, parseConfig, startCollector } from '@burnrate/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLLM, startFakeLLM } from '../fakes/llm-server.js';

const run = promisify(execFile);
// gpt-4o-mini at $0.15 / $0.60 per 1M tokens; the fake answers every call with 12 in / 5 out.
const CALL_USD = (12 * 0.15 + 5 * 0.6) / 1e6;
const LIMIT = CALL_USD / 0.3; // each call is 30% of the daily total

let fake: FakeLLM;
let hook: Server;
let collector: Collector;
const alerts: any[] = [];
const dir = mkdtempSync(join(tmpdir(), 'burnrate-e2e-budgets-'));

beforeAll(async () => {
  fake = await startFakeLLM();
  hook = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      alerts.push(JSON.parse(raw));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const config = parseConfig(
    `
data_dir: ${dir}
log_level: silent
server: { host: 127.0.0.1, port: 0, grpc_port: false }
writer: { flush_interval_ms: 20 }
budget_evaluation_interval_ms: 200
budgets:
  - name: daily-total
    limit_usd: ${LIMIT}
    period: day
    thresholds: [0.5, 0.8, 1.0]
    notify: [hook]
  - name: per-user
    limit_usd: ${CALL_USD * 1.5}
    period: day
    group_by: user.id
    thresholds: [1.0]
    notify: [hook]
channels:
  hook: { type: webhook, url: "${hookUrl}" }
`,
    'e2e',
  );
  collector = await startCollector(config);
});
afterAll(async () => {
  await collector?.close();
  await fake.close();
  await new Promise((resolve) => hook.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function app(env: Record<string, string>) {
  const { stdout } = await run(
    process.execPath,
    ['--import', '@burnrate/auto/register', 'apps/budget-app.mjs'],
    {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: {
        ...process.env,
        FAKE_OPENAI_URL: fake.openaiBaseURL,
        COLLECTOR_URL: collector.url,
        OTEL_SERVICE_NAME: 'budget-app',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_METRICS_EXPORTER: 'none',
        ...env,
      },
      timeout: 30_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Array<{ ok?: string; error?: string }>;
}

async function alertsFor(budget: string, n: number) {
  const deadline = Date.now() + 10_000;
  while (alerts.filter((a) => a.budget === budget).length < n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
  }
  return alerts.filter((a) => a.budget === budget);
}

describe('budgets end to end', () => {
  it('sends 50%, 80% and 100% as spend crosses them, and per-user alerts only for the overspender', async () => {
    expect(await app({ USER: 'alice', CALLS: '2' })).toEqual([{ ok: 'Hello world' }, { ok: 'Hello world' }]);
    const [fifty] = await alertsFor('daily-total', 1);
    expect(fifty).toMatchObject({
      event: 'threshold_crossed',
      threshold: 0.5,
      percent: 60,
      limit_usd: LIMIT,
    });
    expect(fifty.spend_usd).toBeCloseTo(2 * CALL_USD, 9);

    await app({ USER: 'bob', CALLS: '1' });
    const eighty = (await alertsFor('daily-total', 2))[1];
    expect(eighty).toMatchObject({ threshold: 0.8, percent: 90 });
    expect(eighty.spend_usd).toBeCloseTo(3 * CALL_USD, 9);

    await app({ USER: 'carol', CALLS: '1' });
    const hundred = (await alertsFor('daily-total', 3))[2];
    expect(hundred).toMatchObject({ threshold: 1, percent: 120 });
    expect(hundred.spend_usd).toBeCloseTo(4 * CALL_USD, 9);

    // alice spent 2 calls (133% of her 1.5-call budget); bob and carol one each (67%).
    const perUser = await alertsFor('per-user', 1);
    await new Promise((r) => setTimeout(r, 500)); // give a wrong extra alert time to show up
    expect(alerts.filter((a) => a.budget === 'per-user').map((a) => a.group)).toEqual(['alice']);
    expect(perUser[0].percent).toBeCloseTo(133.33, 1);
  });

  it('the guard blocks the over-budget user and downgrades the rest', async () => {
    const policies = JSON.stringify([
      { budget: 'per-user', groupBy: 'user.id', action: 'block' },
      { budget: 'daily-total', action: 'downgrade', downgradeTo: 'gpt-4o-mini' },
    ]);
    const blocked = await app({ USER: 'alice', GUARD_POLICIES: policies, MODEL: 'gpt-4o' });
    expect(blocked).toEqual([
      { error: 'BudgetExceededError', message: expect.stringContaining('"per-user" (alice)') },
    ]);

    fake.requests.length = 0;
    const downgraded = await app({ USER: 'dave', GUARD_POLICIES: policies, MODEL: 'gpt-4o' });
    expect(downgraded).toEqual([{ ok: 'Hello world' }]);
    expect(fake.requests.map((r) => (r.body as { model: string }).model)).toEqual(['gpt-4o-mini']);
  });
});
