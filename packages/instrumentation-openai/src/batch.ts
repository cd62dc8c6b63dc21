/**
 * OpenAI Batch API output files (`files.content(output_file_id)`): one JSONL line per request,
 * `{"id","custom_id","response":{"status_code","request_id","body":{...}},"error":null}`, where
 * `body` is what the live endpoint would have answered. burnrate reads a clone of the content the
 * caller reads and records one batch-tier span per successful line.
 */
import { diag } from '@opentelemetry/api';
import { chat, completions, type Endpoint, embeddings, isObj, type Raw, responses } from './endpoints.js';
import { declaredLength, discard, type ResponseLike, readText } from './raw-response.js';

/** Largest output file burnrate reads a copy of (256 MiB); `batchResultsMaxBytes` overrides it. */
export const DEFAULT_BATCH_MAX_BYTES = 256 * 1024 * 1024;

/** File ids remembered per client (oldest forgotten first). */
const MAX_FILES_PER_CLIENT = 10_000;
const countedFiles = new WeakMap<object, Set<string>>();

/**
 * True the first time `fileId` is counted for `owner` (the SDK client): reading the same output file
 * again must not count its spend twice.
 */
export function claimFile(owner: object, fileId: string): boolean {
  let seen = countedFiles.get(owner);
  if (!seen) {
    seen = new Set();
    countedFiles.set(owner, seen);
  }
  if (seen.has(fileId)) return false;
  if (seen.size >= MAX_FILES_PER_CLIENT) {
    const oldest = seen.values().next().value;
    if (oldest !== undefined) seen.delete(oldest);
  }
  seen.add(fileId);
  return true;
}

export function releaseFile(owner: object, fileId: string): void {
  countedFiles.get(owner)?.delete(fileId);
}

/** The endpoint a batch response body came from, by its `object`. */
export function endpointOfBody(body: Raw): Endpoint | undefined {
  switch (body['object']) {
    case 'chat.completion':
      return chat;
    case 'response':
      return responses;
    case 'text_completion':
      return completions;
    case 'list': {
      const data = body['data'];
      const first = Array.isArray(data) ? data[0] : undefined;
      return isObj(first) && first['object'] === 'embedding' ? embeddings : undefined;
    }
    default:
      return undefined;
  }
}

export interface BatchLine {
  customId: string;
  /** The response body of a successful request; undefined for a failed one. */
  body: Raw | undefined;
}

/**
 * A batch output (or error) file line, or undefined when `value` does not look like one. A line is
 * failed when `error` is set, the status code is 400 or more, or the body is missing.
 */
export function batchLine(value: unknown): BatchLine | undefined {
  if (!isObj(value) || typeof value['custom_id'] !== 'string') return undefined;
  const response = value['response'];
  const error = value['error'];
  if (isObj(response) && 'body' in response) {
    const status = response['status_code'];
    const failed =
      (error !== null && error !== undefined) ||
      (typeof status === 'number' && status >= 400) ||
      !isObj(response['body']);
    return { customId: value['custom_id'], body: failed ? undefined : (response['body'] as Raw) };
  }
  if (isObj(error)) return { customId: value['custom_id'], body: undefined };
  return undefined;
}

export interface BatchFileReader {
  /** Called once the first line shows this is a batch output file: false stops (already counted). */
  claim(): boolean;
  /** Called when nothing was recorded (the read failed early): the file may be counted later. */
  release(): void;
  record(line: BatchLine & { body: Raw }): void;
}

/**
 * Reads a clone of a file's content line by line. Content that does not start with a batch output
 * line is left at once, silently; so is a file over `maxBytes` (with a diag message).
 */
export async function readBatchFile(
  clone: ResponseLike,
  maxBytes: number,
  fileId: string | undefined,
  reader: BatchFileReader,
): Promise<void> {
  const declared = declaredLength(clone);
  if (declared !== undefined && declared > maxBytes) {
    discard(clone);
    diag.info(
      `burnrate: openai file ${fileId ?? ''} is ${declared} bytes, over batchResultsMaxBytes (${maxBytes}): its batch results are not recorded`,
    );
    return;
  }
  let state = 'first' as 'first' | 'batch' | 'other';
  let recorded = 0;
  let pending = '';
  const onLine = (text: string): boolean => {
    const trimmed = text.trim();
    if (trimmed === '') return true;
    let line: BatchLine | undefined;
    try {
      line = batchLine(JSON.parse(trimmed));
    } catch {
      line = undefined;
    }
    if (state === 'first') {
      if (!line || !reader.claim()) {
        state = 'other';
        return false;
      }
      state = 'batch';
    }
    if (line?.body) {
      try {
        reader.record(line as BatchLine & { body: Raw });
        recorded++;
      } catch (err) {
        diag.warn(`burnrate: could not record an openai batch result: ${(err as Error).message}`);
      }
    }
    return true;
  };
  try {
    const end = await readText(clone, maxBytes, (chunk) => {
      if (state === 'first' && pending === '') {
        const start = chunk.trimStart();
        if (start !== '' && start[0] !== '{') {
          state = 'other';
          return false;
        }
      }
      const from = pending.length;
      pending += chunk;
      let start = 0;
      let nl = pending.indexOf('\n', from);
      while (nl >= 0) {
        if (!onLine(pending.slice(start, nl))) return false;
        start = nl + 1;
        nl = pending.indexOf('\n', start);
      }
      if (start > 0) pending = pending.slice(start);
      return true;
    });
    if (end === 'end' && state !== 'other' && pending !== '') onLine(pending);
    if (end === 'too_large' && state === 'batch') {
      diag.info(
        `burnrate: openai file ${fileId ?? ''} is over batchResultsMaxBytes (${maxBytes}): results after the first ${recorded} are not recorded`,
      );
    }
  } catch (err) {
    diag.debug(`burnrate: could not read openai file ${fileId ?? ''}: ${(err as Error)?.message}`);
    if (state === 'batch' && recorded === 0) reader.release();
  }
}
