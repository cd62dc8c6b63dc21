/**
 * OTLP export requests (protobuf or OTLP/JSON) -> the collector's span model.
 *
 * A request that cannot be parsed at all raises `BadRequestError` (HTTP 400 / gRPC INVALID_ARGUMENT).
 * A span that parses but is invalid (trace or span id of the wrong length, end before start is kept)
 * is dropped and counted, and the request succeeds partially, as OTLP specifies.
 */
import {
  type AnyValue,
  type Attributes,
  BadRequestError,
  type DecodedRequest,
  type Resource,
  type Scope,
  type Span,
} from '../model.js';
import {
  ExportTraceServiceRequest,
  type PbAnyValue,
  type PbKeyValue,
  type PbLong,
  type PbRequest,
  type PbSpan,
} from './otlp-proto.js';

const MAX_DEPTH = 32;
const TWO32 = 4294967296n;

function longToBigInt(v: PbLong | number | undefined | null): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  let n = hi * TWO32 + lo;
  if (!v.unsigned && v.high < 0) n -= 1n << 64n;
  return n;
}

function int64Value(v: PbLong | number | undefined): number | string {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const n = longToBigInt(v);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n.toString();
}

const hex = (b: Uint8Array | undefined | null): string =>
  b?.length ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '';

// --- protobuf ------------------------------------------------------------------------------------

function pbValue(v: PbAnyValue | null | undefined, depth: number): AnyValue {
  if (!v || depth > MAX_DEPTH) return { t: 'empty' };
  switch (v.value) {
    case 'stringValue':
      return { t: 's', v: v.stringValue ?? '' };
    case 'boolValue':
      return { t: 'b', v: !!v.boolValue };
    case 'intValue':
      return { t: 'i', v: int64Value(v.intValue) };
    case 'doubleValue':
      return { t: 'd', v: v.doubleValue ?? 0 };
    case 'arrayValue':
      return { t: 'a', v: (v.arrayValue?.values ?? []).map((x) => pbValue(x, depth + 1)) };
    case 'kvlistValue':
      return { t: 'kv', v: pbAttrs(v.kvlistValue?.values, depth + 1) };
    case 'bytesValue':
      return { t: 'bytes', v: v.bytesValue ?? new Uint8Array() };
    default:
      return { t: 'empty' };
  }
}

function pbAttrs(kvs: PbKeyValue[] | undefined, depth = 0): Attributes {
  const m: Attributes = new Map();
  if (!kvs) return m;
  for (const kv of kvs) m.set(kv.key, pbValue(kv.value, depth));
  return m;
}

function idError(what: string, got: number, want: number): string {
  return `${what} must be ${want} bytes, got ${got}`;
}

export function decodeProtobuf(body: Uint8Array): DecodedRequest {
  let req: PbRequest;
  try {
    req = ExportTraceServiceRequest.decode(body) as unknown as PbRequest;
  } catch (err) {
    throw new BadRequestError(`invalid OTLP protobuf: ${(err as Error).message}`);
  }
  const out: DecodedRequest = { spans: [], rejected: 0, rejectReasons: [] };
  for (const rs of req.resourceSpans ?? []) {
    const resource: Resource = {
      attributes: pbAttrs(rs.resource?.attributes),
      schemaUrl: rs.schemaUrl ?? '',
    };
    for (const ss of rs.scopeSpans ?? []) {
      const scope: Scope = {
        name: ss.scope?.name ?? '',
        version: ss.scope?.version ?? '',
        attributes: pbAttrs(ss.scope?.attributes),
        schemaUrl: ss.schemaUrl ?? '',
      };
      for (const s of ss.spans ?? []) {
        const problem = checkIds(s.traceId?.length ?? 0, s.spanId?.length ?? 0, s.parentSpanId?.length ?? 0);
        if (problem) {
          reject(out, problem);
          continue;
        }
        out.spans.push(pbSpan(s, resource, scope));
      }
    }
  }
  return out;
}

function checkIds(traceLen: number, spanLen: number, parentLen: number): string | undefined {
  if (traceLen !== 16) return idError('traceId', traceLen, 16);
  if (spanLen !== 8) return idError('spanId', spanLen, 8);
  if (parentLen !== 0 && parentLen !== 8) return idError('parentSpanId', parentLen, 8);
  return undefined;
}

function reject(out: DecodedRequest, reason: string): void {
  out.rejected++;
  if (out.rejectReasons.length < 5 && !out.rejectReasons.includes(reason)) out.rejectReasons.push(reason);
}

function pbSpan(s: PbSpan, resource: Resource, scope: Scope): Span {
  return {
    resource,
    scope,
    traceId: hex(s.traceId),
    spanId: hex(s.spanId),
    parentSpanId: hex(s.parentSpanId),
    traceState: s.traceState ?? '',
    flags: s.flags ?? 0,
    name: s.name ?? '',
    kind: s.kind ?? 0,
    startNs: longToBigInt(s.startTimeUnixNano),
    endNs: longToBigInt(s.endTimeUnixNano),
    attributes: pbAttrs(s.attributes),
    droppedAttributesCount: s.droppedAttributesCount ?? 0,
    events: (s.events ?? []).map((e) => ({
      timeNs: longToBigInt(e.timeUnixNano),
      name: e.name ?? '',
      attributes: pbAttrs(e.attributes),
    })),
    droppedEventsCount: s.droppedEventsCount ?? 0,
    links: (s.links ?? []).map((l) => ({
      traceId: hex(l.traceId),
      spanId: hex(l.spanId),
      traceState: l.traceState ?? '',
      attributes: pbAttrs(l.attributes),
    })),
    droppedLinksCount: s.droppedLinksCount ?? 0,
    statusCode: s.status?.code ?? 0,
    statusMessage: s.status?.message ?? '',
  };
}

// --- OTLP/JSON -----------------------------------------------------------------------------------
// Field names in lowerCamelCase (the protobuf JSON mapping's original snake_case names are accepted
// too), trace and span ids in hex, 64-bit integers as numbers or decimal strings, enums as integers.

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : snake ? o[snake] : undefined;
}

function jsonArray(o: Obj, camel: string, snake: string | undefined, where: string): unknown[] {
  const v = field(o, camel, snake);
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new BadRequestError(`${where}.${camel} must be an array`);
  return v;
}

function jsonObj(v: unknown, where: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v)) throw new BadRequestError(`${where} must be an object`);
  return v;
}

/** ES2024 string methods (Node >= 20), not yet in the ES2023 lib this package compiles against. */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };

function jsonString(v: unknown, where: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new BadRequestError(`${where} must be a string`);
  // JSON may carry lone UTF-16 surrogates (`"\ud800"`), which ClickHouse refuses to parse: one such
  // string would fail the whole batch. Replace them with U+FFFD, as the protobuf decoder does.
  const s = v as WellFormed;
  return s.isWellFormed() ? v : s.toWellFormed();
}

function jsonInt(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new BadRequestError(`${where} must be an integer`);
  return n;
}

const DECIMAL = /^-?\d+$/;

function jsonNanos(v: unknown, where: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && DECIMAL.test(v)) return BigInt(v);
  throw new BadRequestError(`${where} must be an integer (number or decimal string) of nanoseconds`);
}

const HEX = /^[0-9a-fA-F]*$/;

/** Hex id; returns undefined (span rejected) when it has the wrong length. */
function jsonId(v: unknown, where: string): string {
  const s = jsonString(v, where);
  if (!HEX.test(s)) throw new BadRequestError(`${where} must be a hex string`);
  return s.toLowerCase();
}

function jsonValue(v: unknown, where: string, depth: number): AnyValue {
  if (depth > MAX_DEPTH) throw new BadRequestError(`${where}: values nested too deeply`);
  const o = jsonObj(v, where);
  if (!o) return { t: 'empty' };
  if ('stringValue' in o || 'string_value' in o)
    return { t: 's', v: jsonString(field(o, 'stringValue', 'string_value'), `${where}.stringValue`) };
  if ('boolValue' in o || 'bool_value' in o) {
    const b = field(o, 'boolValue', 'bool_value');
    if (typeof b !== 'boolean') throw new BadRequestError(`${where}.boolValue must be a boolean`);
    return { t: 'b', v: b };
  }
  if ('intValue' in o || 'int_value' in o) {
    const i = field(o, 'intValue', 'int_value');
    if (typeof i === 'number' && Number.isInteger(i)) return { t: 'i', v: i };
    if (typeof i === 'string' && DECIMAL.test(i)) {
      const n = BigInt(i);
      const safe = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER);
      return { t: 'i', v: safe ? Number(n) : n.toString() };
    }
    throw new BadRequestError(`${where}.intValue must be an integer`);
  }
  if ('doubleValue' in o || 'double_value' in o) {
    const d = field(o, 'doubleValue', 'double_value');
    if (typeof d === 'number') return { t: 'd', v: d };
    if (d === 'NaN' || d === 'Infinity' || d === '-Infinity') return { t: 'd', v: Number(d) };
    if (typeof d === 'string' && d.trim() !== '' && Number.isFinite(Number(d)))
      return { t: 'd', v: Number(d) };
    throw new BadRequestError(`${where}.doubleValue must be a number`);
  }
  if ('arrayValue' in o || 'array_value' in o) {
    const a = jsonObj(field(o, 'arrayValue', 'array_value'), `${where}.arrayValue`) ?? {};
    return {
      t: 'a',
      v: jsonArray(a, 'values', undefined, `${where}.arrayValue`).map((x, i) =>
        jsonValue(x, `${where}.arrayValue.values[${i}]`, depth + 1),
      ),
    };
  }
  if ('kvlistValue' in o || 'kvlist_value' in o) {
    const kv = jsonObj(field(o, 'kvlistValue', 'kvlist_value'), `${where}.kvlistValue`) ?? {};
    return {
      t: 'kv',
      v: jsonAttrs(jsonArray(kv, 'values', undefined, where), `${where}.kvlistValue`, depth + 1),
    };
  }
  if ('bytesValue' in o || 'bytes_value' in o) {
    const b = jsonString(field(o, 'bytesValue', 'bytes_value'), `${where}.bytesValue`);
    return { t: 'bytes', v: Buffer.from(b, 'base64') };
  }
  return { t: 'empty' };
}

function jsonAttrs(list: unknown[], where: string, depth = 0): Attributes {
  const m: Attributes = new Map();
  list.forEach((kv, i) => {
    const o = jsonObj(kv, `${where}[${i}]`);
    if (!o) return;
    const key = jsonString(o['key'], `${where}[${i}].key`);
    m.set(key, jsonValue(o['value'], `${where}[${i}].value`, depth));
  });
  return m;
}

export function decodeJson(body: Uint8Array | string): DecodedRequest {
  let data: unknown;
  try {
    data = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isObj(data)) throw new BadRequestError('OTLP/JSON body must be an object with resourceSpans');
  const out: DecodedRequest = { spans: [], rejected: 0, rejectReasons: [] };
  jsonArray(data, 'resourceSpans', 'resource_spans', '$').forEach((rsv, i) => {
    const w = `resourceSpans[${i}]`;
    const rs = jsonObj(rsv, w) ?? {};
    const res = jsonObj(rs['resource'], `${w}.resource`) ?? {};
    const resource: Resource = {
      attributes: jsonAttrs(
        jsonArray(res, 'attributes', undefined, `${w}.resource`),
        `${w}.resource.attributes`,
      ),
      schemaUrl: jsonString(field(rs, 'schemaUrl', 'schema_url'), `${w}.schemaUrl`),
    };
    jsonArray(rs, 'scopeSpans', 'scope_spans', w).forEach((ssv, j) => {
      const ws = `${w}.scopeSpans[${j}]`;
      const ss = jsonObj(ssv, ws) ?? {};
      const sc = jsonObj(ss['scope'], `${ws}.scope`) ?? {};
      const scope: Scope = {
        name: jsonString(sc['name'], `${ws}.scope.name`),
        version: jsonString(sc['version'], `${ws}.scope.version`),
        attributes: jsonAttrs(
          jsonArray(sc, 'attributes', undefined, `${ws}.scope`),
          `${ws}.scope.attributes`,
        ),
        schemaUrl: jsonString(field(ss, 'schemaUrl', 'schema_url'), `${ws}.schemaUrl`),
      };
      jsonArray(ss, 'spans', undefined, ws).forEach((sv, k) => {
        const span = jsonSpan(sv, `${ws}.spans[${k}]`, resource, scope);
        const problem = checkIds(
          span.traceId.length / 2,
          span.spanId.length / 2,
          span.parentSpanId.length / 2,
        );
        if (problem) reject(out, problem);
        else out.spans.push(span);
      });
    });
  });
  return out;
}

function jsonSpan(v: unknown, w: string, resource: Resource, scope: Scope): Span {
  const s = jsonObj(v, w) ?? {};
  const status = jsonObj(s['status'], `${w}.status`) ?? {};
  return {
    resource,
    scope,
    traceId: jsonId(field(s, 'traceId', 'trace_id'), `${w}.traceId`),
    spanId: jsonId(field(s, 'spanId', 'span_id'), `${w}.spanId`),
    parentSpanId: jsonId(field(s, 'parentSpanId', 'parent_span_id'), `${w}.parentSpanId`),
    traceState: jsonString(field(s, 'traceState', 'trace_state'), `${w}.traceState`),
    flags: jsonInt(s['flags'], `${w}.flags`),
    name: jsonString(s['name'], `${w}.name`),
    kind: enumValue(s['kind'], `${w}.kind`, SPAN_KINDS),
    startNs: jsonNanos(field(s, 'startTimeUnixNano', 'start_time_unix_nano'), `${w}.startTimeUnixNano`),
    endNs: jsonNanos(field(s, 'endTimeUnixNano', 'end_time_unix_nano'), `${w}.endTimeUnixNano`),
    attributes: jsonAttrs(jsonArray(s, 'attributes', undefined, w), `${w}.attributes`),
    droppedAttributesCount: jsonInt(field(s, 'droppedAttributesCount', 'dropped_attributes_count'), w),
    events: jsonArray(s, 'events', undefined, w).map((ev, i) => {
      const e = jsonObj(ev, `${w}.events[${i}]`) ?? {};
      return {
        timeNs: jsonNanos(field(e, 'timeUnixNano', 'time_unix_nano'), `${w}.events[${i}].timeUnixNano`),
        name: jsonString(e['name'], `${w}.events[${i}].name`),
        attributes: jsonAttrs(jsonArray(e, 'attributes', undefined, w), `${w}.events[${i}].attributes`),
      };
    }),
    droppedEventsCount: jsonInt(field(s, 'droppedEventsCount', 'dropped_events_count'), w),
    links: jsonArray(s, 'links', undefined, w).map((lv, i) => {
      const l = jsonObj(lv, `${w}.links[${i}]`) ?? {};
      return {
        traceId: jsonId(field(l, 'traceId', 'trace_id'), `${w}.links[${i}].traceId`),
        spanId: jsonId(field(l, 'spanId', 'span_id'), `${w}.links[${i}].spanId`),
        traceState: jsonString(field(l, 'traceState', 'trace_state'), `${w}.links[${i}].traceState`),
        attributes: jsonAttrs(jsonArray(l, 'attributes', undefined, w), `${w}.links[${i}].attributes`),
      };
    }),
    droppedLinksCount: jsonInt(field(s, 'droppedLinksCount', 'dropped_links_count'), w),
    statusCode: enumValue(status['code'], `${w}.status.code`, STATUS_CODES),
    statusMessage: jsonString(status['message'], `${w}.status.message`),
  };
}

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/** OTLP/JSON enums are integers; the protobuf JSON mapping's names are accepted as well. */
function enumValue(v: unknown, where: string, names: Record<string, number>): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string' && v in names) return names[v]!;
  return jsonInt(v, where);
}
