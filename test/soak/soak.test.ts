/**
 * CI variant of the soak (test/soak/soak.ts): the collector binary at a moderate rate for SOAK_SECONDS
 * (default 20). Memory must not trend upward beyond warm-up, the queue and spool must not grow, and every
 * acknowledged span must be stored once.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSoak } from './soak.js';

const SECONDS = Number(process.env['SOAK_SECONDS'] ?? 20);

describe('soak', () => {
  it(
    `runs ${SECONDS} s at a steady rate with flat memory and no backlog`,
    async () => {
      expect(existsSync(fileURLToPath(new URL('../../collector/dist/main.js', import.meta.url)))).toBe(true);
      const s = await runSoak({
        seconds: SECONDS,
        rate: Number(process.env['SOAK_RATE'] ?? 600),
        log: () => {},
      });
      console.log(`soak summary ${JSON.stringify(s)}`);
      expect(s.problems).toEqual([]);
      expect(s.lost).toBe(0);
      expect(s.duplicates).toBe(0);
      expect(s.spansAcked).toBeGreaterThan(SECONDS * 300);
      expect(s.queueEnd).toBe(0);
      expect(s.spoolEndBytes).toBe(0);
      expect(s.samples).toBeGreaterThan(5);
    },
    (SECONDS + 120) * 1000,
  );
});
