/** Helpers for tests that run the built collector binary as a child process. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN = join(PKG, 'dist/main.js');

/** Builds the collector when its dist is missing (CI runs `pnpm build` first). */
export function ensureBuilt(): void {
  if (!existsSync(MAIN)) execFileSync('pnpm', ['run', 'build'], { cwd: PKG, stdio: 'ignore' });
}

export interface RunningCollector {
  proc: ChildProcess;
  url: string;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `burnrate-collector` with `env` and resolves once it listens. */
export async function startBinary(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RunningCollector> {
  const proc = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', BURNRATE_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (c: Buffer) => {
    log += c.toString();
  });
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code, signal) => r(code ?? (signal ? -1 : null))),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`collector did not start in ${timeoutMs} ms: ${log}`));
    }, timeoutMs);
    proc.stderr!.on('data', (c: Buffer) => {
      log += c.toString();
      const m = /OTLP\/HTTP and API on ([\d.]+):(\d+)/.exec(log);
      if (m) {
        clearTimeout(t);
        resolve(`http://${m[1]}:${m[2]}`);
      }
    });
    exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`collector exited ${code}: ${log}`));
    });
  });
  return {
    proc,
    url,
    log: () => log,
    exited,
    async stop(graceMs = 30_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/** Reads `name` from the collector's Prometheus text. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`metric ${name} not found`);
  return Number(m[1]);
}

export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
