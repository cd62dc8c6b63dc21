/**
 * The one place a GenAI span gets its usage, cost, cache, route and attribution attributes.
 * Every instrumentation (and the cache helper) calls these, so the contract is applied the same way.
 */
import {
  type Attributes,
  type Context,
  context,
  diag,
  type Span,
  SpanKind,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR, type PricingTier } from './attributes.js';
import { attributionAttributes } from './attribution.js';
import { defaultPricer, type PriceResult, type Pricer } from './pricing.js';
import { getRoute } from './route.js';
import type { NormalizedUsage } from './usage.js';

export interface GenAiSpanStart {
  operation: string;
  provider: string;
  requestModel?: string | undefined;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
  stream?: boolean | undefined;
  attributes?: Attributes | undefined;
}

/** Starts a CLIENT span named `{operation} {model}` carrying the request and attribution attributes. */
export function startGenAiSpan(
  tracer: Tracer,
  start: GenAiSpanStart,
  ctx: Context = context.active(),
  /** More attributes, after `start.attributes` (e.g. prompt fingerprints). */
  extra?: Attributes,
): Span {
  const attributes: Attributes = {
    [ATTR.OPERATION_NAME]: start.operation,
    [ATTR.PROVIDER_NAME]: start.provider,
    ...attributionAttributes(ctx),
    ...start.attributes,
    ...extra,
  };
  if (start.requestModel) attributes[ATTR.REQUEST_MODEL] = start.requestModel;
  if (start.serverAddress) attributes[ATTR.SERVER_ADDRESS] = start.serverAddress;
  if (start.serverPort) attributes[ATTR.SERVER_PORT] = start.serverPort;
  if (start.stream !== undefined) attributes[ATTR.REQUEST_STREAM] = start.stream;
  const name = start.requestModel ? `${start.operation} ${start.requestModel}` : start.operation;
  return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, ctx);
}

export interface GenAiUsageResult {
  provider?: string | undefined;
  /** The model that answered (or was asked for when the response did not say). */
  model?: string | undefined;
  usage?: NormalizedUsage | undefined;
  /** Token counts came from the local tokenizer, not the provider. */
  usageEstimated?: boolean | undefined;
  tier?: PricingTier | undefined;
  /** USD the provider reported for the call (e.g. OpenRouter); kept as-is when present. */
  providerCostUsd?: number | undefined;
  at?: Date | undefined;
}

export function usageAttributes(usage: NormalizedUsage): Attributes {
  const attributes: Attributes = {
    [ATTR.USAGE_INPUT_TOKENS]: usage.inputTokens,
    [ATTR.USAGE_OUTPUT_TOKENS]: usage.outputTokens,
  };
  if (usage.cacheReadTokens) attributes[ATTR.USAGE_CACHE_READ_INPUT_TOKENS] = usage.cacheReadTokens;
  if (usage.cacheWriteTokens) attributes[ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS] = usage.cacheWriteTokens;
  if (usage.reasoningTokens) attributes[ATTR.USAGE_REASONING_OUTPUT_TOKENS] = usage.reasoningTokens;
  return attributes;
}

/**
 * Computes the usage, cost, provider-cache and route attributes of a finished GenAI call.
 * Never throws: a pricing failure is reported to `diag` and the span is marked unpriced.
 */
export function costAttributes(
  result: GenAiUsageResult,
  ctx: Context = context.active(),
  pricer?: Pricer,
): { attributes: Attributes; price?: PriceResult | undefined } {
  const attributes: Attributes = {};
  const { usage, model } = result;
  if (!usage) return { attributes };
  Object.assign(attributes, usageAttributes(usage));
  if (result.usageEstimated) attributes[ATTR.USAGE_ESTIMATED] = true;
  const tier = result.tier ?? 'standard';
  attributes[ATTR.PRICING_TIER] = tier;

  let price: PriceResult | undefined;
  try {
    const p = pricer ?? defaultPricer();
    price = model
      ? p.price({ provider: result.provider, model, usage, tier, at: result.at })
      : { priced: false, reason: 'no model name' };
    if (result.providerCostUsd !== undefined && result.providerCostUsd >= 0) {
      attributes[ATTR.USAGE_COST] = result.providerCostUsd;
      attributes[ATTR.COST_SOURCE] = 'provider';
    } else if (price.priced) {
      const c = price.cost;
      attributes[ATTR.USAGE_COST] = c.total;
      attributes[ATTR.COST_INPUT] = c.input;
      attributes[ATTR.COST_OUTPUT] = c.output;
      attributes[ATTR.COST_CACHE_READ] = c.cacheRead;
      attributes[ATTR.COST_CACHE_WRITE] = c.cacheWrite;
      attributes[ATTR.COST_SOURCE] = result.usageEstimated ? 'estimated' : 'computed';
    } else {
      attributes[ATTR.COST_UNPRICED] = true;
    }
    if (usage.cacheReadTokens > 0) {
      attributes[ATTR.CACHE_HIT] = true;
      attributes[ATTR.CACHE_KIND] = 'provider_prompt';
      if (price.priced && model) {
        // What the cached tokens would have cost as plain input, minus what they did cost.
        const uncached = p.price({
          provider: result.provider,
          model,
          usage: { ...usage, cacheReadTokens: 0 },
          tier,
          at: result.at,
        });
        if (uncached.priced) attributes[ATTR.CACHE_SAVED_USD] = uncached.cost.total - price.cost.total;
      }
    }
    Object.assign(attributes, routeAttributes(usage, result, ctx, p));
  } catch (err) {
    diag.warn(`burnrate: could not price ${model ?? 'call'}: ${(err as Error).message}`);
    attributes[ATTR.COST_UNPRICED] = true;
    delete attributes[ATTR.USAGE_COST];
  }
  return { attributes, price };
}

function routeAttributes(
  usage: NormalizedUsage,
  result: GenAiUsageResult,
  ctx: Context,
  pricer: Pricer,
): Attributes {
  const route = getRoute(ctx);
  if (!route) return {};
  const attributes: Attributes = { [ATTR.ROUTE_NAME]: route.name };
  if (route.tier) attributes[ATTR.ROUTE_TIER] = route.tier;
  if (route.reason) attributes[ATTR.ROUTE_REASON] = route.reason;
  if (route.baselineModel) {
    attributes[ATTR.ROUTE_BASELINE_MODEL] = route.baselineModel;
    const baseline = pricer.price({
      provider: route.baselineProvider ?? result.provider,
      model: route.baselineModel,
      usage,
      tier: result.tier,
      at: result.at,
    });
    if (baseline.priced) attributes[ATTR.ROUTE_BASELINE_COST] = baseline.cost.total;
  }
  return attributes;
}

/** Sets usage, cost, cache and route attributes on `span` (see `costAttributes`). */
export function recordUsageAndCost(
  span: Span,
  result: GenAiUsageResult,
  ctx: Context = context.active(),
  pricer?: Pricer,
): PriceResult | undefined {
  const { attributes, price } = costAttributes(result, ctx, pricer);
  span.setAttributes(attributes);
  return price;
}

/** The tracer burnrate's own helpers use (instrumentations use their own). */
export function burnrateTracer(): Tracer {
  return trace.getTracer('@burnrate/core');
}
