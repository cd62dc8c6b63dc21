/**
 * `pnpm demo`: the whole system in one command, on the embedded ClickHouse.
 *
 * Starts a fake OpenAI/Anthropic provider, a webhook receiver and the collector (embedded ClickHouse in a
 * temp dir, a daily budget alerting at 50/80/100% to a log channel and the webhook), runs the example app
 * (app.mjs, with only `--import @burnrate/auto/register`) in three waves of traffic, then prints the cost
 * report with the `burnrate` CLI's own tables, the savings and the alerts. Everything it started is
 * stopped and the temp dir removed at the end, on errors and on Ctrl-C.
 *
 * `--serve` instead keeps the collector (port 4318) and the fake provider (port 8787) running, so the
 * examples in examples/ can be pointed at them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Collector, createLogger, parseConfig, startCollector } from '@burnrate/collector';
import { DEFAULT_TIER_MULTIPLIERS, defaultPricer, usageOf } from '@burnrate/core';
import { type Behaviour, type FakeLLM, type RecordedRequest, startFakeLLM } from '../fakes/llm-server.ts';
import { allCalls, SERVICE, triageModel, WAVES } from './scenario.mjs';

export interface DemoOptions {
  /** Use the real APIs for the providers whose key is set (OPENAI_API_KEY, ANTHROPIC_API_KEY). */
  real: boolean;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));
const BUDGET = 'daily-llm-spend';
const THRESHOLDS = [0.5, 0.8, 1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const out = (s = '') => process.stdout.write(`${s}\n`);
const money = (n: number) => `$${n.toFixed(4)}`;

// ------------------------------------------------------------------ the fake provider's script

type Call = ReturnType<typeof allCalls>[number];
interface NormUsage {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

const REPLIES: Record<string, string> = {
  'support-chat': 'Thanks for reaching out! I checked your account and here is what I can do for you today.',
  'ticket-summary':
    'Headline: customer impact confirmed. Tried: restart, re-sync. Next: on-call lead, today.',
  'kb-answer': 'Open Settings > Security, choose "Reset password" and follow the link we email you.',
  triage: 'bug',
  'nightly-digest': 'Digest: 42 tickets, 3 escalations, median first response 11 minutes.',
};

/** The last user message of an OpenAI or Anthropic request body, as text. */
function lastUserText(body: Record<string, unknown>): string {
  const messages = (body['messages'] ?? []) as Array<{ role: string; content: unknown }>;
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) return '';
  if (typeof last.content === 'string') return last.content;
  return ((last.content ?? []) as Array<{ text?: string }>).map((p) => p.text ?? '').join('');
}

/** The fake's answer to a scenario call: its usage in the provider's own format, and a reply. */
function behaviourFor(call: Call, anthropic: boolean, reply?: string): Behaviour {
  if (!call.usage)
    throw new Error(`demo scenario: ${call.feature} call "${call.prompt}" has no usage to answer with`);
  const u: NormUsage = call.usage;
  const content = (reply ?? REPLIES[call.feature] ?? 'ok').split(/(?<= )/);
  if (anthropic) {
    const cacheRead = u.cacheRead ?? 0;
    const cacheWrite = u.cacheWrite ?? 0;
    return {
      content,
      usage: {
        input_tokens: u.input - cacheRead - cacheWrite, // Anthropic counts uncached input only
        cache_read_input_tokens: cacheRead,
        cache_creation_input_tokens: cacheWrite,
        output_tokens: u.output,
        service_tier: 'standard',
      },
    };
  }
  return {
    content,
    usage: {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
      prompt_tokens_details: { cached_tokens: u.cacheRead ?? 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
  };
}

/** Scripted usage for the demo's calls; anything else (e.g. the examples) gets usage from its length. */
export function demoScript(req: RecordedRequest): Behaviour | undefined {
  const text = lastUserText(req.body);
  const anthropic = req.path.startsWith('/v1/messages');
  const call = allCalls().find((c) => c.prompt === text && c.usage);
  if (call) return behaviourFor(call, anthropic);
  if (!text) return undefined;
  const chars = JSON.stringify(req.body['messages'] ?? '').length + String(req.body['system'] ?? '').length;
  const input = Math.max(8, Math.round(chars / 4));
  const reply = `(fake reply) You asked: ${text.slice(0, 80)}`;
  const output = Math.round(reply.length / 4);
  return behaviourFor({ feature: '', usage: { input, output } } as unknown as Call, anthropic, reply);
}

// ------------------------------------------------------------------ expected spend (fake provider)

/** What one scenario call costs with the fake provider's usage (0 for a cache hit: no call is made). */
function expectedCost(call: Call, hit: boolean): number {
  if (hit || !call.usage) return 0;
  const u: NormUsage = call.usage;
  const price = defaultPricer().price({
    provider: call.provider,
    model: call.model ?? triageModel(call.prompt),
    usage: usageOf({
      inputTokens: u.input,
      outputTokens: u.output,
      cacheReadTokens: u.cacheRead ?? 0,
      cacheWriteTokens: u.cacheWrite ?? 0,
    }),
    tier: call.kind === 'batch' ? 'batch' : 'standard',
  });
  if (!price.priced) throw new Error(`demo scenario: no price for ${call.model}`);
  return price.cost.total;
}

/**
 * A round daily limit that the scripted traffic crosses at 50% in the first wave, 80% in the second
 * and 100% in the third.
 */
function budgetLimit(waveCosts: number[]): number {
  const [c1, c2, c3] = [waveCosts[0]!, waveCosts[0]! + waveCosts[1]!, waveCosts.reduce((a, b) => a + b, 0)];
  const lo = Math.max(c1 / 0.8, c2);
  const hi = Math.min(c1 / 0.5, c2 / 0.8, c3);
  if (!(lo < hi)) throw new Error('demo scenario: no budget limit crosses 50/80/100% wave by wave');
  for (const step of [0.1, 0.05, 0.01, 0.005, 0.001, 0.0005, 0.0001]) {
    const candidate = Math.ceil((lo + 1e-12) / step) * step;
    if (candidate < hi) return Number(candidate.toFixed(6));
  }
  return Number(((lo + hi) / 2).toFixed(6));
}

// ------------------------------------------------------------------ plumbing

interface Alert {
  budget: string;
  threshold: number;
  percent: number;
  spend_usd: number;
  limit_usd: number;
}

async function startWebhookReceiver(): Promise<{ url: string; alerts: Alert[]; server: Server }> {
  const alerts: Alert[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      try {
        alerts.push(JSON.parse(raw) as Alert);
      } catch {
        // not an alert
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, alerts, server };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function until<T>(what: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await what();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(100);
  }
}

/** Stops everything the demo started, once, in reverse order; also on Ctrl-C. */
class Cleanup {
  private tasks: Array<[string, () => unknown]> = [];
  private running: Promise<void> | undefined;
  add(name: string, task: () => unknown): void {
    this.tasks.push([name, task]);
  }
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const [name, task] of this.tasks.reverse()) {
        try {
          await task();
        } catch (err) {
          process.stderr.write(`demo: cleanup of ${name} failed: ${(err as Error).message}\n`);
        }
      }
    })();
    return this.running;
  }
  /** On Ctrl-C: clean up, then exit with `code` (130 for the demo; 0 for --serve, where it is the way out). */
  onSignals(code = 130): void {
    // Output piped into `head` and closed early: keep going quietly, so the cleanup still runs.
    process.stdout.on('error', () => {});
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        out(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping the demo and cleaning up...`);
        const force = setTimeout(() => process.exit(code || 130), 15_000);
        force.unref();
        void this.run().then(() => {
          out('Stopped; temp dir removed.');
          process.exit(code);
        });
      });
    }
  }
}

function runApp(
  env: NodeJS.ProcessEnv,
  cleanup: Cleanup,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, ['--import', '@burnrate/auto/register', 'app.mjs'], {
      cwd: HERE,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cleanup.add('example app', () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function loadCli(): Promise<(argv: string[], write: (s: string) => void) => Promise<number>> {
  const require = createRequire(import.meta.url);
  const pkg = pathToFileURL(require.resolve('@burnrate/collector/package.json'));
  const cli = (await import(new URL('./dist/cli/index.js', pkg).href)) as {
    runCli: (argv: string[], write: (s: string) => void) => Promise<number>;
  };
  return cli.runCli;
}

const indent = (text: string, by = '  ') =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

// ------------------------------------------------------------------ the demo

export async function runDemo(opts: DemoOptions): Promise<void> {
  const started = Date.now();
  const realOpenAI = opts.real && !!process.env['OPENAI_API_KEY'];
  const realAnthropic = opts.real && !!process.env['ANTHROPIC_API_KEY'];
  const steps = 3 + WAVES.length;
  let n = 0;
  const step = (text: string) => {
    n++;
    const t0 = Date.now();
    process.stdout.write(`[${n}/${steps}] ${text} ... `);
    return (result = 'ok') => out(`${result} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  };

  out('burnrate demo: an app with one import -> collector on embedded ClickHouse -> cost report');
  out();
  const cleanup = new Cleanup();
  cleanup.onSignals();
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-demo-'));
  cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  try {
    let done = step(
      realOpenAI || realAnthropic
        ? `Starting the fake LLM provider (real API for ${[realOpenAI && 'OpenAI', realAnthropic && 'Anthropic'].filter(Boolean).join(' and ')})`
        : 'Starting a fake LLM provider (OpenAI and Anthropic wire formats, scripted usage)',
    );
    const fake: FakeLLM = await startFakeLLM({ script: demoScript });
    cleanup.add('fake provider', () => fake.close());
    done(fake.url);

    done = step('Starting a webhook receiver for budget alerts');
    const hook = await startWebhookReceiver();
    cleanup.add('webhook receiver', () => new Promise((r) => hook.server.close(r)));
    done(hook.url);

    // Budget: a round daily limit the scripted traffic crosses at 50%, 80% and 100%, one wave at a time.
    const calls = allCalls();
    const hits = new Set(calls.filter((c) => c.kind === 'kb' && !c.usage).map((c) => c.prompt));
    const waveCosts = WAVES.map((_, w) =>
      calls.filter((c) => c.wave === w).reduce((a, c) => a + expectedCost(c, hits.has(c.prompt)), 0),
    );
    const limit = budgetLimit(waveCosts);
    const logLines: string[] = [];
    const log = createLogger('warn', (line) => logLines.push(line.trimEnd()));
    done = step(`Starting the collector on embedded ClickHouse in ${dir}`);
    const config = parseConfig(
      `
data_dir: ${JSON.stringify(dir)}
log_level: warn
server: { host: 127.0.0.1, port: 0, grpc_port: false }
writer: { flush_interval_ms: 50 }
budget_evaluation_interval_ms: 500
budgets:
  - name: ${BUDGET}
    limit_usd: ${limit}
    period: day
    thresholds: [${THRESHOLDS.join(', ')}]
    notify: [log, ops-webhook]
channels:
  log: { type: log }
  ops-webhook: { type: webhook, url: "${hook.url}", retries: 1 }
`,
      'demo',
    );
    const collector: Collector = await startCollector(config, { log });
    cleanup.add('collector', () => collector.close());
    done(collector.url);
    out(
      `      budget "${BUDGET}": ${money(limit)} a day, alerts at ${THRESHOLDS.map((t) => `${t * 100}%`).join('/')} ` +
        'to the log channel and the webhook',
    );

    const appEnv: NodeJS.ProcessEnv = {
      ...process.env,
      OTEL_SERVICE_NAME: SERVICE,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      DEMO_CACHE_FILE: join(dir, 'semantic-cache.json'),
      ...(realOpenAI ? {} : { OPENAI_API_KEY: 'sk-fake-demo', OPENAI_BASE_URL: fake.openaiBaseURL }),
      ...(realAnthropic
        ? { DEMO_SKIP_BATCH: '1' }
        : { ANTHROPIC_API_KEY: 'sk-ant-fake-demo', ANTHROPIC_BASE_URL: fake.url }),
    };
    let expectedSpans = 0;
    let logShown = 0;
    for (const [w, wave] of WAVES.entries()) {
      const waveCalls = calls.filter((c) => c.wave === w);
      const skipped = realAnthropic ? waveCalls.filter((c) => c.kind === 'batch').length : 0;
      expectedSpans += waveCalls.length - skipped;
      done = step(
        `Wave ${w + 1}, ${wave.name}: node --import @burnrate/auto/register app.mjs (${waveCalls.length} calls)`,
      );
      const app = await runApp({ ...appEnv, DEMO_WAVE: String(w) }, cleanup);
      const stats = JSON.parse(app.stdout.trim().split('\n').at(-1) ?? '{}') as {
        calls?: number;
        cacheHits?: number;
        routedDown?: number;
        batchResults?: number;
        errors?: string[];
      };
      if (app.code !== 0 || stats.calls === undefined) {
        throw new Error(`the example app failed (exit ${app.code}):\n${app.stderr || app.stdout}`);
      }
      // Wait until the collector has stored the wave's spans and the budget engine has seen them.
      const stored = await until(
        () =>
          getJson<{ rows: Array<{ requests: number; cost_usd: number }> }>(
            `${collector.url}/api/spend?from=1h&group_by=service`,
          ),
        (r) => r.rows.reduce((a, x) => a + x.requests, 0) >= expectedSpans,
        20_000,
      );
      const spend = stored.rows.reduce((a, x) => a + x.cost_usd, 0);
      const requests = stored.rows.reduce((a, x) => a + x.requests, 0);
      type Budgets = { budgets: Array<{ name: string; spend_usd: number; percent: number }> };
      const budgets = await until(
        () => getJson<Budgets>(`${collector.url}/api/budgets`),
        (b) => Math.abs((b.budgets.find((x) => x.name === BUDGET)?.spend_usd ?? -1) - spend) < 1e-9,
        10_000,
      );
      const state = budgets.budgets.find((x) => x.name === BUDGET);
      const crossed = THRESHOLDS.filter((t) => (state?.spend_usd ?? 0) >= t * limit).length;
      await until(
        async () => hook.alerts.length,
        (count) => count >= crossed,
        5_000,
      );
      const details = [
        stats.cacheHits ? `${stats.cacheHits} semantic cache hit(s)` : '',
        stats.routedDown ? `${stats.routedDown} routed to a smaller model` : '',
        stats.batchResults ? `${stats.batchResults} batch results` : '',
        skipped ? 'batch skipped (a real Message Batch takes minutes to hours)' : '',
        stats.errors?.length ? `${stats.errors.length} error(s): ${stats.errors.join('; ')}` : '',
      ].filter(Boolean);
      done(`done${details.length ? `, ${details.join(', ')}` : ''}`);
      out(
        `      stored ${requests} priced spans; spend today ${money(spend)} = ${state?.percent.toFixed(1) ?? '?'}% ` +
          `of the ${money(limit)} budget`,
      );
      for (const a of hook.alerts.slice(logShown)) {
        out(
          `      ALERT ${a.budget} crossed ${Math.round(a.threshold * 100)}% (${a.percent.toFixed(1)}%, ` +
            `${money(a.spend_usd)} of ${money(a.limit_usd)}) -> webhook ${hook.url}, log channel`,
        );
      }
      logShown = hook.alerts.length;
    }

    // ---------------------------------------------------------------- the report
    const runCli = await loadCli();
    const cli = async (...argv: string[]) => {
      let text = '';
      const code = await runCli([...argv, '--url', collector.url], (s) => {
        text += s;
      });
      if (code !== 0) throw new Error(`burnrate ${argv.join(' ')} exited ${code}`);
      return text;
    };
    out();
    out('='.repeat(100));
    out('Cost report (the burnrate CLI against the demo collector)');
    out('='.repeat(100));
    for (const by of ['feature', 'model', 'user']) {
      out();
      out(`$ burnrate report --from 1h --by ${by}`);
      out(indent(await cli('report', '--from', '1h', '--by', by)));
    }

    out();
    out('Savings');
    out(indent(await savingsReport(collector)));

    out();
    out('$ burnrate advise --from 1h   # what the levers not yet pulled would save');
    out(indent(await cli('advise', '--from', '1h')));

    out();
    out('$ burnrate budgets');
    out(indent(await cli('budgets')));
    out();
    out('$ burnrate alerts --from 1h');
    out(indent(await cli('alerts', '--from', '1h')));
    out();
    const logged = logLines.filter((l) => l.includes('budget alert'));
    out(
      `Alerts fired: ${hook.alerts.length} webhook deliveries received (${hook.alerts
        .map((a) => `${Math.round(a.threshold * 100)}%`)
        .join(', ')}), ${logged.length} on the log channel, e.g.:`,
    );
    if (logged[0]) out(`  ${logged[0].length > 160 ? `${logged[0].slice(0, 157)}...` : logged[0]}`);
    const otherLogs = logLines.filter((l) => !l.includes('budget alert'));
    if (otherLogs.length) out(`Collector warnings:\n${indent(otherLogs.join('\n'))}`);

    out();
    out('Next steps');
    out(
      '  - Your own app: start it with the one import (or add `import "@burnrate/auto"` as its first line):',
    );
    out('      node --import @burnrate/auto/register app.js');
    out('    and attribute spend: withAttribution({ feature, userId, tenant }, fn) from @burnrate/core.');
    out(
      '  - Dashboards and traces: docker compose -f dashboards/docker-compose.yml -p burnrate up -d --build',
    );
    out('      Grafana http://localhost:3000, Jaeger http://localhost:16686 (see dashboards/README.md)');
    out('  - The examples in examples/ (Express, a Next.js-style route, a batch job): pnpm demo --serve');
    out('  - Everything else: README.md');
    out();
    process.stdout.write('Stopping the collector and the fake provider, removing the temp dir ... ');
    await cleanup.run();
    out(`done. Demo finished in ${((Date.now() - started) / 1000).toFixed(1)}s.`);
  } catch (err) {
    out();
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    await cleanup.run();
    process.exitCode = 1;
  }
}

/** Savings by kind, read from the `genai_spend` table the collector writes. */
async function savingsReport(collector: Collector): Promise<string> {
  const rs = await collector.store.client.query({
    query: `SELECT
  countIf(cache_kind = 'provider_prompt') AS prompt_hits,
  sumIf(cache_read_tokens, cache_kind = 'provider_prompt') AS prompt_tokens,
  sumIf(cache_saved_usd, cache_kind = 'provider_prompt') AS prompt_saved,
  countIf(cache_kind IN ('semantic', 'exact')) AS app_hits,
  sumIf(cache_saved_usd, cache_kind IN ('semantic', 'exact')) AS app_saved,
  countIf(route_name != '') AS routed,
  countIf(route_name != '' AND route_saved_usd > 0) AS routed_down,
  sum(route_saved_usd) AS route_saved,
  countIf(pricing_tier = 'batch') AS batch_requests,
  sumIf(cost_usd, pricing_tier = 'batch') AS batch_cost,
  sum(cost_usd) AS cost
FROM ${collector.schema.table('genai_spend')} FINAL
WHERE timestamp >= now() - INTERVAL 1 HOUR`,
    format: 'JSONEachRow',
  });
  const [r] = (await rs.json<Record<string, string | number>>()).map((row) =>
    Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])),
  );
  if (!r) return '(no spend)';
  const batchSaved = r['batch_cost']! / DEFAULT_TIER_MULTIPLIERS.batch - r['batch_cost']!;
  const total = r['prompt_saved']! + r['app_saved']! + r['route_saved']! + batchSaved;
  const rows: Array<[string, string, number]> = [
    [
      'provider prompt cache',
      `${r['prompt_hits']} calls read ${r['prompt_tokens']!.toLocaleString('en-US')} cached input tokens`,
      r['prompt_saved']!,
    ],
    ['semantic/exact cache', `${r['app_hits']} calls answered from the app's cache`, r['app_saved']!],
    [
      'model routing',
      `${r['routed_down']} of ${r['routed']} routed calls sent to a cheaper model than gpt-4o`,
      r['route_saved']!,
    ],
    ['batch tier', `${r['batch_requests']} calls at the batch discount`, batchSaved],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const line = (a: string, b: string, c: string) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c.padStart(10)}`;
  return [
    ...rows.map(([a, b, c]) => line(a, b, `saved ${money(c)}`)),
    line(
      'total',
      `spent ${money(r['cost']!)}, would have spent ${money(r['cost']! + total)}`,
      `saved ${money(total)}`,
    ),
  ].join('\n');
}

/** `pnpm demo --serve`: the collector and the fake provider on fixed ports until Ctrl-C. */
export async function serve(): Promise<void> {
  const cleanup = new Cleanup();
  cleanup.onSignals(0);
  const dir = mkdtempSync(join(tmpdir(), 'burnrate-demo-'));
  cleanup.add('temp dir', () => rmSync(dir, { recursive: true, force: true }));
  try {
    const fakePort = Number(process.env['FAKE_LLM_PORT'] ?? 8787);
    const port = Number(process.env['BURNRATE_PORT'] ?? 4318);
    const fake = await startFakeLLM({ script: demoScript, port: fakePort });
    cleanup.add('fake provider', () => fake.close());
    const config = parseConfig(
      `data_dir: ${JSON.stringify(dir)}\nlog_level: warn\nserver: { host: 127.0.0.1, port: ${port}, grpc_port: false }\n`,
      'demo --serve',
    );
    const collector = await startCollector(config);
    cleanup.add('collector', () => collector.close());
    out('burnrate demo --serve: running until Ctrl-C (data in a temp dir, removed on exit)');
    out();
    out(`  collector (OTLP/HTTP + API)  ${collector.url}   embedded ClickHouse in ${dir}`);
    out(`  fake OpenAI                  ${fake.openaiBaseURL}`);
    out(`  fake Anthropic               ${fake.url}`);
    out();
    out('In another terminal, point an app at them, e.g. examples/express-api:');
    out(`  export OPENAI_BASE_URL=${fake.openaiBaseURL} OPENAI_API_KEY=sk-fake`);
    out(`  export ANTHROPIC_BASE_URL=${fake.url} ANTHROPIC_API_KEY=sk-ant-fake`);
    out(`  export OTEL_EXPORTER_OTLP_ENDPOINT=${collector.url}`);
    out('  pnpm --filter @burnrate/example-express-api start');
    out(`and read the spend with: node collector/dist/cli/index.js report --by user --url ${collector.url}`);
    await new Promise(() => {}); // until a signal
  } catch (err) {
    process.stderr.write(`demo --serve failed: ${(err as Error).message}\n`);
    await cleanup.run();
    process.exitCode = 1;
  }
}
