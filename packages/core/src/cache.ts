/** Application caches (exact or semantic): record a hit as a GenAI span with the cost it avoided. */
import { type Context, context } from '@opentelemetry/api';
import { ATTR } from './attributes.js';
import type { Attribution } from './attribution.js';
import { contextWithAttribution } from './attribution.js';
import { burnrateTracer, startGenAiSpan } from './genai-span.js';
import { defaultPricer, type Pricer } from './pricing.js';
import { type NormalizedUsage, usageOf } from './usage.js';

export interface CacheHit {
  kind: 'exact' | 'semantic';
  /** Semantic caches: similarity of the matched entry (0..1). */
  similarity?: number | undefined;
  /** The call the hit replaced: provider, model and the usage it would have had. */
  provider: string;
  model: string;
  usage: Partial<NormalizedUsage>;
  operation?: string | undefined;
  /** Extra attribution for this hit, on top of the context's. */
  attribution?: Attribution | undefined;
}

export interface CacheHitResult {
  /** USD the avoided call would have cost; undefined when the model has no known price. */
  savedUsd: number | undefined;
}

/**
 * Records an application cache hit as a GenAI span (`burnrate.cache.hit=true`, cost 0) carrying
 * `burnrate.cache.saved_usd`: what the avoided call would have cost at list price.
 */
export function recordCacheHit(
  hit: CacheHit,
  ctx: Context = context.active(),
  pricer?: Pricer,
): CacheHitResult {
  const usage: NormalizedUsage = usageOf(hit.usage);
  const price = (pricer ?? defaultPricer()).price({ provider: hit.provider, model: hit.model, usage });
  const spanCtx = hit.attribution ? contextWithAttribution(hit.attribution, ctx) : ctx;
  const span = startGenAiSpan(
    burnrateTracer(),
    { operation: hit.operation ?? 'chat', provider: hit.provider, requestModel: hit.model },
    spanCtx,
  );
  span.setAttributes({
    [ATTR.RESPONSE_MODEL]: hit.model,
    [ATTR.CACHE_HIT]: true,
    [ATTR.CACHE_KIND]: hit.kind,
    [ATTR.USAGE_COST]: 0,
    [ATTR.COST_SOURCE]: 'computed',
  });
  if (hit.similarity !== undefined) span.setAttribute(ATTR.CACHE_SIMILARITY, hit.similarity);
  const savedUsd = price.priced ? price.cost.total : undefined;
  if (savedUsd !== undefined) span.setAttribute(ATTR.CACHE_SAVED_USD, savedUsd);
  else span.setAttribute(ATTR.COST_UNPRICED, true);
  span.end();
  return { savedUsd };
}
