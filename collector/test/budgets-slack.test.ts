/**
 * Slack delivery end to end: the budget engine on the embedded ClickHouse engine sends alerts to a local
 * receiver speaking Slack's incoming-webhook contract (POST JSON with `text` and/or `blocks`; `ok` 200;
 * on failure 4xx/5xx with a text error such as `invalid_payload` or `no_service`).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slackText } from '../src/budgets/channels.js';
import { budgetsConfigSchema } from '../src/budgets/config.js';
import { BudgetEngine } from '../src/budgets/engine.js';
import type { Logger } from '../src/log.js';
import { openClickHouse, type StoreHandle } from '../src/store/client.js';
import { migrate } from '../src/store/migrations.js';
import { SchemaBuilder } from '../src/store/schema.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
let store: StoreHandle;
let server: Server;
let base: string;

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  status: number;
}
/** Every request the receiver answered, in order. */
const hits: Hit[] = [];
/** Slack messages accepted (200 ok), by webhook path. */
const slack: Array<{ path: string; body: { text?: string; blocks?: unknown[] } }> = [];
/** Webhook alerts accepted. */
const webhook: any[] = [];
/** Scripted failures per path, taken one per request: [status, Slack's error text]. */
const failures = new Map<string, Array<[number, string]>>();

/** What Slack's incoming webhooks check before they post a message. */
function slackAnswer(req: { headers: IncomingHttpHeaders }, raw: string): [number, string] {
  if (!String(req.headers['content-type']).startsWith('application/json')) return [400, 'invalid_payload'];
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return [400, 'invalid_payload'];
  }
  const b = body as { text?: unknown; blocks?: unknown };
  const hasText = typeof b.text === 'string' && b.text.trim() !== '';
  const hasBlocks = Array.isArray(b.blocks) && b.blocks.length > 0;
  if (!hasText && !hasBlocks) return [400, 'no_text'];
  if (b.blocks !== undefined && !Array.isArray(b.blocks)) return [400, 'invalid_blocks'];
  return [200, 'ok'];
}

let db = 0;
async function freshSchema(): Promise<SchemaBuilder> {
  const schema = new SchemaBuilder({
    database: `slack_${++db}`,
    retention: { traces: 0, spend: 0, rollups: 0 },
  });
  await migrate(store.client, schema);
  return schema;
}

async function spend(schema: SchemaBuilder, rows: Array<{ at: string; cost: number; user?: string }>) {
  await store.client.insert({
    table: schema.table('genai_spend'),
    format: 'JSONEachRow',
    values: rows.map((r, i) => ({
      timestamp: r.at.replace('T', ' ').replace('Z', ''),
      trace_id: `t${db}-${i}-${Math.random()}`,
      span_id: `s${i}`,
      service_name: 'app',
      provider: 'openai',
      model: 'gpt-4o',
      feature: 'chat',
      user_id: r.user ?? '',
      cost_usd: r.cost,
    })),
  });
}

const errors: string[] = [];
const log: Logger = { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) };

function engine(schema: SchemaBuilder, raw: unknown, now: Date) {
  return new BudgetEngine({
    client: store.client,
    schema,
    config: budgetsConfigSchema.parse(raw),
    log,
    now: () => now,
    retryBackoffMs: 5,
  });
}

beforeAll(async () => {
  store = await openClickHouse({ user: 'default', password: '', embeddedPath: `${tmp.dir}/clickhouse` });
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const path = req.url ?? '';
      const answer = (status: number, text: string, type = 'text/html') => {
        hits.push({ path, headers: req.headers, raw, status });
        res.writeHead(status, { 'content-type': type }).end(text);
      };
      if (req.method !== 'POST') return answer(405, 'invalid_method');
      if (path.startsWith('/services/')) {
        const scripted = failures.get(path)?.shift();
        if (scripted) return answer(...scripted);
        const [status, text] = slackAnswer(req, raw);
        if (status === 200) slack.push({ path, body: JSON.parse(raw) });
        return answer(status, text);
      }
      webhook.push(JSON.parse(raw));
      return answer(204, '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  tmp.cleanup();
});
beforeEach(() => {
  hits.length = 0;
  slack.length = 0;
  webhook.length = 0;
  errors.length = 0;
  failures.clear();
});

const SLACK_PATH = '/services/T000/B000/XXXX';
const dayNow = new Date('2026-11-15T23:30:00Z');

describe('slack channel', () => {
  it('posts a message Slack accepts, naming the budget, percent and spend of the limit', async () => {
    const schema = await freshSchema();
    const config = {
      budgets: [
        { name: 'daily-total', limit_usd: 10, period: 'day', thresholds: [0.8], notify: ['team-slack'] },
      ],
      channels: { 'team-slack': { type: 'slack', url: `${base}${SLACK_PATH}` } },
    };
    await spend(schema, [{ at: '2026-11-15T23:10:00Z', cost: 8.5, user: 'u1' }]);
    await engine(schema, config, dayNow).evaluate();

    expect(hits.map((h) => [h.path, h.status])).toEqual([[SLACK_PATH, 200]]);
    expect(hits[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(slack).toHaveLength(1);
    const text = slack[0]!.body.text!;
    expect(text).toContain('*daily-total*');
    expect(text).toContain('crossed 80%');
    expect(text).toContain('$8.50 of $10.00');
    expect(text).toContain('(85.0%)');
    expect(text).toContain('Period 2026-11-15T00:00:00.000Z');
    expect(text).toContain('user.id=u1 $8.50');
    expect(errors).toEqual([]);
  });

  it('a Slack 500 is retried, and the webhook channel still gets the alert exactly once', async () => {
    const schema = await freshSchema();
    const config = {
      budgets: [
        { name: 'daily', limit_usd: 1, period: 'day', thresholds: [1], notify: ['team-slack', 'hook'] },
      ],
      channels: {
        'team-slack': { type: 'slack', url: `${base}${SLACK_PATH}`, retries: 2 },
        hook: { type: 'webhook', url: `${base}/hook` },
      },
    };
    failures.set(SLACK_PATH, [[500, 'rollup_error']]);
    await spend(schema, [{ at: '2026-11-15T23:10:00Z', cost: 1.25 }]);
    const e = engine(schema, config, dayNow);
    await e.evaluate();

    expect(hits.filter((h) => h.path === SLACK_PATH).map((h) => h.status)).toEqual([500, 200]);
    expect(slack).toHaveLength(1);
    expect(slack[0]!.body.text).toContain('$1.25 of $1.00 (125.0%)');
    expect(webhook).toHaveLength(1);
    expect(webhook[0]).toMatchObject({ budget: 'daily', threshold: 1, percent: 125 });
    const [alert] = await e.store.alerts(new Date(0), new Date(Date.now() + 60_000));
    expect(alert).toMatchObject({ channels: ['team-slack', 'hook'], failed_channels: [] });

    await e.evaluate(); // delivered everywhere: nothing goes out twice
    expect(slack).toHaveLength(1);
    expect(webhook).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('a permanent Slack error is not retried in a loop, is logged with Slack’s reason, and the webhook still gets the alert', async () => {
    const schema = await freshSchema();
    const gone = '/services/T000/B000/GONE';
    const config = {
      budgets: [
        { name: 'daily', limit_usd: 1, period: 'day', thresholds: [1], notify: ['team-slack', 'hook'] },
      ],
      channels: {
        'team-slack': { type: 'slack', url: `${base}${gone}`, retries: 3 },
        hook: { type: 'webhook', url: `${base}/hook` },
      },
    };
    failures.set(gone, [
      [404, 'no_service'],
      [404, 'no_service'],
      [404, 'no_service'],
      [404, 'no_service'],
    ]);
    await spend(schema, [{ at: '2026-11-15T23:10:00Z', cost: 2 }]);
    const e = engine(schema, config, dayNow);
    await e.evaluate();

    expect(hits.filter((h) => h.path === gone)).toHaveLength(1); // retrying cannot fix a removed webhook
    expect(webhook).toHaveLength(1);
    const [alert] = await e.store.alerts(new Date(0), new Date(Date.now() + 60_000));
    expect(alert).toMatchObject({ channels: ['hook'], failed_channels: ['team-slack'] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('"team-slack"');
    expect(errors[0]).toContain('HTTP 404 no_service');
    expect(errors[0]).not.toContain('/services/'); // the URL is the secret: never logged
  });

  it('escapes &, < and > so a group key cannot ping @channel or forge a link', async () => {
    const schema = await freshSchema();
    const config = {
      budgets: [
        {
          name: 'per-user-daily',
          limit_usd: 1,
          period: 'day',
          group_by: 'user.id',
          thresholds: [1],
          notify: ['team-slack'],
        },
      ],
      channels: { 'team-slack': { type: 'slack', url: `${base}${SLACK_PATH}` } },
    };
    const user = '<!channel> & <https://evil.example|click>';
    await spend(schema, [{ at: '2026-11-15T23:10:00Z', cost: 3, user }]);
    await engine(schema, config, dayNow).evaluate();

    expect(slack).toHaveLength(1);
    const text = slack[0]!.body.text!;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(text).toContain('*per-user-daily* for *&lt;!channel&gt;');
  });

  it('renders forecast alerts with the projection and the limit', () => {
    const text = slackText({
      id: 'a1',
      event: 'forecast_exceeded',
      budget: 'monthly',
      group: '',
      threshold: 1,
      percent: 60,
      spend_usd: 60,
      limit_usd: 100,
      projected_usd: 120,
      period_start: '2026-11-01T00:00:00.000Z',
      period_end: '2026-12-01T00:00:00.000Z',
      top: [],
    });
    expect(text).toContain('*monthly* is forecast to reach $120.00 (limit $100.00)');
    expect(text).toContain('$60.00 spent so far (60.0%)');
  });
});
