#!/usr/bin/env node
/**
 * `burnrate` CLI: `report` (spend by a dimension), `budgets` (budget states), `alerts` (alerts sent).
 * Each reads the collector's API (`--url`, default http://127.0.0.1:$BURNRATE_PORT), or straight from the
 * embedded store in `$BURNRATE_DATA_DIR` when no collector answers.
 */
import { parseArgs } from 'node:util';
import type { AdviceReport } from '../advice/advice.js';
import { DIMENSIONS, type SpendResponse } from '../api/spend.js';
import type { BudgetStatus } from '../budgets/evaluate.js';
import type { StoredAlert } from '../budgets/store.js';
import { renderAdvice, renderAlerts, renderBudgets, renderTable } from './table.js';

const USAGE = `usage: burnrate report [--from 24h] [--to now] [--by feature|model|provider|user|session|tenant|route|service]
                       [--filter dim=value]... [--url http://127.0.0.1:4318] [--token T] [--data-dir DIR] [--json]
       burnrate budgets [--url ...] [--token T] [--data-dir DIR] [--json]
       burnrate alerts [--from 30d] [--to now] [--url ...] [--token T] [--data-dir DIR] [--json]
       burnrate advise [--from 7d] [--to now] [--url ...] [--token T] [--data-dir DIR] [--json]

Times: ISO 8601, epoch seconds/ms, "now", or a duration back from now (15m, 24h, 7d).
Without --url, the CLI asks the local collector and falls back to the embedded store when none runs.`;

export async function fetchApi<T>(
  url: string,
  path: string,
  params: URLSearchParams,
  token?: string,
): Promise<T> {
  const res = await fetch(`${url.replace(/\/$/, '')}${path}?${params}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(`collector answered HTTP ${res.status}: ${body.error ?? res.statusText}`);
  return body;
}

/** Runs `read` against the embedded store (no collector running), with the collector's own config. */
async function fromEmbedded<T>(
  dataDir: string | undefined,
  read: (ctx: {
    client: import('@clickhouse/client').ClickHouseClient;
    schema: import('../store/schema.js').SchemaBuilder;
    config: import('../config.js').Config;
  }) => Promise<T>,
): Promise<T> {
  const { loadConfig } = await import('../config.js');
  const { openStore, schemaFor } = await import('../collector.js');
  const env = { ...process.env, ...(dataDir ? { BURNRATE_DATA_DIR: dataDir } : {}) };
  const { config } = loadConfig(env);
  const store = await openStore(config);
  try {
    return await read({ client: store.client, schema: schemaFor(config), config });
  } finally {
    await store.close();
  }
}

async function engineFor(ctx: Parameters<Parameters<typeof fromEmbedded>[1]>[0]) {
  const { BudgetEngine } = await import('../budgets/engine.js');
  const { noopLogger } = await import('../log.js');
  return new BudgetEngine({ client: ctx.client, schema: ctx.schema, config: ctx.config, log: noopLogger });
}

function isConnectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED' || (err as { code?: string }).code === 'ECONNREFUSED';
}

const COMMON = {
  url: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** Asks the collector; when none answers on the default URL, reads the embedded store instead. */
async function apiOrEmbedded<T>(
  values: { url?: string | undefined; token?: string | undefined; 'data-dir'?: string | undefined },
  path: string,
  params: URLSearchParams,
  embedded: Parameters<typeof fromEmbedded<T>>[1],
): Promise<{ data: T; source: string }> {
  const token = values.token ?? process.env['BURNRATE_API_TOKEN'];
  const url = values.url ?? `http://127.0.0.1:${process.env['BURNRATE_PORT'] ?? '4318'}`;
  try {
    return { data: await fetchApi<T>(url, path, params, token), source: url };
  } catch (err) {
    if (values.url || !isConnectionRefused(err)) throw err;
    return { data: await fromEmbedded(values['data-dir'], embedded), source: 'embedded store' };
  }
}

async function report(rest: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: {
      ...COMMON,
      from: { type: 'string', default: '24h' },
      to: { type: 'string', default: 'now' },
      by: { type: 'string', default: 'feature' },
      filter: { type: 'string', multiple: true, default: [] },
      limit: { type: 'string' },
    },
    strict: true,
  });
  if (!Object.hasOwn(DIMENSIONS, values.by!)) {
    throw new Error(`--by must be one of ${Object.keys(DIMENSIONS).join(', ')}`);
  }
  const params = new URLSearchParams({ from: values.from!, to: values.to!, group_by: values.by! });
  if (values.limit) params.set('limit', values.limit);
  for (const f of values.filter ?? []) {
    const eq = f.indexOf('=');
    if (eq <= 0 || !Object.hasOwn(DIMENSIONS, f.slice(0, eq)))
      throw new Error(`--filter must be dim=value, got ${f}`);
    params.set(f.slice(0, eq), f.slice(eq + 1));
  }
  const { data, source } = await apiOrEmbedded<SpendResponse>(values, '/api/spend', params, async (ctx) => {
    const { querySpend, spendQueryFromParams } = await import('../api/spend.js');
    return querySpend(ctx.client, ctx.schema, spendQueryFromParams(params));
  });
  out(values.json ? `${JSON.stringify(data, null, 2)}\n` : renderTable(data, source));
  return 0;
}

async function budgets(rest: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({ args: rest, options: COMMON, strict: true });
  const { data, source } = await apiOrEmbedded<{ budgets: BudgetStatus[] }>(
    values,
    '/api/budgets',
    new URLSearchParams(),
    async (ctx) => ({ budgets: await (await engineFor(ctx)).evaluate() }),
  );
  out(values.json ? `${JSON.stringify(data, null, 2)}\n` : renderBudgets(data.budgets, source));
  return 0;
}

async function alerts(rest: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: { ...COMMON, from: { type: 'string', default: '30d' }, to: { type: 'string', default: 'now' } },
    strict: true,
  });
  const params = new URLSearchParams({ from: values.from!, to: values.to! });
  const { data, source } = await apiOrEmbedded<{ alerts: StoredAlert[] }>(
    values,
    '/api/alerts',
    params,
    async (ctx) => {
      const { parseTime } = await import('../api/spend.js');
      const now = Date.now();
      const engine = await engineFor(ctx);
      return {
        alerts: await engine.store.alerts(
          parseTime(values.from!, 'from', now),
          parseTime(values.to!, 'to', now + 1),
        ),
      };
    },
  );
  out(values.json ? `${JSON.stringify(data, null, 2)}\n` : renderAlerts(data.alerts, source));
  return 0;
}

async function advise(rest: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: { ...COMMON, from: { type: 'string', default: '7d' }, to: { type: 'string', default: 'now' } },
    strict: true,
  });
  const params = new URLSearchParams({ from: values.from!, to: values.to! });
  const { data, source } = await apiOrEmbedded<AdviceReport>(values, '/api/advice', params, async (ctx) => {
    const { parseTime } = await import('../api/spend.js');
    const { Advisor } = await import('../advice/advice.js');
    const { defaultPricer, Pricer } = await import('@burnrate/core');
    const pricer = ctx.config.pricing.prices_file
      ? Pricer.fromFile(ctx.config.pricing.prices_file)
      : defaultPricer();
    const now = Date.now();
    return new Advisor(ctx.client, ctx.schema, pricer).advise({
      from: parseTime(values.from!, 'from', now),
      to: parseTime(values.to!, 'to', now),
    });
  });
  out(values.json ? `${JSON.stringify(data, null, 2)}\n` : renderAdvice(data, source));
  return 0;
}

const COMMANDS: Record<string, (rest: string[], out: (s: string) => void) => Promise<number>> = {
  report,
  budgets,
  alerts,
  advise,
};

export async function runCli(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    out(`${USAGE}\n`);
    return command === undefined || command === '--help' || command === 'help' ? 0 : 2;
  }
  return run(rest, out);
}

const invoked = process.argv[1] ?? '';
if (/(^|[\\/])(burnrate|cli[\\/]index\.(c?js|ts))$/.test(invoked) || invoked.endsWith('/bin/burnrate')) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`burnrate: ${err.message}\n`);
      process.exit(1);
    },
  );
}
