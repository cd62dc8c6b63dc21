/**
 * The collector's in-memory span model: what both OTLP decoders (protobuf, JSON) produce, what the
 * normalizer enriches, and what the store and the forwarder consume. Attribute values keep their OTLP
 * type (int vs double, arrays, maps) so spans can be re-encoded faithfully.
 */

export type AnyValue =
  | { t: 's'; v: string }
  | { t: 'b'; v: boolean }
  /** int64: a number when it is a safe integer, else its decimal string. */
  | { t: 'i'; v: number | string }
  | { t: 'd'; v: number }
  | { t: 'a'; v: AnyValue[] }
  | { t: 'kv'; v: Attributes }
  | { t: 'bytes'; v: Uint8Array }
  | { t: 'empty' };

export type Attributes = Map<string, AnyValue>;

export interface SpanEvent {
  timeNs: bigint;
  name: string;
  attributes: Attributes;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: Attributes;
}

export interface Resource {
  attributes: Attributes;
  schemaUrl: string;
}

export interface Scope {
  name: string;
  version: string;
  attributes: Attributes;
  schemaUrl: string;
}

/** OTLP `Span.SpanKind` numbers. */
export const SPAN_KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
/** OTLP `Status.StatusCode` numbers. */
export const STATUS_CODE_NAMES = ['Unset', 'Ok', 'Error'];

export interface Span {
  resource: Resource;
  scope: Scope;
  /** Lower-case hex, 32 chars. */
  traceId: string;
  /** Lower-case hex, 16 chars. */
  spanId: string;
  /** Lower-case hex, 16 chars, or '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  statusCode: number;
  statusMessage: string;
}

/** Result of decoding one OTLP export request. */
export interface DecodedRequest {
  spans: Span[];
  /** Spans dropped as invalid (bad ids...), reported as OTLP partial success. */
  rejected: number;
  rejectReasons: string[];
}

/** The request could not be decoded at all: answered with 400 and this message. */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

// --- attribute helpers ------------------------------------------------------------------------------

export function str(v: AnyValue | undefined): string | undefined {
  if (!v) return undefined;
  switch (v.t) {
    case 's':
      return v.v;
    case 'i':
    case 'd':
      return String(v.v);
    case 'b':
      return v.v ? 'true' : 'false';
    default:
      return undefined;
  }
}

export function num(v: AnyValue | undefined): number | undefined {
  if (!v) return undefined;
  switch (v.t) {
    case 'i':
    case 'd': {
      const n = Number(v.v);
      return Number.isFinite(n) ? n : undefined;
    }
    case 's': {
      if (v.v.trim() === '') return undefined;
      const n = Number(v.v);
      return Number.isFinite(n) ? n : undefined;
    }
    default:
      return undefined;
  }
}

export function bool(v: AnyValue | undefined): boolean | undefined {
  if (!v) return undefined;
  if (v.t === 'b') return v.v;
  if (v.t === 's') {
    if (v.v === 'true') return true;
    if (v.v === 'false') return false;
  }
  if (v.t === 'i') return Number(v.v) !== 0;
  return undefined;
}

function toJsonish(v: AnyValue): unknown {
  switch (v.t) {
    case 's':
    case 'b':
    case 'd':
      return v.v;
    case 'i':
      return typeof v.v === 'string' ? v.v : v.v;
    case 'a':
      return v.v.map(toJsonish);
    case 'kv': {
      const o: Record<string, unknown> = {};
      for (const [k, x] of v.v) o[k] = toJsonish(x);
      return o;
    }
    case 'bytes':
      return Buffer.from(v.v).toString('base64');
    case 'empty':
      return null;
  }
}

/**
 * The string the contrib exporter stores for a value (pcommon `Value.AsString`): strings as-is, booleans
 * `true`/`false`, numbers in decimal, arrays and maps as JSON, bytes as base64, empty as ''.
 */
export function valueAsString(v: AnyValue): string {
  switch (v.t) {
    case 's':
      return v.v;
    case 'b':
      return v.v ? 'true' : 'false';
    case 'i':
      return String(v.v);
    case 'd':
      return Number.isFinite(v.v) ? String(v.v) : v.v > 0 ? '+Inf' : v.v < 0 ? '-Inf' : 'NaN';
    case 'a':
    case 'kv':
      return JSON.stringify(toJsonish(v));
    case 'bytes':
      return Buffer.from(v.v).toString('base64');
    case 'empty':
      return '';
  }
}

export function attributesAsStrings(attrs: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of attrs) out[k] = valueAsString(v);
  return out;
}

/** Builds an AnyValue from a plain JS value (the normalizer's computed attributes). */
export function fromJs(value: string | number | boolean): AnyValue {
  if (typeof value === 'string') return { t: 's', v: value };
  if (typeof value === 'boolean') return { t: 'b', v: value };
  return Number.isInteger(value) ? { t: 'i', v: value } : { t: 'd', v: value };
}
