/** ESM entry of `@burnrate/auto`: as index.ts, and patches provider SDKs the app's import graph already loaded. */
import { patchEsmEntries } from './esm-loaded.js';
import { start } from './setup.js';

export type { BurnrateHandle } from './setup.js';
export { start } from './setup.js';

export const burnrate = start();
await burnrate.ready;
await patchEsmEntries(burnrate);
