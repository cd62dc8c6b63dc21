import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeTokenizer, countTokens, encodingForModel } from '../src/tokenizer.js';

afterAll(() => closeTokenizer());

describe('token-count fallback', () => {
  it('picks the encoding by model family', () => {
    expect(encodingForModel('gpt-4o-mini')).toBe('o200k_base');
    expect(encodingForModel('gpt-4.1')).toBe('o200k_base');
    expect(encodingForModel('gpt-4-turbo')).toBe('cl100k_base');
    expect(encodingForModel('gpt-3.5-turbo')).toBe('cl100k_base');
    expect(encodingForModel('claude-sonnet-4-5')).toBe('o200k_base');
  });

  it('counts tokens like tiktoken, for several texts at once', async () => {
    expect(await countTokens('hello world', 'gpt-4o')).toBe(2);
    expect(await countTokens(['hello world', 'hello world'], 'gpt-4o')).toBe(4);
    expect(await countTokens('', 'gpt-4o')).toBe(0);
  });

  it('builds the encoder off the main thread: timers keep firing during the first count', async () => {
    await closeTokenizer(); // a fresh worker must build its encoder again
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 5);
    const started = performance.now();
    const tokens = await countTokens('The quick brown fox jumps over the lazy dog.', 'gpt-3.5-turbo');
    const took = performance.now() - started;
    clearInterval(timer);
    expect(tokens).toBe(10);
    // The encoder build takes hundreds of ms; the event loop must have ticked all along: at least a
    // quarter of the expected ticks, and no single stall covering half of the call (a build on the
    // main thread is one stall as long as the call).
    expect(took).toBeGreaterThan(20);
    expect(gaps.length).toBeGreaterThan(Math.floor(took / 5 / 4));
    expect(Math.max(...gaps)).toBeLessThan(took / 2);
  });
});

describe('token counting from the built package', () => {
  const run = (args: string[]) =>
    execFileSync(process.execPath, args, {
      cwd: resolve(import.meta.dirname, '..'),
      encoding: 'utf8',
    }).trim();

  it('works from CJS and from ESM, even when the app runs with flags of its own', () => {
    expect(run(['-e', "require('@burnrate/core').countTokens('hello world').then(console.log)"])).toBe('2');
    expect(
      run([
        '--input-type=module',
        '-e',
        "const m = await import('@burnrate/core'); console.log(await m.countTokens('hello world'))",
      ]),
    ).toBe('2');
  });
});
