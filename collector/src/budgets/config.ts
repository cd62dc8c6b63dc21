/** The `budgets:` and `channels:` sections of the collector config, validated with errors that name the rule. */
import { IANAZone } from 'luxon';
import { z } from 'zod';

/** Attribution and span dimensions a budget can be grouped or filtered by, and their genai_spend column. */
export const BUDGET_DIMENSIONS: Record<string, { column: string; rollup: boolean }> = {
  'user.id': { column: 'user_id', rollup: true },
  'burnrate.feature': { column: 'feature', rollup: true },
  'burnrate.tenant': { column: 'tenant', rollup: true },
  'service.name': { column: 'service_name', rollup: true },
  'gen_ai.provider.name': { column: 'provider', rollup: true },
  model: { column: 'model', rollup: true },
  'burnrate.route.name': { column: 'route_name', rollup: true },
  'burnrate.pricing.tier': { column: 'pricing_tier', rollup: true },
  'session.id': { column: 'session_id', rollup: false },
};
/** Short aliases users reach for. */
const DIMENSION_ALIASES: Record<string, string> = {
  user: 'user.id',
  feature: 'burnrate.feature',
  tenant: 'burnrate.tenant',
  service: 'service.name',
  provider: 'gen_ai.provider.name',
  'gen_ai.request.model': 'model',
  'gen_ai.response.model': 'model',
  route: 'burnrate.route.name',
  session: 'session.id',
};

/** Canonical dimension name, or undefined. `burnrate.tag.<key>` is allowed too (read from genai_spend). */
export function canonicalDimension(name: string): string | undefined {
  const d = DIMENSION_ALIASES[name] ?? name;
  if (BUDGET_DIMENSIONS[d] || /^burnrate\.tag\.[A-Za-z0-9_.-]+$/.test(d)) return d;
  return undefined;
}

const dimension = z.string().transform((value, ctx) => {
  const d = canonicalDimension(value);
  if (!d) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown dimension "${value}"; use one of ${Object.keys(BUDGET_DIMENSIONS).join(', ')} or burnrate.tag.<key>`,
    });
    return z.NEVER;
  }
  return d;
});

const PERIOD = /^(hour|day|week|month)$|^(\d+)(m|h|d)$/;

export const budgetRuleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'must be letters, digits, and _ . : -'),
  limit_usd: z.number().finite().positive('must be a positive number of USD'),
  period: z
    .string()
    .regex(PERIOD, 'must be hour, day, week, month (calendar) or a rolling window like 30m, 24h, 7d'),
  timezone: z
    .string()
    .default('UTC')
    .refine((tz) => IANAZone.isValidZone(tz), 'must be an IANA time zone such as Europe/Berlin'),
  thresholds: z
    .array(z.number().positive().max(10))
    .min(1)
    .default([0.5, 0.8, 1])
    .transform((t) => [...new Set(t)].sort((a, b) => a - b)),
  forecast: z.boolean().default(false),
  group_by: dimension.optional(),
  filter: z.record(dimension, z.string()).default({}),
  notify: z.array(z.string()).default([]),
});

export type BudgetRule = z.infer<typeof budgetRuleSchema>;

const retry = {
  retries: z.number().int().min(0).max(10).default(3),
  timeout_ms: z.number().int().positive().default(5_000),
};

export const channelSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('webhook'),
    url: z.url(),
    secret: z.string().min(16, 'must be at least 16 characters').optional(),
    ...retry,
  }),
  z.strictObject({ type: z.literal('slack'), url: z.url(), ...retry }),
  z.strictObject({ type: z.literal('log') }),
]);

export type ChannelConfig = z.infer<typeof channelSchema>;

/** The config sections budgets add to the collector config. */
export const budgetSections = {
  budgets: z.array(budgetRuleSchema).default([]),
  channels: z.record(z.string(), channelSchema).default({}),
  budget_evaluation_interval_ms: z.number().int().min(100).default(5_000),
};

/** Cross-field checks: unique rule names, and every `notify` names a defined channel. */
export function refineBudgets(
  cfg: { budgets: BudgetRule[]; channels: Record<string, ChannelConfig> },
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  cfg.budgets.forEach((rule, i) => {
    if (seen.has(rule.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['budgets', i, 'name'],
        message: `duplicate budget name "${rule.name}"`,
      });
    }
    seen.add(rule.name);
    rule.notify.forEach((channel, j) => {
      if (!cfg.channels[channel]) {
        ctx.addIssue({
          code: 'custom',
          path: ['budgets', i, 'notify', j],
          message: `channel "${channel}" is not defined under channels`,
        });
      }
    });
  });
}

export const budgetsConfigSchema = z.object(budgetSections).superRefine(refineBudgets);

export type BudgetsConfig = z.infer<typeof budgetsConfigSchema>;

/** "budgets[1] (per-user-daily).limit_usd" for an issue path, naming the rule. */
export function describeBudgetPath(path: PropertyKey[], raw: unknown): string {
  if (path[0] === 'budgets' && typeof path[1] === 'number') {
    const rules = (raw as { budgets?: Array<{ name?: unknown }> } | undefined)?.budgets;
    const name = rules?.[path[1]]?.name;
    const rest = path.slice(2).join('.');
    return `budgets[${path[1]}]${typeof name === 'string' ? ` (${name})` : ''}${rest ? `.${rest}` : ''}`;
  }
  return path.map(String).join('.');
}
