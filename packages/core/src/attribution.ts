/**
 * Attribution: who and what the spend was for. Values travel in OpenTelemetry baggage, so they reach
 * every GenAI span under `withAttribution`, in this service and (with the W3C baggage propagator)
 * in downstream ones.
 */
import { type Attributes, type Context, context, propagation } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR } from './attributes.js';

export interface Attribution {
  feature?: string | undefined;
  userId?: string | undefined;
  sessionId?: string | undefined;
  tenant?: string | undefined;
  /** Free-form: each becomes `burnrate.tag.<key>`. */
  tags?: Record<string, string> | undefined;
}

function toEntries(attribution: Attribution): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const add = (key: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') entries.push([key, value]);
  };
  add(ATTR.FEATURE, attribution.feature);
  add(ATTR.USER_ID, attribution.userId);
  add(ATTR.SESSION_ID, attribution.sessionId);
  add(ATTR.TENANT, attribution.tenant);
  for (const [key, value] of Object.entries(attribution.tags ?? {})) add(ATTR.TAG_PREFIX + key, value);
  return entries;
}

/** A context that carries `attribution` on top of what `parent` already carries (inner values win). */
export function contextWithAttribution(
  attribution: Attribution,
  parent: Context = context.active(),
): Context {
  let baggage = propagation.getBaggage(parent) ?? propagation.createBaggage();
  for (const [key, value] of toEntries(attribution)) baggage = baggage.setEntry(key, { value });
  return propagation.setBaggage(parent, baggage);
}

/**
 * Runs `fn` with attribution in context: every GenAI span started inside, however deep in async
 * code, carries `burnrate.feature`, `user.id`, `session.id`, `burnrate.tenant` and `burnrate.tag.*`.
 */
export function withAttribution<T>(attribution: Attribution, fn: () => T): T {
  return context.with(contextWithAttribution(attribution), fn);
}

function isAttributionKey(key: string): boolean {
  return (
    key === ATTR.FEATURE ||
    key === ATTR.USER_ID ||
    key === ATTR.SESSION_ID ||
    key === ATTR.TENANT ||
    key.startsWith(ATTR.TAG_PREFIX)
  );
}

/** The attribution attributes in `ctx` (from baggage), ready to set on a span. */
export function attributionAttributes(ctx: Context = context.active()): Attributes {
  const attributes: Attributes = {};
  const baggage = propagation.getBaggage(ctx);
  if (!baggage) return attributes;
  for (const [key, entry] of baggage.getAllEntries()) {
    if (isAttributionKey(key)) attributes[key] = entry.value;
  }
  return attributes;
}

/**
 * Copies attribution from baggage onto spans other instrumentations start (OpenLLMetry, the Vercel
 * AI SDK, ...), so their spend is attributed too. Attributes a span already has are kept.
 */
export class AttributionSpanProcessor implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const attributes = attributionAttributes(parentContext);
    for (const [key, value] of Object.entries(attributes)) {
      if (span.attributes[key] === undefined && value !== undefined) span.setAttribute(key, value);
    }
  }
  onEnd(_span: ReadableSpan): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
