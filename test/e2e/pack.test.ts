/**
 * The packages as a user gets them. `pnpm pack` of every publishable workspace package: each
 * tarball's `@burnrate/*` dependencies are tarballs too, at their versions, no `workspace:` protocol
 * is left, and every entry point is in the tarball. Then the README's "Add burnrate to your app"
 * commands run as written (only /tmp/burnrate is a temp dir): the pack loop here, `npm install` of the
 * tarballs into an empty app (third-party dependencies from the npm registry), and
 * `node --import @burnrate/auto/register` in that app.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'burnrate-pack-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  module?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  [field: string]: unknown;
}
const DEP_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];

function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, CI: 'true' } });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status}: ${r.error ?? ''}\n${r.stderr}`);
  return r.stdout;
}

/** Every file a package.json points at: main, module, types, bin, exports targets. */
function entryPoints(m: Manifest): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x);
  };
  walk([m.main, m.module, m.types, m.bin, m.exports]);
  return out.map((p) => p.replace(/^\.\//, ''));
}

/** name -> manifest and file list of each tarball in dir. */
function tarballs(dir: string): Map<string, { file: string; manifest: Manifest; files: string[] }> {
  const out = new Map<string, { file: string; manifest: Manifest; files: string[] }>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.tgz'))) {
    const file = join(dir, f);
    const manifest = JSON.parse(sh('tar', ['-xzOf', file, 'package/package.json'], dir)) as Manifest;
    const files = sh('tar', ['-tzf', file], dir)
      .split('\n')
      .filter(Boolean)
      .map((p) => p.replace(/^package\//, ''));
    out.set(manifest.name, { file: f, manifest, files });
  }
  return out;
}

/** What would break `npm install` of these tarballs together; empty when nothing. */
function problems(packed: ReturnType<typeof tarballs>): string[] {
  const out: string[] = [];
  for (const { file, manifest, files } of packed.values()) {
    for (const field of DEP_FIELDS)
      for (const [dep, range] of Object.entries((manifest[field] ?? {}) as Record<string, string>)) {
        if (range.startsWith('workspace:')) out.push(`${file}: ${field}.${dep} is still "${range}"`);
        if (!dep.startsWith('@burnrate/') || field === 'devDependencies') continue;
        const target = packed.get(dep)?.manifest.version;
        if (!target) out.push(`${file}: ${field}.${dep}@${range} is not among the tarballs`);
        else if (![target, `^${target}`, `~${target}`].includes(range))
          out.push(`${file}: ${field}.${dep}@${range} does not match the packed ${target}`);
      }
    for (const entry of entryPoints(manifest))
      if (!files.includes(entry)) out.push(`${file}: ${entry} (from package.json) is not in the tarball`);
  }
  return out;
}

describe('packed packages', () => {
  it('every publishable workspace package packs, with its @burnrate dependencies packed at their versions', () => {
    const workspace = JSON.parse(sh('pnpm', ['ls', '-r', '--depth', '-1', '--json'], ROOT)) as {
      name: string;
      private?: boolean;
    }[];
    const publishable = workspace.filter((p) => !p.private).map((p) => p.name);
    expect(publishable).toEqual(expect.arrayContaining(['@burnrate/core', '@burnrate/auto']));
    const dest = join(TMP, 'all');
    sh(
      'pnpm',
      ['-r', ...publishable.flatMap((n) => ['--filter', n]), 'pack', '--pack-destination', dest],
      ROOT,
    );
    const packed = tarballs(dest);
    expect([...packed.keys()].sort()).toEqual([...publishable].sort());
    expect(problems(packed)).toEqual([]);
  });

  it("the README's install commands work as written: pack, npm install into an app, node --import", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Add burnrate to your app'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    const lines = block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    const installAt = lines.findIndex((l) => l.startsWith('npm install '));
    expect(installAt, block).toBeGreaterThan(0);
    const dest = join(TMP, 'readme');
    const inRepo = lines.slice(0, installAt).join('\n').replaceAll('/tmp/burnrate', dest);
    const inApp = lines.slice(installAt).join('\n').replaceAll('/tmp/burnrate', dest);
    expect(inRepo).toContain('pnpm pack');

    sh('bash', ['-euo', 'pipefail', '-c', inRepo], ROOT);
    const packed = tarballs(dest);
    expect(packed.has('@burnrate/auto')).toBe(true);
    expect(problems(packed)).toEqual([]);

    const app = join(TMP, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    sh(
      'bash',
      ['-euo', 'pipefail', '-c', `${inApp} --prefer-offline --no-audit --no-fund --loglevel=error`],
      app,
      170_000,
    );
    const installed = readdirSync(join(app, 'node_modules/@burnrate')).map((d) => `@burnrate/${d}`);
    expect(installed.sort()).toEqual([...packed.keys()].sort());

    // Spans would go nowhere: a closed port, not a collector someone runs on :4318.
    const env = {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_METRICS_EXPORTER: 'none',
    };
    const node = (args: string[]) =>
      spawnSync(process.execPath, args, { cwd: app, env, encoding: 'utf8', timeout: 30_000 });
    for (const args of [
      ['--import', '@burnrate/auto/register', '-e', ''],
      ['--require', '@burnrate/auto/register', '-e', ''],
      // every installed package loads, as ESM and as CJS
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const require = createRequire(process.cwd() + '/');
         for (const p of ${JSON.stringify(installed)}) { await import(p); require(p); }`,
      ],
    ]) {
      const r = node(args);
      expect({ args, status: r.status, stderr: r.stderr }).toEqual({ args, status: 0, stderr: '' });
    }
  }, 200_000);
});
