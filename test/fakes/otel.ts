/** In-memory OpenTelemetry for unit tests: spans in an InMemorySpanExporter, metrics on demand. */

import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

class ManualReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export interface TestOtel {
  exporter: InMemorySpanExporter;
  tracerProvider: TracerProvider;
  meterProvider: MeterProvider;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Waits until `n` spans have ended (spans of streams/estimates end asynchronously). */
  waitForSpans(n: number, timeoutMs?: number): Promise<ReadableSpan[]>;
  collectMetrics(): Promise<ResourceMetrics>;
  reset(): void;
}

let contextManager: AsyncLocalStorageContextManager | undefined;

export function setupOtel(): TestOtel {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const reader = new ManualReader({
    aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    exporter,
    tracerProvider,
    meterProvider,
    spans: () => exporter.getFinishedSpans(),
    // Generous: spans with locally counted usage wait for the tokenizer worker, whose first encoder
    // build takes seconds on a loaded 2-core CI machine. Returns as soon as the spans are there.
    async waitForSpans(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (exporter.getFinishedSpans().length < n) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${n} spans, got ${exporter.getFinishedSpans().length}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return exporter.getFinishedSpans();
    },
    async collectMetrics() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics;
    },
    reset: () => exporter.reset(),
  };
}

/** The data points of one metric, flattened. */
export function metricPoints(rm: ResourceMetrics, name: string) {
  const points: Array<{ attributes: Record<string, unknown>; value: unknown }> = [];
  for (const sm of rm.scopeMetrics) {
    for (const m of sm.metrics) {
      if (m.descriptor.name !== name) continue;
      for (const dp of m.dataPoints) points.push({ attributes: dp.attributes, value: dp.value });
    }
  }
  return points;
}
