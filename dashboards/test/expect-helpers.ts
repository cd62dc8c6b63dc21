/** Independent aggregation over seed rows and tolerant row comparison for the dashboard tests. */
import { expect } from 'vitest';

export type Row = Record<string, unknown>;
export type Value = string | number | boolean | null | string[];

export const sum = <T>(xs: T[], f: (x: T) => number): number => xs.reduce((a, x) => a + f(x), 0);
export const count = <T>(xs: T[], f: (x: T) => boolean): number => xs.filter(f).length;
export const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
export const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
export const noneLabel = (s: string) => (s === '' ? '(none)' : s);

/** ClickHouse `quantileExact(level)`: the element at floor(level * n) of the sorted values. */
export function quantileExact(values: number[], level: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(level * sorted.length))]!;
}

/** Groups items by the key columns `keys` returns, then computes `values` per group. */
export function groupRows<T>(
  items: T[],
  keys: (x: T) => Record<string, string | number>,
  values: Record<string, (group: T[]) => Value>,
): Row[] {
  const groups = new Map<string, { key: Record<string, string | number>; items: T[] }>();
  for (const x of items) {
    const key = keys(x);
    const id = JSON.stringify(key);
    const g = groups.get(id) ?? { key, items: [] };
    g.items.push(x);
    groups.set(id, g);
  }
  return [...groups.values()].map((g) => {
    const row: Row = { ...g.key };
    for (const [name, f] of Object.entries(values)) row[name] = f(g.items);
    return row;
  });
}

type SortKey = [column: string, direction: 'asc' | 'desc'];

export function sortRows(rows: Row[], by: SortKey[]): Row[] {
  return [...rows].sort((a, b) => {
    for (const [col, dir] of by) {
      const x = a[col] as string | number;
      const y = b[col] as string | number;
      if (x === y) continue;
      const c = x < y ? -1 : 1;
      return dir === 'asc' ? c : -c;
    }
    return 0;
  });
}

const TOLERANCE = 1e-9;

export function expectValue(actual: unknown, expected: Value | undefined, what: string): void {
  if (expected === null || expected === undefined) {
    expect(actual ?? null, what).toBeNull();
  } else if (typeof expected === 'number') {
    expect(actual, what).not.toBeNull();
    const a = Number(actual);
    expect(Number.isFinite(a), `${what}: ${String(actual)} is a number`).toBe(true);
    expect(Math.abs(a - expected), `${what}: ${a} vs expected ${expected}`).toBeLessThanOrEqual(
      TOLERANCE * Math.max(1, Math.abs(expected)),
    );
  } else if (Array.isArray(expected)) {
    expect([...(actual as string[])].sort(), what).toEqual([...expected].sort());
  } else if (typeof expected === 'boolean') {
    expect(Boolean(actual), what).toBe(expected);
  } else {
    expect(String(actual), what).toBe(expected);
  }
}

/** Actual rows equal expected rows, in order, on every column the expected rows name. */
export function expectRows(actual: Row[], expected: Row[], what: string): void {
  expect(
    actual.length,
    `${what}: row count\nactual: ${JSON.stringify(actual.slice(0, 5))}\nexpected: ${JSON.stringify(expected.slice(0, 5))}`,
  ).toBe(expected.length);
  expected.forEach((e, i) => {
    for (const [col, v] of Object.entries(e))
      expectValue(actual[i]![col], v as Value, `${what}: row ${i} ${col}`);
  });
}
