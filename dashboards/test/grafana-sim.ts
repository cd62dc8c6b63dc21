/**
 * Turns a panel's rawSql into the SQL ClickHouse receives, the way Grafana and the
 * grafana-clickhouse-datasource plugin do it, in the same order:
 *   1. the plugin front end expands `$__conditionalAll(condition, $var)` to `1=1` when the variable
 *      is All (or empty) and to `condition` otherwise;
 *   2. Grafana's template service replaces `$var`, `${var}` and `${var:format}`: multi-value and All
 *      values go through the plugin's formatter (`'a','b'`) or the named format (`singlequote`, `csv`,
 *      `raw`); All without a custom all value means every option;
 *   3. the plugin back end (sqlds) expands its macros: `$__timeFilter(c)` -> `c >= toDateTime(from)
 *      AND c <= toDateTime(to)`, `$__timeInterval(c)` -> `toStartOfInterval(toDateTime(c), INTERVAL n
 *      second)`, `$__fromTime`/`$__toTime` -> `toDateTime(s)`, the `_ms` forms with
 *      `fromUnixTimestamp64Milli(ms)`, `$__dateFilter`, `$__dateTimeFilter`/`$__dt`, `$__interval_s`.
 * Unknown `$__` macros throw, as the plugin rejects them.
 */

export interface SimVariable {
  /** Selected value(s): `'$__all'` / `['$__all']` for All. */
  current: string | string[];
  /** Option values (what All stands for when the variable has no custom all value). */
  options?: string[];
  allValue?: string | null;
}

export interface SimContext {
  fromMs: number;
  toMs: number;
  /** Grafana's computed query interval, in seconds. */
  intervalSeconds: number;
  variables: Record<string, SimVariable>;
}

/** The plugin's macro argument splitter: top-level commas inside the first balanced parentheses. */
function macroArgs(query: string, argsIndex: number): string[] {
  const args: string[] = [];
  const re = /\(|\)|,/g;
  let depth = 0;
  let lastArgEnd = 1;
  const sub = query.substring(argsIndex);
  for (let m = re.exec(sub); m !== null; m = re.exec(sub)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth--;
    if (m[0] === ',' && depth === 1) {
      args.push(sub.substring(lastArgEnd, re.lastIndex - 1));
      lastArgEnd = re.lastIndex;
    }
    if (depth === 0) {
      args.push(sub.substring(lastArgEnd, re.lastIndex - 1));
      return args;
    }
  }
  return [];
}

function isAll(v: SimVariable | undefined): boolean {
  if (!v) return false;
  const s = Array.isArray(v.current) ? v.current.join(',') : v.current;
  return s === '' || s === '$__all';
}

export function applyConditionalAll(sql: string, vars: Record<string, SimVariable>): string {
  const macro = '$__conditionalAll(';
  let out = sql;
  let index = out.lastIndexOf(macro);
  while (index !== -1) {
    const params = macroArgs(out, index + macro.length - 1);
    if (params.length !== 2)
      throw new Error(`$__conditionalAll needs 2 arguments: ${out.slice(index, index + 80)}`);
    const name = /(?<=\$\{)\w+(?=\})|(?<=\$\{)\w+(?=:)|(?<=\$)\w+/.exec(params[1]!.trim())?.[0];
    let phrase = params[0]!;
    if (name !== undefined && isAll(vars[name])) phrase = '1=1';
    out = out.replace(`${macro}${params[0]},${params[1]})`, phrase);
    index = out.lastIndexOf(macro);
  }
  return out;
}

const singleQuote = (s: string) => `'${s.replace(/'/g, "\\'")}'`;

function formatValue(value: string | string[], format: string | undefined): string {
  switch (format) {
    case undefined:
      // the plugin's formatter: arrays become a quoted list, scalars go in as they are
      return Array.isArray(value) ? `'${value.join("','")}'` : value;
    case 'singlequote':
      return Array.isArray(value) ? value.map(singleQuote).join(',') : singleQuote(value);
    case 'csv':
      return Array.isArray(value) ? value.join(',') : value;
    case 'raw':
      return Array.isArray(value) ? value.join(',') : value;
    default:
      throw new Error(`unsupported variable format :${format}`);
  }
}

export function interpolate(sql: string, vars: Record<string, SimVariable>): string {
  const re = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;
  return sql.replace(re, (match, plain, bracket, bracketFmt, braced, bracedFmt) => {
    const name: string = plain ?? bracket ?? braced;
    const format: string | undefined = bracketFmt ?? bracedFmt;
    const v = vars[name];
    if (!v) return match; // not a variable (e.g. a $__ macro): left for the back end
    if (isAll(v)) {
      if (v.allValue) return v.allValue;
      return formatValue(v.options ?? [], format);
    }
    return formatValue(v.current, format);
  });
}

const dateTime = (ms: number) => `toDateTime(${Math.floor(ms / 1000)})`;
const dateTime64 = (ms: number) => `fromUnixTimestamp64Milli(${Math.floor(ms)})`;
const date = (ms: number) => `toDate('${new Date(ms).toISOString().slice(0, 10)}')`;

export function applyMacros(sql: string, ctx: SimContext): string {
  const interval = Math.max(Math.floor(ctx.intervalSeconds), 1);
  const { fromMs: from, toMs: to } = ctx;
  return sql.replace(/\$__(\w+)\b(?:\(([^()]*)\))?/g, (match, name: string, rawArgs: string | undefined) => {
    const args = rawArgs === undefined ? [] : rawArgs.split(',').map((a) => a.trim());
    const need = (n: number) => {
      if (args.length !== n) throw new Error(`${match}: expected ${n} argument(s), got ${args.length}`);
    };
    switch (name) {
      case 'fromTime':
        return dateTime(from);
      case 'toTime':
        return dateTime(to);
      case 'fromTime_ms':
        return dateTime64(from);
      case 'toTime_ms':
        return dateTime64(to);
      case 'timeFilter':
        need(1);
        return `${args[0]} >= ${dateTime(from)} AND ${args[0]} <= ${dateTime(to)}`;
      case 'timeFilter_ms':
        need(1);
        return `${args[0]} >= ${dateTime64(from)} AND ${args[0]} <= ${dateTime64(to)}`;
      case 'dateFilter':
        need(1);
        return `${args[0]} >= ${date(from)} AND ${args[0]} <= ${date(to)}`;
      case 'dateTimeFilter':
      case 'dt':
        need(2);
        return `(${args[0]} >= ${date(from)} AND ${args[0]} <= ${date(to)}) AND (${args[1]} >= ${dateTime(from)} AND ${args[1]} <= ${dateTime(to)})`;
      case 'timeInterval':
        need(1);
        return `toStartOfInterval(toDateTime(${args[0]}), INTERVAL ${interval} second)`;
      case 'timeInterval_ms':
        need(1);
        return `toStartOfInterval(toDateTime64(${args[0]}, 3), INTERVAL ${interval * 1000} millisecond)`;
      case 'interval_s':
        return String(interval);
      default:
        throw new Error(`unknown macro ${match}`);
    }
  });
}

/** The SQL the plugin sends to ClickHouse for a panel's rawSql. */
export function expand(sql: string, ctx: SimContext): string {
  const out = applyMacros(interpolate(applyConditionalAll(sql, ctx.variables), ctx.variables), ctx);
  if (/\$\{?\w/.test(out)) throw new Error(`unexpanded variable or macro left in:\n${out}`);
  return out;
}
