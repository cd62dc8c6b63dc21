/**
 * OpenTelemetry instrumentation for `@mistralai/mistralai` (v1 and v2, Speakeasy-generated).
 *
 * The `Chat` and `Embeddings` resource classes are not exported; burnrate reaches their prototypes
 * through the `Mistral.prototype.chat` / `.embeddings` getters (called on a throwaway receiver, no
 * client is built) and patches `complete`, `stream`, `parse`, `parseStream` and `create`.
 * The SDK's results are returned unchanged: responses are observed, and the `EventStream`
 * (a `ReadableStream`) of `chat.stream` is observed in place.
 */
import {
  ATTR,
  ChatCompletionChunks,
  chatCompletionEnd,
  chatInputTexts,
  GenAiCall,
  GenAiMetrics,
  isObject,
  numberOf,
  observePromise,
  observeReadableStreamInPlace,
  PROVIDER,
  prefixLeadingSystemMessages,
  pricingTierOf,
  promptShape,
  type RawObject,
  safeUsage,
  serverOf,
  stringOf,
  textsOf,
  valueAt,
} from '@burnrate/core';
import { type Attributes, context, diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import { VERSION } from './version.js';

export const SUPPORTED_VERSIONS = ['>=1.0.0 <3'];

export type MistralInstrumentationConfig = InstrumentationConfig;

type AnyFn = (...args: unknown[]) => unknown;
type Kind = 'chat' | 'chatStream' | 'embeddings';

const TARGETS: Array<[getter: string, method: string, kind: Kind]> = [
  ['chat', 'complete', 'chat'],
  ['chat', 'parse', 'chat'],
  ['chat', 'stream', 'chatStream'],
  ['chat', 'parseStream', 'chatStream'],
  ['embeddings', 'create', 'embeddings'],
];

/** The prototype of the resource behind `Mistral.prototype[getter]`, without building a client. */
function resourcePrototype(moduleExports: unknown, getter: string): Record<string, AnyFn> | undefined {
  try {
    const m = moduleExports as Record<string, unknown> | undefined;
    const Mistral: unknown =
      m?.['Mistral'] ?? (m?.['default'] as Record<string, unknown> | undefined)?.['Mistral'];
    if (typeof Mistral !== 'function') return undefined;
    const get = Object.getOwnPropertyDescriptor(Mistral.prototype, getter)?.get;
    if (!get) return undefined;
    const resource = get.call(Object.create(Mistral.prototype, { _options: { value: {}, writable: true } }));
    return resource ? (Object.getPrototypeOf(resource) as Record<string, AnyFn>) : undefined;
  } catch (err) {
    diag.debug(`burnrate: could not reach Mistral ${getter}: ${(err as Error).message}`);
    return undefined;
  }
}

function requestAttributes(request: RawObject): Attributes {
  const attributes: Attributes = {};
  const maxTokens = numberOf(request['maxTokens'] ?? request['max_tokens']);
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = numberOf(request['temperature']);
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

function embeddingInputs(request: RawObject): string[] {
  return textsOf(request['inputs'] ?? request['input']);
}

export class MistralInstrumentation extends InstrumentationBase<MistralInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: MistralInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-mistral', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@mistralai/mistralai',
      SUPPORTED_VERSIONS,
      (moduleExports) => this.patch(moduleExports),
      (moduleExports) => this.unpatch(moduleExports),
    );
  }

  /** Patches an already-loaded `@mistralai/mistralai` module. */
  patch<T>(moduleExports: T): T {
    try {
      let patched = 0;
      for (const [getter, method, kind] of TARGETS) {
        const proto = resourcePrototype(moduleExports, getter);
        if (!proto || typeof proto[method] !== 'function') continue;
        patched++;
        if (isWrapped(proto[method])) continue;
        // parse / parseStream take a Zod schema as `responseFormat`, which has no canonical JSON form:
        // those calls carry no fingerprints rather than ones that ignore the schema.
        const fingerprinted = kind !== 'embeddings' && method !== 'parse' && method !== 'parseStream';
        this._wrap(proto, method, (original: AnyFn) => this.wrapMethod(original, kind, fingerprinted));
      }
      if (patched === 0)
        diag.warn('burnrate: @mistralai/mistralai has no chat/embeddings resources; not instrumented');
    } catch (err) {
      diag.warn(`burnrate: could not instrument @mistralai/mistralai: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    for (const [getter, method] of TARGETS) {
      const proto = resourcePrototype(moduleExports, getter);
      if (proto && isWrapped(proto[method])) this._unwrap(proto, method);
    }
  }

  private wrapMethod(original: AnyFn, kind: Kind, fingerprinted: boolean): AnyFn {
    const instrumentation = this;
    return function burnrateMistral(this: unknown, ...args: unknown[]) {
      const request = args[0];
      let call: GenAiCall | undefined;
      try {
        if (isObject(request)) {
          const options = isObject(args[1]) ? args[1] : {};
          const base =
            stringOf(options['serverURL']) ?? (this as { _baseURL?: unknown } | undefined)?._baseURL;
          call = new GenAiCall({
            tracer: instrumentation.tracer,
            metrics: instrumentation.genAiMetrics,
            start: {
              operation: kind === 'embeddings' ? 'embeddings' : 'chat',
              provider: PROVIDER.MISTRAL,
              requestModel: stringOf(request['model']),
              ...serverOf(base),
              stream: kind === 'embeddings' ? undefined : kind === 'chatStream',
              attributes: requestAttributes(request),
            },
            prompt: fingerprinted ? promptShape(request, prefixLeadingSystemMessages(request)) : undefined,
          });
        }
      } catch (err) {
        diag.warn(`burnrate: could not start Mistral span: ${(err as Error).message}`);
      }
      if (!call) return original.apply(this, args);
      let result: unknown;
      try {
        result = context.with(call.ctx, () => original.apply(this, args));
      } catch (err) {
        call.end(kind === 'chatStream' ? { streamCompleted: false } : {}, err);
        throw err;
      }
      try {
        instrumentation.observe(result, call, request as RawObject, kind);
      } catch (err) {
        diag.warn(`burnrate: could not observe Mistral call: ${(err as Error).message}`);
        call.end({});
      }
      return result;
    };
  }

  private observe(result: unknown, call: GenAiCall, request: RawObject, kind: Kind): void {
    if (!result || typeof (result as PromiseLike<unknown>).then !== 'function') {
      call.end({});
      return;
    }
    const inputTexts = () =>
      kind === 'embeddings' ? embeddingInputs(request) : chatInputTexts(request['messages']);
    const failed = (err: unknown) => call.end(kind === 'chatStream' ? { streamCompleted: false } : {}, err);
    if (kind === 'embeddings') {
      observePromise(
        result as PromiseLike<unknown>,
        (data) => {
          const usage = safeUsage('mistral', valueAt(data, 'usage'));
          call.end({
            responseModel: stringOf(valueAt(data, 'model')),
            responseId: stringOf(valueAt(data, 'id')),
            usage,
            estimateFrom: usage ? undefined : { input: inputTexts(), output: [] },
          });
        },
        failed,
      );
      return;
    }
    if (kind === 'chat') {
      observePromise(
        result as PromiseLike<unknown>,
        (data) => {
          const { outputTexts, ...end } = chatCompletionEnd(data, 'mistral');
          call.end({
            ...end,
            tier: pricingTierOf(valueAt(data, 'usage', 'serviceTier')),
            estimateFrom: end.usage ? undefined : { input: inputTexts(), output: outputTexts },
          });
        },
        failed,
      );
      return;
    }
    observePromise(
      result as PromiseLike<unknown>,
      (stream) => {
        const acc = new ChatCompletionChunks('mistral');
        let tier: unknown;
        const observed = observeReadableStreamInPlace<unknown>(stream, {
          onItem: (event) => {
            call.firstChunk();
            // Each event is `{ data: CompletionChunk }`.
            const chunk = isObject(event) && isObject(event['data']) ? event['data'] : event;
            acc.onChunk(chunk);
            tier = valueAt(chunk, 'usage', 'serviceTier') ?? tier;
          },
          onEnd: ({ exhausted, error }) => {
            const { outputTexts, ...end } = acc.result();
            call.end(
              {
                ...end,
                tier: pricingTierOf(tier),
                streamCompleted: exhausted && error === undefined && acc.finished,
                estimateFrom: end.usage ? undefined : { input: inputTexts(), output: outputTexts },
              },
              error,
            );
          },
        });
        if (!observed) {
          diag.warn('burnrate: unknown Mistral stream shape; call recorded without usage');
          call.end({ streamCompleted: false });
        }
      },
      failed,
    );
  }
}
