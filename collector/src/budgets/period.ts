/**
 * Budget periods. Calendar periods (hour, day, week, month) follow the rule's time zone, so a
 * Berlin month starts at Berlin midnight and a DST day is 23 or 25 hours long. Rolling windows
 * (30m, 24h, 7d) end now; for alert de-duplication they are bucketed on the epoch, so an alert
 * fires at most once per window length and every replica computes the same bucket.
 */
import { DateTime, type DurationLikeObject } from 'luxon';

export interface Period {
  start: Date;
  end: Date;
  /** Key for "once per period" alerting: the calendar period's start, or the rolling bucket's start. */
  alertKey: Date;
  rolling: boolean;
}

const ROLLING = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function rollingMs(period: string): number | undefined {
  const m = ROLLING.exec(period);
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

export function periodAt(period: string, timezone: string, now: Date): Period {
  const windowMs = rollingMs(period);
  if (windowMs !== undefined) {
    const bucket = Math.floor(now.getTime() / windowMs) * windowMs;
    return { start: new Date(now.getTime() - windowMs), end: now, alertKey: new Date(bucket), rolling: true };
  }
  const unit = period as 'hour' | 'day' | 'week' | 'month';
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const start = local.startOf(unit);
  const end = start.plus({ [`${unit}s`]: 1 } as DurationLikeObject);
  return { start: start.toJSDate(), end: end.toJSDate(), alertKey: start.toJSDate(), rolling: false };
}

/**
 * Linear end-of-period forecast: spend so far scaled to the whole period. Too early in a period
 * (under 5% elapsed) the extrapolation is noise, so the forecast is the spend itself. Rolling windows
 * are always full: their forecast is their spend.
 */
export function projectSpend(spend: number, period: Period, now: Date): number {
  if (period.rolling) return spend;
  const total = period.end.getTime() - period.start.getTime();
  const elapsed = Math.min(total, Math.max(0, now.getTime() - period.start.getTime()));
  if (elapsed < total * 0.05) return spend;
  return (spend * total) / elapsed;
}
