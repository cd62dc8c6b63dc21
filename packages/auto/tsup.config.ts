import { rmSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// ESM entries may await (loader acknowledgement, pre-patching the app's import graph); CJS ones cannot.
// The two configs build in parallel into dist/, so neither may clean it: tsup's `clean` also deletes
// every .d.ts in dist/ when that config's declaration build starts, which raced with the other one's
// (the ESM index.d.ts and register.d.ts went missing from dist/ and from the packed tarball). dist/ is
// emptied once here instead (relative to the package directory, as tsup's outDir is).
rmSync('dist', { recursive: true, force: true });
const base = { ...(packageConfig({}) as Record<string, unknown>), clean: false };
export default defineConfig([
  { ...base, entry: { index: 'src/index.ts', register: 'src/register.ts' }, format: ['cjs'] },
  { ...base, entry: { index: 'src/index.esm.ts', register: 'src/register.esm.ts' }, format: ['esm'] },
]);
