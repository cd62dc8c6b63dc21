export { type AdviceOptions, type AdviceReport, Advisor, type Opportunity } from './advice/advice.js';
export { type Handler, Router, sendJson, sendText } from './api/router.js';
export { buildRouter, createHttpServer, stopHttpServer, withApiAuth } from './api/server.js';
export {
  DIMENSIONS,
  type Dimension,
  parseTime,
  querySpend,
  type SpendQuery,
  type SpendResponse,
  spendQueryFromParams,
} from './api/spend.js';
export {
  type Collector,
  type CollectorOverrides,
  openStore,
  schemaFor,
  startCollector,
} from './collector.js';
export { type Config, ConfigError, configSchema, loadConfig, parseConfig } from './config.js';
export { encodeOtlpJson, Forwarder, tracesUrl } from './forward/forwarder.js';
export { createLogger, type Logger } from './log.js';
export { createMetrics, M, Metrics } from './metrics.js';
export * from './model.js';
export {
  canonicalProvider,
  normalizeGenAi,
  normalizeSpan,
  type SpendRow,
  type TraceRow,
  traceRow,
} from './normalize/index.js';
export { decodeJson, decodeProtobuf } from './receiver/decode.js';
export { ExportTraceServiceRequest, ExportTraceServiceResponse } from './receiver/otlp-proto.js';
export type { Batch, BatchSink } from './store/batch.js';
export { openClickHouse, type StoreHandle } from './store/client.js';
export { migrate } from './store/migrations.js';
export { MIGRATIONS, SchemaBuilder, TABLES } from './store/schema.js';
export { ClickHouseSink } from './store/sink.js';
export { Spool } from './store/spool.js';
export { QueueFullError, StorageUnavailableError, Writer } from './store/writer.js';
