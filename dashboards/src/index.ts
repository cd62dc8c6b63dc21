/** Every burnrate dashboard, and the JSON file each is generated to (dashboards/json/<file>). */
import { budgets } from './budgets.ts';
import { dataQuality } from './data-quality.ts';
import { type DashboardSpec, dashboard } from './grafana.ts';
import { llmSpend } from './llm-spend.ts';
import { savings } from './savings.ts';
import { tokensLatency } from './tokens-latency.ts';
import { trace } from './trace.ts';

export const DASHBOARDS: { file: string; spec: DashboardSpec }[] = [
  { file: 'llm-spend.json', spec: llmSpend },
  { file: 'savings.json', spec: savings },
  { file: 'budgets.json', spec: budgets },
  { file: 'tokens-latency.json', spec: tokensLatency },
  { file: 'data-quality.json', spec: dataQuality },
  { file: 'trace.json', spec: trace },
];

/** The exact text committed for a dashboard: 2-space JSON with a trailing newline. */
export function render(spec: DashboardSpec): string {
  return JSON.stringify(dashboard(spec), null, 2) + '\n';
}
