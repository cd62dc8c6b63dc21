#!/usr/bin/env node
/** `burnrate-collector`: loads and validates the configuration, then runs until SIGINT/SIGTERM. */
import { PricesFileError } from '@burnrate/core';
import { startCollector } from './collector.js';
import { ConfigError, configFileWarnings, loadConfig } from './config.js';

async function main(): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`burnrate-collector: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  let collector: Awaited<ReturnType<typeof startCollector>>;
  try {
    collector = await startCollector(loaded.config);
  } catch (err) {
    const prefix = err instanceof PricesFileError ? 'invalid prices file' : 'cannot start';
    process.stderr.write(`burnrate-collector: ${prefix}: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (loaded.file) process.stderr.write(`burnrate-collector: configuration from ${loaded.file}\n`);
  for (const w of configFileWarnings(loaded)) process.stderr.write(`burnrate-collector: warning: ${w}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`burnrate-collector: ${signal}, flushing and stopping\n`);
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    collector.close().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`burnrate-collector: shutdown failed: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: Error) => {
  process.stderr.write(`burnrate-collector: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
