/** Child processes for the collector benchmarks: node scripts that print JSON lines. */
import { type ChildProcess, spawn } from 'node:child_process';

export interface JsonChild {
  proc: ChildProcess;
  /** Resolves with the next JSON line the child prints. */
  next<T>(): Promise<T>;
  send(line: string): void;
  exited: Promise<number | null>;
}

export function jsonChild(script: string, args: string[], nodeArgs: string[] = []): JsonChild {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: unknown[] = [];
  const waiters: Array<(v: unknown) => void> = [];
  let buf = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line.startsWith('{')) {
        const v = JSON.parse(line) as unknown;
        const w = waiters.shift();
        if (w) w(v);
        else lines.push(v);
      }
      i = buf.indexOf('\n');
    }
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    next<T>() {
      if (lines.length) return Promise.resolve(lines.shift() as T);
      return new Promise<T>((resolve, reject) => {
        waiters.push(resolve as (v: unknown) => void);
        void exited.then((code) => reject(new Error(`${script} exited (${code}) before answering:\n${err}`)));
      });
    },
    send(line: string) {
      proc.stdin!.write(`${line}\n`);
    },
    exited,
  };
}
