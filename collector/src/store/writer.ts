/**
 * The writer: batches normalized spans by size and time, inserts them into ClickHouse with retries and
 * backoff, and spools a batch to disk when ClickHouse stays unreachable. `submit()` resolves only once
 * the spans are in ClickHouse or in the spool (durable acknowledgement), and refuses at once when the
 * bounded queue is full, so the receiver can answer 429/503 with Retry-After.
 *
 * While ClickHouse is down the writer goes straight to the spool (no per-batch retry delay) and a
 * replayer probes ClickHouse, replaying spooled batches oldest first once it answers again.
 *
 * A batch ClickHouse refuses for its data (not for being down) is split until the refused rows are
 * alone; those are kept in the spool's `bad/` folder with the error, the rest is stored.
 */
import { randomUUID } from 'node:crypto';
import { type Logger, noopLogger } from '../log.js';
import { M, type Metrics } from '../metrics.js';
import type { NormalizedSpan } from '../normalize/index.js';
import type { Batch, BatchSink } from './batch.js';
import { batchRows, halves, refusedForData } from './refusal.js';
import { type Spool, SpoolFullError } from './spool.js';

export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(readonly retryAfterSeconds: number) {
    super('ingest queue is full');
  }
}

export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface WriterOptions {
  sink: BatchSink;
  spool?: Spool | undefined;
  metrics: Metrics;
  log?: Logger | undefined;
  /** Flush when this many spans are waiting. */
  maxBatchSpans: number;
  /** Flush at the latest this long after the first waiting span. */
  flushIntervalMs: number;
  /** Spans waiting or being written; beyond this `submit` refuses with QueueFullError. */
  maxQueueSpans: number;
  /** Insert attempts per batch before it is spooled. */
  insertAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the replayer probes ClickHouse while spooled batches wait (grows with backoff up to x8). */
  replayIntervalMs: number;
  /** Concurrent inserts. */
  concurrency: number;
}

interface Pending {
  rows: NormalizedSpan[];
  resolve: () => void;
  reject: (err: Error) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export class Writer {
  private queue: Pending[] = [];
  private queuedSpans = 0;
  private inFlightSpans = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private healthy = true;
  private replaying: Promise<void> | undefined;
  private replayTimer: NodeJS.Timeout | undefined;
  private replayBackoff = 1;
  private closed = false;
  private readonly log: Logger;
  private readonly idle = new Set<() => void>();

  constructor(private readonly o: WriterOptions) {
    this.log = o.log ?? noopLogger;
    o.metrics.gauge(M.queueDepth, 'Spans waiting to be written.', () => this.depth);
    o.metrics.gauge(M.spoolBytes, 'Bytes in the on-disk spool.', () => o.spool?.sizeBytes ?? 0);
    o.metrics.gauge(M.spoolFiles, 'Batches in the on-disk spool.', () => o.spool?.count ?? 0);
    if (o.spool && o.spool.count > 0) {
      this.healthy = false;
      this.scheduleReplay(0);
    }
  }

  /** Spans accepted but not yet durable. */
  get depth(): number {
    return this.queuedSpans + this.inFlightSpans;
  }

  /** Most spans that may wait or be in flight. */
  get capacity(): number {
    return this.o.maxQueueSpans;
  }

  /** True while ClickHouse answers (false during an outage, when batches go to the spool). */
  get storageHealthy(): boolean {
    return this.healthy;
  }

  /** Resolves once `rows` are in ClickHouse or the spool. */
  submit(rows: NormalizedSpan[]): Promise<void> {
    if (this.closed) return Promise.reject(new StorageUnavailableError('collector is shutting down', 5));
    if (rows.length === 0) return Promise.resolve();
    if (this.depth + rows.length > this.o.maxQueueSpans) {
      return Promise.reject(new QueueFullError(this.healthy ? 1 : 5));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      this.queuedSpans += rows.length;
      if (this.queuedSpans >= this.o.maxBatchSpans) this.pump();
      else if (!this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump(true);
        }, this.o.flushIntervalMs);
      }
    });
  }

  private pump(force = false): void {
    while (
      this.inFlight < this.o.concurrency &&
      this.queue.length > 0 &&
      (force || this.queuedSpans >= this.o.maxBatchSpans)
    ) {
      const take: Pending[] = [];
      let n = 0;
      while (this.queue.length > 0 && (n === 0 || n + this.queue[0]!.rows.length <= this.o.maxBatchSpans)) {
        const p = this.queue.shift()!;
        take.push(p);
        n += p.rows.length;
      }
      this.queuedSpans -= n;
      this.inFlightSpans += n;
      this.inFlight++;
      this.flush(take, n).finally(() => {
        this.inFlight--;
        this.inFlightSpans -= n;
        if (this.queue.length > 0) {
          if (this.queuedSpans >= this.o.maxBatchSpans) this.pump();
          else if (!this.timer) {
            this.timer = setTimeout(() => {
              this.timer = undefined;
              this.pump(true);
            }, this.o.flushIntervalMs);
          }
        }
        if (this.depth === 0) for (const fn of this.idle) fn();
      });
    }
  }

  private async flush(take: Pending[], spans: number): Promise<void> {
    const batch: Batch = { id: randomUUID(), traces: [], spend: [] };
    for (const p of take) {
      for (const r of p.rows) {
        batch.traces.push(r.trace);
        if (r.spend) batch.spend.push(r.spend);
      }
    }
    try {
      await this.store(batch);
      for (const p of take) p.resolve();
    } catch (err) {
      this.o.metrics.inc(M.rejected, spans);
      for (const p of take) p.reject(err as Error);
    }
  }

  /** ClickHouse (with retries) or, failing that, the spool. */
  private async store(batch: Batch): Promise<void> {
    // Healthy, or unhealthy with nothing spooled (no replay to wait for): try ClickHouse first.
    if (this.healthy || !this.o.spool || this.o.spool.count === 0) {
      let err = await this.insertWithRetry(batch);
      if (err && refusedForData(err) && this.o.spool) err = await this.setAsideRefused(batch, err);
      if (!err) {
        this.healthy = true;
        return;
      }
      this.markUnhealthy(err);
    }
    if (!this.o.spool) {
      throw new StorageUnavailableError('ClickHouse is unavailable and no spool is configured', 5);
    }
    try {
      await this.o.spool.write(batch);
    } catch (err) {
      const msg =
        err instanceof SpoolFullError ? err.message : `spool write failed: ${(err as Error).message}`;
      this.log.error(`cannot spool batch ${batch.id}: ${msg}`);
      throw new StorageUnavailableError(`ClickHouse is unavailable and ${msg}`, 10);
    }
    this.o.metrics.inc(M.spooled, batch.traces.length);
    this.scheduleReplay(this.o.replayIntervalMs);
  }

  private async insertOnce(batch: Batch): Promise<void> {
    const started = performance.now();
    await this.o.sink.insertBatch(batch);
    this.o.metrics.observe(M.insertLatency, (performance.now() - started) / 1000);
    this.o.metrics.inc(M.written, batch.traces.length);
    this.o.metrics.inc(M.spendRows, batch.spend.length);
  }

  private async insertWithRetry(batch: Batch): Promise<Error | undefined> {
    let lastErr: Error | undefined;
    for (let attempt = 0; attempt < this.o.insertAttempts; attempt++) {
      if (attempt > 0) {
        const backoff = Math.min(this.o.retryMaxMs, this.o.retryBaseMs * 2 ** (attempt - 1));
        await sleep(backoff * (0.5 + Math.random() / 2));
      }
      try {
        await this.insertOnce(batch);
        return undefined;
      } catch (err) {
        lastErr = err as Error;
        this.o.metrics.inc(M.insertErrors);
        this.log.warn(`insert of batch ${batch.id} failed (attempt ${attempt + 1}): ${lastErr.message}`);
        // The same rows are refused every time: no point waiting to try again.
        if (refusedForData(err)) break;
      }
    }
    return lastErr;
  }

  /**
   * Stores what ClickHouse accepts of a batch it refused for its data: halves are inserted in turn, a
   * refused half is split again, and a single refused row goes to the spool's `bad/` folder with the
   * error (kept for inspection, counted in burnrate_spans_refused_total). Returns an error only when
   * ClickHouse failed otherwise meanwhile (unavailable): the whole batch is then spooled, and its replay
   * splits the same way with the same deduplication tokens, so nothing is stored twice.
   */
  private async setAsideRefused(batch: Batch, refused: Error): Promise<Error | undefined> {
    if (batchRows(batch) <= 1) {
      await this.o.spool!.reject(batch, refused.message);
      this.o.metrics.inc(M.refused, Math.max(batch.traces.length, 1));
      this.log.error(
        `ClickHouse refused a row of batch ${batch.id}; kept in ${this.o.spool!.dir}/bad: ${refused.message.split('\n')[0]}`,
      );
      return undefined;
    }
    for (const half of halves(batch)) {
      try {
        await this.insertOnce(half);
      } catch (err) {
        if (!refusedForData(err)) return err as Error;
        const failed = await this.setAsideRefused(half, err as Error);
        if (failed) return failed;
      }
    }
    return undefined;
  }

  private markUnhealthy(err: Error): void {
    if (this.healthy) this.log.error(`ClickHouse unavailable, spooling to disk: ${err.message}`);
    this.healthy = false;
  }

  private scheduleReplay(delayMs: number): void {
    if (this.closed || this.replayTimer || this.replaying) return;
    this.replayTimer = setTimeout(() => {
      this.replayTimer = undefined;
      this.replaying = this.replay().then(
        (again) => {
          this.replaying = undefined;
          if (again) this.scheduleReplay(this.o.replayIntervalMs * this.replayBackoff);
        },
        (err: Error) => {
          this.replaying = undefined;
          this.log.error(`spool replay failed: ${err.message}`);
          this.scheduleReplay(this.o.replayIntervalMs * this.replayBackoff);
        },
      );
    }, delayMs);
    this.replayTimer.unref();
  }

  /**
   * Replays spooled batches oldest first; stops at the first failure. Returns true when another pass is
   * needed (a failure, or batches spooled meanwhile).
   */
  async replay(): Promise<boolean> {
    const spool = this.o.spool;
    if (!spool) return false;
    for (const entry of spool.list()) {
      if (this.closed) return false;
      let batch: Batch;
      try {
        batch = await spool.read(entry);
      } catch (err) {
        this.log.error(`spool file ${entry.file} is unreadable, moved to bad/: ${(err as Error).message}`);
        await spool.quarantine(entry);
        continue;
      }
      try {
        await this.insertOnce(batch);
      } catch (first) {
        const err = refusedForData(first)
          ? await this.setAsideRefused(batch, first as Error)
          : (first as Error);
        if (!err) {
          await spool.remove(entry);
          this.o.metrics.inc(M.replayed, batch.traces.length);
          continue;
        }
        this.o.metrics.inc(M.insertErrors);
        this.healthy = false;
        this.replayBackoff = Math.min(this.replayBackoff * 2, 8);
        this.log.warn(`replay of spooled batch ${batch.id} failed: ${(err as Error).message}`);
        return true;
      }
      await spool.remove(entry);
      this.o.metrics.inc(M.replayed, batch.traces.length);
      if (!this.healthy) {
        // ClickHouse answers again: new batches go to it at once (with backpressure), while the backlog
        // replays behind them. Waiting for the whole pass instead spooled everything that arrived
        // meanwhile, so under load the backlog grew long after ClickHouse was back.
        this.log.info(`ClickHouse is back; replaying ${spool.count} spooled batch(es)`);
        this.healthy = true;
        this.replayBackoff = 1;
      }
    }
    this.healthy = true;
    this.replayBackoff = 1;
    return spool.count > 0;
  }

  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.pump(true);
    }
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const fn = () => {
        if (this.queue.length > 0) this.pump(true);
        if (this.depth === 0) {
          this.idle.delete(fn);
          resolve();
        }
      };
      this.idle.add(fn);
    });
  }

  /** Flushes what is queued (to ClickHouse or the spool), then stops the replayer. */
  async close(): Promise<void> {
    await this.drain();
    this.closed = true;
    if (this.replayTimer) clearTimeout(this.replayTimer);
    await this.replaying;
  }
}
