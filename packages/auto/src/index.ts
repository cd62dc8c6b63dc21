/**
 * `import '@burnrate/auto'` (or `require('@burnrate/auto')`) as the app's first import: sets up
 * OpenTelemetry and every burnrate instrumentation whose provider SDK is installed.
 */
import { start } from './setup.js';

export type { BurnrateHandle } from './setup.js';
export { start } from './setup.js';

/** The running setup (started by importing this module). */
export const burnrate = start();
