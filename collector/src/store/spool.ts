/**
 * On-disk spool: batches that could not be written to ClickHouse wait here (one file per batch, written
 * to a temporary name, fsynced, then renamed, so a crash never leaves a half batch under a real name).
 * A batch keeps its id, so replaying it uses the same insert deduplication tokens and never duplicates.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Batch } from './batch.js';

async function writeDurably(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class SpoolFullError extends Error {
  override name = 'SpoolFullError';
}

export interface SpoolEntry {
  file: string;
  bytes: number;
}

export class Spool {
  private bytes = 0;
  private files = new Map<string, number>();
  private seq = 0;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.tmp')) {
        rm(join(dir, name), { force: true }).catch(() => {});
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const size = statSync(join(dir, name)).size;
      this.files.set(name, size);
      this.bytes += size;
    }
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  get count(): number {
    return this.files.size;
  }

  /** Writes a batch durably. Throws SpoolFullError when the spool would exceed its limit. */
  async write(batch: Batch): Promise<void> {
    const data = Buffer.from(JSON.stringify(batch));
    if (this.bytes + data.length > this.maxBytes) {
      throw new SpoolFullError(`spool full (${this.bytes} of ${this.maxBytes} bytes used)`);
    }
    // Reserved before the first await: concurrent writes each see the others' bytes, so together they
    // cannot pass the limit.
    this.bytes += data.length;
    const name = `${Date.now().toString().padStart(15, '0')}-${(this.seq++).toString().padStart(6, '0')}-${batch.id}.json`;
    const tmp = join(this.dir, `${name}.tmp`);
    try {
      await writeDurably(tmp, data);
      await rename(tmp, join(this.dir, name));
    } catch (err) {
      this.bytes -= data.length;
      await rm(tmp, { force: true }).catch(() => {});
      throw err;
    }
    this.files.set(name, data.length);
  }

  /** Spooled batches, oldest first. */
  list(): SpoolEntry[] {
    return [...this.files.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([file, bytes]) => ({ file, bytes }));
  }

  async read(entry: SpoolEntry): Promise<Batch> {
    const text = await readFile(join(this.dir, entry.file), 'utf8');
    return JSON.parse(text) as Batch;
  }

  async remove(entry: SpoolEntry): Promise<void> {
    await unlink(join(this.dir, entry.file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    if (this.files.delete(entry.file)) this.bytes -= entry.bytes;
  }

  /** Keeps rows ClickHouse refused in `bad/`, with the error (for inspection; never replayed). */
  async reject(batch: Batch, error: string): Promise<void> {
    const bad = join(this.dir, 'bad');
    mkdirSync(bad, { recursive: true });
    const name = `${Date.now().toString().padStart(15, '0')}-${batch.id}.refused.json`;
    await writeDurably(join(bad, name), Buffer.from(`${JSON.stringify({ error, batch })}\n`));
  }

  /** Moves an unreadable file aside (kept for inspection, no longer replayed). */
  async quarantine(entry: SpoolEntry): Promise<void> {
    const bad = join(this.dir, 'bad');
    mkdirSync(bad, { recursive: true });
    await rename(join(this.dir, entry.file), join(bad, entry.file)).catch(() => {});
    if (this.files.delete(entry.file)) this.bytes -= entry.bytes;
  }
}
