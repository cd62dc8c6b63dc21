/** Pure budget evaluation: spend per group in, states and due alerts out. No I/O here. */
import { createHash } from 'node:crypto';
import type { BudgetRule } from './config.js';
import { type Period, projectSpend } from './period.js';

export type BudgetStateName = 'ok' | 'warn' | 'alert';
export type AlertEvent = 'threshold_crossed' | 'forecast_exceeded';

export interface BudgetStatus {
  name: string;
  group: string;
  period_start: string;
  period_end: string;
  spend_usd: number;
  limit_usd: number;
  percent: number;
  projected_usd: number;
  state: BudgetStateName;
}

export interface DueAlert {
  id: string;
  event: AlertEvent;
  budget: string;
  group: string;
  threshold: number;
  percent: number;
  spend_usd: number;
  limit_usd: number;
  projected_usd: number;
  period_start: string;
  period_end: string;
}

/** Stable per (budget, group, period, threshold, event): receivers and replicas dedupe on it. */
export function alertId(
  budget: string,
  group: string,
  alertKey: Date,
  threshold: number,
  event: AlertEvent,
): string {
  return createHash('sha256')
    .update([budget, group, alertKey.toISOString(), String(threshold), event].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

export function statusOf(
  rule: BudgetRule,
  group: string,
  spend: number,
  period: Period,
  now: Date,
): BudgetStatus {
  const percent = (spend / rule.limit_usd) * 100;
  const projected = projectSpend(spend, period, now);
  const lowest = rule.thresholds[0]!;
  let state: BudgetStateName = 'ok';
  if (percent >= 100) state = 'alert';
  else if (percent >= lowest * 100 || (rule.forecast && projected > rule.limit_usd)) state = 'warn';
  return {
    name: rule.name,
    group,
    period_start: period.start.toISOString(),
    period_end: period.end.toISOString(),
    spend_usd: round(spend, 10),
    limit_usd: rule.limit_usd,
    percent: round(percent, 2),
    projected_usd: round(projected, 10),
    state,
  };
}

/** Alerts due for one budget group: every crossed threshold and (opt-in) the forecast, minus those already sent. */
export function dueAlerts(
  rule: BudgetRule,
  status: BudgetStatus,
  period: Period,
  fired: ReadonlySet<string>,
): DueAlert[] {
  const due: DueAlert[] = [];
  const base = {
    budget: rule.name,
    group: status.group,
    percent: status.percent,
    spend_usd: status.spend_usd,
    limit_usd: status.limit_usd,
    projected_usd: status.projected_usd,
    period_start: status.period_start,
    period_end: status.period_end,
  };
  const spendRatio = status.spend_usd / rule.limit_usd;
  for (const threshold of rule.thresholds) {
    if (spendRatio < threshold) break;
    const id = alertId(rule.name, status.group, period.alertKey, threshold, 'threshold_crossed');
    if (!fired.has(id)) due.push({ id, event: 'threshold_crossed', threshold, ...base });
  }
  if (rule.forecast && !period.rolling && status.projected_usd > rule.limit_usd && spendRatio < 1) {
    const id = alertId(rule.name, status.group, period.alertKey, 1, 'forecast_exceeded');
    if (!fired.has(id)) due.push({ id, event: 'forecast_exceeded', threshold: 1, ...base });
  }
  return due;
}
