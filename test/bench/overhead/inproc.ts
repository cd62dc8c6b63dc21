import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';
import { plainBody, streamBody } from '../lib/fast-openai-server.ts';
import { summarize } from '../lib/stats.ts';
import { setupInProcess } from './inproc-setup.ts';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = argv[i + 1]!;
  argv.splice(i, 2);
  return v;
};
const sdk = opt('--sdk', 'v6');
const ROUNDS = Number(opt('--rounds', '30'));
const PLAIN = 200;
const STREAMS = 5;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const CHUNKS = 1000;
const names = argv.length > 0 ? argv : ['none', 'burnrate'];
if (!names.includes('none')) names.unshift('none');

const { exporter, provider, openaiModule, version } = setupInProcess(sdk);

// The fast fake server's bodies, answered without a socket.
const encoded = (includeUsage: boolean) => new TextEncoder().encode(streamBody(CHUNKS, includeUsage));
const streams = { true: encoded(true), false: encoded(false) };
const fakeFetch = async (_url: unknown, init: { body?: string }) => {
  const body = JSON.parse(init.body ?? '{}') as {
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
  };
  if (body.stream) {
    // In 16 KiB pieces, as a socket delivers it (one huge piece makes the SDK's SSE decoding quadratic).
    const bytes = streams[String(body.stream_options?.include_usage === true) as 'true' | 'false'];
    let at = 0;
    const piecewise = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) controller.close();
        else {
          controller.enqueue(bytes.subarray(at, at + 16384));
          at += 16384;
        }
      },
    });
    return new Response(piecewise, {
      headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_b' },
    });
  }
  return new Response(plainBody, {
    headers: { 'content-type': 'application/json', 'x-request-id': 'req_b' },
  });
};
const client = new openaiModule.OpenAI({
  apiKey: 'x',
  baseURL: 'http://127.0.0.1:9/v1',
  maxRetries: 0,
  fetch: fakeFetch,
});

interface ModuleDef {
  name: string;
  patch?: (exports: unknown, version?: string) => unknown;
  unpatch?: (exports: unknown, version?: string) => void;
}
interface Instr {
  setTracerProvider(p: unknown): void;
  setMeterProvider?(p: unknown): void;
  getModuleDefinitions?(): ModuleDef[];
  _modules?: ModuleDef[];
}
function make(name: string): { name: string; patch(): void; unpatch(): void } {
  if (name === 'none') return { name, patch() {}, unpatch() {} };
  const mod = name.startsWith('burnrate@')
    ? name.slice('burnrate@'.length)
    : {
        burnrate: '@burnrate/instrumentation-openai',
        otel: '@opentelemetry/instrumentation-openai',
        traceloop: '@traceloop/instrumentation-openai',
        arize: '@arizeai/openinference-instrumentation-openai',
      }[name];
  if (!mod) throw new Error(`unknown variant ${name}`);
  const Ctor = (require(mod) as { OpenAIInstrumentation: new (cfg?: object) => Instr }).OpenAIInstrumentation;
  const inst = new Ctor({ enabled: false });
  inst.setTracerProvider(provider);
  inst.setMeterProvider?.(metrics.getMeterProvider());
  const defs = (inst.getModuleDefinitions?.() ?? inst._modules ?? []).filter((d) => d.name === 'openai');
  if (defs.length === 0) throw new Error(`${name}: no patch for the openai module`);
  return {
    name,
    patch: () => {
      for (const d of defs) d.patch?.(openaiModule, version);
    },
    unpatch: () => {
      for (const d of defs) d.unpatch?.(openaiModule, version);
    },
  };
}
const variants = names.map(make);

const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Say hello' },
];
const plain = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages });
let chunks = 0;
async function streamed(): Promise<void> {
  const s = (await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages,
    stream: true,
  })) as AsyncIterable<unknown>;
  for await (const _ of s) chunks++;
}

async function batch(v: (typeof variants)[number]) {
  v.patch();
  try {
    for (let i = 0; i < 10; i++) await plain();
    // CPU time, not wall time: on a shared machine the process waits for a core more than it runs.
    // Per call (and per stream), then the median: a GC pause or a preemption lands in one sample.
    const cpu = () => {
      const c = process.cpuUsage();
      return c.user + c.system;
    };
    const calls: number[] = [];
    for (let i = 0; i < PLAIN; i++) {
      const t0 = cpu();
      await plain();
      calls.push(cpu() - t0);
    }
    const perChunk: number[] = [];
    for (let i = 0; i < STREAMS; i++) {
      chunks = 0;
      const t0 = cpu();
      await streamed();
      perChunk.push((cpu() - t0) / chunks);
    }
    const spans = exporter.getFinishedSpans().length;
    exporter.reset();
    if (v.name !== 'none' && spans !== PLAIN + STREAMS + 10) throw new Error(`${v.name}: ${spans} spans`);
    return { plainUs: median(calls), chunkUs: median(perChunk) };
  } finally {
    v.unpatch();
  }
}

for (let w = 0; w < 3; w++) for (const v of variants) await batch(v);
const rows: Record<string, Array<{ plainUs: number; chunkUs: number }>> = {};
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length]!;
    const row = rows[v.name] ?? [];
    rows[v.name] = row;
    row.push(await batch(v));
  }
}
const label = (n: string) =>
  n.startsWith('burnrate@') ? n.slice('burnrate@'.length).split('/').slice(-2, -1)[0]! : n;
const noneRows = rows['none']!;
console.log(
  `openai ${version}, in process, no network: ${ROUNDS} rounds x (${PLAIN} plain calls + ${STREAMS} streams of ~${CHUNKS} chunks) per variant`,
);
console.log(
  `none: ${summarize(noneRows.map((x) => x.plainUs)).median.toFixed(1)} µs/call, ${summarize(noneRows.map((x) => x.chunkUs)).median.toFixed(2)} µs/chunk`,
);
const f = (s: { median: number; min: number; max: number }, d: number) =>
  `${s.median.toFixed(d)} (${s.min.toFixed(d)} – ${s.max.toFixed(d)})`.padEnd(26);
console.log('variant            added µs/call             added µs/chunk');
for (const v of variants) {
  if (v.name === 'none') continue;
  const mine = rows[v.name]!;
  const call = summarize(mine.map((x, i) => x.plainUs - noneRows[i]!.plainUs));
  const chunk = summarize(mine.map((x, i) => x.chunkUs - noneRows[i]!.chunkUs));
  console.log(`${label(v.name).padEnd(18)} ${f(call, 1)}${f(chunk, 2)}`);
}
process.exit(0);
