/**
 * A scripted HTTP server on 127.0.0.1 (port 0) for provider fakes: records each request, hands it
 * to the fake's handler with the next queued behaviour, and closes every connection on `close()`.
 * HTTP/1.1 by default; `{ http2: true }` serves cleartext HTTP/2 (h2c), which the AWS SDK's default
 * Bedrock Runtime handler speaks. Handlers use the same (req, res) API either way.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedHttpRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  /** The raw body. */
  body: Buffer;
  /** The body parsed as JSON, or undefined. */
  json: any;
}

export type Handler<B> = (
  req: RecordedHttpRequest,
  res: ServerResponse,
  behaviour: B,
) => void | Promise<void>;

export interface ScriptedServer<B> {
  url: string;
  port: number;
  requests: RecordedHttpRequest[];
  /** Behaviours for the next requests, in order (a request with none queued gets `{}`). */
  enqueue(...behaviours: B[]): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startScriptedServer<B extends object>(
  handler: Handler<B>,
  options: { http2?: boolean } = {},
): Promise<ScriptedServer<B>> {
  const requests: RecordedHttpRequest[] = [];
  const queue: B[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let json: unknown;
      try {
        json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      const recorded = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, json };
      requests.push(recorded);
      const behaviour = queue.shift() ?? ({} as B);
      Promise.resolve(handler(recorded, res, behaviour)).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err?.message ?? err) }));
      });
    });
  };
  const server = options.http2
    ? createHttp2Server((req, res) =>
        listener(req as unknown as IncomingMessage, res as unknown as ServerResponse),
      )
    : createServer(listener);
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...b) => queue.push(...b),
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: async () => {
      const closed = once(server, 'close').catch(() => undefined);
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
