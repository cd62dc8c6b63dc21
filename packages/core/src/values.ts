/**
 * Tolerant readers for provider responses: every helper returns less on odd input, never throws.
 * Instrumentations read untrusted, version-dependent shapes with these.
 */
import type { PricingTier } from './attributes.js';
import { type NormalizedUsage, normalizeUsage, type UsageFormat } from './usage.js';

export type RawObject = Record<string, unknown>;

export function isObject(v: unknown): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty string, else undefined. */
export function stringOf(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A finite number, else undefined. */
export function numberOf(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The value at `path` (objects only), else undefined. */
export function valueAt(v: unknown, ...path: Array<string>): unknown {
  let node: unknown = v;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Provider usage, or undefined when absent or malformed (then burnrate counts tokens locally). */
export function safeUsage(format: UsageFormat, raw: unknown): NormalizedUsage | undefined {
  try {
    return normalizeUsage(format, raw);
  } catch {
    return undefined;
  }
}

/** `server.address` and `server.port` of a URL (default ports filled in); empty when it does not parse. */
export function serverOf(url: unknown): { serverAddress?: string; serverPort?: number } {
  try {
    const u = url instanceof URL ? url : new URL(String(url));
    const port = u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
    return { serverAddress: u.hostname.toLowerCase(), serverPort: port };
  } catch {
    return {};
  }
}

/** A provider's service-tier value (`flex`, `priority`, `ON_DEMAND_FLEX`, ...) -> pricing tier. */
export function pricingTierOf(...values: unknown[]): PricingTier | undefined {
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const s = v.toLowerCase();
    if (s.includes('flex')) return 'flex';
    if (s.includes('priority')) return 'priority';
    if (s.includes('batch')) return 'batch';
    if (s === 'standard' || s === 'default' || s === 'on_demand' || s === 'auto') return 'standard';
  }
  return undefined;
}

/** Texts of message content: a string, or parts with `text` (images and other media are not counted). */
export function textsOf(content: unknown, out: string[] = []): string[] {
  if (typeof content === 'string') out.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === 'string') out.push(part);
      else if (isObject(part) && typeof part['text'] === 'string') out.push(part['text']);
    }
  }
  return out;
}

/**
 * Like `safeUsage`, but undefined unless at least one of `countFields` is a number: an empty or
 * count-less usage object is "no usage" (counted locally), not a made-up zero.
 */
export function reportedUsage(
  format: UsageFormat,
  raw: unknown,
  countFields: string[],
): NormalizedUsage | undefined {
  if (!isObject(raw) || !countFields.some((f) => numberOf(raw[f]) !== undefined)) return undefined;
  return safeUsage(format, raw);
}
