/**
 * First call of the tokenizer fallback (`countTokens` from @burnrate/core, which counts in a worker
 * thread), in a fresh process: how long the call itself blocks the main thread, the longest event-loop
 * stall while it runs (a 1 ms interval ticker: the longest gap between ticks), the main thread's busy time meanwhile (event-loop utilization), its wall time to the answer, and a second call's wall time.
 * Prints one JSON line.
 */
import { closeTokenizer, countTokens } from '@burnrate/core';

const text = 'The quick brown fox jumps over the lazy dog. '.repeat(200);
let maxGapMs = 0;
let last = performance.now();
function tick() {
  const now = performance.now();
  if (now - last > maxGapMs) maxGapMs = now - last;
  last = now;
}
// let the ticker settle before the call
await new Promise((r) => setTimeout(r, 50));
last = performance.now();
maxGapMs = 0;
const ticker = setInterval(tick, 1);
await new Promise((r) => setTimeout(r, 20));
const idleGapMs = maxGapMs;
maxGapMs = 0;
const elu0 = performance.eventLoopUtilization();
const t0 = performance.now();
const p = countTokens(text, 'gpt-4o-mini');
const syncMs = performance.now() - t0;
last = performance.now();
const tokens = await p;
const firstMs = performance.now() - t0;
// main-thread busy time while the first call ran (event-loop utilization: active, not idle, time)
const activeMs = performance.eventLoopUtilization(performance.eventLoopUtilization(), elu0).active;
clearInterval(ticker);
const t1 = performance.now();
await countTokens(`${text} again`, 'gpt-4o-mini');
const secondMs = performance.now() - t1;
await closeTokenizer();
console.log(JSON.stringify({ syncMs, maxGapMs, activeMs, idleGapMs, firstMs, secondMs, tokens }));
