import { context } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { ATTR } from '../src/attributes.js';
import { withAttribution } from '../src/attribution.js';
import { recordCacheHit } from '../src/cache.js';
import { costAttributes, recordUsageAndCost, startGenAiSpan } from '../src/genai-span.js';
import { withRoute } from '../src/route.js';
import { usageOf } from '../src/usage.js';
import { setupOtel } from './otel.js';

const M = 1_000_000;
let otel: ReturnType<typeof setupOtel>;
beforeEach(() => {
  otel = setupOtel();
});

describe('route helper', () => {
  it('tags the span and prices the same usage on the baseline model', async () => {
    withRoute(
      { name: 'support-router', tier: 'small', reason: 'complexity', baselineModel: 'gpt-4o' },
      () => {
        const span = startGenAiSpan(otel.tracer, {
          operation: 'chat',
          provider: 'openai',
          requestModel: 'gpt-4o-mini',
        });
        recordUsageAndCost(span, {
          provider: 'openai',
          model: 'gpt-4o-mini',
          usage: usageOf({ inputTokens: 10_000, outputTokens: 2_000 }),
        });
        span.end();
      },
    );
    const a = (await otel.spans())[0]!.attributes;
    expect(a[ATTR.ROUTE_NAME]).toBe('support-router');
    expect(a[ATTR.ROUTE_TIER]).toBe('small');
    expect(a[ATTR.ROUTE_REASON]).toBe('complexity');
    expect(a[ATTR.ROUTE_BASELINE_MODEL]).toBe('gpt-4o');
    // gpt-4o-mini: $0.15 / $0.60 per 1M; gpt-4o: $2.50 / $10.
    expect(a[ATTR.USAGE_COST]).toBeCloseTo((10_000 * 0.15 + 2_000 * 0.6) / M, 12);
    expect(a[ATTR.ROUTE_BASELINE_COST]).toBeCloseTo((10_000 * 2.5 + 2_000 * 10) / M, 12);
  });
});

describe('provider prompt cache', () => {
  it('marks a cache read as a hit and computes what it saved', () => {
    const { attributes } = costAttributes({
      provider: 'anthropic',
      model: 'claude-sonnet-4-20250514',
      usage: usageOf({ inputTokens: 10_100, cacheReadTokens: 10_000, outputTokens: 100 }),
    });
    expect(attributes[ATTR.CACHE_HIT]).toBe(true);
    expect(attributes[ATTR.CACHE_KIND]).toBe('provider_prompt');
    // 10k tokens read at $0.30 instead of $3 per 1M.
    expect(attributes[ATTR.CACHE_SAVED_USD]).toBeCloseTo((10_000 * (3 - 0.3)) / M, 12);
    expect(attributes[ATTR.USAGE_COST]).toBeCloseTo((100 * 3 + 10_000 * 0.3 + 100 * 15) / M, 12);
    expect(attributes[ATTR.COST_SOURCE]).toBe('computed');
  });

  it('an unknown model is marked unpriced and carries no cost attribute', () => {
    const { attributes } = costAttributes({
      provider: 'openai',
      model: 'not-a-model',
      usage: usageOf({ inputTokens: 5, outputTokens: 5 }),
    });
    expect(attributes[ATTR.COST_UNPRICED]).toBe(true);
    expect(attributes[ATTR.USAGE_COST]).toBeUndefined();
    expect(attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(5);
  });

  it('estimated usage gives cost source "estimated"; a provider-reported cost is kept', () => {
    const est = costAttributes({
      provider: 'openai',
      model: 'gpt-4o',
      usage: usageOf({ inputTokens: 5, outputTokens: 5 }),
      usageEstimated: true,
    }).attributes;
    expect(est[ATTR.COST_SOURCE]).toBe('estimated');
    expect(est[ATTR.USAGE_ESTIMATED]).toBe(true);
    const reported = costAttributes({
      provider: 'openrouter',
      model: 'openai/gpt-4o',
      usage: usageOf({ inputTokens: 5, outputTokens: 5 }),
      providerCostUsd: 0.0042,
    }).attributes;
    expect(reported[ATTR.USAGE_COST]).toBe(0.0042);
    expect(reported[ATTR.COST_SOURCE]).toBe('provider');
  });
});

describe('application cache helper', () => {
  it('records a semantic hit with similarity, zero cost and the saved list price', async () => {
    const result = withAttribution({ feature: 'faq', userId: 'u-7' }, () =>
      recordCacheHit(
        {
          kind: 'semantic',
          similarity: 0.93,
          provider: 'openai',
          model: 'gpt-4o',
          usage: { inputTokens: 3_000, outputTokens: 400 },
        },
        context.active(),
      ),
    );
    const expected = (3_000 * 2.5 + 400 * 10) / M;
    expect(result.savedUsd).toBeCloseTo(expected, 12);
    const span = (await otel.spans())[0]!;
    expect(span.name).toBe('chat gpt-4o');
    expect(span.attributes).toMatchObject({
      [ATTR.CACHE_HIT]: true,
      [ATTR.CACHE_KIND]: 'semantic',
      [ATTR.CACHE_SIMILARITY]: 0.93,
      [ATTR.USAGE_COST]: 0,
      [ATTR.FEATURE]: 'faq',
      [ATTR.USER_ID]: 'u-7',
    });
    expect(span.attributes[ATTR.CACHE_SAVED_USD]).toBeCloseTo(expected, 12);
  });
});
