/** Registers import-in-the-middle's loader so ESM imports of provider SDKs are hooked. */
import * as nodeModule from 'node:module';
import { diag } from '@opentelemetry/api';
import { createAddHookMessageChannel } from 'import-in-the-middle';

let registered = false;

/**
 * Registers the loader hook (once). Returns a function to call after the instrumentations added
 * their hooks: it resolves when the loader thread has acknowledged them.
 */
export function registerEsmHook(options: { channel?: boolean } = {}): () => Promise<void> {
  const none = () => Promise.resolve();
  if (registered || typeof nodeModule.register !== 'function') return none;
  registered = true;
  try {
    if (options.channel === false) {
      // From a `--require` preload, handing the loader thread a MessagePort kills the process (Node 24:
      // exit 1, no message), and a channel-less hook is initialized twice. `--require` serves CJS apps,
      // which require-in-the-middle hooks; ESM apps use `--import @burnrate/auto/register`.
      return none;
    }
    const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
    nodeModule.register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
    return () => waitForAllMessagesAcknowledged().catch(() => undefined);
  } catch (err) {
    diag.warn(`burnrate: could not register the ESM loader hook: ${(err as Error).message}`);
    return none;
  }
}
