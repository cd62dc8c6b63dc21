/**
 * One instrumentation-overhead variant in its own process (so patches never interfere):
 *
 *   node child.ts <variant> <sdk> <plainBaseURL> <streamBaseURL> <plainCalls> <streamCalls>
 *
 * variant: none | burnrate | otel | traceloop | arize, or `burnrate@<dir>`: burnrate's openai instrumentation
 * loaded from another build (a package directory, e.g. a copy of an earlier dist, for before/after
 * runs); sdk: v6 (openai 6.x via the `openai-v6` alias) or
 * v7 (openai 7.x). Every variant, `none` included, runs the same OpenTelemetry setup: an
 * AsyncLocalStorage context manager and an SDK TracerProvider with a SimpleSpanProcessor into an
 * in-memory exporter (reset after every block). Instrumentations are enabled the way users enable
 * them (require hooks, before the SDK is loaded) with their default configuration. Prints one JSON line.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const require = createRequire(import.meta.url);
const [variant = 'none', sdk = 'v6', plainURL = '', streamURL = '', plainArg = '400', streamArg = '40'] =
  process.argv.slice(2);
const PLAIN = Number(plainArg);
const STREAMS = Number(streamArg);

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
trace.setGlobalTracerProvider(provider);

interface Instr {
  setTracerProvider(p: unknown): void;
  setMeterProvider?(p: unknown): void;
  enable(): void;
}
function load(name: string): Instr | undefined {
  const ctor = (mod: string) =>
    (require(mod) as { OpenAIInstrumentation: new (cfg?: object) => Instr }).OpenAIInstrumentation;
  switch (name) {
    case 'none':
      return undefined;
    case 'burnrate':
      return new (ctor('@burnrate/instrumentation-openai'))();
    case 'otel':
      return new (ctor('@opentelemetry/instrumentation-openai'))();
    case 'traceloop':
      return new (ctor('@traceloop/instrumentation-openai'))();
    case 'arize':
      return new (ctor('@arizeai/openinference-instrumentation-openai'))();
    default:
      if (name.startsWith('burnrate@')) return new (ctor(name.slice('burnrate@'.length)))();
      throw new Error(`unknown variant ${name}`);
  }
}
const instrumentation = load(variant);
instrumentation?.setTracerProvider(provider);
// Metric instruments exist once a meter provider is set (the global no-op one here, for every variant).
instrumentation?.setMeterProvider?.(metrics.getMeterProvider());

const openaiModule = require(sdk === 'v7' ? 'openai' : 'openai-v6') as {
  OpenAI: new (
    o: object,
  ) => {
    chat: { completions: { create(body: object): Promise<unknown> } };
  };
};
const sdkVersion = (
  JSON.parse(
    readFileSync(
      join(dirname(require.resolve(sdk === 'v7' ? 'openai' : 'openai-v6')), 'package.json'),
      'utf8',
    ),
  ) as { version: string }
).version;
const mk = (baseURL: string) => new openaiModule.OpenAI({ apiKey: 'x', baseURL, maxRetries: 0 });
const plainClient = mk(plainURL);
const streamClient = mk(streamURL);
const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Say hello' },
];

async function plain(): Promise<void> {
  await plainClient.chat.completions.create({ model: 'gpt-4o-mini', messages });
}
let chunksSeen = 0;
async function streamed(): Promise<void> {
  const s = (await streamClient.chat.completions.create({
    model: 'gpt-4o-mini',
    messages,
    stream: true,
  })) as AsyncIterable<unknown>;
  for await (const _ of s) chunksSeen++;
}

let spans = 0;
async function block(fn: () => Promise<void>, n: number, wall: number[]): Promise<number> {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    wall.push((performance.now() - t0) * 1000);
  }
  const c = process.cpuUsage(c0);
  spans += exporter.getFinishedSpans().length;
  exporter.reset();
  return c.user + c.system;
}

// warm-up: JIT, keep-alive sockets, pricing tables, lazy requires
for (let i = 0; i < 150; i++) await plain();
for (let i = 0; i < 8; i++) await streamed();
exporter.reset();
spans = 0;
chunksSeen = 0;

const plainWall: number[] = [];
const streamWall: number[] = [];
let plainCpu = 0;
let streamCpu = 0;
const BLOCKS = 4;
for (let b = 0; b < BLOCKS; b++) {
  plainCpu += await block(plain, PLAIN / BLOCKS, plainWall);
  streamCpu += await block(streamed, STREAMS / BLOCKS, streamWall);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(
  JSON.stringify({
    variant,
    sdk,
    sdkVersion,
    plainWallUs: median(plainWall),
    streamWallUs: median(streamWall),
    plainCpuUs: plainCpu / PLAIN,
    streamCpuUs: streamCpu / STREAMS,
    chunksPerStream: chunksSeen / STREAMS,
    spans,
    calls: PLAIN + STREAMS,
  }),
);
process.exit(0);
