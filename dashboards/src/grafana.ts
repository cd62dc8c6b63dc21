/**
 * A small builder for Grafana dashboards on the grafana-clickhouse-datasource plugin. Dashboards are
 * written in TypeScript (one module per dashboard) and generated to JSON (`pnpm --filter
 * @burnrate/dashboards generate`); the JSON is committed and provisioned into Grafana.
 */

export const PLUGIN_ID = 'grafana-clickhouse-datasource';
/** uid of the provisioned ClickHouse datasource (provisioning/datasources/burnrate.yaml). */
export const DATASOURCE_UID = 'burnrate-clickhouse';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana template variable syntax, not a JS template
export const DS = { type: PLUGIN_ID, uid: '${datasource}' } as const;

/** The plugin's query formats (`format` on a target). */
export const Format = { timeSeries: 0, table: 1, logs: 2, trace: 3 } as const;
export type FormatName = keyof typeof Format;

const QUERY_TYPE: Record<FormatName, string> = {
  timeSeries: 'timeseries',
  table: 'table',
  logs: 'logs',
  trace: 'traces',
};

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface FieldOverride {
  /** Result column the override applies to (a `byName` matcher). */
  field: string;
  unit?: string;
  displayName?: string;
  links?: { title: string; url: string; targetBlank?: boolean }[];
  /** Colour text by value (e.g. budget state). */
  colors?: Record<string, string>;
  /** Show the value as a gauge cell (percent columns). */
  gauge?: { max: number };
}

export interface PanelSpec {
  title: string;
  description: string;
  type: 'timeseries' | 'stat' | 'table' | 'barchart' | 'piechart' | 'bargauge' | 'traces';
  format: FormatName;
  sql: string;
  /** Width (of 24) and height in grid units. */
  w: number;
  h: number;
  unit?: string;
  decimals?: number;
  /** Stacked bars/areas for time series. */
  stacked?: boolean;
  /** Thresholds for stat / bar gauge colouring: [[value, colour], ...], first value null. */
  thresholds?: [number | null, string][];
  max?: number;
  overrides?: FieldOverride[];
  /** Bar chart x axis / pie chart label field. */
  xField?: string;
}

export interface RowSpec {
  row: string;
}

export type VariableSpec =
  | { kind: 'datasource' }
  | { kind: 'constant'; name: string; label: string; value: string; description: string }
  | { kind: 'textbox'; name: string; label: string; value: string; description: string }
  | {
      kind: 'query';
      name: string;
      label: string;
      sql: string;
      description: string;
    };

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  time?: { from: string; to: string };
  variables: VariableSpec[];
  items: (PanelSpec | RowSpec)[];
}

function target(format: FormatName, sql: string): JsonObject {
  return {
    datasource: { ...DS },
    editorType: 'sql',
    format: Format[format],
    queryType: QUERY_TYPE[format],
    rawSql: sql,
    refId: 'A',
  };
}

function overrideJson(o: FieldOverride): JsonObject {
  const properties: JsonObject[] = [];
  if (o.unit) properties.push({ id: 'unit', value: o.unit });
  if (o.displayName) properties.push({ id: 'displayName', value: o.displayName });
  if (o.links)
    properties.push({
      id: 'links',
      value: o.links.map((l) => ({ title: l.title, url: l.url, targetBlank: l.targetBlank ?? false })),
    });
  if (o.colors) {
    properties.push({ id: 'custom.cellOptions', value: { type: 'color-text' } });
    const options: JsonObject = {};
    Object.entries(o.colors).forEach(([value, color], index) => {
      options[value] = { color, index, text: value };
    });
    properties.push({ id: 'mappings', value: [{ type: 'value', options }] });
  }
  if (o.gauge) {
    properties.push({
      id: 'custom.cellOptions',
      value: { type: 'gauge', mode: 'basic', valueDisplayMode: 'text' },
    });
    properties.push({ id: 'min', value: 0 });
    properties.push({ id: 'max', value: o.gauge.max });
  }
  return { matcher: { id: 'byName', options: o.field }, properties };
}

function thresholdsJson(steps: [number | null, string][] | undefined): JsonObject {
  const s = steps ?? [
    [null, 'green'],
    [80, 'red'],
  ];
  return { mode: 'absolute', steps: s.map(([value, color]) => ({ color, value })) };
}

function panelJson(p: PanelSpec, id: number, gridPos: JsonObject): JsonObject {
  const defaults: JsonObject = { thresholds: thresholdsJson(p.thresholds) };
  if (p.unit) defaults['unit'] = p.unit;
  if (p.decimals !== undefined) defaults['decimals'] = p.decimals;
  if (p.max !== undefined) {
    defaults['min'] = 0;
    defaults['max'] = p.max;
  }
  let options: JsonObject = {};
  switch (p.type) {
    case 'timeseries':
      defaults['color'] = { mode: 'palette-classic' };
      defaults['custom'] = {
        drawStyle: p.stacked ? 'bars' : 'line',
        fillOpacity: p.stacked ? 80 : 10,
        lineWidth: p.stacked ? 0 : 2,
        showPoints: 'never',
        spanNulls: true,
        stacking: { group: 'A', mode: p.stacked ? 'normal' : 'none' },
      };
      options = {
        legend: { displayMode: 'table', placement: 'right', showLegend: true, calcs: ['sum'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
      break;
    case 'stat':
      defaults['color'] = { mode: p.thresholds ? 'thresholds' : 'fixed', fixedColor: 'blue' };
      options = {
        colorMode: 'value',
        graphMode: 'none',
        justifyMode: 'auto',
        textMode: 'auto',
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      };
      break;
    case 'table':
      defaults['custom'] = { align: 'auto', cellOptions: { type: 'auto' }, filterable: true };
      defaults['mappings'] = [
        { type: 'special', options: { match: 'empty', result: { text: '(none)', index: 0 } } },
      ];
      options = { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } };
      break;
    case 'barchart':
      defaults['color'] = { mode: 'palette-classic' };
      options = {
        orientation: 'horizontal',
        xField: p.xField ?? '',
        showValue: 'auto',
        stacking: p.stacked ? 'normal' : 'none',
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
      break;
    case 'piechart':
      defaults['color'] = { mode: 'palette-classic' };
      options = {
        pieType: 'donut',
        displayLabels: ['name', 'percent'],
        legend: { displayMode: 'table', placement: 'right', showLegend: true, values: ['value', 'percent'] },
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: true },
        tooltip: { mode: 'single', sort: 'none' },
      };
      break;
    case 'bargauge':
      defaults['color'] = { mode: 'thresholds' };
      options = {
        displayMode: 'gradient',
        orientation: 'horizontal',
        showUnfilled: true,
        valueMode: 'color',
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: true },
      };
      break;
    case 'traces':
      break;
  }
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.description,
    datasource: { ...DS },
    gridPos,
    fieldConfig: { defaults, overrides: (p.overrides ?? []).map(overrideJson) },
    options,
    targets: [target(p.format, p.sql)],
  };
}

function variableJson(v: VariableSpec): JsonObject {
  switch (v.kind) {
    case 'datasource':
      return {
        name: 'datasource',
        label: 'ClickHouse',
        type: 'datasource',
        query: PLUGIN_ID,
        current: { selected: true, text: 'burnrate ClickHouse', value: DATASOURCE_UID },
        hide: 0,
        includeAll: false,
        multi: false,
        options: [],
        refresh: 1,
        regex: '',
        skipUrlSync: false,
      };
    case 'constant':
    case 'textbox':
      return {
        name: v.name,
        label: v.label,
        description: v.description,
        type: v.kind === 'constant' ? 'custom' : 'textbox',
        query: v.value,
        current: { selected: true, text: v.value, value: v.value },
        options: [{ selected: true, text: v.value, value: v.value }],
        hide: v.kind === 'constant' ? 2 : 0,
        skipUrlSync: false,
      };
    case 'query':
      return {
        name: v.name,
        label: v.label,
        description: v.description,
        type: 'query',
        datasource: { ...DS },
        definition: v.sql,
        query: { editorType: 'sql', rawSql: v.sql, format: Format.table },
        current: { selected: true, text: ['All'], value: ['$__all'] },
        includeAll: true,
        multi: true,
        allValue: null,
        options: [],
        refresh: 2,
        regex: '',
        sort: 1,
        hide: 0,
        skipUrlSync: false,
      };
  }
}

/** Lays panels out left to right, wrapping at 24 columns; a row starts a new line. */
export function dashboard(spec: DashboardSpec): JsonObject {
  const panels: JsonObject[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  let id = 1;
  for (const item of spec.items) {
    if ('row' in item) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
      panels.push({
        id: id++,
        type: 'row',
        title: item.row,
        collapsed: false,
        gridPos: { h: 1, w: 24, x: 0, y },
        panels: [],
      });
      y += 1;
      continue;
    }
    if (x + item.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    panels.push(panelJson(item, id++, { h: item.h, w: item.w, x, y }));
    x += item.w;
    lineHeight = Math.max(lineHeight, item.h);
  }
  return {
    __requires: [
      { type: 'grafana', id: 'grafana', name: 'Grafana', version: '11.0.0' },
      { type: 'datasource', id: PLUGIN_ID, name: 'ClickHouse', version: '4.0.0' },
    ],
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    graphTooltip: 1,
    id: null,
    schemaVersion: 39,
    version: 1,
    time: spec.time ?? { from: 'now-24h', to: 'now' },
    timepicker: {},
    timezone: '',
    refresh: '1m',
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      {
        title: 'burnrate',
        type: 'dashboards',
        tags: ['burnrate'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
      },
    ],
    templating: { list: spec.variables.map(variableJson) },
    panels,
  };
}
