/**
 * `pnpm demo` end to end, as a child process: the report it prints has every feature, model and user
 * with the totals the scripted traffic must cost (computed here from the scenario with the price table),
 * the savings lines, the alerts at 50/80/100% on both channels; and the demo cleans up after itself,
 * also when interrupted with Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIER_MULTIPLIERS, defaultPricer, usageOf } from '@burnrate/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { allCalls, TENANTS, triageModel } from '../demo/scenario.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The fake provider answers like OpenAI: the response names the dated model.
const DATED: Record<string, string> = {
  'gpt-4o': 'gpt-4o-2024-08-06',
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
};

function startDemo(args: string[] = ['--fake']) {
  const env = { ...process.env };
  delete env['OPENAI_API_KEY'];
  delete env['ANTHROPIC_API_KEY'];
  delete env['OPENAI_BASE_URL'];
  delete env['ANTHROPIC_BASE_URL'];
  const child = spawn(process.execPath, ['test/demo/main.ts', ...args], { cwd: ROOT, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

async function waitFor(child: ChildProcess, read: () => string, text: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no "${text}" in:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Row {
  cost: number;
  requests: number;
  input: number;
  output: number;
  cacheRead: number;
}

/** The rows of the table printed after `$ burnrate report ... --by <by>`, by key. */
function table(output: string, by: string): Map<string, Row> {
  const lines = output.split('\n');
  const start = lines.indexOf(`$ burnrate report --from 1h --by ${by}`);
  expect(start, `report by ${by}`).toBeGreaterThan(-1);
  const rows = new Map<string, Row>();
  const rules = [];
  for (let i = start + 1; i < lines.length && rules.length < 3; i++) {
    const line = lines[i]!.trim();
    if (/^-+( +-+)+$/.test(line)) {
      rules.push(i);
      continue;
    }
    if (rules.length === 0) continue;
    const cells = line.split(/ {2,}/);
    if (cells.length !== 7) break;
    const n = (s: string) => Number(s.replace(/[$,]/g, ''));
    rows.set(cells[0]!, {
      cost: n(cells[1]!),
      requests: n(cells[2]!),
      input: n(cells[3]!),
      output: n(cells[4]!),
      cacheRead: n(cells[5]!),
    });
  }
  return rows;
}

/** What the scenario must cost, computed here from its usage and the price table. */
function expected() {
  const pricer = defaultPricer();
  const price = (provider: string, model: string, u: any, tier: 'batch' | 'standard' = 'standard') => {
    const r = pricer.price({
      provider,
      model,
      tier,
      usage: usageOf({
        inputTokens: u.input,
        outputTokens: u.output,
        cacheReadTokens: u.cacheRead ?? 0,
        cacheWriteTokens: u.cacheWrite ?? 0,
      }),
    });
    if (!r.priced) throw new Error(`unpriced ${model}`);
    return r.cost.total;
  };
  const byFeature = new Map<string, Row>();
  const byModel = new Map<string, Row>();
  const byUser = new Map<string, Row>();
  const add = (m: Map<string, Row>, key: string, r: Row) => {
    const t = m.get(key) ?? { cost: 0, requests: 0, input: 0, output: 0, cacheRead: 0 };
    m.set(key, {
      cost: t.cost + r.cost,
      requests: t.requests + r.requests,
      input: t.input + r.input,
      output: t.output + r.output,
      cacheRead: t.cacheRead + r.cacheRead,
    });
  };
  const savings = { prompt: 0, app: 0, routing: 0, batch: 0, total: 0 };
  const kbAnswered = new Map<string, { model: string; usage: any }>();
  for (const call of allCalls()) {
    let model: string = call.model ?? triageModel(call.prompt);
    let row: Row;
    if (call.kind === 'kb' && !call.usage) {
      // A cache hit: a zero-cost span; what it saved is the answered call's list price.
      const answered = [...kbAnswered.values()][0]!;
      model = answered.model;
      row = { cost: 0, requests: 1, input: 0, output: 0, cacheRead: 0 };
      savings.app += price('openai', 'gpt-4o-mini', {
        input: answered.usage.input,
        output: answered.usage.output,
      });
    } else if (call.usage) {
      const usage = call.usage;
      const tier = call.kind === 'batch' ? 'batch' : 'standard';
      const cost = price(call.provider, model, usage, tier);
      row = {
        cost,
        requests: 1,
        input: usage.input,
        output: usage.output,
        cacheRead: usage.cacheRead ?? 0,
      };
      if (usage.cacheRead) {
        savings.prompt += price(call.provider, model, { ...usage, cacheRead: 0 }, tier) - cost;
      }
      if (call.kind === 'triage') savings.routing += price('openai', 'gpt-4o', call.usage) - cost;
      if (call.kind === 'batch') savings.batch += cost / DEFAULT_TIER_MULTIPLIERS.batch - cost;
      if (call.kind === 'kb') kbAnswered.set(call.prompt, { model: DATED[model]!, usage: call.usage });
      if (call.provider === 'openai') model = DATED[model]!;
    } else {
      throw new Error(`scenario call "${call.prompt}" has no usage and is not a cached kb answer`);
    }
    add(byFeature, call.feature, row);
    add(byModel, model, row);
    add(byUser, call.user ?? '(none)', row);
    add(byFeature, 'TOTAL', row);
  }
  savings.total = savings.prompt + savings.app + savings.routing + savings.batch;
  return { byFeature, byModel, byUser, savings, total: byFeature.get('TOTAL')! };
}

/** The CLI prints $0.04 (>= 1 cent) or $0.002710: equal up to that rounding. */
function expectCost(actual: number, wanted: number, what: string) {
  const tolerance = wanted >= 0.01 ? 0.005 : 0.0000005;
  expect(Math.abs(actual - wanted), `${what}: printed ${actual}, expected ${wanted}`).toBeLessThanOrEqual(
    tolerance + 1e-12,
  );
}

describe('pnpm demo', () => {
  let output = '';
  let code: number | null;
  let dataDir = '';

  beforeAll(async () => {
    const demo = startDemo();
    code = await demo.exited;
    output = demo.stdout();
    if (code !== 0) console.error(output, demo.stderr());
    dataDir = /embedded ClickHouse in (\S+) \.\.\./.exec(output)?.[1] ?? '';
  }, 120_000);

  it('is what the root package.json runs', () => {
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'));
    expect(pkg.scripts.demo).toBe('node test/demo/main.ts');
  });

  it('runs every step, exits 0 and removes its temp dir', () => {
    expect(code).toBe(0);
    for (let i = 1; i <= 6; i++)
      expect(output).toMatch(new RegExp(`^\\[${i}/6\\] .* \\(\\d+\\.\\ds\\)$`, 'm'));
    expect(output).toContain('done, 1 semantic cache hit(s), 3 routed to a smaller model');
    expect(output).toContain('done, 8 batch results');
    expect(dataDir).toMatch(/burnrate-demo-/);
    expect(existsSync(dataDir)).toBe(false);
    expect(output).toMatch(/removing the temp dir \.\.\. done\. Demo finished in/);
  });

  it('reports spend by feature, model and user with the scenario totals', () => {
    const want = expected();
    for (const [by, rows] of [
      ['feature', want.byFeature],
      ['model', want.byModel],
      ['user', want.byUser],
    ] as const) {
      const got = table(output, by);
      expect([...got.keys()].sort(), `keys by ${by}`).toEqual(
        [...rows.keys(), ...(by === 'feature' ? [] : ['TOTAL'])].sort(),
      );
      for (const [key, w] of [...rows, ['TOTAL', want.total] as const]) {
        const g = got.get(key)!;
        expect({ ...g, cost: 0 }, `${by} ${key}`).toEqual({ ...w, cost: 0 });
        expectCost(g.cost, w.cost, `${by} ${key}`);
      }
    }
    // Every user in the scenario has spend; the batch job's has none.
    expect([...table(output, 'user').keys()]).toEqual(
      expect.arrayContaining([...Object.keys(TENANTS), '(none)']),
    );
    expect(output).not.toContain('had no known price');
  });

  it('prints the cache, routing and batch savings', () => {
    const { savings, total } = expected();
    const saved = (label: string) => {
      const m = new RegExp(`^  ${label.replace('/', '\\/')} .* saved \\$(\\d+\\.\\d{4})$`, 'm').exec(output);
      expect(m, label).not.toBeNull();
      return Number(m![1]);
    };
    const near = (got: number, want: number) =>
      expect(Math.abs(got - want)).toBeLessThanOrEqual(0.00005 + 1e-12);
    near(saved('provider prompt cache'), savings.prompt);
    near(saved('semantic/exact cache'), savings.app);
    near(saved('model routing'), savings.routing);
    near(saved('batch tier'), savings.batch);
    near(saved('total'), savings.total);
    expect(output).toMatch(/provider prompt cache +7 calls read 11,776 cached input tokens/);
    expect(output).toMatch(/semantic\/exact cache +2 calls answered from the app's cache/);
    expect(output).toMatch(/model routing +3 of 4 routed calls sent to a cheaper model/);
    expect(output).toMatch(/batch tier +8 calls at the batch discount/);
    expect(output).toContain(
      `spent $${total.cost.toFixed(4)}, would have spent $${(total.cost + savings.total).toFixed(4)}`,
    );
  });

  it('fires the 50%, 80% and 100% alerts one wave at a time, to the webhook and the log channel', () => {
    const alertLines = output.split('\n').filter((l) => l.includes('ALERT daily-llm-spend crossed'));
    expect(alertLines.map((l) => /crossed (\d+)%/.exec(l)![1])).toEqual(['50', '80', '100']);
    // Each alert is printed right after the wave that crossed it.
    const wave = (n: number) => output.indexOf(`] Wave ${n},`);
    const at = (t: string) => output.indexOf(`crossed ${t}%`);
    expect(wave(1) < at('50') && at('50') < wave(2)).toBe(true);
    expect(wave(2) < at('80') && at('80') < wave(3)).toBe(true);
    expect(wave(3) < at('100')).toBe(true);
    expect(output).toContain(
      'Alerts fired: 3 webhook deliveries received (50%, 80%, 100%), 3 on the log channel',
    );
    expect(output).toMatch(/WARN burnrate: budget alert \{"id":"[0-9a-f]+","event":"threshold_crossed"/);
    const history = output.slice(output.indexOf('$ burnrate alerts --from 1h'));
    const rows = history.split('\n').filter((l) => /^ {2}\d{4}-\d\d-\d\d .*threshold_crossed/.test(l));
    expect(rows.map((l) => /(\d+)% /.exec(l.split('threshold_crossed')[1]!)![1])).toEqual([
      '100',
      '80',
      '50',
    ]);
    for (const row of rows) expect(row).toMatch(/log, ops-webhook$/);
    expect(output).toMatch(/daily-llm-spend +- +ALERT /);
  });

  it('prints the savings advice: opportunities biggest first, and what was already saved', () => {
    const advice = output.slice(
      output.indexOf('$ burnrate advise --from 1h'),
      output.indexOf('$ burnrate budgets'),
    );
    expect(advice).toContain('Savings advice');
    const opportunities = advice.slice(advice.indexOf('OPPORTUNITY'), advice.indexOf('ALREADY SAVED'));
    const amounts = [
      ...opportunities.matchAll(
        /^\s{2,}(?:exact cache|provider prompt cache|model routing|batch API|output limits)\s+\$([\d.]+)/gm,
      ),
    ].map((m) => Number(m[1]));
    expect(amounts.length).toBeGreaterThan(0);
    expect(amounts).toEqual([...amounts].sort((a, b) => b - a));
    expect(advice).toMatch(/ALREADY SAVED/);
    // The demo app is a script (no server span): its calls are batch candidates.
    expect(opportunities).toMatch(/batch API\s+\$[\d.]+/);
  });

  it('tells the newcomer where to go next', () => {
    expect(output).toContain('node --import @burnrate/auto/register app.js');
    expect(output).toContain('docker compose -f dashboards/docker-compose.yml -p burnrate up -d --build');
  });
});

describe('pnpm demo, interrupted', () => {
  it('stops everything and removes its temp dir on Ctrl-C', async () => {
    const demo = startDemo();
    await waitFor(demo.child, demo.stdout, '] Wave 1,', 60_000);
    const dir = /embedded ClickHouse in (\S+) \.\.\./.exec(demo.stdout())![1]!;
    expect(existsSync(dir)).toBe(true);
    demo.child.kill('SIGINT');
    expect(await demo.exited).toBe(130);
    expect(demo.stdout()).toContain('Ctrl-C: stopping the demo and cleaning up...');
    expect(demo.stdout()).toContain('Stopped; temp dir removed.');
    expect(existsSync(dir)).toBe(false);
  }, 90_000);
});
