import type { SpendRow, TraceRow } from '../normalize/index.js';

/** A unit of writing: its id derives the insert deduplication tokens, so a replay is idempotent. */
export interface Batch {
  id: string;
  traces: TraceRow[];
  spend: SpendRow[];
}

/** Where batches go: ClickHouse in production, a fake in tests. Must be idempotent per batch id. */
export interface BatchSink {
  insertBatch(batch: Batch): Promise<void>;
}
