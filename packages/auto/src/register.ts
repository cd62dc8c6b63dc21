/** `node --require @burnrate/auto/register app.js`: starts burnrate before the app loads. */
import { start } from './setup.js';

// `--require` preloads run before the app's main module: see registerEsmHook on the message channel.
start({ esmHookChannel: false });
