import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'collector/test/**/*.test.ts',
      'test/**/*.test.ts',
      'dashboards/test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**', 'test/bench/**'],
    // One process per test file: the embedded ClickHouse engine binds one data directory per process.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
