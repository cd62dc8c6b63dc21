/**
 * OpenTelemetry instrumentation for `@anthropic-ai/sdk` (0.x and 1.x).
 *
 * Patches `Anthropic.Messages.prototype.create` (and the beta one): `messages.create` plain and
 * streaming, `messages.parse` and `messages.stream()` are all built on it. The SDK's APIPromise and
 * Stream are observed in place, so callers get exactly what the SDK returned.
 * `messages.batches.results()` yields one span per succeeded result, priced on the batch tier.
 */
import {
  GenAiCall,
  GenAiMetrics,
  getBudgetGuard,
  guardCallArgs,
  observeApiPromise,
  observeSdkStream,
  PROVIDER,
  type PricingTier,
  promptShape,
} from '@burnrate/core';
import { type Context, context, createContextKey, diag } from '@opentelemetry/api';
import { isTracingSuppressed, suppressTracing, unsuppressTracing } from '@opentelemetry/core';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import {
  fromMessage,
  inputTexts,
  isObj,
  MessageStreamState,
  type Raw,
  requestAttributes,
} from './response.js';
import type { AnthropicInstrumentationConfig } from './types.js';
import { VERSION } from './version.js';

export const SUPPORTED_VERSIONS = ['>=0.20.0 <3'];

type AnyFn = (...args: unknown[]) => unknown;

/** Marks a context burnrate suppressed only to keep the SDK's own span out (not the app's choice). */
const OURS = createContextKey('burnrate.anthropic.suppressed');
/** Marks a context whose call the budget guard already decided (messages.stream() before its create). */
const GUARDED = createContextKey('burnrate.anthropic.guarded');

function anthropicClass(moduleExports: unknown): Record<string, unknown> | undefined {
  const m = moduleExports as Record<string, unknown> | undefined;
  const cls = m?.['Anthropic'] ?? m?.['default'] ?? m;
  return typeof cls === 'function' ? (cls as unknown as Record<string, unknown>) : undefined;
}

function protoAt(root: Record<string, unknown>, path: string[], method: string) {
  let node: unknown = root;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  const proto = (node as { prototype?: Record<string, AnyFn> } | undefined)?.prototype;
  return proto && typeof proto[method] === 'function' ? proto : undefined;
}

const MESSAGES = [['Messages'], ['Beta', 'Messages']];

function serverInfo(baseURL: unknown): { serverAddress?: string; serverPort?: number } {
  try {
    const url = new URL(String(baseURL));
    return {
      serverAddress: url.hostname,
      serverPort: url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443,
    };
  } catch {
    return {};
  }
}

export class AnthropicInstrumentation extends InstrumentationBase<AnthropicInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: AnthropicInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-anthropic', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@anthropic-ai/sdk',
      SUPPORTED_VERSIONS,
      (moduleExports) => this.patch(moduleExports),
      (moduleExports) => this.unpatch(moduleExports),
    );
  }

  patch<T>(moduleExports: T): T {
    try {
      const root = anthropicClass(moduleExports);
      if (!root) {
        diag.warn('burnrate: @anthropic-ai/sdk has no Anthropic class; not instrumented');
        return moduleExports;
      }
      for (const path of MESSAGES) {
        const proto = protoAt(root, path, 'create');
        if (proto && !isWrapped(proto['create'])) {
          this._wrap(proto, 'create', (original: AnyFn) => this.wrapCreate(original));
        }
        const streamProto = protoAt(root, path, 'stream');
        if (streamProto && !isWrapped(streamProto['stream'])) {
          this._wrap(streamProto, 'stream', (original: AnyFn) => this.wrapStreamHelper(original));
        }
      }
      const batches = protoAt(root, ['Messages', 'Batches'], 'results');
      if (batches && !isWrapped(batches['results'])) {
        this._wrap(batches, 'results', (original: AnyFn) => this.wrapBatchResults(original));
      }
    } catch (err) {
      diag.warn(`burnrate: could not instrument @anthropic-ai/sdk: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    const root = anthropicClass(moduleExports);
    if (!root) return;
    for (const path of MESSAGES) {
      for (const method of ['create', 'stream']) {
        const proto = protoAt(root, path, method);
        if (proto && isWrapped(proto[method])) this._unwrap(proto, method);
      }
    }
    const batches = protoAt(root, ['Messages', 'Batches'], 'results');
    if (batches && isWrapped(batches['results'])) this._unwrap(batches, 'results');
  }

  private suppressSdkSpans(): boolean {
    const env = process.env['BURNRATE_ANTHROPIC_SDK_SPANS']?.trim().toLowerCase();
    if (env === 'keep') return false;
    return this.getConfig().suppressSdkSpans ?? true;
  }

  /** The context the SDK runs in: tracing suppressed (and marked as ours) when it would trace itself. */
  private sdkContext(client: unknown, ctx: Context): Context {
    const tracesItself = !!(client as { _tracer?: unknown } | undefined)?._tracer;
    if (!tracesItself || !this.suppressSdkSpans()) return ctx;
    return suppressTracing(ctx).setValue(OURS, true);
  }

  /** `messages.stream()` opens the SDK's span before calling `create`: keep it out the same way. */
  private wrapStreamHelper(original: AnyFn): AnyFn {
    const instrumentation = this;
    return function burnrateStream(this: unknown, ...args: unknown[]) {
      // The budget guard runs here, not in the `create` the helper calls later: a blocked call throws
      // BudgetExceededError from stream() itself (the helper would wrap it in an AnthropicError).
      let parent = context.active();
      if (getBudgetGuard())
        parent = guardCallArgs(args, instrumentation.providerOf(this), 'chat').setValue(GUARDED, true);
      let ctx: Context | undefined;
      try {
        const client = (this as { _client?: unknown } | undefined)?._client;
        ctx = instrumentation.sdkContext(client, parent);
      } catch {
        ctx = parent;
      }
      return context.with(ctx, () => original.apply(this, args));
    };
  }

  private providerOf(_sdk: unknown): string {
    return PROVIDER.ANTHROPIC;
  }

  private wrapCreate(original: AnyFn): AnyFn {
    const instrumentation = this;
    const create = function burnrateCreate(this: unknown, ...args: unknown[]) {
      let call: GenAiCall | undefined;
      let sdkCtx: Context | undefined;
      const body = args[0];
      let stream = false;
      try {
        if (isObj(body)) {
          stream = body['stream'] === true;
          const client = (this as { _client?: { baseURL?: unknown } } | undefined)?._client;
          let parent = context.active();
          // Inside our own suppression (messages.stream()): the app's context is the one without it.
          if (parent.getValue(OURS) === true) parent = unsuppressTracing(parent).deleteValue(OURS);
          if (!isTracingSuppressed(parent)) {
            call = new GenAiCall({
              tracer: instrumentation.tracer,
              metrics: instrumentation.genAiMetrics,
              ctx: parent,
              start: {
                operation: 'chat',
                provider: PROVIDER.ANTHROPIC,
                requestModel: typeof body['model'] === 'string' ? body['model'] : undefined,
                ...serverInfo(client?.baseURL),
                stream,
                attributes: requestAttributes(body),
              },
              // Stable prefix: system prompt, tools and all messages but the newest turn.
              prompt: promptShape(body, {
                model: body['model'],
                system: body['system'],
                tools: body['tools'],
                messages: Array.isArray(body['messages']) ? body['messages'].slice(0, -1) : [],
              }),
            });
            sdkCtx = instrumentation.sdkContext(client, call.ctx);
          }
        }
      } catch (err) {
        diag.warn(`burnrate: could not start anthropic span: ${(err as Error).message}`);
      }
      if (!call || !sdkCtx) return original.apply(this, args);

      let result: unknown;
      try {
        result = context.with(sdkCtx, () => original.apply(this, args));
      } catch (err) {
        call.end({}, err);
        throw err;
      }
      try {
        instrumentation.observe(result, call, body as Raw, stream);
      } catch (err) {
        diag.warn(`burnrate: could not observe anthropic call: ${(err as Error).message}`);
      }
      return result;
    };
    return function burnrateGuardedCreate(this: unknown, ...args: unknown[]) {
      if (!getBudgetGuard() || context.active().getValue(GUARDED) === true) return create.apply(this, args);
      // The budget guard runs first: a blocked call throws BudgetExceededError before anything is sent.
      const ctx = guardCallArgs(args, instrumentation.providerOf(this), 'chat');
      return context.with(ctx, () => create.apply(this, args));
    };
  }

  private observe(result: unknown, call: GenAiCall, body: Raw, stream: boolean): void {
    const estimate = (output: string[]) => ({ input: inputTexts(body), output });
    const observed = observeApiPromise(result, {
      onError: (err) => call.end(stream ? { streamCompleted: false } : {}, err),
      onUnparsed: () => call.end({}),
      onData: (data) => {
        if (stream && isObj(data) && typeof data['iterator'] === 'function') {
          const state = new MessageStreamState();
          const ok = observeSdkStream(data, {
            onChunk: (event) => {
              call.firstChunk();
              state.onEvent(event);
              return true;
            },
            onEnd: ({ exhausted, error }) => {
              const { outputTexts, ...end } = state.result();
              const completed = exhausted && error === undefined && state.finished;
              // A stream cut short has only message_start's placeholder output count: count locally.
              const usage = completed ? end.usage : undefined;
              call.end(
                {
                  ...end,
                  usage,
                  streamCompleted: completed,
                  estimateFrom: usage ? undefined : estimate(outputTexts),
                },
                error,
              );
            },
          });
          if (!ok) call.end({ streamCompleted: false });
          return;
        }
        const { outputTexts, ...end } = fromMessage(data);
        call.end({ ...end, estimateFrom: end.usage ? undefined : estimate(outputTexts) });
      },
    });
    if (!observed) {
      diag.warn('burnrate: unknown @anthropic-ai/sdk APIPromise shape; call recorded without usage');
      call.end({});
    }
  }

  /** `messages.batches.results(id)`: a span per succeeded result as the caller reads it (batch tier). */
  private wrapBatchResults(original: AnyFn): AnyFn {
    const instrumentation = this;
    return function burnrateBatchResults(this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      if (instrumentation.getConfig().batchResults === false) return result;
      const client = (this as { _client?: { baseURL?: unknown } } | undefined)?._client;
      const ctx = context.active();
      return (result as Promise<unknown>).then((decoder) => {
        try {
          instrumentation.observeBatchDecoder(decoder, serverInfo(client?.baseURL), ctx);
        } catch (err) {
          diag.warn(`burnrate: could not observe anthropic batch results: ${(err as Error).message}`);
        }
        return decoder;
      });
    };
  }

  private observeBatchDecoder(decoder: unknown, server: ReturnType<typeof serverInfo>, ctx: Context): void {
    const d = decoder as { decoder?: (...args: unknown[]) => AsyncIterator<unknown> } | null;
    const source = d?.decoder;
    if (typeof source !== 'function') return;
    const instrumentation = this;
    const tier: PricingTier = 'batch';
    async function* observed(this: unknown, ...args: unknown[]) {
      for await (const item of { [Symbol.asyncIterator]: () => source!.apply(this, args) }) {
        try {
          instrumentation.recordBatchItem(item, server, tier, ctx);
        } catch (err) {
          diag.warn(`burnrate: could not record batch result: ${(err as Error).message}`);
        }
        yield item;
      }
    }
    (d as { decoder: unknown }).decoder = observed;
  }

  private recordBatchItem(
    item: unknown,
    server: ReturnType<typeof serverInfo>,
    tier: PricingTier,
    ctx: Context,
  ) {
    const result = isObj(item) ? item['result'] : undefined;
    if (!isObj(result) || result['type'] !== 'succeeded' || !isObj(result['message'])) return;
    const message = result['message'];
    const call = new GenAiCall({
      tracer: this.tracer,
      metrics: this.genAiMetrics,
      ctx,
      start: {
        operation: 'chat',
        provider: PROVIDER.ANTHROPIC,
        requestModel: typeof message['model'] === 'string' ? message['model'] : undefined,
        ...server,
        attributes:
          isObj(item) && typeof item['custom_id'] === 'string'
            ? { 'anthropic.batch.custom_id': item['custom_id'] }
            : {},
      },
    });
    const { outputTexts: _unused, ...end } = fromMessage(message, tier);
    call.end(end);
  }
}
