import { describe, expect, it } from 'vitest';
import { budgetsConfigSchema, describeBudgetPath } from '../src/budgets/config.js';

function firstError(raw: unknown): string {
  const r = budgetsConfigSchema.safeParse(raw);
  if (r.success) throw new Error('expected a validation error');
  const issue = r.error.issues[0]!;
  return `${describeBudgetPath(issue.path, raw)}: ${issue.message}`;
}

describe('budget rule validation names the rule and the field', () => {
  const ok = { name: 'monthly-total', limit_usd: 1000, period: 'month', notify: ['ops'] };
  const channels = { ops: { type: 'slack', url: 'https://hooks.slack.test/T000/B000/XXX' } };

  it('accepts the documented example and fills defaults', () => {
    const cfg = budgetsConfigSchema.parse({
      budgets: [
        { ...ok, timezone: 'Europe/Berlin', thresholds: [0.5, 0.8, 1.0], forecast: true },
        {
          name: 'per-user-daily',
          limit_usd: 5,
          period: 'day',
          group_by: 'user.id',
          filter: { 'burnrate.feature': 'chat' },
        },
      ],
      channels,
    });
    expect(cfg.budgets[1]).toMatchObject({ timezone: 'UTC', thresholds: [0.5, 0.8, 1], group_by: 'user.id' });
    expect(cfg.channels['ops']).toMatchObject({ type: 'slack', retries: 3 });
  });

  it.each([
    [{ ...ok, limit_usd: -5 }, 'budgets[0] (monthly-total).limit_usd: must be a positive number of USD'],
    [{ ...ok, period: 'fortnight' }, 'budgets[0] (monthly-total).period: must be hour, day, week, month'],
    [{ ...ok, timezone: 'Mars/Olympus' }, 'budgets[0] (monthly-total).timezone: must be an IANA time zone'],
    [{ ...ok, group_by: 'colour' }, 'budgets[0] (monthly-total).group_by: unknown dimension "colour"'],
    [
      { ...ok, notify: ['pager'] },
      'budgets[0] (monthly-total).notify.0: channel "pager" is not defined under channels',
    ],
    [{ ...ok, limti_usd: 3 }, 'budgets[0] (monthly-total)'],
  ])('%j', (rule, message) => {
    expect(firstError({ budgets: [rule], channels })).toContain(message);
  });

  it('rejects duplicate names and weak webhook secrets', () => {
    expect(firstError({ budgets: [ok, ok], channels })).toContain(
      'budgets[1] (monthly-total).name: duplicate budget name',
    );
    expect(
      firstError({ channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/x', secret: 'short' } } }),
    ).toContain('channels.hook.secret: must be at least 16 characters');
  });
});
