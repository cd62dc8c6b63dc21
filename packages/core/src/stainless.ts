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
  /** Each item as it arrives. Return false to hide it from the caller. */
  onChunk(chunk: T): boolean | undefined;
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
    return observeIterator(source.apply(this, args), observer);
  };
  return true;
}

async function* observeIterator<T>(source: AsyncIterator<T>, observer: StreamObserver<T>) {
  let exhausted = false;
  let failed = false;
  let error: unknown;
  try {
    for await (const chunk of { [Symbol.asyncIterator]: () => source }) {
      let show: boolean | undefined = true;
      try {
        show = observer.onChunk(chunk);
      } catch (err) {
        diag.warn(`burnrate: stream observer failed: ${(err as Error)?.message}`);
      }
      if (show !== false) yield chunk;
    }
    exhausted = true;
  } catch (err) {
    failed = true;
    error = err;
    throw err;
  } finally {
    safely('stream observer', () => observer.onEnd(failed ? { exhausted, error } : { exhausted }));
  }
}
