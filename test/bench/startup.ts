/**
 * Startup costs, each in fresh child processes, interleaved:
 * - the one import: `node --import @burnrate/auto/register -e ''` against plain `node -e ''` (wall time
 *   and peak RSS of the whole process);
 * - the tokenizer fallback's first call (startup/tokenizer-child.ts): main-thread blocking and wall time.
 *
 *   node test/bench/startup.ts [--smoke]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lastJson, rotated, type Summary, summarize } from './lib/stats.ts';

const TEST_DIR = fileURLToPath(new URL('..', import.meta.url));
const TOKENIZER_CHILD = fileURLToPath(new URL('./startup/tokenizer-child.ts', import.meta.url));

export interface StartupResult {
  runs: number;
  plainNodeMs: Summary;
  autoImportMs: Summary;
  addedImportMs: Summary;
  plainNodeRssMiB: Summary;
  autoImportRssMiB: Summary;
  tokenizer: {
    syncMs: Summary;
    maxGapMs: Summary;
    activeMs: Summary;
    idleGapMs: Summary;
    firstMs: Summary;
    secondMs: Summary;
  };
}

function timed(args: string[]): Promise<{ ms: number; rssMiB: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, args, { cwd: TEST_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
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
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      resolve({ ms, rssMiB: 0, stdout: out });
    });
  });
}

/** Wall time and peak RSS of a child (RSS read by the child itself at exit, via a --import hook). */
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nRSS '+process.resourceUsage().maxRSS+'\\n'))`;

async function measured(args: string[]): Promise<{ ms: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, ['--import', RSS_HOOK, ...args], {
      cwd: TEST_DIR,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    c.stderr.on('data', (d) => {
      err += d;
    });
    c.on('error', reject);
    c.on('exit', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0) return reject(new Error(`node ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      const m = /RSS (\d+)/.exec(err);
      resolve({ ms, rssMiB: m ? Number(m[1]) / 1024 : Number.NaN });
    });
  });
}

export async function runStartup(
  opts: { smoke?: boolean; log?: (s: string) => void } = {},
): Promise<StartupResult> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const runs = opts.smoke ? 2 : Number(process.env['BENCH_STARTUP_RUNS'] ?? 10);
  const plain: number[] = [];
  const auto: number[] = [];
  const added: number[] = [];
  const plainRss: number[] = [];
  const autoRss: number[] = [];
  const tok = {
    syncMs: [] as number[],
    maxGapMs: [] as number[],
    activeMs: [] as number[],
    idleGapMs: [] as number[],
    firstMs: [] as number[],
    secondMs: [] as number[],
  };
  // one warm-up of each (disk cache), not counted
  await measured(['-e', '']);
  await measured(['--import', '@burnrate/auto/register', '-e', '']);
  for (let r = 0; r < runs; r++) {
    let p = 0;
    let a = 0;
    for (const which of rotated(['plain', 'auto', 'tokenizer'], r)) {
      if (which === 'plain') {
        const x = await measured(['-e', '']);
        p = x.ms;
        plain.push(x.ms);
        plainRss.push(x.rssMiB);
      } else if (which === 'auto') {
        const x = await measured(['--import', '@burnrate/auto/register', '-e', '']);
        a = x.ms;
        auto.push(x.ms);
        autoRss.push(x.rssMiB);
      } else {
        const { stdout } = await timed([TOKENIZER_CHILD]);
        const t = lastJson<Record<keyof typeof tok, number>>(stdout);
        for (const k of Object.keys(tok) as Array<keyof typeof tok>) tok[k].push(t[k]);
      }
    }
    added.push(a - p);
    log(
      `  startup run ${r + 1}/${runs}: node ${p.toFixed(0)} ms, with @burnrate/auto ${a.toFixed(0)} ms, tokenizer first call ${tok.firstMs.at(-1)!.toFixed(0)} ms (max loop stall ${tok.maxGapMs.at(-1)!.toFixed(1)} ms)`,
    );
  }
  return {
    runs,
    plainNodeMs: summarize(plain),
    autoImportMs: summarize(auto),
    addedImportMs: summarize(added),
    plainNodeRssMiB: summarize(plainRss),
    autoImportRssMiB: summarize(autoRss),
    tokenizer: {
      syncMs: summarize(tok.syncMs),
      maxGapMs: summarize(tok.maxGapMs),
      activeMs: summarize(tok.activeMs),
      idleGapMs: summarize(tok.idleGapMs),
      firstMs: summarize(tok.firstMs),
      secondMs: summarize(tok.secondMs),
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const res = await runStartup({ smoke: process.argv.includes('--smoke') });
  console.log(JSON.stringify(res, null, 2));
}
