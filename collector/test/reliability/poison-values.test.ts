/**
 * Poison batches: values a client may send that ClickHouse refuses to parse (lone UTF-16 surrogates,
 * timestamps beyond DateTime64(9) (or past 2106, where `toDateTime` keys and TTLs wrap around), token counts beyond UInt64/UInt32, spans spread over more than 100
 * days). Before the fix, one such span made its whole batch (other clients' spans included) fail every
 * insert: the batch was spooled, the replayer retried it forever, and every later batch went to the
 * spool too -- acknowledged but never stored. Each value must now be stored (clamped or repaired), and
 * the writer must stay healthy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../src/collector.js';
import { rows, startTestCollector, tempDir } from '../helpers.js';

const tmp = tempDir('burnrate-poison-');
let c: Collector;
beforeAll(async () => {
  c = await startTestCollector(
    tmp.dir,
    // Retention off: old timestamps stay visible (the TTL would otherwise drop them, as it should).
    'clickhouse:\n  retention_days: { traces: 0, spend: 0 }\nwriter:\n  insert_attempts: 1\n  replay_interval_ms: 60000\n  batch_spans: 1000\n',
  );
});
afterAll(async () => {
  await c.close();
  tmp.cleanup();
});

let seq = 0;
const NOW = BigInt(Date.now()) * 1_000_000n;

function span(o: { attrs?: unknown[]; [k: string]: unknown } = {}) {
  const id = (++seq).toString(16).padStart(16, '0');
  const { attrs = [], ...rest } = o;
  return {
    traceId: `${id}${id}`,
    spanId: id,
    name: 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: NOW.toString(),
    endTimeUnixNano: (NOW + 1000n).toString(),
    attributes: [
      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
      { key: 'gen_ai.usage.input_tokens', value: { intValue: 10 } },
      ...attrs,
    ],
    ...rest,
  };
}

async function post(service: string, spans: unknown[]): Promise<number> {
  const res = await fetch(`${c.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
          scopeSpans: [{ scope: { name: 'poison' }, spans }],
        },
      ],
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

const stored = async (service: string) =>
  Number(
    (
      await rows<{ n: string }>(
        c.store.client,
        'SELECT count() n FROM burnrate.otel_traces WHERE ServiceName = {s:String}',
        {
          s: service,
        },
      )
    )[0]!.n,
  );

const cases: Record<string, () => unknown[]> = {
  'lone surrogate in a span name': () => [span({ name: 'chat \ud800 x' })],
  'lone surrogates in attribute keys and values': () => [
    span({ attrs: [{ key: 'k\udc00', value: { stringValue: 'v\ud800' } }] }),
  ],
  'span without start or end time (0)': () => [span({ startTimeUnixNano: undefined, endTimeUnixNano: '0' })],
  'start time with 8-digit seconds (read as a date before the fix)': () => [
    span({ startTimeUnixNano: '20260105000000000', endTimeUnixNano: '20260105000000001' }),
  ],
  'timestamp at fixed64 max (year 2554)': () => [
    span({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: '18446744073709551615' }),
  ],
  'timestamp with 27 digits': () => [
    span({
      startTimeUnixNano: '999999999999999999999999999',
      endTimeUnixNano: '9999999999999999999999999999',
    }),
  ],
  'negative start, huge end (duration beyond UInt64)': () => [
    span({ startTimeUnixNano: '-99999999999999999999', endTimeUnixNano: '99999999999999999999' }),
  ],
  'event timestamp beyond DateTime64': () => [
    span({ events: [{ timeUnixNano: '99999999999999999999999', name: 'e' }] }),
  ],
  'token counts beyond UInt64': () => [
    span({ attrs: [{ key: 'gen_ai.usage.output_tokens', value: { doubleValue: 1e30 } }] }),
  ],
  'prefix and max tokens beyond UInt32': () => [
    span({
      attrs: [
        { key: 'burnrate.prompt.prefix_tokens', value: { doubleValue: 1e30 } },
        { key: 'gen_ai.request.max_tokens', value: { intValue: '9223372036854775807' } },
      ],
    }),
  ],
  'spans spread over 110 days in one batch': () =>
    Array.from({ length: 110 }, (_, i) => {
      const t = NOW - BigInt(i) * 86_400_000_000_000n;
      return span({ startTimeUnixNano: t.toString(), endTimeUnixNano: (t + 1000n).toString() });
    }),
};

describe('values ClickHouse would refuse are stored, and never poison a batch', () => {
  let n = 0;
  for (const [name, make] of Object.entries(cases)) {
    it(name, async () => {
      const service = `poison-${++n}`;
      const hostile = make();
      // A well-behaved client's span goes in the same batch.
      const [a, b] = await Promise.all([post(service, hostile), post(`${service}-good`, [span()])]);
      expect([a, b]).toEqual([200, 200]);
      await c.writer.drain();
      expect(c.metrics.value('burnrate_insert_errors_total')).toBe(0);
      expect(c.metrics.value('burnrate_spans_spooled_total')).toBe(0);
      expect(c.writer.storageHealthy).toBe(true);
      expect(await stored(service)).toBe(hostile.length);
      expect(await stored(`${service}-good`)).toBe(1);
    });
  }

  it('stores clamped values, not garbage', async () => {
    const ts = async (service: string) =>
      (
        await rows<{ ts: string }>(
          c.store.client,
          'SELECT toString(Timestamp) ts FROM burnrate.otel_traces WHERE ServiceName = {s:String}',
          { s: service },
        )
      )[0]!.ts;
    expect(await ts('poison-3')).toBe('1970-01-01 00:00:00.000000000');
    expect(await ts('poison-4')).toBe('1970-08-23 11:48:25.000000000');
    expect(await ts('poison-5')).toBe('2100-01-01 00:00:00.000000000');
    const t = await rows<{ o: string; p: string; m: string }>(
      c.store.client,
      `SELECT toString(output_tokens) o, toString(prefix_tokens) p, toString(max_tokens) m FROM burnrate.genai_spend WHERE service_name IN ('poison-9', 'poison-10') ORDER BY length(service_name), service_name`,
    );
    expect(t[0]!.o).toBe(String(Number.MAX_SAFE_INTEGER));
    expect(t[1]!.p).toBe('4294967295');
    expect(t[1]!.m).toBe('4294967295');
    const s = await rows<{ name: string }>(
      c.store.client,
      `SELECT SpanName name FROM burnrate.otel_traces WHERE ServiceName = 'poison-1'`,
    );
    expect(s[0]!.name).toBe('chat \ufffd x');
  });
});
