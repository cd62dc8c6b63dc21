/** Test harness: a real OTel tracer provider with an in-memory exporter and async context. */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CBaggagePropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

export function setupOtel(extraProcessors: SpanProcessor[] = []) {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    spanProcessors: [...extraProcessors, new SimpleSpanProcessor({ exporter })],
  });
  context.disable();
  trace.disable();
  propagation.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CBaggagePropagator());
  /** Finished spans; SimpleSpanProcessor exports asynchronously in OTel JS 3.x, so flush first. */
  const spans = async () => {
    await provider.forceFlush();
    return exporter.getFinishedSpans();
  };
  return { exporter, provider, spans, tracer: provider.getTracer('test') };
}
