import { describe, expect, it } from 'vitest';
import { budgetRuleSchema } from '../src/budgets/config.js';
import { alertId, dueAlerts, statusOf } from '../src/budgets/evaluate.js';
import { periodAt, projectSpend } from '../src/budgets/period.js';

const iso = (d: Date) => d.toISOString();

describe('calendar periods in a time zone', () => {
  it('a Berlin month starts at Berlin midnight', () => {
    const p = periodAt('month', 'Europe/Berlin', new Date('2026-11-23T10:00:00Z'));
    expect(iso(p.start)).toBe('2026-10-31T23:00:00.000Z');
    expect(iso(p.end)).toBe('2026-11-30T23:00:00.000Z');
    // Just before Berlin's midnight on Oct 31 (22:59 UTC) it is still October there.
    const oct = periodAt('month', 'Europe/Berlin', new Date('2026-10-31T22:59:00Z'));
    expect(iso(oct.start)).toBe('2026-09-30T22:00:00.000Z');
    expect(iso(oct.end)).toBe('2026-10-31T23:00:00.000Z');
  });

  it('a month across the spring DST change ends at the new offset', () => {
    const p = periodAt('month', 'Europe/Berlin', new Date('2026-03-15T12:00:00Z'));
    expect(iso(p.start)).toBe('2026-02-28T23:00:00.000Z');
    expect(iso(p.end)).toBe('2026-03-31T22:00:00.000Z');
  });

  it('DST days are 23 and 25 hours long', () => {
    const spring = periodAt('day', 'Europe/Berlin', new Date('2026-03-29T12:00:00Z'));
    expect(spring.end.getTime() - spring.start.getTime()).toBe(23 * 3_600_000);
    const autumn = periodAt('day', 'Europe/Berlin', new Date('2026-10-25T12:00:00Z'));
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * 3_600_000);
    const ny = periodAt('day', 'America/New_York', new Date('2026-11-01T12:00:00Z'));
    expect(iso(ny.start)).toBe('2026-11-01T04:00:00.000Z');
    expect(iso(ny.end)).toBe('2026-11-02T05:00:00.000Z');
  });

  it('weeks start on Monday; hours are clock hours', () => {
    const w = periodAt('week', 'UTC', new Date('2026-11-26T08:00:00Z')); // a Thursday
    expect(iso(w.start)).toBe('2026-11-23T00:00:00.000Z');
    expect(iso(w.end)).toBe('2026-11-30T00:00:00.000Z');
    const h = periodAt('hour', 'Asia/Kolkata', new Date('2026-11-26T08:10:00Z')); // UTC+5:30
    expect(iso(h.start)).toBe('2026-11-26T07:30:00.000Z');
  });
});

describe('rolling windows', () => {
  it('end now and alert at most once per window bucket', () => {
    const now = new Date('2026-11-23T10:17:00Z');
    const p = periodAt('24h', 'UTC', now);
    expect(p.rolling).toBe(true);
    expect(iso(p.start)).toBe('2026-11-22T10:17:00.000Z');
    expect(iso(p.end)).toBe(iso(now));
    expect(iso(p.alertKey)).toBe('2026-11-23T00:00:00.000Z');
    const later = periodAt('24h', 'UTC', new Date('2026-11-23T23:59:00Z'));
    expect(later.alertKey).toEqual(p.alertKey);
    expect(iso(periodAt('30m', 'UTC', now).start)).toBe('2026-11-23T09:47:00.000Z');
  });
});

describe('forecast and alerts', () => {
  const rule = budgetRuleSchema.parse({
    name: 'monthly',
    limit_usd: 100,
    period: 'month',
    thresholds: [1, 0.5, 0.8],
    forecast: true,
  });

  it('projects spend linearly over the period', () => {
    const now = new Date('2026-11-16T00:00:00Z'); // half of November
    const p = periodAt('month', 'UTC', now);
    expect(projectSpend(30, p, now)).toBeCloseTo(60, 9);
    // Too early in the period to extrapolate: the spend itself.
    expect(projectSpend(30, p, new Date('2026-11-01T01:00:00Z'))).toBe(30);
  });

  it('fires every crossed threshold once and the forecast once', () => {
    const now = new Date('2026-11-16T00:00:00Z');
    const p = periodAt('month', 'UTC', now);
    const status = statusOf(rule, '', 85, p, now);
    expect(status).toMatchObject({ percent: 85, state: 'warn', projected_usd: 170 });
    const due = dueAlerts(rule, status, p, new Set());
    expect(due.map((a) => [a.event, a.threshold])).toEqual([
      ['threshold_crossed', 0.5],
      ['threshold_crossed', 0.8],
      ['forecast_exceeded', 1],
    ]);
    const fired = new Set(due.map((a) => a.id));
    expect(dueAlerts(rule, status, p, fired)).toEqual([]);
    const over = statusOf(rule, '', 100, p, now);
    expect(over.state).toBe('alert');
    expect(dueAlerts(rule, over, p, fired).map((a) => a.threshold)).toEqual([1]);
  });

  it('alert ids are stable per budget, group, period, threshold and event', () => {
    const k = new Date('2026-11-01T00:00:00Z');
    expect(alertId('b', 'u1', k, 0.5, 'threshold_crossed')).toBe(
      alertId('b', 'u1', k, 0.5, 'threshold_crossed'),
    );
    expect(alertId('b', 'u1', k, 0.5, 'threshold_crossed')).not.toBe(
      alertId('b', 'u2', k, 0.5, 'threshold_crossed'),
    );
    expect(alertId('b', 'u1', k, 0.5, 'threshold_crossed')).not.toBe(
      alertId('b', 'u1', new Date('2026-12-01T00:00:00Z'), 0.5, 'threshold_crossed'),
    );
  });
});
