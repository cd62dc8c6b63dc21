/** Terminal tables: one aligned-table renderer, and the layouts of each CLI command. */

import type { AdviceReport } from '../advice/advice.js';
import type { SpendResponse } from '../api/spend.js';
import type { BudgetStatus } from '../budgets/evaluate.js';
import type { StoredAlert } from '../budgets/store.js';

export const usd = (n: number) =>
  n === 0 ? '$0' : Math.abs(n) < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(2)}`;
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${n.toFixed(1)}%`;

/** Aligns columns: the first left, the rest right; `footer` rows come after a rule. */
export function alignedTable(header: string[], body: string[][], footer: string[][] = []): string[] {
  const all = [header, ...body, ...footer];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line), ...(footer.length ? [rule, ...footer.map(line)] : [])];
}

export function renderTable(r: SpendResponse, source = ''): string {
  const header = [
    r.group_by.toUpperCase(),
    'COST',
    'REQUESTS',
    'INPUT TOK',
    'OUTPUT TOK',
    'CACHE READ',
    'SAVED',
  ];
  const cells = (x: Omit<SpendResponse['rows'][number], 'key'>) => [
    usd(x.cost_usd),
    int(x.requests),
    int(x.input_tokens),
    int(x.output_tokens),
    int(x.cache_read_tokens),
    usd(x.saved_usd),
  ];
  const body = r.rows.map((x) => [x.key === '' ? '(none)' : x.key, ...cells(x)]);
  const sum = (k: Exclude<keyof SpendResponse['rows'][number], 'key'>) =>
    r.rows.reduce((a, x) => a + Number(x[k]), 0);
  const total = [
    'TOTAL',
    ...cells({
      cost_usd: sum('cost_usd'),
      requests: sum('requests'),
      input_tokens: sum('input_tokens'),
      output_tokens: sum('output_tokens'),
      cache_read_tokens: sum('cache_read_tokens'),
      saved_usd: sum('saved_usd'),
    }),
  ];
  const table = alignedTable(header, body, [total]);
  if (body.length === 0) table.splice(2, 0, '(no GenAI spend in this range)');
  const out = [`Spend by ${r.group_by}, ${r.from} .. ${r.to}${source ? ` (${source})` : ''}`, '', ...table];
  if (r.unpriced_requests > 0) {
    out.push('', `${r.unpriced_requests} request(s) had no known price and are not in the cost column.`);
  }
  return `${out.join('\n')}\n`;
}

export function renderBudgets(budgets: BudgetStatus[], source = ''): string {
  const header = ['BUDGET', 'GROUP', 'STATE', 'SPEND', 'LIMIT', 'USED', 'PROJECTED', 'PERIOD END'];
  const body = budgets.map((b) => [
    b.name,
    b.group || '-',
    b.state.toUpperCase(),
    usd(b.spend_usd),
    usd(b.limit_usd),
    pct(b.percent),
    usd(b.projected_usd),
    b.period_end,
  ]);
  const title = `Budgets${source ? ` (${source})` : ''}`;
  if (body.length === 0) return `${title}\n\n(no budgets configured)\n`;
  return `${[title, '', ...alignedTable(header, body)].join('\n')}\n`;
}

export function renderAlerts(alerts: StoredAlert[], source = ''): string {
  const header = ['SENT', 'BUDGET', 'GROUP', 'EVENT', 'THRESHOLD', 'SPEND', 'LIMIT', 'CHANNELS'];
  const body = alerts.map((a) => [
    (a.sent_at ?? a.created_at).replace('T', ' ').slice(0, 19),
    a.budget,
    a.group || '-',
    a.event,
    `${Math.round(a.threshold * 100)}%`,
    usd(a.spend_usd),
    usd(a.limit_usd),
    [...a.channels, ...a.failed_channels.map((c) => `${c} (failed)`)].join(', ') || '-',
  ]);
  const title = `Alerts, newest first${source ? ` (${source})` : ''}`;
  if (body.length === 0) return `${title}\n\n(no alerts in this range)\n`;
  return `${[title, '', ...alignedTable(header, body)].join('\n')}\n`;
}

const LEVER_NAMES: Record<string, string> = {
  exact_cache: 'exact cache',
  provider_prompt_cache: 'provider prompt cache',
  app_cache: 'app cache (exact/semantic)',
  model_routing: 'model routing',
  batch: 'batch API',
  output_limits: 'output limits',
};

export function renderAdvice(r: AdviceReport, source = ''): string {
  const days = r.window_days.toFixed(r.window_days < 1 ? 2 : 0);
  const out = [
    `Savings advice, ${r.from} .. ${r.to} (${days} days, spend ${usd(r.spend_usd)})${source ? ` (${source})` : ''}`,
    '',
  ];
  if (r.opportunities.length === 0) out.push('(no opportunity found in this window)');
  else {
    const header = ['OPPORTUNITY', 'SAVED IN WINDOW', 'PER MONTH', 'CALLS', 'FEATURES', 'MODELS'];
    const body = r.opportunities.map((o) => [
      LEVER_NAMES[o.lever] ?? o.lever,
      usd(o.saved_usd),
      usd(o.monthly_usd),
      int(o.requests),
      o.features.slice(0, 3).join(', ') + (o.features.length > 3 ? ', ...' : ''),
      o.models.slice(0, 3).join(', ') + (o.models.length > 3 ? ', ...' : ''),
    ]);
    out.push(...alignedTable(header, body), '');
    for (const o of r.opportunities) out.push(`- ${o.title}: ${o.method}`);
  }
  const header = ['ALREADY SAVED', 'IN WINDOW', 'PER MONTH'];
  const body = r.realized.map((x) => [LEVER_NAMES[x.lever] ?? x.lever, usd(x.saved_usd), usd(x.monthly_usd)]);
  out.push('', ...alignedTable(header, body));
  return `${out.join('\n')}\n`;
}
