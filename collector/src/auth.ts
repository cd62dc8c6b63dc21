/** Bearer-token checks in constant time (both sides hashed to equal length before comparing). */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function tokenMatches(presented: string | undefined, expected: string): boolean {
  return timingSafeEqual(digest(presented ?? ''), digest(expected)) && presented !== undefined;
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearer(header: string | string[] | undefined): string | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : undefined;
}

/** True when no token is configured, or the request presents it. */
export function authorized(header: string | string[] | undefined, expected: string | undefined): boolean {
  if (!expected) return true;
  return tokenMatches(bearer(header), expected);
}
