/**
 * GenAI client metrics (OpenTelemetry GenAI semantic conventions) plus burnrate's USD cost counter.
 * One helper so every instrumentation records the same instruments with the same attributes.
 */
import { type Attributes, type Counter, diag, type Histogram, type Meter } from '@opentelemetry/api';
import { ATTR, type PricingTier } from './attributes.js';
import type { NormalizedUsage } from './usage.js';

export const METRIC = {
  /** Histogram, `{token}`, one point per token type (`gen_ai.token.type` = `input` | `output`). */
  TOKEN_USAGE: 'gen_ai.client.token.usage',
  /** Histogram, `s`. */
  OPERATION_DURATION: 'gen_ai.client.operation.duration',
  /** Counter, `USD`: what the calls cost (only priced calls add to it). */
  COST: 'burnrate.client.cost',
} as const;

export const TOKEN_TYPE = 'gen_ai.token.type';

/** Bucket boundaries the GenAI semantic conventions recommend. */
export const TOKEN_USAGE_BUCKETS = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
export const OPERATION_DURATION_BUCKETS = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];

export interface GenAiMetricRecord {
  operation: string;
  provider: string;
  requestModel?: string | undefined;
  responseModel?: string | undefined;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
  /** Set when the call failed. */
  errorType?: string | undefined;
  durationSeconds: number;
  usage?: NormalizedUsage | undefined;
  costUsd?: number | undefined;
  tier?: PricingTier | undefined;
  /** Attribution attributes of the call; only the bounded ones (feature, tenant) go on the cost counter. */
  attribution?: Attributes | undefined;
}

export class GenAiMetrics {
  private readonly tokenUsage: Histogram;
  private readonly duration: Histogram;
  private readonly cost: Counter;

  constructor(meter: Meter) {
    this.tokenUsage = meter.createHistogram(METRIC.TOKEN_USAGE, {
      description: 'Number of input and output tokens used',
      unit: '{token}',
      advice: { explicitBucketBoundaries: TOKEN_USAGE_BUCKETS },
    });
    this.duration = meter.createHistogram(METRIC.OPERATION_DURATION, {
      description: 'GenAI operation duration',
      unit: 's',
      advice: { explicitBucketBoundaries: OPERATION_DURATION_BUCKETS },
    });
    this.cost = meter.createCounter(METRIC.COST, {
      description: 'Cost of GenAI calls in US dollars',
      unit: 'USD',
    });
  }

  /** Records one finished call. Never throws. */
  record(r: GenAiMetricRecord): void {
    try {
      const base: Attributes = {
        [ATTR.OPERATION_NAME]: r.operation,
        [ATTR.PROVIDER_NAME]: r.provider,
      };
      if (r.requestModel) base[ATTR.REQUEST_MODEL] = r.requestModel;
      if (r.responseModel) base[ATTR.RESPONSE_MODEL] = r.responseModel;
      if (r.serverAddress) base[ATTR.SERVER_ADDRESS] = r.serverAddress;
      if (r.serverPort) base[ATTR.SERVER_PORT] = r.serverPort;
      const durationAttrs = r.errorType ? { ...base, [ATTR.ERROR_TYPE]: r.errorType } : base;
      this.duration.record(Math.max(0, r.durationSeconds), durationAttrs);
      if (r.usage) {
        this.tokenUsage.record(r.usage.inputTokens, { ...base, [TOKEN_TYPE]: 'input' });
        this.tokenUsage.record(r.usage.outputTokens, { ...base, [TOKEN_TYPE]: 'output' });
      }
      if (r.costUsd !== undefined && r.costUsd > 0) {
        const costAttrs: Attributes = { ...base, [ATTR.PRICING_TIER]: r.tier ?? 'standard' };
        for (const key of [ATTR.FEATURE, ATTR.TENANT]) {
          const value = r.attribution?.[key];
          if (value !== undefined) costAttrs[key] = value;
        }
        this.cost.add(r.costUsd, costAttrs);
      }
    } catch (err) {
      diag.debug(`burnrate: could not record GenAI metrics: ${(err as Error).message}`);
    }
  }
}
