/**
 * Prompt fingerprints: keyed hashes of a request, never its text. Two fingerprints per call:
 * - `burnrate.prompt.fingerprint`: the whole normalized request (what an exact cache would key on);
 * - `burnrate.prompt.prefix_fingerprint`: its stable prefix (system prompt, tools, all messages but the
 *   last), what a provider prompt cache can reuse; with `burnrate.prompt.prefix_tokens`.
 * The key (`BURNRATE_PROMPT_HASH_KEY`) keeps fingerprints from being reversed by hashing guessed prompts;
 * set it per deployment. `BURNRATE_PROMPT_FINGERPRINT=false` turns fingerprints off.
 */
import * as crypto from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';

export const PROMPT_ATTR = {
  FINGERPRINT: 'burnrate.prompt.fingerprint',
  PREFIX_FINGERPRINT: 'burnrate.prompt.prefix_fingerprint',
  PREFIX_TOKENS: 'burnrate.prompt.prefix_tokens',
} as const;

/** Documented default: fingerprints are comparable within a deployment that never sets its own key. */
export const DEFAULT_PROMPT_HASH_KEY = 'burnrate-default-prompt-hash-key';

/** Request fields that do not change the answer, so they do not change the fingerprint. */
const VOLATILE = new Set([
  'stream',
  'stream_options',
  'user',
  'metadata',
  'store',
  'safety_identifier',
  'prompt_cache_key',
  'service_tier',
  'signal',
  'timeout',
]);

/** JSON with sorted keys, volatile fields and undefined values dropped: equal requests, equal text. */
export function canonicalJson(value: unknown, depth = 0): string {
  return canonical(value, depth);
}

/**
 * `canonicalJson` without intermediate arrays or closures (it runs on every call). Its output is
 * pinned, byte for byte, to the reference implementation in test/fingerprint.test.ts: object keys
 * in code-unit order (`Array.prototype.sort`'s default), array holes as empty slots, `undefined`
 * and functions as `null` in arrays and dropped from objects.
 */
function canonical(value: unknown, depth: number): string {
  if (depth > 64) return '"<deep>"';
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      // `map` skips holes and `join` writes them as empty strings.
      if (v !== undefined || i in value) out += canonical(v, depth + 1);
    }
    return `${out}]`;
  }
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  // Values are read once, in the object's own key order (as Object.entries does), then sorted by key.
  const values: unknown[] = new Array(keys.length);
  let n = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = o[k];
    if (v === undefined || typeof v === 'function' || (depth === 0 && VOLATILE.has(k))) continue;
    keys[n] = k;
    values[n] = v;
    n++;
  }
  if (n > 16) return sortedObject(keys.slice(0, n), values.slice(0, n), depth);
  // Insertion sort of the kept entries: objects here have few keys, and keys are unique.
  for (let i = 1; i < n; i++) {
    const k = keys[i]!;
    const v = values[i];
    let j = i - 1;
    while (j >= 0 && keys[j]! > k) {
      keys[j + 1] = keys[j]!;
      values[j + 1] = values[j];
      j--;
    }
    keys[j + 1] = k;
    values[j + 1] = v;
  }
  let out = '{';
  for (let i = 0; i < n; i++) {
    if (i > 0) out += ',';
    out += `${quoteKey(keys[i]!)}:${canonical(values[i], depth + 1)}`;
  }
  return `${out}}`;
}

/** Characters JSON.stringify escapes (surrogates: only lone ones, but any sends the string there). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(s)` for a string: most need no escaping, and then quoting is all there is to it. */
function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Object keys repeat call after call (`role`, `content`, ...): their quoted form is kept. Bounded. */
const quotedKeys = new Map<string, string>();
function quoteKey(k: string): string {
  let q = quotedKeys.get(k);
  if (q === undefined) {
    q = quote(k);
    if (k.length <= 64) {
      if (quotedKeys.size >= 4096) quotedKeys.clear();
      quotedKeys.set(k, q);
    }
  }
  return q;
}

function sortedObject(keys: string[], values: unknown[], depth: number): string {
  const order = keys
    .map((_, i) => i)
    .sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  let out = '{';
  for (let i = 0; i < order.length; i++) {
    if (i > 0) out += ',';
    const at = order[i]!;
    out += `${quoteKey(keys[at]!)}:${canonical(values[at], depth + 1)}`;
  }
  return `${out}}`;
}

export interface PromptParts {
  /** The whole request body (model, messages, tools, parameters). */
  request: unknown;
  /** The stable prefix: system prompt, tools and leading messages (all but the newest turn). */
  prefix: unknown;
  /** Token count of the prefix (from the local tokenizer, or an estimate). */
  prefixTokens?: number | undefined;
}

let enabledRaw: string | undefined;
let enabledValue = true;

/** `BURNRATE_PROMPT_FINGERPRINT` is not false/0/off/no. Parsed once per distinct value of the variable. */
export function fingerprintsEnabled(): boolean {
  const raw = process.env['BURNRATE_PROMPT_FINGERPRINT'];
  if (raw !== enabledRaw) {
    enabledRaw = raw;
    enabledValue = !/^(false|0|off|no)$/i.test(raw ?? '');
  }
  return enabledValue;
}

/**
 * HMAC-SHA256 with the key's inner and outer pads computed once per key, and each message hashed with
 * the one-shot `crypto.hash` over a reused buffer: the same digest as `createHmac('sha256', key)`
 * (RFC 2104), without building an Hmac object per call. Long messages take `createHmac`.
 */
interface HmacKey {
  key: string;
  /** 64-byte block: key XOR 0x36, then room for the message. */
  inner: Buffer;
  /** key XOR 0x5c, then the 32-byte inner digest. */
  outer: Buffer;
}

const BLOCK = 64;
const MAX_BUFFERED = 16 * 1024;
let hmacKey: HmacKey | undefined;
const oneShotHash = (crypto as { hash?: unknown }).hash as
  | ((algorithm: string, data: Buffer, encoding: 'hex') => string)
  | undefined;

function keyPads(key: string): HmacKey {
  if (hmacKey?.key === key) return hmacKey;
  let k = Buffer.from(key, 'utf8');
  if (k.length > BLOCK) k = crypto.createHash('sha256').update(k).digest();
  const inner = Buffer.alloc(BLOCK + 3 * 1024);
  const outer = Buffer.alloc(BLOCK + 32);
  for (let i = 0; i < BLOCK; i++) {
    const b = i < k.length ? k[i]! : 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  hmacKey = { key, inner, outer };
  return hmacKey;
}

export function hmacSha256Hex(key: string, text: string): string {
  if (!oneShotHash || text.length > MAX_BUFFERED) {
    return crypto.createHmac('sha256', key).update(text).digest('hex');
  }
  const pads = keyPads(key);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (pads.inner.length < BLOCK + 3 * text.length) {
    const grown = Buffer.alloc(BLOCK + 3 * MAX_BUFFERED);
    pads.inner.copy(grown, 0, 0, BLOCK);
    pads.inner = grown;
  }
  const n = pads.inner.write(text, BLOCK, 'utf8');
  // Hex out and back: `crypto.hash` is several times slower when asked for a Buffer.
  pads.outer.write(oneShotHash('sha256', pads.inner.subarray(0, BLOCK + n), 'hex'), BLOCK, 'hex');
  return oneShotHash('sha256', pads.outer, 'hex');
}

/** Span attributes for a request's fingerprints; empty when fingerprints are off. Never throws. */
export function fingerprintAttributes(parts: PromptParts, key?: string): Attributes {
  if (!fingerprintsEnabled()) return {};
  return fingerprintAttributesOn(parts, key);
}

function fingerprintAttributesOn(parts: PromptParts, key?: string): Attributes {
  try {
    const k = key ?? process.env['BURNRATE_PROMPT_HASH_KEY'] ?? DEFAULT_PROMPT_HASH_KEY;
    const attributes: Attributes = {
      [PROMPT_ATTR.FINGERPRINT]: hmacSha256Hex(k, canonical(parts.request, 0)),
      [PROMPT_ATTR.PREFIX_FINGERPRINT]: hmacSha256Hex(k, canonical(parts.prefix, 0)),
    };
    if (parts.prefixTokens !== undefined) attributes[PROMPT_ATTR.PREFIX_TOKENS] = parts.prefixTokens;
    return attributes;
  } catch {
    return {};
  }
}

export interface PromptShape {
  /** The fingerprint attributes, set when the span starts. */
  attributes: Attributes;
  /** The prefix's share of the request's text (0..1): prefix tokens = input tokens x share. */
  prefixShare: number;
}

/**
 * The stable prefix of a chat request whose provider caches everything but the newest turn (OpenAI chat
 * completions and the APIs shaped like it, e.g. Groq): the model, `tools` and every message but the last.
 */
export function prefixAllButLastMessage(request: Record<string, unknown>): unknown {
  const messages = request['messages'];
  return {
    model: request['model'],
    tools: request['tools'],
    messages: Array.isArray(messages) ? messages.slice(0, -1) : [],
  };
}

/**
 * The stable prefix of a chat request whose instructions are its leading system messages (Mistral, Cohere
 * v2): the model, `tools` and those messages (the conversation after them is not in it).
 */
export function prefixLeadingSystemMessages(request: Record<string, unknown>): unknown {
  const system: unknown[] = [];
  const messages = request['messages'];
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (typeof m !== 'object' || m === null || (m as Record<string, unknown>)['role'] !== 'system') break;
      system.push(m);
    }
  }
  return { model: request['model'], tools: request['tools'], messages: system };
}

/**
 * Fingerprints of a request plus its prefix share. The prefix's token count is derived later from the
 * provider's own input-token count (input tokens x the prefix's share of the request's characters), so
 * no tokenizer runs on the call path. Undefined when fingerprints are off or the request is unreadable.
 */
export function promptShape(request: unknown, prefix: unknown): PromptShape | undefined {
  if (!fingerprintsEnabled()) return undefined;
  try {
    const attributes = fingerprintAttributesOn({ request, prefix });
    const total = textChars(request, 0);
    return { attributes, prefixShare: total > 0 ? Math.min(1, textChars(prefix, 0) / total) : 0 };
  } catch {
    return undefined;
  }
}

/** Total length of `promptTexts(value)`, without collecting the strings. */
function textChars(value: unknown, depth: number): number {
  if (depth > 64) return 0;
  if (typeof value === 'string') return value.length;
  if (!value || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += textChars(v, depth + 1);
    return n;
  }
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === 'image_url' || k === 'data' || k === 'input_audio') continue;
    n += textChars(o[k], depth + 1);
  }
  return n;
}

/** Every string inside a value (message contents, tool schemas), for counting a prefix's tokens. */
export function promptTexts(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) promptTexts(v, out, depth + 1);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      // Inline images/audio are not text tokens.
      if (k === 'image_url' || k === 'data' || k === 'input_audio') continue;
      promptTexts(v, out, depth + 1);
    }
  }
  return out;
}
