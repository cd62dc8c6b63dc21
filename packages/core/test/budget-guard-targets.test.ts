/**
 * The budget guard's downgrade targets: a downgrade only ever swaps a model for one the same provider
 * serves for the same operation (chat); anything else goes through unchanged, with one diag warning.
 * And policies are validated when the guard is installed, naming the policy and field that is wrong.
 */
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withAttribution } from '../src/attribution.js';
import {
  BudgetExceededError,
  BudgetGuard,
  type BudgetGuardOptions,
  type BudgetState,
  type GuardPolicy,
  guardCallArgs,
  installBudgetGuard,
  uninstallBudgetGuard,
} from '../src/budget-guard.js';
import { getRoute } from '../src/route.js';
import { setupOtel } from './otel.js';

function budget(name: string, group: string, percent: number): BudgetState {
  return {
    name,
    group,
    period_start: '2026-11-01T00:00:00Z',
    period_end: '2026-11-02T00:00:00Z',
    spend_usd: percent / 10,
    limit_usd: 10,
    percent,
    projected_usd: percent / 5,
    state: percent >= 100 ? 'alert' : percent >= 50 ? 'warn' : 'ok',
  };
}

/** A guard fed from an in-process `/api/budgets`, refreshed once. */
async function guardWith(policies: GuardPolicy[], budgets: unknown[]): Promise<BudgetGuard> {
  const guard = new BudgetGuard({
    collectorUrl: 'http://collector.invalid',
    policies,
    fetch: async () => new Response(JSON.stringify({ budgets })),
  });
  await guard.refresh();
  return guard;
}

/** The README's own policy. */
const README_POLICY: GuardPolicy = {
  budget: 'daily-total',
  action: 'downgrade',
  downgradeTo: 'gpt-4o-mini',
  atPercent: 90,
};
const OVER = [budget('daily-total', '', 95)];

let warnings: string[] = [];
beforeEach(() => {
  setupOtel(); // async context, for attribution
  warnings = [];
  const logger: DiagLogger = {
    error: () => {},
    warn: (msg) => warnings.push(msg),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
});
afterEach(() => {
  diag.disable();
  uninstallBudgetGuard();
});

describe('budget guard downgrade targets', () => {
  it('a plain downgradeTo applies only to chat calls of the provider its model belongs to', async () => {
    const guard = await guardWith([README_POLICY], OVER);
    expect(guard.decide({ model: 'gpt-4o', provider: 'openai', operation: 'chat' })).toMatchObject({
      model: 'gpt-4o-mini',
      downgraded: true,
    });
    // The audit's repro: an embeddings call and an Anthropic call were both sent to gpt-4o-mini.
    for (const call of [
      { model: 'text-embedding-3-small', provider: 'openai', operation: 'embeddings' },
      { model: 'text-embedding-3-small', provider: 'openai' }, // no operation: the model tells
      { model: 'claude-sonnet-4-5', provider: 'anthropic', operation: 'chat' },
      { model: 'claude-sonnet-4-5', provider: 'anthropic' },
      { model: 'gemini-2.0-flash', provider: 'gcp.gemini', operation: 'generate_content' },
      { model: 'gpt-3.5-turbo-instruct', provider: 'openai', operation: 'text_completion' },
    ]) {
      const decision = guard.decide(call);
      expect(decision, JSON.stringify(call)).toMatchObject({ model: call.model, downgraded: false });
      expect(getRoute(decision.context)).toBeUndefined();
    }
  });

  it('warns once per provider, model and operation it cannot downgrade', async () => {
    const guard = await guardWith([README_POLICY], OVER);
    for (let i = 0; i < 3; i++) {
      guard.decide({ model: 'claude-sonnet-4-5', provider: 'anthropic', operation: 'chat' });
      guard.decide({ model: 'text-embedding-3-small', provider: 'openai', operation: 'embeddings' });
    }
    expect(warnings).toHaveLength(2);
    expect(warnings.join('\n')).toContain('"claude-sonnet-4-5"');
    expect(warnings.join('\n')).toContain('anthropic');
    expect(warnings.join('\n')).toContain('embeddings');
    expect(warnings.every((w) => w.includes('daily-total'))).toBe(true);
  });

  it('a per-provider downgradeTo map sends each provider to its own cheaper model', async () => {
    const guard = await guardWith(
      [
        {
          budget: 'daily-total',
          action: 'downgrade',
          atPercent: 90,
          downgradeTo: { openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest' },
        },
      ],
      OVER,
    );
    expect(guard.decide({ model: 'gpt-4o', provider: 'openai', operation: 'chat' }).model).toBe(
      'gpt-4o-mini',
    );
    const claude = guard.decide({ model: 'claude-sonnet-4-5', provider: 'anthropic', operation: 'chat' });
    expect(claude).toMatchObject({ model: 'claude-3-5-haiku-latest', downgraded: true });
    expect(getRoute(claude.context)).toMatchObject({ reason: 'budget', baselineModel: 'claude-sonnet-4-5' });
    // No entry for this provider, and embeddings never: unchanged.
    expect(guard.decide({ model: 'gemini-2.5-pro', provider: 'gcp.gemini', operation: 'chat' }).model).toBe(
      'gemini-2.5-pro',
    );
    expect(
      guard.decide({ model: 'text-embedding-3-large', provider: 'openai', operation: 'embeddings' }).model,
    ).toBe('text-embedding-3-large');
  });

  it('a call with no provider named is matched on its own model', async () => {
    const guard = await guardWith([README_POLICY], OVER);
    expect(guard.decide({ model: 'gpt-4o' }).model).toBe('gpt-4o-mini');
    expect(guard.decide({ model: 'claude-sonnet-4-5' }).model).toBe('claude-sonnet-4-5');
  });

  it('a provider reselling the model under deployment names is not rewritten by a plain string', async () => {
    const guard = await guardWith([README_POLICY], OVER);
    // On Azure OpenAI `model` names the app's deployment: "gpt-4o-mini" may not exist there.
    expect(guard.decide({ model: 'gpt-4o', provider: 'azure.ai.openai', operation: 'chat' }).model).toBe(
      'gpt-4o',
    );
    const mapped = await guardWith(
      [{ ...README_POLICY, downgradeTo: { 'azure.ai.openai': 'my-mini-deployment' } }],
      OVER,
    );
    expect(mapped.decide({ model: 'gpt-4o', provider: 'azure.ai.openai', operation: 'chat' }).model).toBe(
      'my-mini-deployment',
    );
  });

  it('when no downgrade applies, a later block policy for the scope still blocks', async () => {
    const guard = await guardWith(
      [README_POLICY, { budget: 'daily-total', action: 'block', atPercent: 90 }],
      OVER,
    );
    expect(guard.decide({ model: 'gpt-4o', provider: 'openai', operation: 'chat' }).model).toBe(
      'gpt-4o-mini',
    );
    expect(() =>
      guard.decide({ model: 'claude-sonnet-4-5', provider: 'anthropic', operation: 'chat' }),
    ).toThrow(BudgetExceededError);
    expect(() =>
      guard.decide({ model: 'text-embedding-3-small', provider: 'openai', operation: 'embeddings' }),
    ).toThrow(BudgetExceededError);
  });

  it('guardCallArgs downgrades a chat body and leaves embeddings and legacy completions bodies alone', async () => {
    await installBudgetGuard({
      collectorUrl: 'http://collector.invalid',
      policies: [README_POLICY],
      fetch: async () => new Response(JSON.stringify({ budgets: OVER })),
    });
    const chat: unknown[] = [{ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }];
    expect(getRoute(guardCallArgs(chat, 'openai'))).toMatchObject({ reason: 'budget' });
    expect((chat[0] as { model: string }).model).toBe('gpt-4o-mini');

    const cases: Array<[unknown[], string | undefined]> = [
      [[{ model: 'text-embedding-3-small', input: 'hi' }], undefined],
      [[{ model: 'text-embedding-3-small', input: 'hi' }], 'embeddings'],
      [[{ model: 'gpt-3.5-turbo-instruct', prompt: 'hi' }], undefined],
      [[{ model: 'gpt-4o', messages: [] }], 'embeddings'], // the instrumentation's word wins
    ];
    for (const [args, operation] of cases) {
      const before = args[0];
      const ctx = guardCallArgs(args, 'openai', operation);
      expect(args[0], JSON.stringify(args[0])).toBe(before);
      expect(getRoute(ctx)).toBeUndefined();
    }
    // Responses API bodies have `input` too: the model tells it is a chat model.
    const responses: unknown[] = [{ model: 'gpt-4o', input: 'hi' }];
    guardCallArgs(responses, 'openai');
    expect((responses[0] as { model: string }).model).toBe('gpt-4o-mini');
  });

  it('budget entries the collector sent malformed are ignored, never a TypeError on the call path', async () => {
    const guard = await guardWith(
      [{ budget: 'daily-total', action: 'block' }],
      [{ name: 'daily-total', group: '' }, null, 'x', { name: 'daily-total', percent: '120' }],
    );
    expect(guard.decide({ model: 'gpt-4o', provider: 'openai', operation: 'chat' }).model).toBe('gpt-4o');
    const blocking = await guardWith(
      [{ budget: 'daily-total', action: 'block' }],
      [{ name: 'daily-total', percent: 130 }], // figures missing: still a clear message
    );
    expect(() => blocking.decide({ model: 'gpt-4o' })).toThrow(/budget "daily-total" is exhausted/);
  });
});

describe('budget guard policy validation', () => {
  const base: Omit<BudgetGuardOptions, 'policies'> = {
    collectorUrl: 'http://127.0.0.1:4318',
    fetch: async () => new Response('{"budgets":[]}'),
  };
  const rejects = (policies: unknown, message: string | RegExp) =>
    expect(
      installBudgetGuard({ ...base, policies: policies as GuardPolicy[] }),
      JSON.stringify(policies),
    ).rejects.toThrow(message);

  it('names the policy index and field that is wrong', async () => {
    await rejects('nope', 'burnrate budget guard: policies: must be an array');
    await rejects([null], 'policies[0]: must be an object');
    await rejects([{ action: 'block' }], 'policies[0].budget: must be a non-empty string');
    await rejects([{ budget: 'b', action: 'stop' }], 'policies[0].action: must be "block" or "downgrade"');
    await rejects(
      [
        { budget: 'ok', action: 'block' },
        { budget: 'b', action: 'downgrade' },
      ],
      'policies[1].downgradeTo: policy for budget "b" downgrades but names no downgradeTo model',
    );
    await rejects([{ budget: 'b', action: 'downgrade', downgradeTo: '' }], 'policies[0].downgradeTo');
    await rejects([{ budget: 'b', action: 'downgrade', downgradeTo: 42 }], 'policies[0].downgradeTo');
    await rejects([{ budget: 'b', action: 'downgrade', downgradeTo: {} }], 'policies[0].downgradeTo');
    await rejects(
      [{ budget: 'b', action: 'downgrade', downgradeTo: { anthropic: '' } }],
      'policies[0].downgradeTo.anthropic: must be a non-empty model name',
    );
    await rejects(
      [{ budget: 'b', action: 'downgrade', downgradeTo: { anthropic: 'gpt-4o-mini' } }],
      /policies\[0\]\.downgradeTo\.anthropic: "gpt-4o-mini" is not a model anthropic serves/,
    );
    await rejects(
      [{ budget: 'b', action: 'downgrade', downgradeTo: 'text-embedding-3-small' }],
      /policies\[0\]\.downgradeTo: "text-embedding-3-small" is an embeddings model/,
    );
    await rejects(
      [{ budget: 'b', action: 'block', atPercent: -5 }],
      'policies[0].atPercent: must be a number above 0',
    );
    await rejects([{ budget: 'b', action: 'block', atPercent: '90' }], 'policies[0].atPercent');
    await rejects([{ budget: 'b', action: 'block', groupBy: '' }], 'policies[0].groupBy');
    await rejects(
      [{ budget: 'b', action: 'block', match: { 'burnrate.feature': 7 } }],
      'policies[0].match.burnrate.feature: must be a string',
    );
    await rejects([{ budget: 'b', action: 'block', match: 'chat' }], 'policies[0].match: must be an object');
  });

  it('rejects a bad collector URL or intervals up front', async () => {
    const policies: GuardPolicy[] = [{ budget: 'b', action: 'block' }];
    await expect(installBudgetGuard({ ...base, collectorUrl: 'localhost:4318', policies })).rejects.toThrow(
      'burnrate budget guard: collectorUrl: must be an http(s) URL',
    );
    await expect(installBudgetGuard({ ...base, refreshMs: 0, policies })).rejects.toThrow('refreshMs');
    await expect(installBudgetGuard({ ...base, timeoutMs: Number.NaN, policies })).rejects.toThrow(
      'timeoutMs',
    );
  });

  it('keeps valid configurations working', async () => {
    for (const policies of [
      [README_POLICY, { budget: 'per-user-daily', groupBy: 'user.id', action: 'block' as const }],
      [{ budget: 'b', action: 'downgrade' as const, downgradeTo: 'claude-3-5-haiku-latest' }],
      [{ budget: 'b', action: 'downgrade' as const, downgradeTo: { vllm: 'my-small-model' } }],
      [{ budget: 'b', action: 'downgrade' as const, downgradeTo: 'ft:gpt-4o-mini-2024-07-18:acme::x1' }],
      [],
    ]) {
      await expect(installBudgetGuard({ ...base, policies })).resolves.toBeInstanceOf(BudgetGuard);
    }
    const guard = await guardWith(
      [{ budget: 'per-user-daily', groupBy: 'user.id', action: 'block' }, README_POLICY],
      [budget('per-user-daily', 'u1', 120), budget('daily-total', '', 95)],
    );
    expect(() => withAttribution({ userId: 'u1' }, () => guard.decide({ model: 'gpt-4o' }))).toThrow(
      BudgetExceededError,
    );
    expect(withAttribution({ userId: 'u2' }, () => guard.decide({ model: 'gpt-4o' })).model).toBe(
      'gpt-4o-mini',
    );
  });
});
