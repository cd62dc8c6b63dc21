/**
 * One GenAI call from start to end: its span, its metrics, and the local token count when the
 * provider gave no usage. Instrumentations create one per request and end it exactly once.
 * Nothing here throws: failures go to `diag`.
 */
import {
  type Attributes,
  type Context,
  context,
  diag,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR, type PricingTier } from './attributes.js';
import { attributionAttributes } from './attribution.js';
import { PROMPT_ATTR, type PromptShape } from './fingerprint.js';
import type { GenAiMetrics } from './genai-metrics.js';
import { type GenAiSpanStart, recordUsageAndCost, startGenAiSpan } from './genai-span.js';
import type { Pricer } from './pricing.js';
import { countTokens } from './tokenizer.js';
import { emptyUsage, type NormalizedUsage } from './usage.js';

export interface GenAiCallEnd {
  responseModel?: string | undefined;
  responseId?: string | undefined;
  finishReasons?: string[] | undefined;
  /** Usage the provider reported. */
  usage?: NormalizedUsage | undefined;
  /** Pricing tier the call ran on (`service_tier`, batch). */
  tier?: PricingTier | undefined;
  /** Texts to count locally when the provider reported no usage. */
  estimateFrom?: { input: string[]; output: string[] } | undefined;
  /** Streams: false when the caller broke off, aborted, or the stream failed. */
  streamCompleted?: boolean | undefined;
  attributes?: Attributes | undefined;
}

export interface GenAiCallOptions {
  tracer: Tracer;
  start: GenAiSpanStart;
  metrics?: GenAiMetrics | undefined;
  pricer?: Pricer | undefined;
  /** Parent context; the active one by default. */
  ctx?: Context | undefined;
  /** Prompt fingerprints (set at start) and the prefix share that turns input tokens into prefix tokens. */
  prompt?: PromptShape | undefined;
}

/** Low-cardinality `error.type`: the error's class name (e.g. `RateLimitError`), else `_OTHER`. */
export function errorTypeOf(err: unknown): string {
  try {
    if (err && typeof err === 'object') {
      const name = (err as { constructor?: { name?: unknown } }).constructor?.name;
      if (typeof name === 'string' && name !== '' && name !== 'Object') return name;
    }
  } catch {
    // fall through
  }
  return '_OTHER';
}

function nowEpochMs(): number {
  return performance.timeOrigin + performance.now();
}

export class GenAiCall {
  readonly span: Span;
  /** The parent context with this call's span set: run the SDK call in it so child spans nest. */
  readonly ctx: Context;
  private readonly parentCtx: Context;
  private readonly startedAt = performance.now();
  private firstChunkSeen = false;
  private ended = false;

  constructor(private readonly options: GenAiCallOptions) {
    this.parentCtx = options.ctx ?? context.active();
    this.span = startGenAiSpan(options.tracer, options.start, this.parentCtx, options.prompt?.attributes);
    this.ctx = trace.setSpan(this.parentCtx, this.span);
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Streams: marks the first chunk (sets `gen_ai.response.time_to_first_chunk` once). */
  firstChunk(): void {
    if (this.firstChunkSeen || this.ended) return;
    this.firstChunkSeen = true;
    try {
      this.span.setAttribute(ATTR.RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - this.startedAt) / 1000);
    } catch (err) {
      diag.debug(`burnrate: ${(err as Error).message}`);
    }
  }

  /** Ends the call. `error` set: the span gets `error.type` and ERROR status. Only the first call counts. */
  end(result: GenAiCallEnd = {}, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const endTime = nowEpochMs();
    const durationSeconds = (performance.now() - this.startedAt) / 1000;
    try {
      const attributes: Attributes = { ...result.attributes };
      if (result.responseModel) attributes[ATTR.RESPONSE_MODEL] = result.responseModel;
      if (result.responseId) attributes[ATTR.RESPONSE_ID] = result.responseId;
      if (result.finishReasons && result.finishReasons.length > 0) {
        attributes[ATTR.RESPONSE_FINISH_REASONS] = result.finishReasons;
      }
      if (result.streamCompleted !== undefined) attributes[ATTR.STREAM_COMPLETED] = result.streamCompleted;
      let errorType: string | undefined;
      if (error !== undefined) {
        errorType = errorTypeOf(error);
        attributes[ATTR.ERROR_TYPE] = errorType;
        this.span.recordException(error instanceof Error ? error : String(error));
        this.span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      this.span.setAttributes(attributes);
      const finish = (usage: NormalizedUsage | undefined, estimated: boolean) =>
        this.finish(result, usage, estimated, errorType, durationSeconds, endTime);
      const texts = result.estimateFrom;
      if (!result.usage && texts && (texts.input.length > 0 || texts.output.length > 0)) {
        const model = result.responseModel ?? this.options.start.requestModel;
        Promise.all([countTokens(texts.input, model), countTokens(texts.output, model)]).then(
          ([inputTokens, outputTokens]) => finish({ ...emptyUsage(), inputTokens, outputTokens }, true),
          (err: Error) => {
            diag.debug(`burnrate: local token count failed: ${err.message}`);
            finish(undefined, false);
          },
        );
        return;
      }
      finish(result.usage, false);
    } catch (err) {
      diag.warn(`burnrate: could not end GenAI span: ${(err as Error).message}`);
      this.span.end(endTime);
    }
  }

  private finish(
    result: GenAiCallEnd,
    usage: NormalizedUsage | undefined,
    estimated: boolean,
    errorType: string | undefined,
    durationSeconds: number,
    endTime: number,
  ): void {
    try {
      const start = this.options.start;
      const model = result.responseModel ?? start.requestModel;
      const price = usage
        ? recordUsageAndCost(
            this.span,
            { provider: start.provider, model, usage, usageEstimated: estimated, tier: result.tier },
            this.parentCtx,
            this.options.pricer,
          )
        : undefined;
      const prompt = this.options.prompt;
      if (usage && prompt && prompt.prefixShare > 0) {
        this.span.setAttribute(PROMPT_ATTR.PREFIX_TOKENS, Math.round(usage.inputTokens * prompt.prefixShare));
      }
      this.options.metrics?.record({
        operation: start.operation,
        provider: start.provider,
        requestModel: start.requestModel,
        responseModel: result.responseModel,
        serverAddress: start.serverAddress,
        serverPort: start.serverPort,
        errorType,
        durationSeconds,
        usage,
        costUsd: price?.priced ? price.cost.total : undefined,
        tier: result.tier,
        attribution: attributionAttributes(this.parentCtx),
      });
    } catch (err) {
      diag.warn(`burnrate: could not record GenAI usage: ${(err as Error).message}`);
    }
    this.span.end(endTime);
  }
}
