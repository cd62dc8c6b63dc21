/**
 * OTLP/HTTP traces receiver (`POST /v1/traces`), per the OTLP specification:
 * - `application/x-protobuf` or `application/json` (else 415), optional gzip (`Content-Encoding`);
 * - the response uses the request's content type: `ExportTraceServiceResponse` on success, with
 *   `partial_success` when spans were rejected; a `google.rpc.Status` with a message on failure;
 * - 400 for a body that cannot be decoded, 413 for one over the limit (before or after gunzip),
 *   401 for a missing/wrong bearer token, 429 (queue full) or 503 (storage unavailable) with Retry-After.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authorized } from '../auth.js';
import { M, type Metrics } from '../metrics.js';
import { BadRequestError, type DecodedRequest } from '../model.js';
import { QueueFullError, StorageUnavailableError } from '../store/writer.js';
import { HttpError, readBody } from './body.js';
import { decodeJson, decodeProtobuf } from './decode.js';
import type { Ingest } from './ingest.js';
import { encodeResponse, encodeRpcStatus } from './otlp-proto.js';

type Kind = 'protobuf' | 'json';

export interface HttpReceiverOptions {
  ingest: Ingest;
  metrics: Metrics;
  maxBodyBytes: number;
  ingestToken?: string | undefined;
}

function contentKind(header: string | undefined): Kind | undefined {
  const type = (header ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/** gRPC status codes used in error bodies (google.rpc.Code). */
const RPC_CODE: Record<number, number> = { 400: 3, 401: 16, 413: 3, 415: 3, 429: 8, 503: 14, 500: 13 };

function sendStatus(
  res: ServerResponse,
  kind: Kind,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const code = RPC_CODE[status] ?? 2;
  if (kind === 'protobuf') {
    const body = encodeRpcStatus(code, message);
    res.writeHead(status, {
      'content-type': 'application/x-protobuf',
      'content-length': body.length,
      ...headers,
    });
    res.end(body);
  } else {
    const body = JSON.stringify({ code, message });
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }
}

export function createTracesHandler(o: HttpReceiverOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const kind = contentKind(req.headers['content-type']);
    const refuse = (reason: string) => o.metrics.inc(M.requestsRejected, 1, { reason });
    if (!authorized(req.headers.authorization, o.ingestToken)) {
      refuse('unauthorized');
      req.resume();
      sendStatus(res, kind ?? 'json', 401, 'missing or invalid bearer token', {
        'www-authenticate': 'Bearer realm="burnrate-ingest"',
      });
      return;
    }
    if (!kind) {
      refuse('unsupported_media_type');
      req.resume();
      sendStatus(
        res,
        'json',
        415,
        `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}: use application/x-protobuf or application/json`,
      );
      return;
    }
    let decoded: DecodedRequest;
    try {
      const body = await readBody(req, o.maxBodyBytes);
      decoded = kind === 'protobuf' ? decodeProtobuf(body) : decodeJson(body);
    } catch (err) {
      if (err instanceof HttpError) {
        refuse(
          err.status === 413 ? 'too_large' : err.status === 415 ? 'unsupported_encoding' : 'bad_request',
        );
        sendStatus(res, kind, err.status, err.message, err.headers);
        return;
      }
      if (err instanceof BadRequestError) {
        refuse('bad_request');
        sendStatus(res, kind, 400, err.message);
        return;
      }
      throw err;
    }
    try {
      const result = await o.ingest.ingest(decoded);
      if (kind === 'protobuf') {
        const body = encodeResponse(result.rejected, result.message);
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': body.length });
        res.end(body);
      } else {
        const body = JSON.stringify(
          result.rejected
            ? { partialSuccess: { rejectedSpans: String(result.rejected), errorMessage: result.message } }
            : {},
        );
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      }
    } catch (err) {
      if (err instanceof QueueFullError) {
        refuse('queue_full');
        sendStatus(res, kind, 429, err.message, { 'retry-after': String(err.retryAfterSeconds) });
      } else if (err instanceof StorageUnavailableError) {
        refuse('storage_unavailable');
        sendStatus(res, kind, 503, err.message, { 'retry-after': String(err.retryAfterSeconds) });
      } else {
        refuse('internal');
        sendStatus(res, kind, 503, `internal error: ${(err as Error).message}`, { 'retry-after': '5' });
      }
    }
  };
}
