/**
 * `import '@burnrate/auto'` as an ESM app's first import runs after the app's whole static import
 * graph was loaded, so the loader hook is too late for it. The provider SDKs' ESM entries are
 * imported here (same URL, so the same module instance the app imports) and patched before the
 * app's own code runs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { appRequire, type BurnrateHandle, SDKS } from './setup.js';

function pick(target: unknown): string | undefined {
  if (typeof target === 'string') return target;
  if (target && typeof target === 'object' && !Array.isArray(target)) {
    const t = target as Record<string, unknown>;
    for (const key of ['import', 'node', 'default']) {
      if (key in t) {
        const found = pick(t[key]);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** The file URL of `module`'s ESM entry as the app would import it, or undefined. */
export function esmEntry(module: string): string | undefined {
  let dir = dirname(appRequire().resolve(module));
  const name = module.split('/').pop();
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const pkgPath = join(dir, 'package.json');
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as {
      name?: string;
      exports?: unknown;
      module?: string;
    };
    if (pkg.name !== module && !dir.endsWith(`/${name}`)) continue;
    const exp = pkg.exports as Record<string, unknown> | string | undefined;
    const root = typeof exp === 'object' && exp !== null && '.' in exp ? exp['.'] : exp;
    const rel = pick(root) ?? pkg.module;
    return rel ? pathToFileURL(join(dir, rel)).href : undefined;
  }
  return undefined;
}

export async function patchEsmEntries(handle: BurnrateHandle): Promise<void> {
  for (const sdk of SDKS) {
    const instrumentation = handle.instrumentations.find(
      (i) => i.instrumentationName === sdk.instrumentationName,
    ) as (Instrumentation & { patch?: (m: unknown) => unknown }) | undefined;
    if (!instrumentation?.patch) continue;
    try {
      const url = esmEntry(sdk.module);
      if (url) instrumentation.patch(await import(url));
    } catch (err) {
      diag.debug(`burnrate: could not pre-patch ${sdk.module} (ESM): ${(err as Error).message}`);
    }
  }
}
