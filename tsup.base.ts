import { defineConfig, type Options } from 'tsup';

/** One build setup for every publishable package: ESM + CJS + type declarations. */
export function packageConfig(entry: Options['entry'], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    platform: 'node',
    shims: true,
    splitting: false,
    ...extra,
  });
}
