import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base';

// ESM entries may await (loader acknowledgement, pre-patching the app's import graph); CJS ones cannot.
const base = packageConfig({}) as Record<string, unknown>;
export default defineConfig([
  { ...base, entry: { index: 'src/index.ts', register: 'src/register.ts' }, format: ['cjs'] },
  {
    ...base,
    entry: { index: 'src/index.esm.ts', register: 'src/register.esm.ts' },
    format: ['esm'],
    clean: false,
  },
]);
