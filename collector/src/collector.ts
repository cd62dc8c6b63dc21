/** Wires the collector together: store, migrations, writer, receivers, forwarder, API. */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { defaultPricer, Pricer } from '@burnrate/core';
import { Advisor } from './advice/advice.js';
import { addAdviceRoutes, startAdviceSnapshots } from './advice/api.js';
import type { Router } from './api/router.js';
import { buildRouter, createHttpServer, stopHttpServer } from './api/server.js';
import { addBudgetRoutes } from './budgets/api.js';
import { BudgetEngine } from './budgets/engine.js';
import type { Config } from './config.js';
import { Forwarder } from './forward/forwarder.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { type GrpcReceiver, startGrpcReceiver } from './receiver/grpc.js';
import { createTracesHandler } from './receiver/http.js';
import { Ingest } from './receiver/ingest.js';
import type { BatchSink } from './store/batch.js';
import { embeddedPath, openClickHouse, type StoreHandle } from './store/client.js';
import { migrate } from './store/migrations.js';
import { SchemaBuilder } from './store/schema.js';
import { ClickHouseSink } from './store/sink.js';
import { Spool } from './store/spool.js';
import { Writer } from './store/writer.js';

export interface CollectorOverrides {
  log?: Logger | undefined;
  /** Replace the ClickHouse sink (tests: a sink that fails on demand). */
  wrapSink?: ((sink: BatchSink) => BatchSink) | undefined;
  pricer?: Pricer | undefined;
}

export interface Collector {
  config: Config;
  port: number;
  grpcPort: number | undefined;
  url: string;
  store: StoreHandle;
  schema: SchemaBuilder;
  writer: Writer;
  metrics: Metrics;
  router: Router;
  forwarder: Forwarder | undefined;
  budgets: BudgetEngine;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok((server.address() as AddressInfo).port);
    });
  });
}

export function schemaFor(config: Config): SchemaBuilder {
  return new SchemaBuilder({
    database: config.clickhouse.database,
    cluster: config.clickhouse.cluster,
    retention: config.clickhouse.retention_days,
  });
}

export async function openStore(config: Config): Promise<StoreHandle> {
  const ch = config.clickhouse;
  const tls = ch.tls
    ? {
        caCert: readFileSync(ch.tls.ca_file),
        cert: ch.tls.cert_file ? readFileSync(ch.tls.cert_file) : undefined,
        key: ch.tls.key_file ? readFileSync(ch.tls.key_file) : undefined,
      }
    : undefined;
  return openClickHouse({
    url: ch.url,
    user: ch.user,
    password: ch.password,
    embeddedPath: embeddedPath(resolve(config.data_dir)),
    tls,
    requestTimeoutMs: ch.request_timeout_ms,
  });
}

export async function startCollector(config: Config, overrides: CollectorOverrides = {}): Promise<Collector> {
  const log = overrides.log ?? createLogger(config.log_level);
  const metrics = createMetrics();
  const pricer =
    overrides.pricer ??
    (config.pricing.prices_file ? Pricer.fromFile(config.pricing.prices_file) : defaultPricer());
  const store = await openStore(config);
  const schema = schemaFor(config);
  const applySchema = async () => {
    const report = await migrate(store.client, schema);
    if (report.applied.length) log.info(`schema migrations applied: ${report.applied.join(', ')}`);
  };
  let schemaPending = false;
  try {
    await applySchema();
  } catch (err) {
    if (store.embedded) {
      await store.close().catch(() => {});
      throw err;
    }
    // A server that is down at start: accept and spool, apply the schema when it answers.
    schemaPending = true;
    log.error(`ClickHouse not ready at start (${(err as Error).message}); spooling until it answers`);
  }
  log.info(`storing in ${store.where}, database ${config.clickhouse.database}`);

  const baseSink = new ClickHouseSink(store.client, schema, schemaPending ? applySchema : undefined);
  const sink = overrides.wrapSink ? overrides.wrapSink(baseSink) : baseSink;
  const w = config.writer;
  const spool = new Spool(join(resolve(config.data_dir), 'spool'), w.spool_max_bytes);
  const writer = new Writer({
    sink,
    spool,
    metrics,
    log,
    maxBatchSpans: w.batch_spans,
    flushIntervalMs: w.flush_interval_ms,
    maxQueueSpans: w.max_queue_spans,
    insertAttempts: w.insert_attempts,
    retryBaseMs: w.retry_base_ms,
    retryMaxMs: w.retry_max_ms,
    replayIntervalMs: w.replay_interval_ms,
    concurrency: w.concurrency,
  });
  const forwarder = config.forward.endpoint
    ? new Forwarder({
        endpoint: config.forward.endpoint,
        headers: config.forward.headers,
        maxQueueSpans: config.forward.max_queue_spans,
        batchSpans: config.forward.batch_spans,
        timeoutMs: config.forward.timeout_ms,
        metrics,
        log,
      })
    : undefined;
  const budgets = new BudgetEngine({ client: store.client, schema, config, log });
  const ingest = new Ingest(writer, pricer, metrics, forwarder, () => budgets.poke());
  const s = config.server;
  const router = buildRouter({
    client: store.client,
    schema,
    writer,
    metrics,
    log,
    apiToken: config.auth.api_token,
    tracesHandler: createTracesHandler({
      ingest,
      metrics,
      maxBodyBytes: s.max_body_bytes,
      ingestToken: config.auth.ingest_token,
    }),
  });
  addBudgetRoutes(router, budgets, config.auth.api_token);
  const advisor = new Advisor(store.client, schema, pricer);
  addAdviceRoutes(router, advisor, config.auth.api_token);
  const stopAdvice =
    config.advice.snapshot_interval_ms > 0
      ? startAdviceSnapshots({
          advisor,
          client: store.client,
          schema,
          intervalMs: config.advice.snapshot_interval_ms,
          windowMs: config.advice.snapshot_window_days * 86_400_000,
          log,
        })
      : () => {};
  const server = createHttpServer(router, log);
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  let grpc: GrpcReceiver | undefined;
  let port: number;
  try {
    port = await listen(server, s.host, s.port);
    if (s.grpc_port !== false) {
      grpc = await startGrpcReceiver({
        ingest,
        metrics,
        host: s.host,
        port: s.grpc_port,
        maxBodyBytes: s.max_body_bytes,
        ingestToken: config.auth.ingest_token,
      });
    }
  } catch (err) {
    server.close();
    await writer.close();
    await store.close().catch(() => {});
    throw err;
  }
  budgets.start();
  if (budgets.enabled) log.info(`evaluating ${config.budgets.length} budget rule(s)`);
  log.info(`OTLP/HTTP and API on ${s.host}:${port}${grpc ? `, OTLP/gRPC on ${s.host}:${grpc.port}` : ''}`);
  if (forwarder) log.info(`forwarding spans to ${forwarder.url}`);

  let closing: Promise<void> | undefined;
  return {
    config,
    port,
    grpcPort: grpc?.port,
    url: `http://${s.host === '0.0.0.0' || s.host === '::' ? '127.0.0.1' : s.host}:${port}`,
    store,
    schema,
    writer,
    metrics,
    router,
    forwarder,
    budgets,
    close() {
      closing ??= (async () => {
        // Requests in flight get 10 s to finish (their spans are written below either way).
        await stopHttpServer(server, 10_000);
        await grpc?.close();
        await budgets.stop();
        stopAdvice();
        await writer.close();
        await forwarder?.close();
        await store.close();
      })();
      return closing;
    },
  };
}
