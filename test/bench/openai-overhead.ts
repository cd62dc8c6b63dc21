/**
 * Instrumentation overhead, side by side: one app calling chat.completions.create against a local fast
 * fake OpenAI server (non-streaming, and a long stream of many chunks), with no instrumentation,
 * burnrate, @opentelemetry/instrumentation-openai, @traceloop/instrumentation-openai and
 * @arizeai/openinference-instrumentation-openai, each variant in its own child process
 * (overhead/child.ts), the variants interleaved round by round (rotating order). The peers all support
 * openai 6.x, so that is the common SDK; burnrate is also measured on openai 7.x against an
 * uninstrumented 7.x.
 *
 *   node test/bench/openai-overhead.ts [--smoke] [--json out.json] [--baseline <dir>]
 *
 * `--baseline <dir>`: also measure burnrate's openai instrumentation built elsewhere (`dir` is a package
 * directory with a dist/, whose `@burnrate/core` resolves to the matching build), as variant
 * `baseline`, interleaved with the others: before/after figures from one run.
 *
 * Reported per variant: added wall time and added CPU time per call against the uninstrumented run of
 * the same round (paired), as median (min – max) over rounds; each round's figure is that process's
 * median wall time per call and its mean CPU time per call.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startFastOpenAI } from './lib/fast-openai-server.ts';
import { lastJson, rotated, type Summary, summarize } from './lib/stats.ts';

export interface ChildResult {
  variant: string;
  sdk: string;
  sdkVersion: string;
  plainWallUs: number;
  streamWallUs: number;
  plainCpuUs: number;
  streamCpuUs: number;
  chunksPerStream: number;
  spans: number;
  calls: number;
}

export interface OverheadRow {
  variant: string;
  sdk: string;
  sdkVersion: string;
  spansPerCall: number;
  plainWallUs: Summary;
  addedPlainWallUs: Summary;
  addedPlainCpuUs: Summary;
  streamWallUs: Summary;
  addedStreamWallUs: Summary;
  addedStreamCpuUs: Summary;
  /** Added wall time per stream chunk (the whole per-call addition spread over its chunks: an upper bound). */
  addedPerChunkWallUs: Summary;
  addedPerChunkCpuUs: Summary;
}

export interface OverheadResult {
  rounds: number;
  plainCalls: number;
  streamCalls: number;
  chunksPerStream: number;
  rows: OverheadRow[];
}

const CHILD = fileURLToPath(new URL('./overhead/child.ts', import.meta.url));
const VARIANTS: Array<[string, string]> = [
  ['none', 'v6'],
  ['burnrate', 'v6'],
  ['otel', 'v6'],
  ['traceloop', 'v6'],
  ['arize', 'v6'],
  ['none', 'v7'],
  ['burnrate', 'v7'],
];

function runChild(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => {
      out += d;
    });
    c.stderr.on('data', (d) => {
      err += d;
    });
    c.on('error', reject);
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`child ${args[0]}/${args[1]} exited ${code}:\n${err.slice(-3000)}`));
      else resolve(lastJson<ChildResult>(out));
    });
  });
}

export async function runOverhead(
  opts: { smoke?: boolean; log?: (s: string) => void; baseline?: string | undefined } = {},
): Promise<OverheadResult> {
  const variants: Array<[string, string]> = opts.baseline
    ? [...VARIANTS, [`burnrate@${opts.baseline}`, 'v6'], [`burnrate@${opts.baseline}`, 'v7']]
    : VARIANTS;
  const log = opts.log ?? ((s: string) => console.error(s));
  const rounds = opts.smoke ? 1 : Number(process.env['BENCH_ROUNDS'] ?? 5);
  const plainCalls = opts.smoke ? 80 : 400;
  const streamCalls = opts.smoke ? 8 : 40;
  const chunks = 1000;
  const server = await startFastOpenAI();
  const results: ChildResult[][] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const round: ChildResult[] = [];
      for (const [variant, sdk] of rotated(variants, r)) {
        const res = await runChild([
          variant,
          sdk,
          server.baseURL(0),
          server.baseURL(chunks),
          String(plainCalls),
          String(streamCalls),
        ]);
        if (variant !== 'none' && res.spans !== res.calls)
          throw new Error(`${variant}/${sdk} exported ${res.spans} spans for ${res.calls} calls`);
        round.push(res);
        log(
          `  round ${r + 1}/${rounds} ${(variant.startsWith('burnrate@') ? 'baseline' : variant).padEnd(9)} openai ${res.sdkVersion}: plain ${res.plainWallUs.toFixed(0)} µs wall, stream ${(res.streamWallUs / 1000).toFixed(2)} ms wall`,
        );
      }
      results.push(round);
    }
  } finally {
    await server.close();
  }
  const rows: OverheadRow[] = [];
  for (const [variant, sdk] of variants) {
    const mine = results.map((round) => round.find((x) => x.variant === variant && x.sdk === sdk)!);
    const base = results.map((round) => round.find((x) => x.variant === 'none' && x.sdk === sdk)!);
    const diff = (f: (x: ChildResult) => number, per = 1) =>
      summarize(mine.map((m, i) => (f(m) - f(base[i]!)) / per));
    const cps = mine[0]!.chunksPerStream;
    rows.push({
      variant: variant.startsWith('burnrate@') ? 'baseline' : variant,
      sdk,
      sdkVersion: mine[0]!.sdkVersion,
      spansPerCall: mine[0]!.spans / mine[0]!.calls,
      plainWallUs: summarize(mine.map((m) => m.plainWallUs)),
      addedPlainWallUs: diff((x) => x.plainWallUs),
      addedPlainCpuUs: diff((x) => x.plainCpuUs),
      streamWallUs: summarize(mine.map((m) => m.streamWallUs)),
      addedStreamWallUs: diff((x) => x.streamWallUs),
      addedStreamCpuUs: diff((x) => x.streamCpuUs),
      addedPerChunkWallUs: diff((x) => x.streamWallUs, cps),
      addedPerChunkCpuUs: diff((x) => x.streamCpuUs, cps),
    });
  }
  return { rounds, plainCalls, streamCalls, chunksPerStream: mine0Chunks(results), rows };
}

function mine0Chunks(results: ChildResult[][]): number {
  return results[0]?.[0]?.chunksPerStream ?? 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const smoke = process.argv.includes('--smoke');
  const jsonAt = process.argv.indexOf('--json');
  const baselineAt = process.argv.indexOf('--baseline');
  const res = await runOverhead({
    smoke,
    baseline: baselineAt > 0 ? process.argv[baselineAt + 1] : undefined,
  });
  for (const r of res.rows) {
    console.log(
      `${r.variant.padEnd(9)} openai ${r.sdkVersion.padEnd(7)} plain +${r.addedPlainWallUs.median.toFixed(1)} µs wall +${r.addedPlainCpuUs.median.toFixed(1)} µs cpu | stream +${(r.addedStreamWallUs.median / 1000).toFixed(2)} ms wall, +${r.addedPerChunkWallUs.median.toFixed(2)} µs/chunk wall, +${r.addedPerChunkCpuUs.median.toFixed(2)} µs/chunk cpu`,
    );
  }
  if (jsonAt > 0) writeFileSync(process.argv[jsonAt + 1]!, JSON.stringify(res, null, 2));
}
