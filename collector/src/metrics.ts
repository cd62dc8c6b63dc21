/** A tiny Prometheus text-format registry: counters, gauges and latency histograms. */

type Labels = Record<string, string>;

function labelKey(labels: Labels | undefined): string {
  if (!labels) return '';
  const parts = Object.keys(labels)
    .sort()
    .map(
      (k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    );
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Map<string, number>;
  read?: () => number;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly histograms = new Map<string, { counts: number[]; sum: number; count: number }>();

  counter(name: string, help: string): void {
    if (!this.families.has(name)) this.families.set(name, { help, type: 'counter', values: new Map() });
  }

  /** A gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    this.families.set(name, { help, type: 'gauge', values: new Map(), read });
  }

  histogram(name: string, help: string): void {
    if (!this.families.has(name)) this.families.set(name, { help, type: 'histogram', values: new Map() });
    if (!this.histograms.has(name)) {
      this.histograms.set(name, { counts: BUCKETS.map(() => 0), sum: 0, count: 0 });
    }
  }

  inc(name: string, by = 1, labels?: Labels): void {
    const f = this.families.get(name);
    if (!f) throw new Error(`unknown metric ${name}`);
    const k = labelKey(labels);
    f.values.set(k, (f.values.get(k) ?? 0) + by);
  }

  observe(name: string, seconds: number): void {
    const h = this.histograms.get(name);
    if (!h) throw new Error(`unknown histogram ${name}`);
    h.sum += seconds;
    h.count++;
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
  }

  /** Current value of a counter (sum over labels when `labels` is omitted). */
  value(name: string, labels?: Labels): number {
    const f = this.families.get(name);
    if (!f) return 0;
    if (f.read) return f.read();
    if (labels) return f.values.get(labelKey(labels)) ?? 0;
    let total = 0;
    for (const v of f.values.values()) total += v;
    return total;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      if (f.type === 'histogram') {
        const h = this.histograms.get(name)!;
        BUCKETS.forEach((b, i) => {
          lines.push(`${name}_bucket{le="${b}"} ${h.counts[i]}`);
        });
        lines.push(
          `${name}_bucket{le="+Inf"} ${h.count}`,
          `${name}_sum ${h.sum}`,
          `${name}_count ${h.count}`,
        );
      } else if (f.read) {
        lines.push(`${name} ${f.read()}`);
      } else if (f.values.size === 0) {
        lines.push(`${name} 0`);
      } else {
        for (const [k, v] of f.values) lines.push(`${name}${k} ${v}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

export const M = {
  received: 'burnrate_spans_received_total',
  rejected: 'burnrate_spans_rejected_total',
  requestsRejected: 'burnrate_requests_rejected_total',
  written: 'burnrate_spans_written_total',
  spendRows: 'burnrate_genai_spans_written_total',
  spooled: 'burnrate_spans_spooled_total',
  replayed: 'burnrate_spans_replayed_total',
  refused: 'burnrate_spans_refused_total',
  insertErrors: 'burnrate_insert_errors_total',
  insertLatency: 'burnrate_insert_duration_seconds',
  queueDepth: 'burnrate_queue_spans',
  spoolBytes: 'burnrate_spool_bytes',
  spoolFiles: 'burnrate_spool_batches',
  forwarded: 'burnrate_spans_forwarded_total',
  forwardDropped: 'burnrate_spans_forward_dropped_total',
  forwardQueue: 'burnrate_forward_queue_spans',
} as const;

export function createMetrics(): Metrics {
  const m = new Metrics();
  m.counter(M.received, 'Spans received over OTLP (HTTP and gRPC).');
  m.counter(M.rejected, 'Spans rejected: invalid, or refused because the queue was full.');
  m.counter(M.requestsRejected, 'OTLP requests refused, by reason.');
  m.counter(M.written, 'Spans written to otel_traces.');
  m.counter(M.spendRows, 'GenAI spans written to genai_spend.');
  m.counter(M.spooled, 'Spans written to the on-disk spool because ClickHouse was unreachable.');
  m.counter(M.replayed, 'Spooled spans replayed into ClickHouse.');
  m.counter(M.refused, "Rows ClickHouse refused for their data, kept in the spool's bad/ folder.");
  m.counter(M.insertErrors, 'Failed ClickHouse insert attempts.');
  m.histogram(M.insertLatency, 'ClickHouse insert latency per batch.');
  m.counter(M.forwarded, 'Spans forwarded over OTLP.');
  m.counter(M.forwardDropped, 'Spans not forwarded (queue full or endpoint failing).');
  return m;
}
