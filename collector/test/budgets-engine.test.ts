/**
 * Budget engine end to end on the embedded ClickHouse engine: spend rows in genai_spend (the minute
 * rollup fills itself), rules evaluated from the rollup, alerts delivered to a local webhook receiver.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetsConfigSchema } from '../src/budgets/config.js';
import { BudgetEngine } from '../src/budgets/engine.js';
import { noopLogger } from '../src/log.js';
import { openClickHouse, type StoreHandle } from '../src/store/client.js';
import { migrate } from '../src/store/migrations.js';
import { SchemaBuilder } from '../src/store/schema.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
let store: StoreHandle;
let server: Server;
let hookUrl: string;
let failingUrl: string;
const received: Array<{ body: any; headers: IncomingHttpHeaders; raw: string }> = [];
const SECRET = 'a-webhook-secret-of-some-length';
/** While true, the `flaky` channel's endpoint answers 500. */
let flakyDown = false;

let db = 0;
/** A fresh database per test: one embedded store per process, isolated data per test. */
async function freshSchema(): Promise<SchemaBuilder> {
  const schema = new SchemaBuilder({
    database: `budgets_${++db}`,
    retention: { traces: 0, spend: 0, rollups: 0 },
  });
  await migrate(store.client, schema);
  return schema;
}

async function spend(
  schema: SchemaBuilder,
  rows: Array<{ at: string; cost: number; user?: string; feature?: string; model?: string }>,
) {
  await store.client.insert({
    table: schema.table('genai_spend'),
    format: 'JSONEachRow',
    values: rows.map((r, i) => ({
      timestamp: r.at.replace('T', ' ').replace('Z', ''),
      trace_id: `t${db}-${i}-${Math.random()}`,
      span_id: `s${i}`,
      service_name: 'app',
      provider: 'openai',
      model: r.model ?? 'gpt-4o',
      feature: r.feature ?? 'chat',
      user_id: r.user ?? '',
      cost_usd: r.cost,
    })),
  });
}

function engine(schema: SchemaBuilder, raw: unknown, now: Date, redeliverIntervalMs?: number) {
  return new BudgetEngine({
    client: store.client,
    schema,
    config: budgetsConfigSchema.parse(raw),
    log: noopLogger,
    now: () => now,
    retryBackoffMs: 5,
    ...(redeliverIntervalMs === undefined ? {} : { redeliverIntervalMs }),
  });
}

beforeAll(async () => {
  store = await openClickHouse({ user: 'default', password: '', embeddedPath: `${tmp.dir}/clickhouse` });
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      if (req.url === '/fail' || (req.url === '/flaky' && flakyDown)) {
        res.writeHead(500).end();
        return;
      }
      received.push({ body: JSON.parse(raw), headers: req.headers, raw });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  hookUrl = `http://127.0.0.1:${port}/hook`;
  failingUrl = `http://127.0.0.1:${port}/fail`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  tmp.cleanup();
});

const channels = () => ({
  hook: { type: 'webhook', url: hookUrl, secret: SECRET },
  broken: { type: 'webhook', url: failingUrl, retries: 1 },
  flaky: { type: 'webhook', url: failingUrl.replace('/fail', '/flaky'), retries: 1 },
});

describe('budget engine', () => {
  const now = new Date('2026-11-16T00:00:00Z'); // half of November (UTC)

  it('sends 50/80/100% alerts once each, signed, with correct figures and top contributors', async () => {
    received.length = 0;
    const schema = await freshSchema();
    const config = {
      budgets: [
        {
          name: 'monthly-total',
          limit_usd: 10,
          period: 'month',
          thresholds: [0.5, 0.8, 1],
          notify: ['hook', 'broken'],
        },
      ],
      channels: channels(),
    };
    const e = engine(schema, config, now);

    await spend(schema, [
      { at: '2026-11-02T10:00:00Z', cost: 3, feature: 'search', user: 'u1' },
      { at: '2026-11-10T10:00:00Z', cost: 2.5, feature: 'chat', user: 'u2' },
      { at: '2026-10-31T23:59:00Z', cost: 100 }, // October: not in this period
    ]);
    const [state] = await e.evaluate();
    expect(state).toMatchObject({
      name: 'monthly-total',
      group: '',
      spend_usd: 5.5,
      limit_usd: 10,
      percent: 55,
      state: 'warn',
    });
    expect(state!.projected_usd).toBeCloseTo(11, 9);
    expect(received.map((r) => r.body.threshold)).toEqual([0.5]);

    const first = received[0]!;
    expect(first.body).toMatchObject({
      event: 'threshold_crossed',
      budget: 'monthly-total',
      group: '',
      threshold: 0.5,
      percent: 55,
      spend_usd: 5.5,
      limit_usd: 10,
      period_start: '2026-11-01T00:00:00.000Z',
      period_end: '2026-12-01T00:00:00.000Z',
    });
    expect(first.body.top).toEqual([
      { dimension: 'burnrate.feature', key: 'search', cost_usd: 3 },
      { dimension: 'burnrate.feature', key: 'chat', cost_usd: 2.5 },
      { dimension: 'user.id', key: 'u1', cost_usd: 3 },
      { dimension: 'user.id', key: 'u2', cost_usd: 2.5 },
      { dimension: 'model', key: 'gpt-4o', cost_usd: 5.5 },
    ]);
    // HMAC over "<t>.<body>" with the channel secret.
    const sig = String(first.headers['x-burnrate-signature']);
    const t = /t=(\d+)/.exec(sig)![1];
    expect(sig).toBe(`t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${first.raw}`).digest('hex')}`);

    await e.evaluate(); // nothing new
    expect(received).toHaveLength(1);

    await spend(schema, [{ at: '2026-11-15T10:00:00Z', cost: 5, feature: 'chat', user: 'u2' }]);
    await e.evaluate();
    expect(received.map((r) => [r.body.threshold, r.body.percent])).toEqual([
      [0.5, 55],
      [0.8, 105],
      [1, 105],
    ]);
    expect(new Set(received.map((r) => r.body.id)).size).toBe(3);

    // The failing channel did not stop the working one, and both outcomes are recorded.
    const alerts = await e.store.alerts(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'));
    expect(alerts).toHaveLength(3);
    expect(alerts.every((a) => a.channels.join() === 'hook' && a.failed_channels.join() === 'broken')).toBe(
      true,
    );
  });

  it('a restarted collector and a second replica on the same store send no duplicate', async () => {
    received.length = 0;
    const schema = await freshSchema();
    const config = {
      budgets: [{ name: 'daily', limit_usd: 1, period: 'day', thresholds: [0.5, 1], notify: ['hook'] }],
      channels: channels(),
    };
    await spend(schema, [{ at: '2026-11-15T23:10:00Z', cost: 0.6 }]);
    const dayNow = new Date('2026-11-15T23:30:00Z');
    await engine(schema, config, dayNow).evaluate();
    expect(received).toHaveLength(1);
    // "Restart": a new engine with no memory, same store.
    await engine(schema, config, dayNow).evaluate();
    expect(received).toHaveLength(1);

    // Two replicas evaluating the same crossing concurrently.
    await spend(schema, [{ at: '2026-11-15T23:20:00Z', cost: 0.6 }]);
    const a = engine(schema, config, dayNow);
    const b = engine(schema, config, dayNow);
    await Promise.all([a.evaluate(), b.evaluate()]);
    const hundred = received.filter((r) => r.body.threshold === 1);
    expect(hundred.length).toBeGreaterThanOrEqual(1);
    expect(new Set(hundred.map((r) => r.body.id)).size).toBe(1); // receivers dedupe on id
    await engine(schema, config, dayNow).evaluate();
    expect(received.filter((r) => r.body.threshold === 1)).toHaveLength(hundred.length);
  });

  it('a channel that missed an alert gets it on a later evaluation, once; the others do not get it twice', async () => {
    received.length = 0;
    const schema = await freshSchema();
    const config = {
      budgets: [{ name: 'daily', limit_usd: 1, period: 'day', thresholds: [1], notify: ['hook', 'flaky'] }],
      channels: channels(),
    };
    await spend(schema, [{ at: '2026-11-15T23:10:00Z', cost: 1.5 }]);
    const dayNow = new Date('2026-11-15T23:30:00Z');
    const e = engine(schema, config, dayNow, 200);
    flakyDown = true;
    try {
      await e.evaluate();
      expect(received).toHaveLength(1); // hook got it; flaky's endpoint is down
      let [alert] = await e.store.alerts(new Date(0), new Date(Date.now() + 60_000));
      expect(alert).toMatchObject({ channels: ['hook'], failed_channels: ['flaky'] });
      // Still down on the next evaluation (after the retry interval): tried again, not given up.
      await new Promise((r) => setTimeout(r, 250));
      await e.evaluate();
      [alert] = await e.store.alerts(new Date(0), new Date(Date.now() + 60_000));
      expect(alert).toMatchObject({ channels: ['hook'], failed_channels: ['flaky'] });
      flakyDown = false;
      // Within the retry interval: not yet.
      await e.evaluate();
      expect(received).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 250));
      await e.evaluate();
      expect(received).toHaveLength(2); // flaky got it now; hook was not sent it twice
      expect(received[1]!.body.id).toBe(received[0]!.body.id);
      [alert] = await e.store.alerts(new Date(0), new Date(Date.now() + 60_000));
      expect(alert).toMatchObject({ channels: ['hook', 'flaky'], failed_channels: [] });
      // Delivered everywhere: later evaluations (and a restarted collector) leave it alone.
      await new Promise((r) => setTimeout(r, 250));
      await e.evaluate();
      await engine(schema, config, dayNow, 0).evaluate();
      expect(received).toHaveLength(2);
    } finally {
      flakyDown = false;
    }
  });

  it('a group_by rule alerts only for the user who overspent, within its filter', async () => {
    received.length = 0;
    const schema = await freshSchema();
    const config = {
      budgets: [
        {
          name: 'per-user-daily',
          limit_usd: 5,
          period: 'day',
          timezone: 'Europe/Berlin',
          group_by: 'user.id',
          filter: { 'burnrate.feature': 'chat' },
          thresholds: [0.8, 1],
          notify: ['hook'],
        },
      ],
      channels: channels(),
    };
    await spend(schema, [
      { at: '2026-11-15T23:30:00Z', cost: 4.5, user: 'heavy' }, // 00:30 Berlin on the 16th: today
      { at: '2026-11-15T22:30:00Z', cost: 50, user: 'yesterday' }, // 23:30 Berlin on the 15th
      { at: '2026-11-15T23:40:00Z', cost: 1, user: 'light' },
      { at: '2026-11-15T23:45:00Z', cost: 30, user: 'light', feature: 'search' }, // outside the filter
    ]);
    const e = engine(schema, config, now);
    const states = await e.evaluate();
    expect(states.map((s) => [s.group, s.spend_usd, s.state])).toEqual([
      ['heavy', 4.5, 'warn'],
      ['light', 1, 'ok'],
    ]);
    expect(received.map((r) => [r.body.group, r.body.threshold])).toEqual([['heavy', 0.8]]);
    expect(received[0]!.body.top.find((t: any) => t.dimension === 'user.id')).toEqual({
      dimension: 'user.id',
      key: 'heavy',
      cost_usd: 4.5,
    });
  });

  it('sends a forecast alert once when the period is on course to exceed its limit', async () => {
    received.length = 0;
    const schema = await freshSchema();
    const config = {
      budgets: [
        {
          name: 'forecasted',
          limit_usd: 100,
          period: 'month',
          thresholds: [0.9],
          forecast: true,
          notify: ['hook'],
        },
      ],
      channels: channels(),
    };
    await spend(schema, [{ at: '2026-11-05T00:00:00Z', cost: 60 }]);
    const e = engine(schema, config, now);
    await e.evaluate();
    await e.evaluate();
    expect(received.map((r) => [r.body.event, r.body.projected_usd])).toEqual([['forecast_exceeded', 120]]);
  });

  it('persists budget states for dashboards', async () => {
    const schema = await freshSchema();
    const config = { budgets: [{ name: 'b', limit_usd: 2, period: 'day', thresholds: [0.5] }] };
    await spend(schema, [{ at: '2026-11-15T12:00:00Z', cost: 1.5 }]);
    await engine(schema, config, new Date('2026-11-15T18:00:00Z')).evaluate();
    const rs = await store.client.query({
      query: `SELECT budget, spend_usd, percent, state FROM ${schema.table('budget_state')} FINAL`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([{ budget: 'b', spend_usd: 1.5, percent: 75, state: 'warn' }]);
  });
});
