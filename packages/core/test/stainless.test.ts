/** `observeSdkStream`: what the caller sees of an observed SDK Stream, and what the observer learns. */
import { describe, expect, it } from 'vitest';
import { observeSdkStream } from '../src/stainless.js';

/** The part of a Stainless `Stream` burnrate observes: an `iterator` field (an async generator). */
function fakeStream<T>(items: T[], opts: { failAfter?: number } = {}) {
  const log: string[] = [];
  const stream = {
    iterator: async function* () {
      try {
        for (let i = 0; i < items.length; i++) {
          if (opts.failAfter === i) throw new Error('boom');
          await null;
          yield items[i]!;
        }
        log.push('source done');
      } finally {
        log.push('source finally');
      }
    },
    [Symbol.asyncIterator]() {
      return this.iterator();
    },
  };
  return { stream, log };
}

function observe<T>(stream: unknown, hide: (x: T) => boolean = () => false) {
  const seen: T[] = [];
  const ends: Array<{ exhausted: boolean; error?: unknown }> = [];
  const ok = observeSdkStream<T>(stream, {
    onChunk: (c) => {
      seen.push(c);
      return !hide(c);
    },
    onEnd: (e) => ends.push(e),
  });
  return { ok, seen, ends };
}

describe('observeSdkStream', () => {
  it('passes items through, hides what the observer hides, ends once as exhausted', async () => {
    const { stream, log } = fakeStream([1, 2, 3, 4]);
    const o = observe<number>(stream, (x) => x === 4);
    expect(o.ok).toBe(true);
    const got: number[] = [];
    for await (const x of stream) got.push(x);
    expect(got).toEqual([1, 2, 3]);
    expect(o.seen).toEqual([1, 2, 3, 4]);
    expect(o.ends).toEqual([{ exhausted: true }]);
    expect(log).toEqual(['source done', 'source finally']);
  });

  it('break: the source is closed, the observer hears not exhausted', async () => {
    const { stream, log } = fakeStream([1, 2, 3]);
    const o = observe<number>(stream);
    for await (const x of stream) if (x === 2) break;
    expect(o.ends).toEqual([{ exhausted: false }]);
    expect(log).toEqual(['source finally']);
  });

  it('a failing source: the error reaches the caller and the observer; later next() is done', async () => {
    const { stream } = fakeStream([1, 2, 3], { failAfter: 1 });
    const o = observe<number>(stream);
    const it = stream[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 1 });
    await expect(it.next()).rejects.toThrow('boom');
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(o.ends).toHaveLength(1);
    expect(o.ends[0]).toMatchObject({ exhausted: false });
    expect((o.ends[0]!.error as Error).message).toBe('boom');
  });

  it('concurrent next() calls get the items in order, hidden ones skipped', async () => {
    const { stream } = fakeStream([1, 2, 3, 4, 5]);
    const o = observe<number>(stream, (x) => x === 2);
    const it = stream[Symbol.asyncIterator]();
    const results = await Promise.all([it.next(), it.next(), it.next(), it.next(), it.next()]);
    expect(results).toEqual([
      { done: false, value: 1 },
      { done: false, value: 3 },
      { done: false, value: 4 },
      { done: false, value: 5 },
      { done: true, value: undefined },
    ]);
    expect(o.ends).toEqual([{ exhausted: true }]);
  });

  it('return() mid-stream resolves done with its value and closes the source', async () => {
    const { stream, log } = fakeStream([1, 2, 3]);
    const o = observe<number>(stream);
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    expect(await (it.return as (v: unknown) => Promise<unknown>)('v')).toEqual({ done: true, value: 'v' });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(o.ends).toEqual([{ exhausted: false }]);
    expect(log).toEqual(['source finally']);
  });

  it('an iterator given up before its first item still ends the observation (e.g. a cancelled toReadableStream)', async () => {
    const { stream } = fakeStream([1, 2, 3]);
    const o = observe<number>(stream);
    const it = stream[Symbol.asyncIterator]();
    expect(await it.return!(undefined)).toEqual({ done: true, value: undefined });
    expect(o.ends).toEqual([{ exhausted: false }]);
  });

  it('an observer that throws never breaks the stream', async () => {
    const { stream } = fakeStream([1, 2]);
    observeSdkStream<number>(stream, {
      onChunk: () => {
        throw new Error('observer bug');
      },
      onEnd: () => {
        throw new Error('observer bug');
      },
    });
    const got: number[] = [];
    for await (const x of stream) got.push(x);
    expect(got).toEqual([1, 2]);
  });
});
