/**
 * Entry point of `pnpm demo` (root package.json): checks the setup, builds the packages when their
 * `dist/` is missing, then runs the demo (demo.ts). `--serve` keeps the collector and the fake provider
 * running for the examples; `--fake` uses the fake provider even when API keys are set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const args = new Set(process.argv.slice(2));

if (args.has('--help') || args.has('-h')) {
  process.stdout.write(`usage: pnpm demo [--fake] [--serve]

  (no flag)  run the whole system once: fake provider, collector on embedded ClickHouse, an example app,
             budget alerts, cost report; everything is stopped and removed at the end
  --fake     use the fake provider even when OPENAI_API_KEY / ANTHROPIC_API_KEY are set
             (with a key set and no --fake, that provider's real API is called: a few cents)
  --serve    keep the collector (port 4318) and the fake provider (port 8787) running until Ctrl-C,
             for the apps in examples/
`);
  process.exit(0);
}

if (!existsSync(join(ROOT, 'node_modules')) || !existsSync(join(ROOT, 'test', 'node_modules'))) {
  process.stderr.write('burnrate demo: dependencies are not installed; run `pnpm install` first.\n');
  process.exit(1);
}

/** Workspace packages that build to dist/ and are not built yet. */
function unbuilt(): string[] {
  const dirs = [...readdirSync(join(ROOT, 'packages')).map((d) => join('packages', d)), 'collector'];
  return dirs.filter((dir) => {
    const manifest = join(ROOT, dir, 'package.json');
    if (!existsSync(manifest)) return false;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { scripts?: Record<string, string> };
    return Boolean(pkg.scripts?.['build']) && !existsSync(join(ROOT, dir, 'dist'));
  });
}

const missing = unbuilt();
if (missing.length) {
  process.stdout.write(
    `[setup] not built yet: ${missing.join(', ')}; running \`pnpm build\` (about a minute) ... `,
  );
  const pnpm = process.env['npm_execpath'];
  const build = pnpm
    ? spawnSync(process.execPath, [pnpm, 'build'], { cwd: ROOT, encoding: 'utf8' })
    : spawnSync('pnpm', ['build'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' });
  if (build.status !== 0) {
    process.stdout.write('failed\n');
    process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}${build.error?.message ?? ''}\n`);
    process.exit(1);
  }
  process.stdout.write('ok\n\n');
}

const demo = await import('./demo.ts');
if (args.has('--serve')) await demo.serve();
else await demo.runDemo({ real: !args.has('--fake') });
