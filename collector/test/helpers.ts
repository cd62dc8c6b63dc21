import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { type AnyValue, type Attributes, fromJs, type Span } from '../src/model.js';

export function tempDir(prefix = 'burnrate-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function attrs(o: Record<string, string | number | boolean | AnyValue>): Attributes {
  const m: Attributes = new Map();
  for (const [k, v] of Object.entries(o)) m.set(k, typeof v === 'object' ? v : fromJs(v));
  return m;
}

let seq = 0;
export function hexId(bytes: number, n = ++seq): string {
  return n.toString(16).padStart(bytes * 2, '0');
}

export function makeSpan(
  o: {
    attributes?: Record<string, string | number | boolean | AnyValue>;
    resource?: Record<string, string | number | boolean>;
    name?: string;
    scope?: string;
    startMs?: number;
    durationMs?: number;
    statusCode?: number;
    traceId?: string;
    spanId?: string;
  } = {},
): Span {
  const start = BigInt(o.startMs ?? Date.now() - 60_000) * 1_000_000n;
  return {
    resource: { attributes: attrs({ 'service.name': 'svc', ...o.resource }), schemaUrl: '' },
    scope: { name: o.scope ?? 'test-scope', version: '1.0.0', attributes: new Map(), schemaUrl: '' },
    traceId: o.traceId ?? hexId(16),
    spanId: o.spanId ?? hexId(8),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: o.name ?? 'chat gpt-4o-mini',
    kind: 3,
    startNs: start,
    endNs: start + BigInt(o.durationMs ?? 1200) * 1_000_000n,
    attributes: attrs(o.attributes ?? {}),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: o.statusCode ?? 0,
    statusMessage: '',
  };
}

export async function rows<T = Record<string, unknown>>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return rs.json<T>();
}

import { type Collector, type CollectorOverrides, startCollector } from '../src/collector.js';
import { type Config, parseConfig } from '../src/config.js';

export function testConfig(dataDir: string, yaml = ''): Config {
  const base = parseConfig(yaml || '{}', 'test');
  return {
    ...base,
    data_dir: dataDir,
    log_level: 'silent',
    server: {
      ...base.server,
      host: '127.0.0.1',
      port: 0,
      grpc_port: base.server.grpc_port === false ? false : 0,
    },
    writer: {
      ...base.writer,
      flush_interval_ms: yaml.includes('flush_interval_ms') ? base.writer.flush_interval_ms : 10,
    },
  };
}

export async function startTestCollector(
  dataDir: string,
  yaml = '',
  overrides: CollectorOverrides = {},
): Promise<Collector> {
  return startCollector(testConfig(dataDir, yaml), overrides);
}

let jsonSeq = 0;

/** An OTLP/JSON export request: one priced gpt-4o-mini chat span per name, each with a fresh id. */
export function otlpJsonRequest(service: string, names: string[]) {
  const now = (BigInt(Date.now()) * 1_000_000n).toString();
  const spans = names.map((name) => {
    const id = (++jsonSeq).toString(16).padStart(16, '0');
    return {
      traceId: `${id}${id}`,
      spanId: id,
      name,
      startTimeUnixNano: now,
      endTimeUnixNano: now,
      attributes: [
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: 100 } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: 10 } },
      ],
    };
  });
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ spans }],
      },
    ],
  };
}
