import { createRequire } from 'node:module';
import { metrics } from '@opentelemetry/api';

import { setupInProcess } from './inproc-setup.ts';

const require = createRequire(import.meta.url);
const [
  sdk = 'v6',
  plainURL = '',
  streamURL = '',
  roundsArg = '20',
  plainArg = '100',
  streamArg = '4',
  ...names
] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);
const PLAIN = Number(plainArg);
const STREAMS = Number(streamArg);

const { exporter, provider, openaiModule, version } = setupInProcess(sdk);

interface ModuleDef {
  name: string;
  patch?: (exports: unknown, version?: string) => unknown;
  unpatch?: (exports: unknown, version?: string) => void;
}
interface Instr {
  setTracerProvider(p: unknown): void;
  setMeterProvider?(p: unknown): void;
  disable(): void;
  getModuleDefinitions?(): ModuleDef[];
  _modules?: ModuleDef[];
}
function make(name: string): { patch(): void; unpatch(): void } {
  if (name === 'none') return { patch() {}, unpatch() {} };
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
  if (defs.length === 0 || !defs[0]!.patch) throw new Error(`${name}: no patch for the openai module`);
  return {
    patch: () => {
      for (const d of defs) d.patch?.(openaiModule, version);
    },
    unpatch: () => {
      for (const d of defs) d.unpatch?.(openaiModule, version);
    },
  };
}
const variants = names.map((n) => ({ name: n, ...make(n) }));

const mk = (baseURL: string) => new openaiModule.OpenAI({ apiKey: 'x', baseURL, maxRetries: 0 });
const plainClient = mk(plainURL);
const streamClient = mk(streamURL);
const messages = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Say hello' },
];
const plain = () => plainClient.chat.completions.create({ model: 'gpt-4o-mini', messages });
let chunks = 0;
async function streamed(): Promise<void> {
  const s = (await streamClient.chat.completions.create({
    model: 'gpt-4o-mini',
    messages,
    stream: true,
  })) as AsyncIterable<unknown>;
  for await (const _ of s) chunks++;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function block(v: (typeof variants)[number]) {
  v.patch();
  try {
    const wall: number[] = [];
    const cpu: number[] = [];
    const streamCpu: number[] = [];
    // a few calls first: the patched functions' first runs (IC warm-up) are not what is measured
    for (let i = 0; i < 5; i++) await plain();
    for (let i = 0; i < PLAIN; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await plain();
      wall.push((performance.now() - t0) * 1000);
      const c = process.cpuUsage(c0);
      cpu.push(c.user + c.system);
    }
    chunks = 0;
    for (let i = 0; i < STREAMS; i++) {
      const c0 = process.cpuUsage();
      await streamed();
      const c = process.cpuUsage(c0);
      streamCpu.push(c.user + c.system);
    }
    const spans = exporter.getFinishedSpans().length;
    exporter.reset();
    // Medians per call / per stream: a GC pause or a context switch lands in one sample, not in the figure.
    return {
      plainWallUs: median(wall),
      plainCpuUs: median(cpu),
      streamCpuUs: median(streamCpu),
      chunksPerStream: chunks / STREAMS,
      spans,
    };
  } finally {
    v.unpatch();
  }
}

// warm-up: every variant, JIT and sockets
for (const v of variants) await block(v);
const rounds: Array<Record<string, Awaited<ReturnType<typeof block>>>> = [];
for (let r = 0; r < ROUNDS; r++) {
  const round: Record<string, Awaited<ReturnType<typeof block>>> = {};
  for (let i = 0; i < variants.length; i++) {
    const v = variants[(i + r) % variants.length]!;
    round[v.name] = await block(v);
  }
  rounds.push(round);
}
console.log(JSON.stringify({ sdk, version, rounds }));
process.exit(0);
