/** The budget guard in front of real openai calls: block before sending, or downgrade the model. */
import {
  ATTR,
  BudgetExceededError,
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

describe.each(SDKS)('$name with the budget guard', (sdk) => {
  it('blocks an over-budget user before the request is sent', async () => {
    await installBudgetGuard({
      collectorUrl,
      policies: [{ budget: 'per-user', groupBy: 'user.id', action: 'block' }],
    });
    const client = h.client(sdk);
    const ask = () =>
      client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    // Thrown synchronously from create(), so no APIPromise exists for a call that was never sent;
    // `await create()` inside a try/catch sees it exactly like a rejection.
    expect(() => withAttribution({ userId: 'mallory' }, ask)).toThrow(BudgetExceededError);
    expect(h.fake.requests).toHaveLength(0);
    const ok = await withAttribution({ userId: 'alice' }, ask);
    expect(ok.choices[0].message.content).toBe('Hello world');
    expect(h.fake.requests).toHaveLength(1);
  });

  it('downgrades to the cheaper model and records the baseline', async () => {
    await installBudgetGuard({
      collectorUrl,
      policies: [{ budget: 'total', action: 'downgrade', downgradeTo: 'gpt-4o-mini' }],
    });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
    await h.client(sdk).chat.completions.create(body);
    expect(body.model).toBe('gpt-4o'); // the caller's object is untouched
    expect((h.fake.requests[0]!.body as { model: string }).model).toBe('gpt-4o-mini');
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes).toMatchObject({
      [ATTR.REQUEST_MODEL]: 'gpt-4o-mini',
      [ATTR.ROUTE_REASON]: 'budget',
      [ATTR.ROUTE_BASELINE_MODEL]: 'gpt-4o',
    });
    expect(span!.attributes[ATTR.ROUTE_BASELINE_COST]).toBeGreaterThan(
      span!.attributes[ATTR.USAGE_COST] as number,
    );
  });
  // The README's policy: a plain model name, which belongs to OpenAI and serves chat.
  const README_POLICY = { budget: 'total', action: 'downgrade' as const, downgradeTo: 'gpt-4o-mini' };

  it('leaves embeddings and legacy completions on their own model under a downgrade policy', async () => {
    await installBudgetGuard({ collectorUrl, policies: [README_POLICY] });
    const client = h.client(sdk);
    const emb = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hi' });
    expect(emb.data).toHaveLength(1);
    await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi' });
    expect(h.fake.requests.map((r) => (r.body as { model: string }).model)).toEqual([
      'text-embedding-3-small',
      'gpt-3.5-turbo-instruct',
    ]);
    const spans = await h.otel.waitForSpans(2);
    for (const span of spans) expect(span.attributes[ATTR.ROUTE_REASON]).toBeUndefined();
  });

  it('does not send an OpenAI model to an OpenAI-compatible client of another provider', async () => {
    h.instrumentation.setConfig({ providerFor: () => 'groq' });
    try {
      await installBudgetGuard({ collectorUrl, policies: [README_POLICY] });
      const llama = { model: 'llama-3.3-70b-versatile', messages: [{ role: 'user', content: 'hi' }] };
      await h.client(sdk).chat.completions.create(llama);
      expect((h.fake.requests[0]!.body as { model: string }).model).toBe('llama-3.3-70b-versatile');
      const [span] = await h.otel.waitForSpans(1);
      expect(span!.attributes[ATTR.PROVIDER_NAME]).toBe('groq');
      expect(span!.attributes[ATTR.ROUTE_REASON]).toBeUndefined();

      // Named per provider, each client gets its own provider's cheaper model.
      uninstallBudgetGuard();
      await installBudgetGuard({
        collectorUrl,
        policies: [
          {
            budget: 'total',
            action: 'downgrade',
            downgradeTo: { openai: 'gpt-4o-mini', groq: 'llama-3.1-8b-instant' },
          },
        ],
      });
      await h.client(sdk).chat.completions.create(llama);
      expect((h.fake.requests[1]!.body as { model: string }).model).toBe('llama-3.1-8b-instant');
    } finally {
      h.instrumentation.setConfig({});
    }
  });
});
