// Span capture for child-process loading checks (ESM and CJS fixtures): spans go to memory and are
// printed as one JSON line on stdout when `print()` is called.
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export function startCapture() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return {
    tracerProvider,
    async print(extra = {}) {
      const deadline = Date.now() + 15000;
      while (exporter.getFinishedSpans().length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const spans = exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes }));
      process.stdout.write(`${JSON.stringify({ spans, ...extra })}\n`);
    },
  };
}
