/** The budget guard in front of real @anthropic-ai/sdk calls: block before sending, or downgrade to a Claude model. */
import {
  ATTR,
  BudgetExceededError,
  type GuardPolicy,
  installBudgetGuard,
  uninstallBudgetGuard,
  withAttribution,
} from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { budgetState, type FakeBudgetsApi, startFakeBudgetsApi } from '../../../test/fakes/budgets-api.js';
import { type Harness, SDKS, startHarness } from './setup.js';

let h: Harness;
let collector: FakeBudgetsApi;
let collectorUrl: string;

beforeAll(async () => {
  h = await startHarness();
  collector = await startFakeBudgetsApi([
    budgetState('per-user', 'mallory', 120),
    budgetState('per-user', 'alice', 10),
    budgetState('total', '', 101),
  ]);
  collectorUrl = collector.url;
});
afterAll(async () => {
  await h.fake.close();
  await collector.close();
});
afterEach(() => {
  uninstallBudgetGuard();
  h.otel.reset();
  h.fake.requests.length = 0;
});

const SONNET = 'claude-sonnet-4-5';
const HAIKU = 'claude-3-5-haiku-latest';
const params = () => ({ model: SONNET, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
const sentModels = () => h.fake.requests.map((r) => (r.body as { model: string }).model);

describe.each(SDKS)('$name with the budget guard', (sdk) => {
  it('blocks an over-budget user before the request is sent', async () => {
    await installBudgetGuard({
      collectorUrl,
      policies: [{ budget: 'per-user', groupBy: 'user.id', action: 'block' }],
    });
    const client = h.client(sdk);
    const ask = () => client.messages.create(params());
    let thrown: unknown;
    try {
      await withAttribution({ userId: 'mallory' }, ask);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BudgetExceededError);
    expect((thrown as BudgetExceededError).budget).toMatchObject({ name: 'per-user', group: 'mallory' });
    expect(String((thrown as Error).message)).toContain('budget "per-user" (mallory) is exhausted');
    expect(h.fake.requests).toHaveLength(0);
    // messages.stream() too, thrown from stream() itself (not wrapped by the helper in an AnthropicError).
    expect(() => withAttribution({ userId: 'mallory' }, () => client.messages.stream(params()))).toThrow(
      BudgetExceededError,
    );
    expect(h.fake.requests).toHaveLength(0);

    const ok = await withAttribution({ userId: 'alice' }, ask);
    expect(ok.content[0].text).toBe('Hello world');
    expect(sentModels()).toEqual([SONNET]);
  });

  // The README's shape of policy, named per provider.
  const perProvider: GuardPolicy = {
    budget: 'total',
    action: 'downgrade',
    downgradeTo: { openai: 'gpt-4o-mini', anthropic: HAIKU },
  };

  it('downgrades to a Claude model and records the baseline', async () => {
    await installBudgetGuard({ collectorUrl, policies: [perProvider] });
    const body = params();
    const msg = await h.client(sdk).messages.create(body);
    expect(msg.content[0].text).toBe('Hello world');
    expect(body.model).toBe(SONNET); // the caller's object is untouched
    expect(sentModels()).toEqual([HAIKU]);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.name).toBe(`chat ${HAIKU}`);
    expect(span!.attributes).toMatchObject({
      [ATTR.PROVIDER_NAME]: 'anthropic',
      [ATTR.REQUEST_MODEL]: HAIKU,
      [ATTR.ROUTE_REASON]: 'budget',
      [ATTR.ROUTE_TIER]: 'downgrade',
      [ATTR.ROUTE_NAME]: 'budget:total',
      [ATTR.ROUTE_BASELINE_MODEL]: SONNET,
    });
    // Same usage on Sonnet would have cost more than on Haiku.
    expect(span!.attributes[ATTR.ROUTE_BASELINE_COST]).toBeGreaterThan(
      span!.attributes[ATTR.USAGE_COST] as number,
    );
  });

  it('downgrades streamed calls (create with stream, and messages.stream()) too', async () => {
    await installBudgetGuard({ collectorUrl, policies: [perProvider] });
    const client = h.client(sdk);
    const stream = await client.messages.create({ ...params(), stream: true });
    for await (const _event of stream) {
      // drain
    }
    const helper = client.messages.stream(params());
    await helper.finalMessage();
    expect(sentModels()).toEqual([HAIKU, HAIKU]);
    const spans = await h.otel.waitForSpans(2);
    for (const span of spans)
      expect(span.attributes).toMatchObject({
        [ATTR.REQUEST_MODEL]: HAIKU,
        [ATTR.ROUTE_REASON]: 'budget',
        [ATTR.ROUTE_BASELINE_MODEL]: SONNET,
      });
  });

  it('a plain OpenAI downgradeTo leaves Claude calls on their model', async () => {
    await installBudgetGuard({
      collectorUrl,
      policies: [{ budget: 'total', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    await h.client(sdk).messages.create(params());
    expect(sentModels()).toEqual([SONNET]);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.REQUEST_MODEL]).toBe(SONNET);
    expect(span!.attributes[ATTR.ROUTE_REASON]).toBeUndefined();
  });
});
