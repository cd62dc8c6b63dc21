/** Provider SDKs the app loaded (CommonJS) before burnrate: warn once, loudly, and patch them late. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';

export interface SdkEntry {
  module: string;
  instrumentationName: string;
  /**
   * `patch`, when an instrumentation has it, patches an SDK that was loaded before burnrate (CJS) or
   * pre-imports its ESM entry; without it, the SDK is instrumented when the app loads it after burnrate.
   */
  create: () => Instrumentation & { patch?<T>(moduleExports: T): T };
}

interface Loaded {
  module: string;
  exports: unknown;
}

let warned = false;

function appRequire(): NodeJS.Require {
  const main = process.argv[1];
  return createRequire(main ? pathToFileURL(main).href : join(process.cwd(), 'index.js'));
}

/** The provider SDKs already in `require.cache`. */
export function findLoaded(sdks: SdkEntry[]): Loaded[] {
  const found: Loaded[] = [];
  const req = appRequire();
  for (const { module } of sdks) {
    try {
      const cached = req.cache[req.resolve(module)];
      if (cached?.loaded) found.push({ module, exports: cached.exports });
    } catch {
      // not installed
    }
  }
  if (found.length > 0 && !warned) {
    warned = true;
    console.warn(
      `\n[burnrate] WARNING: ${found.map((f) => f.module).join(', ')} was loaded before @burnrate/auto.\n` +
        '[burnrate] Its calls are patched late, which usually works, but make @burnrate/auto the first\n' +
        '[burnrate] import (or use node --import @burnrate/auto/register) so nothing is missed.\n',
    );
  }
  return found;
}

export function patchLoaded(loaded: Loaded[], instrumentations: Instrumentation[], sdks: SdkEntry[]): void {
  for (const { module, exports } of loaded) {
    const name = sdks.find((s) => s.module === module)?.instrumentationName;
    const instrumentation = instrumentations.find((i) => i.instrumentationName === name) as
      | (Instrumentation & { patch?: (e: unknown) => unknown })
      | undefined;
    try {
      instrumentation?.patch?.(exports);
    } catch (err) {
      diag.warn(`burnrate: could not patch preloaded ${module}: ${(err as Error).message}`);
    }
  }
}
