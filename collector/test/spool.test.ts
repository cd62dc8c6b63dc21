import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Batch } from '../src/store/batch.js';
import { halves, refusedForData } from '../src/store/refusal.js';
import { Spool, SpoolFullError } from '../src/store/spool.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('burnrate-spool-');
afterAll(() => tmp.cleanup());

const batch = (id: string): Batch => ({ id, traces: [{ x: 'y'.repeat(1000) }] as never[], spend: [] });
const size = Buffer.byteLength(JSON.stringify(batch('00000000-0000-0000-0000-000000000000')));

describe('spool', () => {
  it('concurrent writes never take it past its limit', async () => {
    // Room for three batches; ten written at once (the writer flushes with concurrency > 1).
    const spool = new Spool(`${tmp.dir}/race`, size * 3 + 10);
    const ids = Array.from(
      { length: 10 },
      (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    );
    const results = await Promise.allSettled(ids.map((id) => spool.write(batch(id))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(7);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(SpoolFullError);
    expect(spool.count).toBe(3);
    expect(spool.sizeBytes).toBe(size * 3);
    expect(readdirSync(`${tmp.dir}/race`).filter((f) => f.endsWith('.json'))).toHaveLength(3);
  });

  it('a failed write gives its reserved bytes back', async () => {
    const dir = `${tmp.dir}/fail`;
    const spool = new Spool(dir, size * 2 + 10);
    await spool.write(batch('00000000-0000-0000-0000-000000000001'));
    // The directory vanishes (a volume unmounted, say): the write fails after the reservation.
    rmSync(dir, { recursive: true });
    await expect(spool.write(batch('00000000-0000-0000-0000-000000000002'))).rejects.toThrow(/ENOENT/);
    expect(spool.sizeBytes).toBe(size);
    mkdirSync(dir);
    await spool.write(batch('00000000-0000-0000-0000-000000000003'));
    expect(spool.count).toBe(2);
    expect(spool.sizeBytes).toBe(size * 2);
  });
});

describe('refused batches', () => {
  const b: Batch = { id: 'b', traces: ['t1', 't2', 't3'] as never[], spend: ['s1', 's2'] as never[] };

  it('split in two by rows across both tables, the same way every time', () => {
    const [x, y] = halves(b);
    expect(x).toEqual({ id: 'b-0', traces: ['t1', 't2', 't3'], spend: [] });
    expect(y).toEqual({ id: 'b-1', traces: [], spend: ['s1', 's2'] });
    expect(halves(y)).toEqual([
      { id: 'b-1-0', traces: [], spend: ['s1'] },
      { id: 'b-1-1', traces: [], spend: ['s2'] },
    ]);
    expect(halves(b)).toEqual([x, y]);
  });

  it('only data errors are set aside; unavailability is retried and spooled', () => {
    expect(refusedForData({ type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' })).toBe(true);
    expect(refusedForData({ type: 'TYPE_MISMATCH' })).toBe(true);
    expect(refusedForData({ type: 'TOO_MANY_PARTS' })).toBe(false);
    expect(refusedForData({ type: 'UNKNOWN_TABLE' })).toBe(false);
    expect(refusedForData(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(refusedForData(undefined)).toBe(false);
  });
});
