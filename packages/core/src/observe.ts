/**
 * Observing what an SDK returns without changing it: async iterators (event streams, SSE streams,
 * async generators) and web `ReadableStream`s. Items pass through untouched; the observer sees each
 * one and learns once how the iteration ended. Observer failures go to `diag`, never to the app.
 * (Stainless SDKs have dedicated hooks in `stainless.ts`.)
 */
import { diag } from '@opentelemetry/api';

export interface IterationObserver<T> {
  /** Each item as it passes to the caller. */
  onItem(item: T): void;
  /**
   * Called once: `exhausted` when the source ran out by itself, `error` when it failed, neither when
   * the caller stopped early (`break`, `return()`, `cancel()`).
   */
  onEnd(end: { exhausted: boolean; error?: unknown }): void;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.warn(`burnrate: stream observer failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

function onceObserver<T>(observer: IterationObserver<T>) {
  let ended = false;
  return {
    item: (item: T) => {
      if (!ended) safely(() => observer.onItem(item));
    },
    end: (end: { exhausted: boolean; error?: unknown }) => {
      if (ended) return;
      ended = true;
      safely(() => observer.onEnd(end));
    },
  };
}

/**
 * Wraps an async iterator. `next`, `return` and `throw` are forwarded as they are (a hand-written
 * iterator, not a generator: concurrent `next()` calls and `return()` values behave as the source's).
 */
export function observeAsyncIterator<T>(
  source: AsyncIterator<T>,
  observer: IterationObserver<T>,
): AsyncIterableIterator<T> {
  const o = onceObserver(observer);
  const settle = (p: Promise<IteratorResult<T>>) =>
    p.then(
      (r) => {
        if (r.done) o.end({ exhausted: true });
        else o.item(r.value);
        return r;
      },
      (error: unknown) => {
        o.end({ exhausted: false, error });
        throw error;
      },
    );
  const it: AsyncIterableIterator<T> = {
    next: (...args: [] | [unknown]) => settle(Promise.resolve().then(() => source.next(...args))),
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  it.return = (value?: unknown) => {
    o.end({ exhausted: false });
    return typeof source.return === 'function'
      ? Promise.resolve(source.return(value as T))
      : Promise.resolve({ done: true as const, value: value as T });
  };
  if (typeof source.throw === 'function') {
    it.throw = (err?: unknown) => {
      o.end({ exhausted: false, error: err });
      return Promise.resolve(source.throw!(err));
    };
  }
  return it;
}

/** Observes an async iterable in place: its own `[Symbol.asyncIterator]` is wrapped. False when it has none. */
export function observeAsyncIterableInPlace<T>(iterable: unknown, observer: IterationObserver<T>): boolean {
  const target = iterable as { [Symbol.asyncIterator]?: () => AsyncIterator<T> } | null;
  if (typeof target !== 'object' || target === null) return false;
  const original = target[Symbol.asyncIterator];
  if (typeof original !== 'function') return false;
  Object.defineProperty(target, Symbol.asyncIterator, {
    configurable: true,
    writable: true,
    value: function (this: unknown) {
      return observeAsyncIterator(original.call(this), observer);
    },
  });
  return true;
}

/**
 * Observes a web `ReadableStream` in place: `getReader()` readers and async iteration
 * (`for await`, `values()`). Piping and `tee()` read the stream internally and are not observed.
 */
export function observeReadableStreamInPlace<T>(stream: unknown, observer: IterationObserver<T>): boolean {
  const s = stream as ReadableStream<T> & Record<PropertyKey, unknown>;
  if (!(s instanceof ReadableStream)) return false;
  const o = onceObserver(observer);
  const shared: IterationObserver<T> = { onItem: o.item, onEnd: o.end };
  const getReader = s.getReader;
  Object.defineProperty(s, 'getReader', {
    configurable: true,
    writable: true,
    value: function (this: ReadableStream<T>, ...args: unknown[]) {
      const reader = (getReader as (...a: unknown[]) => unknown).apply(this, args);
      if (args[0] && (args[0] as { mode?: unknown }).mode === 'byob') return reader;
      const r = reader as ReadableStreamDefaultReader<T>;
      const read = r.read;
      const cancel = r.cancel;
      Object.defineProperty(r, 'read', {
        configurable: true,
        writable: true,
        value: function (this: unknown) {
          return read.call(this).then(
            (res) => {
              if (res.done) o.end({ exhausted: true });
              else o.item(res.value);
              return res;
            },
            (error: unknown) => {
              o.end({ exhausted: false, error });
              throw error;
            },
          );
        },
      });
      Object.defineProperty(r, 'cancel', {
        configurable: true,
        writable: true,
        value: function (this: unknown, reason?: unknown) {
          o.end({ exhausted: false });
          return cancel.call(this, reason);
        },
      });
      return r;
    },
  });
  for (const key of [Symbol.asyncIterator, 'values'] as const) {
    const original = s[key];
    if (typeof original !== 'function') continue;
    Object.defineProperty(s, key, {
      configurable: true,
      writable: true,
      value: function (this: unknown, ...args: unknown[]) {
        return observeAsyncIterator(
          (original as (...a: unknown[]) => AsyncIterator<T>).apply(this, args),
          shared,
        );
      },
    });
  }
  return true;
}

/**
 * Observes a promise without changing what the caller sees: returns `promise` itself when the
 * observer only needs `then` (the original settles the same way). Observer errors go to `diag`.
 */
export function observePromise<T>(
  promise: PromiseLike<T>,
  onValue: (value: T) => void,
  onError: (error: unknown) => void,
): void {
  promise.then(
    (value) => safely(() => onValue(value)),
    (error: unknown) => safely(() => onError(error)),
  );
}
