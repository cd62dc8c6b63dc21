/**
 * Prompt fingerprints: keyed hashes of a request, never its text. Two fingerprints per call:
 * - `burnrate.prompt.fingerprint`: the whole normalized request (what an exact cache would key on);
 * - `burnrate.prompt.prefix_fingerprint`: its stable prefix (system prompt, tools, all messages but the
 *   last), what a provider prompt cache can reuse; with `burnrate.prompt.prefix_tokens`.
 * The key (`BURNRATE_PROMPT_HASH_KEY`) keeps fingerprints from being reversed by hashing guessed prompts;
 * set it per deployment. `BURNRATE_PROMPT_FINGERPRINT=false` turns fingerprints off.
 */
import { createHmac } from 'node:crypto';
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
  if (depth > 64) return '"<deep>"';
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([k, v]) => v !== undefined && typeof v !== 'function' && !(depth === 0 && VOLATILE.has(k)))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`).join(',')}}`;
}

export interface PromptParts {
  /** The whole request body (model, messages, tools, parameters). */
  request: unknown;
  /** The stable prefix: system prompt, tools and leading messages (all but the newest turn). */
  prefix: unknown;
  /** Token count of the prefix (from the local tokenizer, or an estimate). */
  prefixTokens?: number | undefined;
}

export function fingerprintsEnabled(): boolean {
  return !/^(false|0|off|no)$/i.test(process.env['BURNRATE_PROMPT_FINGERPRINT'] ?? '');
}

function hmac(key: string, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Span attributes for a request's fingerprints; empty when fingerprints are off. Never throws. */
export function fingerprintAttributes(parts: PromptParts, key?: string): Attributes {
  if (!fingerprintsEnabled()) return {};
  try {
    const k = key ?? process.env['BURNRATE_PROMPT_HASH_KEY'] ?? DEFAULT_PROMPT_HASH_KEY;
    const attributes: Attributes = {
      [PROMPT_ATTR.FINGERPRINT]: hmac(k, canonicalJson(parts.request)),
      [PROMPT_ATTR.PREFIX_FINGERPRINT]: hmac(k, canonicalJson(parts.prefix)),
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
 * Fingerprints of a request plus its prefix share. The prefix's token count is derived later from the
 * provider's own input-token count (input tokens x the prefix's share of the request's characters), so
 * no tokenizer runs on the call path. Undefined when fingerprints are off or the request is unreadable.
 */
export function promptShape(request: unknown, prefix: unknown): PromptShape | undefined {
  if (!fingerprintsEnabled()) return undefined;
  try {
    const attributes = fingerprintAttributes({ request, prefix });
    const chars = (v: unknown) => promptTexts(v).reduce((n, t) => n + t.length, 0);
    const total = chars(request);
    return { attributes, prefixShare: total > 0 ? Math.min(1, chars(prefix) / total) : 0 };
  } catch {
    return undefined;
  }
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
