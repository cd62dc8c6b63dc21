/**
 * The built binaries as a user runs them: `burnrate-collector` keeps data across a restart, stops on an
 * invalid config with the file, path and reason; `burnrate report` reads the API or, when no collector
 * runs, the embedded store.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(pkg, 'dist/main.js');
const CLI = join(pkg, 'dist/cli/index.js');
const tmp = tempDir();
const env = {
  ...process.env,
  BURNRATE_DATA_DIR: tmp.dir,
  BURNRATE_HOST: '127.0.0.1',
  BURNRATE_PORT: '0',
  BURNRATE_GRPC_PORT: 'off',
  BURNRATE_CONFIG: '',
};

beforeAll(() => {
  if (!existsSync(MAIN) || !existsSync(CLI))
    execFileSync('pnpm', ['run', 'build'], { cwd: pkg, stdio: 'ignore' });
}, 120_000);
afterAll(() => tmp.cleanup());

async function startBinary(): Promise<{ proc: ChildProcess; url: string; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /OTLP\/HTTP and API on ([\d.]+):(\d+)/.exec(log);
      if (m) resolve(`http://${m[1]}:${m[2]}`);
    });
    exited.then((code) => reject(new Error(`collector exited ${code}: ${log}`)));
  });
  return { proc, url, exited };
}

function spans(feature: string) {
  const now = BigInt(Date.now() - 5 * 60_000) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bin' } }] },
        scopeSpans: [
          {
            spans: [1, 2, 3].map((i) => ({
              traceId: `${i}`.padStart(32, '0'),
              spanId: `${i}`.padStart(16, 'f'),
              name: 'chat',
              startTimeUnixNano: now.toString(),
              endTimeUnixNano: (now + 1000n).toString(),
              attributes: [
                { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                { key: 'gen_ai.usage.input_tokens', value: { intValue: 1_000_000 } },
                { key: 'gen_ai.usage.output_tokens', value: { intValue: 0 } },
                { key: 'burnrate.feature', value: { stringValue: feature } },
              ],
            })),
          },
        ],
      },
    ],
  });
}

async function freePort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return String(port);
}

function cli(args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
}

describe('burnrate-collector and burnrate report', () => {
  it('keeps data across a restart and reports it from the API and from the embedded store', async () => {
    const first = await startBinary();
    const res = await fetch(`${first.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: spans('summaries'),
    });
    expect(res.status).toBe(200);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await startBinary();
    try {
      const body = (await (await fetch(`${second.url}/api/spend?from=1h&group_by=feature`)).json()) as {
        rows: Array<{ key: string; requests: number; input_tokens: number }>;
      };
      expect(body.rows).toEqual([
        expect.objectContaining({ key: 'summaries', requests: 3, input_tokens: 3_000_000 }),
      ]);
      const table = cli(['report', '--from', '1h', '--by', 'feature', '--url', second.url]);
      expect(table).toMatch(/^FEATURE\s+COST\s+REQUESTS/m);
      expect(table).toMatch(/^summaries\s+\$\d+\.\d{2}\s+3\s+3,000,000/m);
      expect(table).toMatch(/^TOTAL\s+\$/m);
    } finally {
      second.proc.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    }
    // No collector running: the CLI reads the embedded store directly.
    const closed = await freePort();
    const offline = cli(['report', '--from', '1h', '--by', 'model'], { BURNRATE_PORT: closed });
    expect(offline).toContain('(embedded store)');
    expect(offline).toMatch(/^gpt-4o-mini\s+\$\d+\.\d{2}\s+3\s/m);
    const json = JSON.parse(
      cli(['report', '--from', '1h', '--by', 'feature', '--json'], { BURNRATE_PORT: closed }),
    );
    expect(json.rows[0]).toMatchObject({ key: 'summaries', requests: 3 });
  });

  it('stops on an invalid config file with the file, the path and the reason', () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'writer:\n  batch_spans: lots\n');
    let stderr = '';
    let code = 0;
    try {
      execFileSync(process.execPath, [MAIN], {
        env: { ...env, BURNRATE_CONFIG: file },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (err) {
      const e = err as { status: number; stderr: string };
      code = e.status;
      stderr = e.stderr;
    }
    expect(code).toBe(2);
    expect(stderr).toContain(`invalid configuration: ${file}: writer.batch_spans:`);
    expect(stderr).toMatch(/expected number/);
  });
});
