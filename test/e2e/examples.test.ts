/**
 * The apps in examples/, run as their READMEs say (`pnpm start` = the one import), against the fake
 * provider: their GenAI spans carry the attribution each example is about.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ATTR } from '@burnrate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLLM, startFakeLLM } from '../fakes/llm-server.js';
import { type OtlpReceiver, startOtlpReceiver } from '../fakes/otlp-receiver.js';

const run = promisify(execFile);
const dir = (name: string) => fileURLToPath(new URL(`../../examples/${name}/`, import.meta.url));

let fake: FakeLLM;
let receiver: OtlpReceiver;
const children: ChildProcess[] = [];
beforeAll(async () => {
  fake = await startFakeLLM();
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill();
  await fake.close();
  await receiver.close();
});

function env(service: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OPENAI_BASE_URL: fake.openaiBaseURL,
    OPENAI_API_KEY: 'sk-fake',
    OTEL_SERVICE_NAME: service,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_METRICS_EXPORTER: 'none',
    PORT: '0',
  };
}

/** The `start` script of an example, split into node's arguments. */
async function startArgs(name: string): Promise<string[]> {
  const pkg = (await import(`../../examples/${name}/package.json`, { with: { type: 'json' } })).default;
  const [node, ...args] = (pkg.scripts.start as string).split(' ');
  expect(node).toBe('node');
  return args;
}

/** Starts a server example and resolves with its base URL once it listens. */
async function startServer(name: string, service: string): Promise<string> {
  const child = spawn(process.execPath, await startArgs(name), { cwd: dir(name), env: env(service) });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 20_000);
    const onData = (c: Buffer) => {
      output += c;
      const m = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited ${code}:\n${output}`)));
  });
}

async function spansOf(service: string, n: number) {
  const deadline = Date.now() + 10_000;
  const genai = () =>
    receiver.spans.filter((s) => s.service === service && s.attributes[ATTR.OPERATION_NAME] === 'chat');
  while (genai().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  return genai();
}

async function post(url: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.text();
}

describe('examples', () => {
  it('express-api: the middleware attributes each request to its user and tenant, each route to its feature', async () => {
    const url = await startServer('express-api', 'ex-express');
    expect(
      JSON.parse(await post(`${url}/chat`, { message: 'hi' }, { 'x-user-id': 'alice', 'x-tenant': 'acme' })),
    ).toEqual({ reply: 'Hello world' });
    expect(
      await post(`${url}/summarize`, { text: 'long text' }, { 'x-user-id': 'bob', 'x-session-id': 's1' }),
    ).toBe('Hello world');
    const spans = await spansOf('ex-express', 2);
    const attribution = spans
      .map((s) => [
        s.attributes[ATTR.FEATURE],
        s.attributes[ATTR.USER_ID],
        s.attributes[ATTR.TENANT],
        s.attributes[ATTR.SESSION_ID],
        s.attributes[ATTR.REQUEST_STREAM],
      ])
      .sort();
    expect(attribution).toEqual([
      ['chat', 'alice', 'acme', undefined, false],
      ['summarize', 'bob', undefined, 's1', true],
    ]);
    for (const s of spans) expect(s.attributes[ATTR.USAGE_COST]).toBeGreaterThan(0);
  });

  it('next-route: register() in instrumentation.ts instruments the route handler, which streams', async () => {
    const url = await startServer('next-route', 'ex-next');
    expect(await post(`${url}/api/chat`, { message: 'hi' }, { 'x-user-id': 'carol' })).toBe('Hello world');
    const [span] = await spansOf('ex-next', 1);
    expect(span!.attributes).toMatchObject({
      [ATTR.FEATURE]: 'assistant',
      [ATTR.USER_ID]: 'carol',
      [ATTR.REQUEST_STREAM]: true,
      [ATTR.STREAM_COMPLETED]: true,
      [ATTR.USAGE_INPUT_TOKENS]: 12,
    });
  });

  it('batch-job: every call is tagged non-interactive and the job exits with its spans flushed', async () => {
    const { stdout } = await run(process.execPath, await startArgs('batch-job'), {
      cwd: dir('batch-job'),
      env: env('ex-batch'),
      timeout: 30_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ labeled: 8 });
    const spans = await spansOf('ex-batch', 8);
    expect(spans).toHaveLength(8);
    for (const s of spans) {
      expect(s.attributes).toMatchObject({
        [ATTR.FEATURE]: 'ticket-labeling',
        [`${ATTR.TAG_PREFIX}interactive`]: 'false',
        [`${ATTR.TAG_PREFIX}job`]: 'nightly-ticket-labeling',
      });
    }
  });
});
