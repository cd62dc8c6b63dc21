/**
 * Writes every dashboard to dashboards/json/. `--check` writes nothing and exits 1 when a committed
 * file differs from what the sources generate (the test suite checks the same).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS, render } from './index.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'json');
const check = process.argv.includes('--check');
let stale = 0;
for (const { file, spec } of DASHBOARDS) {
  const path = join(out, file);
  const text = render(spec);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  if (check) {
    process.stderr.write(
      `stale: dashboards/json/${file} (run pnpm --filter @burnrate/dashboards generate)\n`,
    );
    stale++;
  } else {
    writeFileSync(path, text);
    process.stdout.write(`wrote dashboards/json/${file}\n`);
  }
}
if (stale > 0) process.exit(1);
