/**
 * Local token counting, the fallback when a provider reports no usage. Counting runs in a worker
 * thread (see tokenizer-worker.ts), so the first call's encoder build never blocks the app's event loop.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export type Encoding = 'o200k_base' | 'cl100k_base';

/** Which tiktoken encoding approximates a model. Non-OpenAI models get o200k_base (a close estimate). */
export function encodingForModel(model: string | undefined): Encoding {
  const m = (model ?? '').toLowerCase();
  if (/^(gpt-4(?!o|\.1|\.5)|gpt-3\.5|text-embedding-(3|ada)|davinci|babbage)/.test(m)) return 'cl100k_base';
  return 'o200k_base';
}

interface Pending {
  resolve: (tokens: number) => void;
  reject: (err: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();

function workerPath(): string {
  // Built package: tokenizer-worker.js beside this file. Source checkout (tests): the .ts file,
  // which Node >= 22.18 runs with type stripping.
  for (const name of ['./tokenizer-worker.js', './tokenizer-worker.ts']) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error('burnrate tokenizer worker file not found');
}

function failAll(w: Worker, err: Error): void {
  if (worker !== w) return;
  for (const p of pending.values()) p.reject(err);
  pending.clear();
  worker = undefined;
}

function getWorker(): Worker {
  if (!worker) {
    // execArgv: [] so the app's own flags (--import of a telemetry hook, --input-type, ...) do not apply here.
    const w = new Worker(workerPath(), { execArgv: [] });
    w.unref(); // never keep the app alive
    w.on('message', (msg: { id: number; tokens?: number; error?: string }) => {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      if (pending.size === 0) w.unref();
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.tokens ?? 0);
    });
    w.on('error', (err) => failAll(w, err));
    w.on('exit', (code) => failAll(w, new Error(`tokenizer worker exited with code ${code}`)));
    worker = w;
  }
  return worker;
}

/** Counts tokens of `texts` as `model` would (approximately, for non-OpenAI models). */
export function countTokens(texts: string | string[], model?: string): Promise<number> {
  const list = (Array.isArray(texts) ? texts : [texts]).filter((t) => typeof t === 'string' && t.length > 0);
  if (list.length === 0) return Promise.resolve(0);
  const w = getWorker();
  const id = nextId++;
  return new Promise<number>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // keep the process alive only while a count is in flight
    w.postMessage({ id, encoding: encodingForModel(model), texts: list });
  });
}

/** Stops the worker (tests, shutdown). A later count starts a new one. */
export async function closeTokenizer(): Promise<void> {
  const w = worker;
  if (w) {
    failAll(w, new Error('tokenizer closed'));
    await w.terminate();
  }
}
