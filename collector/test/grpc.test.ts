/** OTLP/gRPC specifics: bearer token in metadata, malformed messages, partial success. */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../src/collector.js';
import { TRACE_SERVICE_EXPORT } from '../src/receiver/grpc.js';
import { ExportTraceServiceRequest, ExportTraceServiceResponse } from '../src/receiver/otlp-proto.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
let collector: Collector;
let client: grpc.Client;

beforeAll(async () => {
  collector = await startTestCollector(tmp.dir, 'auth:\n  ingest_token: grpc-secret\n');
  client = new grpc.Client(`127.0.0.1:${collector.grpcPort}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client.close();
  await collector.close();
  tmp.cleanup();
});

function call(body: Uint8Array, token?: string): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      TRACE_SERVICE_EXPORT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(body),
      md,
      (err, res) => resolve({ err, res }),
    );
  });
}

const request = (spanIdBytes: number) =>
  ExportTraceServiceRequest.encode(
    ExportTraceServiceRequest.fromObject({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'grpc-raw' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.alloc(16, 7),
                  spanId: Buffer.alloc(8, 1),
                  name: 'ok',
                  startTimeUnixNano: Date.now() * 1e6,
                },
                {
                  traceId: Buffer.alloc(16, 7),
                  spanId: Buffer.alloc(spanIdBytes, 2),
                  name: 'maybe',
                  startTimeUnixNano: Date.now() * 1e6,
                },
              ],
            },
          ],
        },
      ],
    }),
  ).finish();

describe('OTLP/gRPC', () => {
  it('requires the ingest token', async () => {
    const { err } = await call(request(8));
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
    const wrong = await call(request(8), 'nope');
    expect(wrong.err?.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('answers INVALID_ARGUMENT for a malformed message', async () => {
    const { err } = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]), 'grpc-secret');
    expect(err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err?.details).toMatch(/invalid OTLP protobuf/);
  });

  it('stores valid spans and reports rejected ones as partial success', async () => {
    const { err, res } = await call(request(3), 'grpc-secret');
    expect(err).toBeNull();
    const decoded = ExportTraceServiceResponse.toObject(ExportTraceServiceResponse.decode(res!), {
      longs: Number,
    }) as {
      partialSuccess?: { rejectedSpans: number; errorMessage: string };
    };
    expect(decoded.partialSuccess?.rejectedSpans).toBe(1);
    expect(decoded.partialSuccess?.errorMessage).toMatch(/spanId must be 8 bytes, got 3/);
    const stored = await rows<{ SpanName: string }>(
      collector.store.client,
      "SELECT SpanName FROM burnrate.otel_traces WHERE ServiceName = 'grpc-raw'",
    );
    expect(stored.map((r) => r.SpanName)).toEqual(['ok']);
  });
});
