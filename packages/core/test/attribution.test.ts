import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { ATTR } from '../src/attributes.js';
import { AttributionSpanProcessor, attributionAttributes, withAttribution } from '../src/attribution.js';
import { startGenAiSpan } from '../src/genai-span.js';
import { setupOtel } from './otel.js';

let otel: ReturnType<typeof setupOtel>;
beforeEach(() => {
  otel = setupOtel([new AttributionSpanProcessor()]);
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('attribution', () => {
  it('reaches GenAI spans through nested async code; inner values win', async () => {
    await withAttribution(
      { feature: 'search', userId: 'u-1', tenant: 'acme', tags: { team: 'growth' } },
      async () => {
        await tick();
        await withAttribution({ sessionId: 's-9', feature: 'search-rerank' }, async () => {
          await Promise.all([tick(), tick()]);
          startGenAiSpan(otel.tracer, {
            operation: 'chat',
            provider: 'openai',
            requestModel: 'gpt-4o',
          }).end();
        });
        startGenAiSpan(otel.tracer, {
          operation: 'chat',
          provider: 'openai',
          requestModel: 'gpt-4o-mini',
        }).end();
      },
    );
    startGenAiSpan(otel.tracer, { operation: 'chat', provider: 'openai', requestModel: 'outside' }).end();

    const [inner, outer, outside] = await otel.spans();
    expect(inner!.name).toBe('chat gpt-4o');
    expect(inner!.attributes).toMatchObject({
      [ATTR.FEATURE]: 'search-rerank',
      [ATTR.USER_ID]: 'u-1',
      [ATTR.SESSION_ID]: 's-9',
      [ATTR.TENANT]: 'acme',
      'burnrate.tag.team': 'growth',
    });
    expect(outer!.attributes[ATTR.FEATURE]).toBe('search');
    expect(outer!.attributes[ATTR.SESSION_ID]).toBeUndefined();
    expect(outside!.attributes[ATTR.FEATURE]).toBeUndefined();
  });

  it('crosses a service boundary through W3C baggage', async () => {
    const carrier: Record<string, string> = {};
    withAttribution({ feature: 'checkout', userId: 'user 42', tenant: 'acme' }, () => {
      propagation.inject(context.active(), carrier);
    });
    expect(carrier['baggage']).toContain('burnrate.feature=checkout');

    // The downstream service: extracts the incoming headers, then a span from any instrumentation.
    const downstream = propagation.extract(ROOT_CONTEXT, carrier);
    expect(attributionAttributes(downstream)).toEqual({
      [ATTR.FEATURE]: 'checkout',
      [ATTR.USER_ID]: 'user 42',
      [ATTR.TENANT]: 'acme',
    });
    context.with(downstream, () => trace.getTracer('other-instrumentation').startSpan('llm.call').end());
    expect((await otel.spans())[0]!.attributes).toMatchObject({
      [ATTR.FEATURE]: 'checkout',
      [ATTR.USER_ID]: 'user 42',
    });
  });

  it('the span processor keeps attributes a span already set and ignores unrelated baggage', async () => {
    const ctx = propagation.setBaggage(
      ROOT_CONTEXT,
      propagation.createBaggage({ [ATTR.FEATURE]: { value: 'from-baggage' }, unrelated: { value: 'x' } }),
    );
    context.with(ctx, () =>
      trace
        .getTracer('t')
        .startSpan('s', { attributes: { [ATTR.FEATURE]: 'explicit' } })
        .end(),
    );
    const span = (await otel.spans())[0]!;
    expect(span.attributes[ATTR.FEATURE]).toBe('explicit');
    expect(span.attributes['unrelated']).toBeUndefined();
  });
});
