// The one import as the first line, then the unchanged app.
require('@burnrate/auto');
require('./cjs-app-plain.cjs');
