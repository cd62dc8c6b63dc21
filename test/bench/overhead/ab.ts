/**
 * Before/after (and peer) comparison of openai instrumentations in ONE process per SDK (ab-child.ts),
 * variants patched in turn in short interleaved blocks against the fast fake server (run here, so the
 * child's CPU time is the client's alone). Steadier than openai-overhead.ts on a busy machine; that
 * one (a process per variant, instrumentations enabled as users enable them) stays the reference.
 *
 *   node test/bench/overhead/ab.ts [--rounds N] [--sdk v6|v7|both] [--baseline <package dir>] [variant...]
 *
 * Default variants: none burnrate otel traceloop arize (peers only on openai 6: they cap openai <7),
 * plus `baseline` when --baseline is given. Reports, per variant, the added wall time per plain call,
 * added CPU per plain call and added CPU per stream chunk, each the median (min – max) over rounds of
 * the paired difference against `none` in the same round, and the ratio to each other variant.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFastOpenAI } from '../lib/fast-openai-server.ts';
import { lastJson, summarize } from '../lib/stats.ts';

type Block = { plainWallUs: number; plainCpuUs: number; streamCpuUs: number; chunksPerStream: number };
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const rounds = Number(opt('--rounds') ?? 15);
const sdks = (opt('--sdk') ?? 'both') === 'both' ? ['v6', 'v7'] : [opt('--sdk') ?? 'v6'];
const baseline = opt('--baseline');
const CHILD = fileURLToPath(new URL('./ab-child.ts', import.meta.url));
const CHUNKS = 1000;

const server = await startFastOpenAI();
try {
  for (const sdk of sdks) {
    const names =
      argv.length > 0
        ? argv
        : sdk === 'v6'
          ? ['none', 'burnrate', 'otel', 'traceloop', 'arize']
          : ['none', 'burnrate'];
    if (!names.includes('none')) names.unshift('none');
    if (baseline) names.push(`burnrate@${baseline}`);
    const out = await new Promise<string>((resolve, reject) => {
      const c = spawn(
        process.execPath,
        [CHILD, sdk, server.baseURL(0), server.baseURL(CHUNKS), String(rounds), '100', '5', ...names],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let s = '';
      c.stdout.on('data', (d) => {
        s += d;
      });
      c.on('error', reject);
      c.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`ab-child exited ${code}`))));
    });
    const res = lastJson<{ version: string; rounds: Array<Record<string, Block>> }>(out);
    const label = (n: string) =>
      n === `burnrate@${baseline}`
        ? 'baseline'
        : n.startsWith('burnrate@')
          ? n.split('/').slice(-2, -1)[0]!
          : n;
    console.log(
      `\nopenai ${res.version}: ${rounds} rounds, each 100 plain calls and 5 streams of ${CHUNKS} chunks per variant`,
    );
    console.log('variant    added wall µs/call         added CPU µs/call          added CPU µs/chunk');
    const added: Record<string, { wall: number; cpu: number; chunk: number }> = {};
    for (const n of names) {
      if (n === 'none') continue;
      const d = (f: (b: Block) => number, per = 1) =>
        summarize(res.rounds.map((r) => (f(r[n]!) - f(r['none']!)) / per));
      const cps = res.rounds[0]![n]!.chunksPerStream;
      const wall = d((b) => b.plainWallUs);
      const cpu = d((b) => b.plainCpuUs);
      const chunk = d((b) => b.streamCpuUs, cps);
      added[label(n)] = { wall: wall.median, cpu: cpu.median, chunk: chunk.median };
      const f = (s: { median: number; min: number; max: number }, dg: number) =>
        `${s.median.toFixed(dg)} (${s.min.toFixed(dg)} – ${s.max.toFixed(dg)})`.padEnd(27);
      console.log(`${label(n).padEnd(10)} ${f(wall, 1)}${f(cpu, 1)}${f(chunk, 2)}`);
    }
    const others = Object.keys(added).filter((k) => k !== 'burnrate');
    if (added['burnrate'] && others.length > 0) {
      console.log('burnrate / other (ratio of medians: wall, CPU per call, CPU per chunk)');
      for (const o of others) {
        const r = (a: number, b: number) =>
          b > 0 ? (a / b).toFixed(2) : `n/a (${a.toFixed(1)} vs ${b.toFixed(1)})`;
        const b = added['burnrate'];
        const x = added[o]!;
        console.log(`  vs ${o.padEnd(10)} ${r(b.wall, x.wall)}  ${r(b.cpu, x.cpu)}  ${r(b.chunk, x.chunk)}`);
      }
    }
  }
} finally {
  await server.close();
}
