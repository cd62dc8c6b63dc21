/** The collector's one HTTP port: OTLP/HTTP ingest, the REST API, health and metrics. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ClickHouseClient } from '@clickhouse/client';
import { authorized } from '../auth.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { SchemaBuilder } from '../store/schema.js';
import type { Writer } from '../store/writer.js';
import { type Handler, Router, sendJson, sendText } from './router.js';
import { querySpend, SpendQueryError, spendQueryFromParams } from './spend.js';

export interface ApiOptions {
  client: ClickHouseClient;
  schema: SchemaBuilder;
  writer: Writer;
  metrics: Metrics;
  log: Logger;
  apiToken?: string | undefined;
  tracesHandler: Handler;
}

/** Wraps an API handler with the API bearer token check. */
export function withApiAuth(token: string | undefined, handler: Handler): Handler {
  return (req, res, url) => {
    if (!authorized(req.headers.authorization, token)) {
      sendJson(
        res,
        401,
        { error: 'missing or invalid bearer token' },
        { 'www-authenticate': 'Bearer realm="burnrate-api"' },
      );
      return;
    }
    return handler(req, res, url);
  };
}

export function buildRouter(o: ApiOptions): Router {
  const router = new Router();
  router.add('POST', '/v1/traces', o.tracesHandler);
  router.add('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  router.add('GET', '/readyz', async (_req, res) => {
    const ping = await o.client.ping().catch((err: Error) => ({ success: false as const, error: err }));
    const storage = ping.success ? 'ok' : 'unavailable';
    // Spooling still acknowledges spans durably, so the collector stays ready while the spool has room.
    sendJson(res, 200, {
      status: 'ready',
      clickhouse: storage,
      queue_spans: o.writer.depth,
      spooling: !o.writer.storageHealthy,
    });
  });
  router.add('GET', '/metrics', (_req, res) =>
    sendText(res, 200, o.metrics.render(), 'text/plain; version=0.0.4; charset=utf-8'),
  );
  router.add(
    'GET',
    '/api/spend',
    withApiAuth(o.apiToken, async (_req, res, url) => {
      let q: ReturnType<typeof spendQueryFromParams>;
      try {
        q = spendQueryFromParams(url.searchParams);
      } catch (err) {
        if (err instanceof SpendQueryError) return sendJson(res, 400, { error: err.message });
        throw err;
      }
      sendJson(res, 200, await querySpend(o.client, o.schema, q));
    }),
  );
  return router;
}

/** Responses not yet finished, per server: told to close their connection when the server stops. */
const inFlight = new WeakMap<Server, Set<ServerResponse>>();

export function createHttpServer(router: Router, log: Logger): Server {
  const open = new Set<ServerResponse>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    // A request on a kept-alive connection after stop: answer it, then close the connection.
    if (!server.listening) res.setHeader('connection', 'close');
    open.add(res);
    res.on('close', () => open.delete(res));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendJson(res, 400, { error: 'bad request target' });
      return;
    }
    const m = router.match(req.method ?? 'GET', url.pathname);
    if ('status' in m) {
      req.resume();
      sendJson(
        res,
        m.status,
        { error: m.status === 404 ? 'not found' : 'method not allowed' },
        m.allow ? { allow: m.allow } : {},
      );
      return;
    }
    try {
      await m.handler(req, res, url);
    } catch (err) {
      log.error(`${req.method} ${url.pathname} failed: ${(err as Error).stack ?? err}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  });
  inFlight.set(server, open);
  return server;
}

/**
 * Stops the server without waiting on clients: no new connections; requests in flight finish and their
 * connections close (exporters sending back to back on keep-alive connections would otherwise hold the
 * server open forever); whatever is still open after `graceMs` is cut.
 */
export function stopHttpServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    for (const res of inFlight.get(server) ?? []) {
      if (!res.headersSent) res.setHeader('connection', 'close');
    }
    server.closeIdleConnections();
  });
}
