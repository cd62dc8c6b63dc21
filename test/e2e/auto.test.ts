/**
 * End to end: real apps, started as child processes with only the one import added, send priced
 * GenAI spans to an OTLP/HTTP receiver.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ATTR, METRIC } from '@burnrate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLLM, startFakeLLM } from '../fakes/llm-server.js';
import { type OtlpReceiver, startOtlpReceiver } from '../fakes/otlp-receiver.js';

const run = promisify(execFile);
const app = (name: string) => fileURLToPath(new URL(`../apps/${name}`, import.meta.url));

let fake: FakeLLM;
let receiver: OtlpReceiver;
beforeAll(async () => {
  fake = await startFakeLLM();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await fake.close();
  await receiver.close();
});

async function runApp(service: string, args: string[]) {
  const { stdout, stderr } = await run(process.execPath, args, {
    env: {
      ...process.env,
      FAKE_URL: fake.url,
      FAKE_OPENAI_URL: fake.openaiBaseURL,
      OTEL_SERVICE_NAME: service,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '50',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '100',
      OTEL_TRACES_EXPORTER: 'otlp',
    },
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    timeout: 20_000,
  });
  // The app's own output is unchanged.
  expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
    completion: 'Hello world',
    streamed: 'Hello world',
    message: 'Hello world',
  });
  return stderr;
}

async function spansOf(service: string, n: number) {
  const deadline = Date.now() + 5000;
  while (receiver.spans.filter((s) => s.service === service).length < n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  return receiver.spans.filter((s) => s.service === service);
}

function expectPricedSpans(spans: Awaited<ReturnType<typeof spansOf>>) {
  expect(spans.map((s) => s.name).sort()).toEqual([
    'chat claude-3-5-haiku-20241022',
    'chat gpt-4o-mini',
    'chat gpt-4o-mini',
  ]);
  const [plain, streamed] = spans.filter((s) => s.name === 'chat gpt-4o-mini');
  for (const s of [plain!, streamed!]) {
    expect(s.scope).toBe('@burnrate/instrumentation-openai');
    expect(s.kind).toBe(3); // CLIENT
    expect(s.attributes[ATTR.PROVIDER_NAME]).toBe('openai');
    expect(s.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
    expect(s.attributes[ATTR.USAGE_OUTPUT_TOKENS]).toBe(5);
    expect(s.attributes[ATTR.USAGE_COST]).toBeCloseTo((12 * 0.15 + 5 * 0.6) / 1e6, 12);
  }
  expect(spans.some((s) => s.attributes[ATTR.STREAM_COMPLETED] === true)).toBe(true);
  const claude = spans.find((s) => s.name.startsWith('chat claude'))!;
  expect(claude.scope).toBe('@burnrate/instrumentation-anthropic');
  expect(claude.attributes[ATTR.USAGE_COST]).toBeCloseTo((30 * 0.8 + 9 * 4) / 1e6, 12);
}

describe('@burnrate/auto', () => {
  it('ESM app with `import "@burnrate/auto"` first', async () => {
    const stderr = await runApp('esm-app', [app('esm-app.mjs')]);
    expect(stderr).not.toContain('[burnrate] WARNING');
    expectPricedSpans(await spansOf('esm-app', 3));
    expect(receiver.metricNames).toContain(METRIC.TOKEN_USAGE);
    expect(receiver.metricNames).toContain(METRIC.COST);
  });

  it('CJS app with `require("@burnrate/auto")` first', async () => {
    await runApp('cjs-app', [app('cjs-app.cjs')]);
    expectPricedSpans(await spansOf('cjs-app', 3));
  });

  it('unchanged CJS app started with `node --require @burnrate/auto/register`', async () => {
    await runApp('cjs-register', ['--require', '@burnrate/auto/register', app('cjs-app-plain.cjs')]);
    expectPricedSpans(await spansOf('cjs-register', 3));
  });

  it('unchanged ESM app started with `node --import @burnrate/auto/register`', async () => {
    await runApp('esm-register', ['--import', '@burnrate/auto/register', app('esm-app-plain.mjs')]);
    expectPricedSpans(await spansOf('esm-register', 3));
  });
});
