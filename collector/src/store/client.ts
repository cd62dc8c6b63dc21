/**
 * The ClickHouse client: a server when a URL is configured, otherwise the embedded engine (chdb)
 * plugged into the same `@clickhouse/client` API, so every other module is backend-agnostic.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from '@clickhouse/client';

export interface ClickHouseOptions {
  /** `http(s)://host:port`; unset = embedded. */
  url?: string | undefined;
  user: string;
  password: string;
  /** Embedded store location (`$BURNRATE_DATA_DIR/clickhouse`). */
  embeddedPath: string;
  /** TLS for server mode: CA certificate (PEM) and optional client certificate/key for mutual TLS. */
  tls?: { caCert?: Buffer | undefined; cert?: Buffer | undefined; key?: Buffer | undefined } | undefined;
  requestTimeoutMs?: number | undefined;
}

export interface StoreHandle {
  client: ClickHouseClient;
  embedded: boolean;
  /** Human-readable location, for logs (never includes credentials). */
  where: string;
  close(): Promise<void>;
}

export async function openClickHouse(opts: ClickHouseOptions): Promise<StoreHandle> {
  if (!opts.url) {
    mkdirSync(opts.embeddedPath, { recursive: true });
    // chdb is loaded lazily: a server deployment never loads the embedded engine.
    const { createChdbConnection } = await import('chdb/connection');
    const connection = createChdbConnection({ path: opts.embeddedPath });
    const client = createClient({
      connection,
      log: { level: ClickHouseLogLevel.OFF },
    } as Parameters<typeof createClient>[0]);
    return {
      client,
      embedded: true,
      where: `embedded ClickHouse at ${opts.embeddedPath}`,
      async close() {
        await client.close();
        const chdb = (await import('chdb')) as unknown as { drainPending?: () => Promise<void> };
        await chdb.drainPending?.();
      },
    };
  }
  const url = new URL(opts.url);
  const tls =
    opts.tls?.caCert !== undefined
      ? opts.tls.cert && opts.tls.key
        ? { ca_cert: opts.tls.caCert, cert: opts.tls.cert, key: opts.tls.key }
        : { ca_cert: opts.tls.caCert }
      : undefined;
  const client = createClient({
    url: `${url.protocol}//${url.host}`,
    username: opts.user,
    password: opts.password,
    request_timeout: opts.requestTimeoutMs ?? 30_000,
    compression: { request: true, response: true },
    // Failures are reported by the writer (with context); the client's own error log would duplicate them.
    log: { level: ClickHouseLogLevel.OFF },
    ...(tls ? { tls } : {}),
  });
  return {
    client,
    embedded: false,
    where: `ClickHouse server ${url.protocol}//${url.host}`,
    close: () => client.close(),
  };
}

export function embeddedPath(dataDir: string): string {
  return join(dataDir, 'clickhouse');
}
