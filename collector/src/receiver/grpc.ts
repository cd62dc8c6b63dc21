/**
 * OTLP/gRPC traces receiver (`opentelemetry.proto.collector.trace.v1.TraceService/Export`) on
 * @grpc/grpc-js. Messages are decoded with the same protobuf code as OTLP/HTTP; grpc-js handles gzip
 * message compression and enforces the message size limit.
 */
import * as grpc from '@grpc/grpc-js';
import { authorized } from '../auth.js';
import { M, type Metrics } from '../metrics.js';
import { BadRequestError } from '../model.js';
import { QueueFullError, StorageUnavailableError } from '../store/writer.js';
import { decodeProtobuf } from './decode.js';
import type { Ingest } from './ingest.js';
import { encodeResponse } from './otlp-proto.js';

export const TRACE_SERVICE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export interface GrpcReceiverOptions {
  ingest: Ingest;
  metrics: Metrics;
  host: string;
  port: number;
  maxBodyBytes: number;
  ingestToken?: string | undefined;
}

export interface GrpcReceiver {
  port: number;
  close(): Promise<void>;
}

const identity = (b: Buffer) => b;

export async function startGrpcReceiver(o: GrpcReceiverOptions): Promise<GrpcReceiver> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': o.maxBodyBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  const service: grpc.ServiceDefinition = {
    Export: {
      path: TRACE_SERVICE_EXPORT,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      responseDeserialize: identity,
    },
  };
  const refuse = (reason: string) => o.metrics.inc(M.requestsRejected, 1, { reason, transport: 'grpc' });
  const handler: grpc.handleUnaryCall<Buffer, Uint8Array> = (call, callback) => {
    const auth = call.metadata.get('authorization')[0];
    if (!authorized(typeof auth === 'string' ? auth : auth?.toString(), o.ingestToken)) {
      refuse('unauthorized');
      callback({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
      return;
    }
    let decoded: ReturnType<typeof decodeProtobuf>;
    try {
      decoded = decodeProtobuf(call.request);
    } catch (err) {
      refuse('bad_request');
      const msg = err instanceof BadRequestError ? err.message : String(err);
      callback({ code: grpc.status.INVALID_ARGUMENT, details: msg });
      return;
    }
    o.ingest.ingest(decoded).then(
      (r) => callback(null, encodeResponse(r.rejected, r.message)),
      (err: Error) => {
        const reason = err instanceof QueueFullError ? 'queue_full' : 'storage_unavailable';
        refuse(reason);
        const md = new grpc.Metadata();
        const retry =
          err instanceof QueueFullError || err instanceof StorageUnavailableError ? err.retryAfterSeconds : 5;
        md.set('retry-after', String(retry));
        callback({ code: grpc.status.UNAVAILABLE, details: err.message, metadata: md });
      },
    );
  };
  server.addService(service, { Export: handler as grpc.UntypedHandleCall });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.host}:${o.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        server.tryShutdown(() => {
          clearTimeout(t);
          resolve();
        });
      }),
  };
}
