/**
 * Tells a batch ClickHouse refused for its data (a value it cannot parse or store: the same rows fail
 * every time) from an insert that failed because ClickHouse is unavailable, overloaded or misconfigured
 * (worth retrying, and spooling meanwhile). Only the first kind may be split up and set aside.
 */
import type { Batch } from './batch.js';

/** ClickHouse error names (`ClickHouseError.type`) that blame the rows themselves. */
const DATA_ERRORS = new Set([
  'TYPE_MISMATCH',
  'INCORRECT_DATA',
  'ARGUMENT_OUT_OF_BOUND',
  'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  'TOO_LARGE_STRING_SIZE',
  'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  'DECIMAL_OVERFLOW',
  'CANNOT_CONVERT_TYPE',
  'CANNOT_READ_ARRAY_FROM_TEXT',
  'CANNOT_READ_MAP_FROM_TEXT',
  'INCORRECT_UTF8',
]);

export function refusedForData(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return false;
  return type.startsWith('CANNOT_PARSE') || DATA_ERRORS.has(type);
}

/** Rows in a batch (trace rows and spend rows). */
export function batchRows(batch: Batch): number {
  return batch.traces.length + batch.spend.length;
}

/**
 * The two halves of a batch, by row count across both tables, with ids derived from the batch's: the
 * same batch always splits the same way, so a split replayed after a crash reuses the deduplication
 * tokens of its parts and never stores a row twice.
 */
export function halves(batch: Batch): [Batch, Batch] {
  const mid = Math.ceil(batchRows(batch) / 2);
  const t = Math.min(mid, batch.traces.length);
  const s = mid - t;
  return [
    { id: `${batch.id}-0`, traces: batch.traces.slice(0, t), spend: batch.spend.slice(0, s) },
    { id: `${batch.id}-1`, traces: batch.traces.slice(t), spend: batch.spend.slice(s) },
  ];
}
