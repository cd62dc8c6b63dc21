/**
 * Every publishable package in the workspace must load both as ESM and as CJS from its built dist,
 * through its package.json "exports" (self-reference by name), and ship type declarations for both.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const dirs = [
  ...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)),
  join(root, 'collector'),
].filter((d) => existsSync(join(d, 'package.json')));

const packages = dirs
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ pkg }) => !pkg.private);

describe.each(packages)('$pkg.name', ({ dir, pkg }) => {
  it('loads with require() and import, exposing the same exports', () => {
    const cjs = execFileSync(
      process.execPath,
      ['-e', `console.log(Object.keys(require('${pkg.name}')).sort().join(','))`],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    ).trim();
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `console.log(Object.keys(await import('${pkg.name}')).filter(k => k !== 'default').sort().join(','))`,
      ],
      { cwd: dir, encoding: 'utf8' },
    ).trim();
    expect(cjs.length).toBeGreaterThan(0);
    expect(esm).toBe(cjs);
  });

  it('ships type declarations for both module systems', () => {
    const main = pkg.exports['.'];
    expect(existsSync(join(dir, main.import.types))).toBe(true);
    expect(existsSync(join(dir, main.require.types))).toBe(true);
  });
});
