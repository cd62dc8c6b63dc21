/**
 * Reading a raw fetch `Response` the caller also reads, without changing what the caller gets:
 * burnrate takes a `clone()` (the body is teed) before the caller's first read and reads the clone
 * in the background, bounded in size. Nothing here throws or rejects into the app.
 */
import { diag } from '@opentelemetry/api';

/** A fetch `Response`: the global one (web `ReadableStream` body), or node-fetch's (openai 4: a Node `Readable`). */
export interface ResponseLike {
  readonly body: unknown;
  readonly bodyUsed?: boolean;
  readonly headers?: { get(name: string): string | null };
  clone(): ResponseLike;
}

export function isResponseLike(value: unknown): value is ResponseLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { clone?: unknown }).clone === 'function' &&
    'body' in value
  );
}

/** A clone of `response`, or undefined when its body was already read (or it cannot be cloned). */
export function cloneResponse(response: unknown): ResponseLike | undefined {
  if (!isResponseLike(response) || response.bodyUsed === true) return undefined;
  try {
    return response.clone();
  } catch (err) {
    diag.debug(`burnrate: could not clone an openai response: ${(err as Error).message}`);
    return undefined;
  }
}

/** `content-length` as a number, when the server sent one. */
export function declaredLength(response: ResponseLike): number | undefined {
  try {
    const raw = response.headers?.get('content-length');
    const n = raw ? Number(raw) : Number.NaN;
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Stops reading a clone (the caller's branch of the tee is not affected). */
export function discard(response: ResponseLike): void {
  try {
    const body = response.body as { cancel?: () => Promise<unknown>; destroy?: () => void } | null;
    if (typeof body?.cancel === 'function') body.cancel().catch(() => undefined);
    else if (typeof body?.destroy === 'function') body.destroy();
  } catch {
    // already locked or closed
  }
}

export type ReadEnd = 'end' | 'stopped' | 'too_large';

/**
 * Reads the body as UTF-8 text, chunk by chunk and in order. `onText` returns false to stop early.
 * Stops (cancelling the clone) after `maxBytes`. Rejects only when the body itself fails.
 */
export async function readText(
  response: ResponseLike,
  maxBytes: number,
  onText: (text: string) => boolean | undefined,
): Promise<ReadEnd> {
  const body = response.body as AsyncIterable<unknown> | null | undefined;
  if (body === null || body === undefined) return 'end';
  if (typeof body[Symbol.asyncIterator] !== 'function') throw new Error('response body is not readable');
  const decoder = new TextDecoder();
  let bytes = 0;
  // Web ReadableStream and Node Readable are both async iterable; leaving the loop early cancels
  // (web) or destroys (Node) this clone only.
  for await (const chunk of body) {
    let text: string;
    if (typeof chunk === 'string') {
      bytes += Buffer.byteLength(chunk);
      text = chunk;
    } else if (chunk instanceof Uint8Array) {
      bytes += chunk.byteLength;
      text = bytes > maxBytes ? '' : decoder.decode(chunk, { stream: true });
    } else {
      continue;
    }
    if (bytes > maxBytes) return 'too_large';
    if (onText(text) === false) return 'stopped';
  }
  const rest = decoder.decode();
  if (rest !== '') onText(rest);
  return 'end';
}

/** The whole body as text, or undefined when it is over `maxBytes`. */
export async function readAllText(response: ResponseLike, maxBytes: number): Promise<string | undefined> {
  const declared = declaredLength(response);
  if (declared !== undefined && declared > maxBytes) {
    discard(response);
    return undefined;
  }
  const parts: string[] = [];
  const end = await readText(response, maxBytes, (text) => {
    parts.push(text);
    return true;
  });
  return end === 'too_large' ? undefined : parts.join('');
}

/**
 * Calls `onRaw` with the `Response` a bare `asResponse()` on this APIPromise resolves to, before
 * the caller sees it (so a clone can still be taken). Not for `withResponse()`, which parses the body
 * itself (the SDK starts its parse before it calls `asResponse()`). The SDK's own promise is returned.
 */
export function onBareAsResponse(promise: unknown, onRaw: (response: unknown) => void): void {
  const p = promise as { asResponse?: (...args: unknown[]) => unknown };
  const asResponse = p.asResponse;
  if (typeof asResponse !== 'function') return;
  p.asResponse = function (this: unknown, ...args: unknown[]) {
    const parsing = (this as { parsedPromise?: unknown } | undefined)?.parsedPromise !== undefined;
    const out = asResponse.apply(this, args);
    if (!parsing && out && typeof (out as PromiseLike<unknown>).then === 'function') {
      // Registered before the caller's own handlers: it runs before the caller can read the body.
      (out as PromiseLike<unknown>).then(
        (response) => {
          try {
            onRaw(response);
          } catch (err) {
            diag.warn(`burnrate: could not observe an openai raw response: ${(err as Error).message}`);
          }
        },
        () => undefined,
      );
    }
    return out;
  };
}
