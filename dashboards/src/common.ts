/** Variables, table names and SQL fragments shared by the burnrate dashboards. */
import type { VariableSpec } from './grafana.ts';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template variable syntax, not a JS template
export const DB = '${database}';
/** Minute rollup (SummingMergeTree): always aggregate with sum() and GROUP BY. */
export const ROLLUP = `${DB}.genai_spend_1m`;
/** One row per GenAI span: percentiles, sessions, cache kinds, traces. */
export const SPEND = `${DB}.genai_spend`;
export const BUDGET_STATE = `${DB}.budget_state`;
export const BUDGET_ALERTS = `${DB}.budget_alerts`;
/** Savings-advisor snapshots (the collector refreshes them; `burnrate advise` computes any window). */
export const ADVICE = `${DB}.savings_advice`;
export const TRACES = `${DB}.otel_traces`;
export const TRACE_ID_TS = `${DB}.otel_traces_trace_id_ts`;

/** The attribution filters every spend panel applies; all four are rollup dimensions. */
export const FILTER_VARS = [
  { name: 'service', column: 'service_name', label: 'Service' },
  { name: 'feature', column: 'feature', label: 'Feature' },
  { name: 'model', column: 'model', label: 'Model' },
  { name: 'tenant', column: 'tenant', label: 'Tenant' },
] as const;

function conditional(column: string, name: string): string {
  return `$__conditionalAll(${column} IN (\${${name}:singlequote}), $${name})`;
}

/** `WHERE` conditions: the dashboard time range on `timeColumn` plus the attribution variables. */
export function filters(timeColumn: 'minute' | 'timestamp'): string {
  return [`$__timeFilter(${timeColumn})`, ...FILTER_VARS.map((v) => conditional(v.column, v.name))].join(
    '\n  AND ',
  );
}

/** An empty attribution value shown as a label rather than a blank cell. */
export function label(column: string): string {
  return `if(${column} = '', '(none)', ${column})`;
}

export const datasourceVar: VariableSpec = { kind: 'datasource' };

export const databaseVar: VariableSpec = {
  kind: 'constant',
  name: 'database',
  label: 'Database',
  value: 'burnrate',
  description:
    'ClickHouse database burnrate writes to (BURNRATE_CLICKHOUSE_DATABASE). Change it in the dashboard settings.',
};

export const jaegerVar: VariableSpec = {
  kind: 'textbox',
  name: 'jaeger_url',
  label: 'Jaeger UI',
  value: 'http://localhost:16686',
  description: 'Base URL of the Jaeger UI, for the "Open in Jaeger" links on trace ids.',
};

/** The service/feature/model/tenant variables; each narrows the ones after it. */
export function attributionVars(): VariableSpec[] {
  const out: VariableSpec[] = [];
  FILTER_VARS.forEach((v, i) => {
    const narrowing = FILTER_VARS.slice(0, i).map((p) => conditional(p.column, p.name));
    const where = [`$__timeFilter(minute)`, `${v.column} != ''`, ...narrowing].join(' AND ');
    out.push({
      kind: 'query',
      name: v.name,
      label: v.label,
      description: `${v.label}s with GenAI spans in the time range`,
      sql: `SELECT DISTINCT ${v.column} FROM ${ROLLUP} WHERE ${where} ORDER BY ${v.column}`,
    });
  });
  return out;
}

/** Every spend dashboard's variables. */
export function standardVars(extra: VariableSpec[] = []): VariableSpec[] {
  return [datasourceVar, databaseVar, ...attributionVars(), ...extra];
}

/** Link from a trace id cell to the burnrate trace dashboard (ClickHouse trace view) and to Jaeger. */
export function traceLinks(field: string) {
  return {
    field,
    links: [
      {
        title: 'Trace view (Grafana, ClickHouse)',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template variable syntax, not a JS template
        url: '/d/burnrate-trace/burnrate-trace?var-trace_id=${__value.raw}&var-datasource=${datasource}&var-database=${database}&${__url_time_range}',
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template variable syntax, not a JS template
      { title: 'Open in Jaeger', url: '${jaeger_url}/trace/${__value.raw}', targetBlank: true },
    ],
  };
}
