/**
 * Hooks for Stainless-generated SDKs (openai, @anthropic-ai/sdk): observe an `APIPromise` and a
 * `Stream` IN PLACE, so the SDK's own objects are returned unchanged (`withResponse()`,
 * `asResponse()`, `_thenUnwrap` helpers, `tee()`, `toReadableStream()`, `controller.abort()`).
 *
 * Every SDK major since openai 4 / anthropic 0.x keeps two fields on its APIPromise:
 * `responsePromise` (headers arrived, or the request failed) and `parseResponse` (turns that into
 * the parsed body or a `Stream`). Its `Stream` keeps the source of its items in `iterator`.
 * Wrapping those fields serves every helper built on them (`parse`, `.stream()`, runners).
 */
import { diag } from '@opentelemetry/api';

export interface ApiPromiseObserver {
  /** The parsed result (body or Stream), as the SDK returns it. Must not replace it. */
  onData(data: unknown): void;
  /** The request or the parsing failed. The error is rethrown unchanged to the caller. */
  onError(error: unknown): void;
  /** The caller took the raw `Response` (`asResponse()`) and never parsed the body. */
  onUnparsed?(): void;
  /** The response promise settled (success or failure): the request body has been sent. */
  onSettled?(): void;
}

function safely(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.warn(`burnrate: ${what} failed: ${(err as Error)?.message ?? String(err)}`);
  }
}

/** True when `value` looks like an APIPromise burnrate knows how to observe. */
export function isObservableApiPromise(value: unknown): boolean {
  const p = value as { parseResponse?: unknown; responsePromise?: { then?: unknown } } | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.parseResponse === 'function' &&
    typeof p.responsePromise?.then === 'function'
  );
}

/**
 * Observes `promise` (an SDK APIPromise) in place. Returns false (and changes nothing) when its
 * shape is unknown.
 */
export function observeApiPromise(promise: unknown, observer: ApiPromiseObserver): boolean {
  if (!isObservableApiPromise(promise)) return false;
  const p = promise as {
    parseResponse: (...args: unknown[]) => unknown;
    responsePromise: Promise<unknown>;
    asResponse?: (...args: unknown[]) => Promise<unknown>;
    _thenUnwrap?: unknown;
  };
  let parseCalled = false;
  let dataSeen = false;
  const onData = (data: unknown) => {
    if (dataSeen) return;
    dataSeen = true;
    safely('observer', () => observer.onData(data));
  };
  const parse = p.parseResponse;
  p.responsePromise = p.responsePromise.then(
    (props) => {
      if (observer.onSettled) safely('observer', () => observer.onSettled!());
      return props;
    },
    (err: unknown) => {
      if (observer.onSettled) safely('observer', () => observer.onSettled!());
      safely('observer', () => observer.onError(err));
      throw err;
    },
  );
  p.parseResponse = function (this: unknown, ...args: unknown[]) {
    parseCalled = true;
    let out: unknown;
    try {
      out = parse.apply(this, args);
    } catch (err) {
      safely('observer', () => observer.onError(err));
      throw err;
    }
    if (out && typeof (out as PromiseLike<unknown>).then === 'function') {
      return (out as Promise<unknown>).then(
        (data) => {
          onData(data);
          return data;
        },
        (err: unknown) => {
          safely('observer', () => observer.onError(err));
          throw err;
        },
      );
    }
    onData(out);
    return out;
  };
  // openai 7 gives each APIPromise its own `_thenUnwrap`, built on the request and parser it was
  // created with rather than on these fields: derived promises (`parse()` helpers) are seen here.
  const thenUnwrap = p._thenUnwrap;
  if (typeof thenUnwrap === 'function' && Object.hasOwn(p, '_thenUnwrap')) {
    p._thenUnwrap = function (
      this: unknown,
      transform: (data: unknown, ...rest: unknown[]) => unknown,
      ...more: unknown[]
    ) {
      const observed =
        typeof transform === 'function'
          ? function (this: unknown, data: unknown, ...rest: unknown[]) {
              parseCalled = true;
              onData(data);
              return transform.call(this, data, ...rest);
            }
          : transform;
      return thenUnwrap.call(this, observed, ...more);
    };
  }
  const asResponse = p.asResponse;
  if (typeof asResponse === 'function' && observer.onUnparsed) {
    p.asResponse = function (this: unknown, ...args: unknown[]) {
      const response = asResponse.apply(this, args);
      // withResponse() parses too, and its parse runs first: only a bare asResponse() leaves it unparsed.
      response.then(
        () => setImmediate(() => !parseCalled && safely('observer', () => observer.onUnparsed!())),
        () => undefined,
      );
      return response;
    };
  }
  return true;
}

export interface StreamObserver<T> {
  /**
   * Each item as it arrives. Return false to hide it from the caller, or `{ replacement }` to give the
   * caller that instead (e.g. a copy without a field burnrate asked for).
   */
  onChunk(chunk: T): boolean | undefined | { replacement: T };
  /**
   * The iteration ended: `exhausted` when the source ran out by itself (the SDK also ends a
   * stream quietly after `controller.abort()`), `error` when it failed, neither when the caller
   * broke out.
   */
  onEnd(end: { exhausted: boolean; error?: unknown }): void;
}

/** Observes an SDK `Stream` in place (its `iterator` field). Returns false when its shape is unknown. */
export function observeSdkStream<T>(stream: unknown, observer: StreamObserver<T>): boolean {
  const s = stream as { iterator?: (...args: unknown[]) => AsyncIterator<T> } | null;
  if (typeof s !== 'object' || s === null || typeof s.iterator !== 'function') return false;
  const source = s.iterator;
  s.iterator = function (this: unknown, ...args: unknown[]) {
    return new ObservedIterator(source.apply(this, args), observer);
  };
  return true;
}

/**
 * The caller's view of an SDK stream's iterator: each `next()` is the source's `next()` plus one
 * `then` that shows the item to the observer (and skips the items it hides). A hand-written iterator
 * rather than an async generator, so no extra promise hops per chunk. Like the async generator it
 * replaced: calls are served one at a time, in order; `return()` stops the source (the SDK then
 * aborts the request); after the end every `next()` is done; the observer learns once how the
 * iteration ended.
 */
class ObservedIterator<T> implements AsyncIterableIterator<T> {
  private ended = false;
  /** A `next()` is in flight at the source. */
  private busy = false;
  /** Calls waiting for the one in flight (concurrent `next()` calls; rare). */
  private queued = 0;
  private tail: Promise<unknown> = Promise.resolve();

  private readonly onResult = (r: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (r.done) {
      this.busy = false;
      this.end({ exhausted: true });
      return r;
    }
    let show: boolean | undefined | { replacement: T } = true;
    try {
      show = this.observer.onChunk(r.value);
    } catch (err) {
      diag.warn(`burnrate: stream observer failed: ${(err as Error)?.message}`);
    }
    if (show === false) return this.pull();
    this.busy = false;
    if (typeof show === 'object' && show !== null) return { done: false, value: show.replacement };
    return r;
  };

  private readonly onFailure = (error: unknown): never => {
    this.busy = false;
    this.end({ exhausted: false, error });
    throw error;
  };

  constructor(
    private readonly source: AsyncIterator<T>,
    private readonly observer: StreamObserver<T>,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    return this.serve(this.doNext);
  }

  return(value?: unknown): Promise<IteratorResult<T>> {
    return this.serve(() => {
      const done = { done: true as const, value: value as T };
      if (this.ended) return Promise.resolve(done);
      this.end({ exhausted: false });
      const r = this.source.return;
      if (typeof r !== 'function') return Promise.resolve(done);
      try {
        return Promise.resolve(r.call(this.source, value as T)).then(() => done);
      } catch (err) {
        return Promise.reject(err);
      }
    });
  }

  /** As a generator suspended in `for await`: the error ends the iteration, closes the source, is rethrown. */
  throw(error?: unknown): Promise<IteratorResult<T>> {
    return this.serve(() => {
      if (this.ended) return Promise.reject(error);
      this.end({ exhausted: false, error });
      const r = this.source.return;
      if (typeof r !== 'function') return Promise.reject(error);
      try {
        return Promise.resolve(r.call(this.source)).then(() => Promise.reject(error));
      } catch (err) {
        return Promise.reject(err);
      }
    });
  }

  private readonly doNext = (): Promise<IteratorResult<T>> =>
    this.ended ? Promise.resolve({ done: true, value: undefined }) : this.pull();

  /** Runs `op` now when nothing is in flight, else after the calls before it. */
  private serve(op: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> {
    if (!this.busy && this.queued === 0) {
      const p = op();
      this.tail = p;
      return p;
    }
    this.queued++;
    const run = () => {
      this.queued--;
      return op();
    };
    const p = this.tail.then(run, run);
    this.tail = p;
    return p;
  }

  private pull(): Promise<IteratorResult<T>> {
    this.busy = true;
    let p: Promise<IteratorResult<T>>;
    try {
      p = this.source.next();
    } catch (err) {
      return Promise.reject(err).catch(this.onFailure);
    }
    return p.then(this.onResult, this.onFailure);
  }

  private end(end: { exhausted: boolean; error?: unknown }): void {
    if (this.ended) return;
    this.ended = true;
    safely('stream observer', () => this.observer.onEnd(end));
  }
}
