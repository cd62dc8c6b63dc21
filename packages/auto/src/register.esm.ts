/** `node --import @burnrate/auto/register app.mjs`: starts burnrate before the app's import graph loads. */
import { start } from './setup.js';

await start().ready;
