/**
 * Runs a loading-check fixture in a fresh Node process (so the real module hooks load the SDK:
 * import-in-the-middle for ESM, require-in-the-middle for CJS) and returns what it printed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface FixtureResult {
  spans: Array<{ name: string; attributes: Record<string, unknown> }>;
  [key: string]: unknown;
}

/** Fails with a clear message when the package was not built (`pnpm build` runs before the tests in CI). */
export function assertBuilt(distFile: string): void {
  if (!existsSync(distFile)) throw new Error(`${distFile} is missing: run \`pnpm build\` first`);
}

export function runFixture(file: string, env: Record<string, string> = {}): Promise<FixtureResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [file],
      { env: { ...process.env, ...env, NODE_OPTIONS: '' }, timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`${file} failed: ${err.message}\n${stderr}`));
          return;
        }
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(line) as FixtureResult);
        } catch {
          reject(new Error(`${file} printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}
