/**
 * Forwards spans (with the attributes the collector computed) over OTLP/HTTP JSON, e.g. to Jaeger, on
 * its own bounded queue: a slow or dead endpoint only drops forwarded spans (counted in /metrics),
 * never slows ingestion or storage.
 */
import type { Logger } from '../log.js';
import { M, type Metrics } from '../metrics.js';
import type { AnyValue, Attributes, Span } from '../model.js';

export interface ForwarderOptions {
  endpoint: string;
  headers?: Record<string, string> | undefined;
  maxQueueSpans: number;
  batchSpans: number;
  timeoutMs: number;
  /** Send attempts per batch before it is dropped. */
  attempts?: number | undefined;
  metrics: Metrics;
  log: Logger;
}

/** A base URL (no path) gets the signal path appended, as OTEL_EXPORTER_OTLP_ENDPOINT does. */
export function tracesUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.pathname === '' || u.pathname === '/') u.pathname = '/v1/traces';
  return u.toString();
}

function jsonValue(v: AnyValue): Record<string, unknown> {
  switch (v.t) {
    case 's':
      return { stringValue: v.v };
    case 'b':
      return { boolValue: v.v };
    case 'i':
      return { intValue: String(v.v) };
    case 'd':
      return { doubleValue: v.v };
    case 'a':
      return { arrayValue: { values: v.v.map(jsonValue) } };
    case 'kv':
      return { kvlistValue: { values: jsonAttrs(v.v) } };
    case 'bytes':
      return { bytesValue: Buffer.from(v.v).toString('base64') };
    case 'empty':
      return {};
  }
}

function jsonAttrs(a: Attributes): Array<{ key: string; value: Record<string, unknown> }> {
  return [...a].map(([key, value]) => ({ key, value: jsonValue(value) }));
}

/** Spans -> an OTLP/JSON ExportTraceServiceRequest, grouped by resource and scope. */
export function encodeOtlpJson(spans: Span[]): string {
  const byResource = new Map<Span['resource'], Map<Span['scope'], Span[]>>();
  for (const s of spans) {
    let scopes = byResource.get(s.resource);
    if (!scopes) {
      scopes = new Map();
      byResource.set(s.resource, scopes);
    }
    let list = scopes.get(s.scope);
    if (!list) {
      list = [];
      scopes.set(s.scope, list);
    }
    list.push(s);
  }
  const resourceSpans = [...byResource].map(([resource, scopes]) => ({
    resource: { attributes: jsonAttrs(resource.attributes) },
    schemaUrl: resource.schemaUrl,
    scopeSpans: [...scopes].map(([scope, list]) => ({
      scope: { name: scope.name, version: scope.version, attributes: jsonAttrs(scope.attributes) },
      schemaUrl: scope.schemaUrl,
      spans: list.map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        parentSpanId: s.parentSpanId,
        traceState: s.traceState,
        flags: s.flags,
        name: s.name,
        kind: s.kind,
        startTimeUnixNano: s.startNs.toString(),
        endTimeUnixNano: s.endNs.toString(),
        attributes: jsonAttrs(s.attributes),
        droppedAttributesCount: s.droppedAttributesCount,
        events: s.events.map((e) => ({
          timeUnixNano: e.timeNs.toString(),
          name: e.name,
          attributes: jsonAttrs(e.attributes),
        })),
        droppedEventsCount: s.droppedEventsCount,
        links: s.links.map((l) => ({
          traceId: l.traceId,
          spanId: l.spanId,
          traceState: l.traceState,
          attributes: jsonAttrs(l.attributes),
        })),
        droppedLinksCount: s.droppedLinksCount,
        status: { code: s.statusCode, message: s.statusMessage },
      })),
    })),
  }));
  return JSON.stringify({ resourceSpans });
}

export class Forwarder {
  private queue: Span[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  readonly url: string;

  constructor(private readonly o: ForwarderOptions) {
    this.url = tracesUrl(o.endpoint);
    o.metrics.gauge(M.forwardQueue, 'Spans waiting to be forwarded.', () => this.queue.length);
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Never blocks: spans beyond the queue's capacity are dropped and counted. */
  enqueue(spans: Span[]): void {
    if (this.closed || spans.length === 0) return;
    const room = this.o.maxQueueSpans - this.queue.length;
    if (room < spans.length) {
      this.o.metrics.inc(M.forwardDropped, spans.length - Math.max(room, 0));
      if (room <= 0) return;
      spans = spans.slice(0, room);
    }
    for (const s of spans) this.queue.push(s);
    if (!this.running) this.running = this.run().finally(() => (this.running = undefined));
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.batchSpans);
      const ok = await this.send(batch);
      if (ok) this.o.metrics.inc(M.forwarded, batch.length);
      else this.o.metrics.inc(M.forwardDropped, batch.length);
    }
  }

  private async send(batch: Span[]): Promise<boolean> {
    const body = encodeOtlpJson(batch);
    const attempts = this.o.attempts ?? 3;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** i).unref());
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...this.o.headers },
          body,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        if (res.status !== 429 && res.status !== 502 && res.status !== 503 && res.status !== 504) {
          this.o.log.warn(`forward to ${this.url} refused with HTTP ${res.status}; batch dropped`);
          return false;
        }
      } catch (err) {
        if (i === attempts - 1) this.o.log.warn(`forward to ${this.url} failed: ${(err as Error).message}`);
      }
    }
    return false;
  }

  /** Waits up to `timeoutMs` for queued spans to go out, then drops the rest. */
  async close(timeoutMs = 2000): Promise<void> {
    this.closed = true;
    if (this.running) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    }
    if (this.queue.length) this.o.metrics.inc(M.forwardDropped, this.queue.length);
    this.queue = [];
  }
}
