/**
 * CPU profile of one overhead variant (overhead/child.ts) against the fast fake OpenAI server, with a
 * summary of where the time went (self and inclusive time per function, instrumentation frames only
 * unless --all).
 *
 *   node test/bench/overhead/profile.ts [variant=burnrate] [sdk=v6] [plain|stream] [calls] [--all] [--top N]
 *
 * Writes the raw profile to test/bench/.data/profiles/ (open it in Chrome DevTools for a flame chart).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFastOpenAI } from '../lib/fast-openai-server.ts';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const argv = process.argv.slice(2);
const all = argv.includes('--all');
const topAt = argv.indexOf('--top');
const top = topAt >= 0 ? Number(argv[topAt + 1]) : 40;
const args = argv.filter((a, i) => !a.startsWith('--') && !(topAt >= 0 && i === topAt + 1));
const [variant = 'burnrate', sdk = 'v6', mode = 'plain', callsArg] = args;
const calls = Number(callsArg ?? (mode === 'plain' ? 6000 : 120));

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const dir = fileURLToPath(
  new URL(`../.data/profiles/${variant}-${sdk}-${mode}-${Date.now()}`, import.meta.url),
);
mkdirSync(dir, { recursive: true });
const server = await startFastOpenAI();
const childArgs = [
  '--cpu-prof',
  `--cpu-prof-dir=${dir}`,
  '--cpu-prof-interval=50',
  CHILD,
  variant,
  sdk,
  server.baseURL(0),
  server.baseURL(1000),
  String(mode === 'plain' ? calls : 4),
  String(mode === 'plain' ? 4 : calls),
];
await new Promise<void>((resolve, reject) => {
  const c = spawn(process.execPath, childArgs, { stdio: ['ignore', 'inherit', 'inherit'] });
  c.on('error', reject);
  c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`child exited ${code}`))));
});
await server.close();

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);

const label = (n: Node) => {
  const url = n.callFrame.url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '');
  return `${n.callFrame.functionName || '(anon)'} ${url.split('/').slice(-3).join('/')}:${n.callFrame.lineNumber + 1}`;
};
const mine = (n: Node) => /burnrate|packages\/(core|instrumentation-openai)/.test(n.callFrame.url);
const selfBy = new Map<string, number>();
const inclBy = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  selfBy.set(label(n), (selfBy.get(label(n)) ?? 0) + t);
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (!all && !mine(byId.get(cur)!)) continue;
    if (seen.has(l)) continue;
    seen.add(l);
    inclBy.set(l, (inclBy.get(l) ?? 0) + t);
  }
}
const perCall = (t: number) => `${(t / calls).toFixed(2).padStart(8)} µs/call`;
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total sampled ${(total / 1000).toFixed(0)} ms over ${calls} ${mode} calls)`);
  for (const [l, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * t) / total).toFixed(1).padStart(5)}% ${perCall(t)}  ${l}`);
  }
};
show('inclusive', inclBy);
show(
  'self',
  new Map([...selfBy].filter(([l]) => all || /burnrate|core\/dist|instrumentation-openai/.test(l))),
);
console.log(`\nprofile: ${join(dir, file)}`);
