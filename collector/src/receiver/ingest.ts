/** The receive pipeline shared by OTLP/HTTP and OTLP/gRPC: normalize, price, write durably, forward. */
import type { Pricer } from '@burnrate/core';
import type { Forwarder } from '../forward/forwarder.js';
import { M, type Metrics } from '../metrics.js';
import type { DecodedRequest } from '../model.js';
import { normalizeSpan } from '../normalize/index.js';
import { QueueFullError, type Writer } from '../store/writer.js';

export interface IngestResult {
  accepted: number;
  rejected: number;
  /** Partial-success message when spans were rejected. */
  message: string;
}

export class Ingest {
  constructor(
    private readonly writer: Writer,
    private readonly pricer: Pricer,
    private readonly metrics: Metrics,
    private readonly forwarder?: Forwarder | undefined,
    /** Called once spans are durable (the budget engine re-evaluates soon after). */
    private readonly onStored?: (() => void) | undefined,
  ) {}

  /** Resolves once the spans are durable (ClickHouse or spool); throws QueueFullError/StorageUnavailableError. */
  async ingest(decoded: DecodedRequest): Promise<IngestResult> {
    const n = decoded.spans.length;
    this.metrics.inc(M.received, n + decoded.rejected);
    if (decoded.rejected) this.metrics.inc(M.rejected, decoded.rejected);
    if (n > 0 && this.writer.depth + n > this.writer.capacity) {
      this.metrics.inc(M.rejected, n);
      throw new QueueFullError(this.writer.storageHealthy ? 1 : 5);
    }
    const rows = decoded.spans.map((s) => normalizeSpan(s, this.pricer));
    // Only what is needed after the write is kept across it: while requests wait for their batch, the
    // decoded span model (several times the size of the rows) is not retained unless it is forwarded.
    const { rejected, rejectReasons } = decoded;
    const forward = this.forwarder ? decoded.spans : undefined;
    try {
      await this.writer.submit(rows);
    } catch (err) {
      if (err instanceof QueueFullError) this.metrics.inc(M.rejected, n);
      throw err;
    }
    if (forward) this.forwarder?.enqueue(forward);
    if (n > 0) this.onStored?.();
    return {
      accepted: n,
      rejected,
      message: rejected ? `${rejected} span(s) rejected: ${rejectReasons.join('; ')}` : '',
    };
  }
}
