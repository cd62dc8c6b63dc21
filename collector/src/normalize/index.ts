/**
 * Normalization: every span becomes an `otel_traces` row; every GenAI model call also becomes a typed,
 * priced `genai_spend` row, whatever produced it. A cost the span already carries is kept; spans with
 * tokens but no cost are priced with core's pricer (the same module the SDK uses at emit time). The
 * computed attributes are added to the span (never overwriting), so stored and forwarded spans carry them.
 */

import {
  ATTR,
  costAttributes,
  type NormalizedUsage,
  PROMPT_ATTR,
  type Pricer,
  type PricingTier,
  UsageError,
  usageAttributes,
  usageOf,
} from '@burnrate/core';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  type AnyValue,
  type Attributes,
  attributesAsStrings,
  bool,
  num,
  SPAN_KIND_NAMES,
  type Span,
  STATUS_CODE_NAMES,
  str,
} from '../model.js';
import { readGenAi } from './conventions.js';

export { canonicalProvider, detectSource, readGenAi } from './conventions.js';

/** One `otel_traces` row (contrib exporter columns). */
export interface TraceRow {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Record<string, string>[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Record<string, string>[];
}

/** One `genai_spend` row. */
export interface SpendRow {
  timestamp: string;
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  span_name: string;
  service_name: string;
  provider: string;
  operation: string;
  request_model: string;
  response_model: string;
  model: string;
  server_address: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  cost_usd: number;
  cost_input_usd: number;
  cost_output_usd: number;
  cost_cache_read_usd: number;
  cost_cache_write_usd: number;
  cost_source: string;
  priced_by: string;
  unpriced: boolean;
  usage_estimated: boolean;
  pricing_tier: string;
  feature: string;
  user_id: string;
  session_id: string;
  tenant: string;
  tags: Record<string, string>;
  cache_hit: boolean;
  cache_kind: string;
  cache_similarity: number | null;
  cache_saved_usd: number;
  route_name: string;
  route_tier: string;
  route_reason: string;
  route_baseline_model: string;
  route_baseline_cost_usd: number | null;
  /** Baseline cost minus actual cost when both are known (negative: routing cost more). */
  route_saved_usd: number;
  duration_ns: string;
  ttft_seconds: number | null;
  stream: boolean;
  stream_completed: boolean | null;
  status_code: string;
  error_type: string;
  instrumentation_source: string;
  scope_name: string;
  /** Keyed hashes of the request and of its stable prefix (savings advisor); '' when absent. */
  prompt_fingerprint: string;
  prefix_fingerprint: string;
  prefix_tokens: number;
  /** `gen_ai.request.max_tokens`; 0 when the request set no limit. */
  max_tokens: number;
}

export interface NormalizedSpan {
  trace: TraceRow;
  spend?: SpendRow | undefined;
}

const NS = 1_000_000_000n;

/**
 * The latest timestamp stored: 2100-01-01T00:00:00Z. DateTime64(9) ends in 2262 (a later value fails its
 * whole batch) and the tables' `toDateTime()` keys and TTLs in 2106 (a later value wraps around, and
 * the TTL drops the row at once).
 */
const MAX_NS = 4102444800n * NS;

/** Clamps a timestamp to [1970, 2100): a value beyond what the columns hold would fail its whole batch. */
function clampNs(ns: bigint): bigint {
  return ns < 0n ? 0n : ns > MAX_NS ? MAX_NS : ns;
}

/**
 * Nanoseconds since the epoch -> `seconds.nanoseconds`, which ClickHouse parses into DateTime64(9).
 * The seconds are padded to 10 digits: ClickHouse reads a shorter number as a date (`5` is the 5th of
 * this month, `20260105` is 2026-01-05) or refuses it (`0.000000000`, a span without start time).
 */
export function nsToDateTime64(ns: bigint): string {
  const n = clampNs(ns);
  return `${(n / NS).toString().padStart(10, '0')}.${(n % NS).toString().padStart(9, '0')}`;
}

/** Duration in ns of a span, within UInt64 (timestamps clamped as they are stored). */
function durationNs(span: Span): bigint {
  const start = clampNs(span.startNs);
  const end = clampNs(span.endNs);
  return end > start ? end - start : 0n;
}

/**
 * A count for an integer column: rounded, at least 0, at most `max`. JSON writes numbers from 1e21 up in
 * exponent form, which ClickHouse's integer parser refuses (failing the whole batch).
 */
function count(n: number | undefined, max = Number.MAX_SAFE_INTEGER): number {
  if (n === undefined || Number.isNaN(n)) return 0;
  return Math.min(max, Math.max(0, Math.round(n)));
}

const UINT32_MAX = 4294967295;

const TIERS = new Set<PricingTier>(['standard', 'batch', 'flex', 'priority']);

function setIfAbsent(attrs: Attributes, key: string, v: AnyValue): void {
  if (!attrs.has(key)) attrs.set(key, v);
}

function toAnyValue(value: unknown): AnyValue | undefined {
  if (typeof value === 'string') return { t: 's', v: value };
  if (typeof value === 'boolean') return { t: 'b', v: value };
  if (typeof value === 'number') return { t: 'd', v: value };
  return undefined;
}

const INT_ATTRS = new Set<string>([
  ATTR.USAGE_INPUT_TOKENS,
  ATTR.USAGE_OUTPUT_TOKENS,
  ATTR.USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR.USAGE_REASONING_OUTPUT_TOKENS,
]);

function buildUsage(f: ReturnType<typeof readGenAi> & object): NormalizedUsage | undefined {
  if (f.inputTokens === undefined && f.outputTokens === undefined) return undefined;
  const parts = {
    inputTokens: count(f.inputTokens),
    outputTokens: count(f.outputTokens),
    cacheReadTokens: count(f.cacheReadTokens),
    cacheWriteTokens: count(f.cacheWriteTokens),
    reasoningTokens: count(f.reasoningTokens),
  };
  // Output counts reasoning in the contract; producers that report it separately get it added.
  if (parts.reasoningTokens > parts.outputTokens)
    parts.outputTokens = count(parts.outputTokens + parts.reasoningTokens);
  try {
    return usageOf(parts);
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

/**
 * Prices and types one GenAI span. Adds the computed contract attributes to `span.attributes` (never
 * overwriting what the span carries). Returns undefined for spans that are not GenAI model calls.
 */
export function normalizeGenAi(span: Span, pricer: Pricer): SpendRow | undefined {
  const f = readGenAi(span);
  if (!f) return undefined;
  const a = span.attributes;
  const model = f.responseModel || f.requestModel;
  const usage = buildUsage(f);
  const tierRaw = f.tier as PricingTier | undefined;
  const tier: PricingTier = tierRaw && TIERS.has(tierRaw) ? tierRaw : 'standard';
  const usageEstimated = bool(a.get(ATTR.USAGE_ESTIMATED)) ?? false;
  const at = new Date(Number(span.startNs / 1_000_000n));

  let computed: Record<string, unknown> = {};
  if (usage) {
    computed = costAttributes(
      {
        provider: f.provider || undefined,
        model: model || undefined,
        usage,
        usageEstimated,
        tier,
        providerCostUsd: f.costUsd,
        at: Number.isNaN(at.getTime()) || span.startNs === 0n ? undefined : at,
      },
      ROOT_CONTEXT,
      pricer,
    ).attributes as Record<string, unknown>;
  }

  const kept = f.costUsd !== undefined;
  const costNum = (key: string) => (kept ? num(a.get(key)) : (computed[key] as number | undefined));
  const cost = kept ? f.costUsd! : (computed[ATTR.USAGE_COST] as number | undefined);
  const isError = span.statusCode === 2;
  const unpriced = cost === undefined && (usage !== undefined || !isError);
  const costSource = kept
    ? (str(a.get(ATTR.COST_SOURCE)) ?? 'provider')
    : cost !== undefined
      ? String(computed[ATTR.COST_SOURCE] ?? 'computed')
      : '';

  // Route: decided by the app, carried on the span; the baseline cost is priced here when absent.
  const routeName = str(a.get(ATTR.ROUTE_NAME)) ?? '';
  const baselineModel = str(a.get(ATTR.ROUTE_BASELINE_MODEL)) ?? '';
  let baselineCost = num(a.get(ATTR.ROUTE_BASELINE_COST));
  if (baselineCost === undefined && baselineModel && usage) {
    try {
      const p = pricer.price({ provider: f.provider || undefined, model: baselineModel, usage, tier });
      if (p.priced) {
        baselineCost = p.cost.total;
        a.set(ATTR.ROUTE_BASELINE_COST, { t: 'd', v: baselineCost });
      }
    } catch {
      // unpriceable baseline: no baseline cost
    }
  }

  const cacheHit = bool(a.get(ATTR.CACHE_HIT)) ?? computed[ATTR.CACHE_HIT] === true;
  const cacheSaved =
    num(a.get(ATTR.CACHE_SAVED_USD)) ?? (computed[ATTR.CACHE_SAVED_USD] as number | undefined);

  // Enrich the span with the contract's attributes (what was computed and what was translated).
  if (f.provider) setIfAbsent(a, ATTR.PROVIDER_NAME, { t: 's', v: f.provider });
  setIfAbsent(a, ATTR.OPERATION_NAME, { t: 's', v: f.operation });
  if (f.requestModel) setIfAbsent(a, ATTR.REQUEST_MODEL, { t: 's', v: f.requestModel });
  if (usage) {
    for (const [k, v] of Object.entries(usageAttributes(usage))) {
      if (typeof v === 'number') setIfAbsent(a, k, { t: 'i', v });
    }
  }
  for (const [k, v] of Object.entries(computed)) {
    if (INT_ATTRS.has(k)) continue;
    const av = toAnyValue(v);
    if (av) setIfAbsent(a, k, av);
  }
  if (cost === undefined && unpriced) setIfAbsent(a, ATTR.COST_UNPRICED, { t: 'b', v: true });

  return {
    timestamp: nsToDateTime64(span.startNs),
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId,
    span_name: span.name,
    service_name: str(span.resource.attributes.get('service.name')) ?? '',
    provider: f.provider,
    operation: f.operation,
    request_model: f.requestModel,
    response_model: f.responseModel,
    model,
    server_address: str(a.get(ATTR.SERVER_ADDRESS)) ?? '',
    input_tokens: usage?.inputTokens ?? 0,
    output_tokens: usage?.outputTokens ?? 0,
    cache_read_tokens: usage?.cacheReadTokens ?? 0,
    cache_write_tokens: usage?.cacheWriteTokens ?? 0,
    reasoning_tokens: usage?.reasoningTokens ?? 0,
    cost_usd: cost ?? 0,
    cost_input_usd: costNum(ATTR.COST_INPUT) ?? 0,
    cost_output_usd: costNum(ATTR.COST_OUTPUT) ?? 0,
    cost_cache_read_usd: costNum(ATTR.COST_CACHE_READ) ?? 0,
    cost_cache_write_usd: costNum(ATTR.COST_CACHE_WRITE) ?? 0,
    cost_source: costSource,
    priced_by: kept ? 'span' : cost !== undefined ? 'collector' : '',
    unpriced,
    usage_estimated: usageEstimated,
    pricing_tier: tier,
    feature: f.feature,
    user_id: f.userId,
    session_id: f.sessionId,
    tenant: f.tenant,
    tags: f.tags,
    cache_hit: cacheHit,
    cache_kind: str(a.get(ATTR.CACHE_KIND)) ?? (cacheHit ? String(computed[ATTR.CACHE_KIND] ?? '') : ''),
    cache_similarity: num(a.get(ATTR.CACHE_SIMILARITY)) ?? null,
    cache_saved_usd: cacheSaved ?? 0,
    route_name: routeName,
    route_tier: str(a.get(ATTR.ROUTE_TIER)) ?? '',
    route_reason: str(a.get(ATTR.ROUTE_REASON)) ?? '',
    route_baseline_model: baselineModel,
    route_baseline_cost_usd: baselineCost ?? null,
    route_saved_usd: baselineCost !== undefined && cost !== undefined ? baselineCost - cost : 0,
    duration_ns: durationNs(span).toString(),
    ttft_seconds: f.ttftSeconds ?? null,
    stream: bool(a.get(ATTR.REQUEST_STREAM)) ?? false,
    stream_completed: bool(a.get(ATTR.STREAM_COMPLETED)) ?? null,
    status_code: STATUS_CODE_NAMES[span.statusCode] ?? 'Unset',
    error_type: str(a.get(ATTR.ERROR_TYPE)) ?? '',
    instrumentation_source: f.source,
    scope_name: span.scope.name,
    prompt_fingerprint: str(a.get(PROMPT_ATTR.FINGERPRINT)) ?? '',
    prefix_fingerprint: str(a.get(PROMPT_ATTR.PREFIX_FINGERPRINT)) ?? '',
    prefix_tokens: count(num(a.get(PROMPT_ATTR.PREFIX_TOKENS)), UINT32_MAX),
    max_tokens: count(num(a.get(ATTR.REQUEST_MAX_TOKENS)), UINT32_MAX),
  };
}

/**
 * `ResourceAttributes` of the spans of one resource: computed once per resource and shared by its rows
 * (an export request carries many spans per resource; rows are only serialized, never mutated).
 */
const resourceStrings = new WeakMap<Attributes, Record<string, string>>();
function resourceAttributes(attrs: Attributes): Record<string, string> {
  let out = resourceStrings.get(attrs);
  if (!out) {
    out = attributesAsStrings(attrs);
    resourceStrings.set(attrs, out);
  }
  return out;
}

/** The `otel_traces` row, as the contrib exporter writes it (scope name/version also in SpanAttributes). */
export function traceRow(span: Span): TraceRow {
  const spanAttrs = attributesAsStrings(span.attributes);
  if (span.scope.name) spanAttrs['otel.scope.name'] = span.scope.name;
  if (span.scope.version) spanAttrs['otel.scope.version'] = span.scope.version;
  return {
    Timestamp: nsToDateTime64(span.startNs),
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId,
    TraceState: span.traceState,
    SpanName: span.name,
    SpanKind: SPAN_KIND_NAMES[span.kind] ?? 'Unspecified',
    ServiceName: str(span.resource.attributes.get('service.name')) ?? '',
    ResourceAttributes: resourceAttributes(span.resource.attributes),
    ScopeName: span.scope.name,
    ScopeVersion: span.scope.version,
    SpanAttributes: spanAttrs,
    Duration: durationNs(span).toString(),
    StatusCode: STATUS_CODE_NAMES[span.statusCode] ?? 'Unset',
    StatusMessage: span.statusMessage,
    'Events.Timestamp': span.events.map((e) => nsToDateTime64(e.timeNs)),
    'Events.Name': span.events.map((e) => e.name),
    'Events.Attributes': span.events.map((e) => attributesAsStrings(e.attributes)),
    'Links.TraceId': span.links.map((l) => l.traceId),
    'Links.SpanId': span.links.map((l) => l.spanId),
    'Links.TraceState': span.links.map((l) => l.traceState),
    'Links.Attributes': span.links.map((l) => attributesAsStrings(l.attributes)),
  };
}

/** Normalizes one span: prices it when it is a GenAI call (enriching its attributes), then builds rows. */
export function normalizeSpan(span: Span, pricer: Pricer): NormalizedSpan {
  let spend: SpendRow | undefined;
  try {
    spend = normalizeGenAi(span, pricer);
  } catch {
    spend = undefined; // a span that cannot be typed is still stored in otel_traces
  }
  return { trace: traceRow(span), spend };
}
