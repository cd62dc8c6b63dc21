/**
 * OpenTelemetry instrumentation for `cohere-ai` (Fern-generated, v7 and v8): the v2 API's `chat`,
 * `chatStream` and `embed`, on `CohereClientV2` and on `CohereClient#v2` alike.
 *
 * Both bind to `V2Client` (not exported from the package root), so burnrate hooks its file,
 * `cohere-ai/api/resources/v2/client/Client.js`, and patches the private `__chat`, `__chatStream` and
 * `__embed` its public methods wrap in an `HttpResponsePromise`: `withRawResponse()` keeps working,
 * and clients built before instrumentation are covered too. The chat stream is observed in place.
 */
import {
  ATTR,
  GenAiCall,
  GenAiMetrics,
  isObject,
  numberOf,
  observeAsyncIterableInPlace,
  observePromise,
  PROVIDER,
  prefixLeadingSystemMessages,
  promptShape,
  type RawObject,
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
  InstrumentationNodeModuleFile,
  isWrapped,
} from '@opentelemetry/instrumentation';
import { CohereChatResult, cohereUsage } from './cohere.js';
import { VERSION } from './version.js';

export const SUPPORTED_VERSIONS = ['>=7.0.0 <9'];
export const V2_CLIENT_FILE = 'cohere-ai/api/resources/v2/client/Client.js';

export type CohereInstrumentationConfig = InstrumentationConfig;

type AnyFn = (...args: unknown[]) => unknown;
type Kind = 'chat' | 'chatStream' | 'embed';

const METHODS: Array<[name: string, kind: Kind]> = [
  ['__chat', 'chat'],
  ['__chatStream', 'chatStream'],
  ['__embed', 'embed'],
];

const PRODUCTION = 'https://api.cohere.com';

function v2Prototype(moduleExports: unknown): Record<string, AnyFn> | undefined {
  const cls: unknown = (moduleExports as Record<string, unknown> | undefined)?.['V2Client'];
  return typeof cls === 'function' ? (cls.prototype as Record<string, AnyFn>) : undefined;
}

function requestAttributes(request: RawObject): Attributes {
  const attributes: Attributes = {};
  const maxTokens = numberOf(request['maxTokens']);
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = numberOf(request['temperature']);
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

function chatInputTexts(request: RawObject): string[] {
  const out: string[] = [];
  const messages = request['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isObject(m)) textsOf(m['content'], out);
  return out;
}

export class CohereInstrumentation extends InstrumentationBase<CohereInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: CohereInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-cohere', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition('cohere-ai', SUPPORTED_VERSIONS, undefined, undefined, [
      new InstrumentationNodeModuleFile(
        V2_CLIENT_FILE,
        SUPPORTED_VERSIONS,
        (moduleExports) => this.patch(moduleExports),
        (moduleExports) => this.unpatch(moduleExports),
      ),
    ]);
  }

  /** Patches a loaded `cohere-ai/api/resources/v2/client/Client.js` module (exports `V2Client`). */
  patch<T>(moduleExports: T): T {
    try {
      const proto = v2Prototype(moduleExports);
      if (!proto) {
        diag.warn('burnrate: cohere-ai V2Client not found; not instrumented');
        return moduleExports;
      }
      for (const [name, kind] of METHODS) {
        if (typeof proto[name] !== 'function' || isWrapped(proto[name])) continue;
        this._wrap(proto, name, (original: AnyFn) => this.wrapMethod(original, kind));
      }
    } catch (err) {
      diag.warn(`burnrate: could not instrument cohere-ai: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    const proto = v2Prototype(moduleExports);
    if (!proto) return;
    for (const [name] of METHODS) if (isWrapped(proto[name])) this._unwrap(proto, name);
  }

  private wrapMethod(original: AnyFn, kind: Kind): AnyFn {
    const instrumentation = this;
    return function burnrateCohere(this: unknown, ...args: unknown[]) {
      const request = args[0];
      let call: GenAiCall | undefined;
      try {
        if (isObject(request)) {
          const options = (this as { _options?: RawObject } | undefined)?._options ?? {};
          const base =
            [options['baseUrl'], options['environment']].find((v) => typeof v === 'string') ?? PRODUCTION;
          call = new GenAiCall({
            tracer: instrumentation.tracer,
            metrics: instrumentation.genAiMetrics,
            start: {
              operation: kind === 'embed' ? 'embeddings' : 'chat',
              provider: PROVIDER.COHERE,
              requestModel: stringOf(request['model']),
              ...serverOf(base),
              stream: kind === 'embed' ? undefined : kind === 'chatStream',
              attributes: requestAttributes(request),
            },
            prompt: kind === 'embed' ? undefined : promptShape(request, prefixLeadingSystemMessages(request)),
          });
        }
      } catch (err) {
        diag.warn(`burnrate: could not start Cohere span: ${(err as Error).message}`);
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
        diag.warn(`burnrate: could not observe Cohere call: ${(err as Error).message}`);
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
    const failed = (err: unknown) => call.end(kind === 'chatStream' ? { streamCompleted: false } : {}, err);
    // The private methods resolve to `{ data, rawResponse }`.
    observePromise(
      result as PromiseLike<unknown>,
      (value) => {
        const data = valueAt(value, 'data');
        if (kind === 'embed') {
          const usage = cohereUsage(valueAt(data, 'meta'));
          call.end({
            responseId: stringOf(valueAt(data, 'id')),
            usage,
            estimateFrom: usage ? undefined : { input: textsOf(request['texts']), output: [] },
          });
          return;
        }
        const acc = new CohereChatResult();
        const end = (streamCompleted?: boolean, error?: unknown) => {
          const { outputTexts, ...rest } = acc.result();
          call.end(
            {
              ...rest,
              streamCompleted,
              estimateFrom: rest.usage ? undefined : { input: chatInputTexts(request), output: outputTexts },
            },
            error,
          );
        };
        if (kind === 'chat') {
          acc.addResponse(data);
          end();
          return;
        }
        const observed = observeAsyncIterableInPlace(data, {
          onItem: (event) => {
            call.firstChunk();
            acc.addEvent(event);
          },
          onEnd: ({ exhausted, error }) => end(exhausted && error === undefined && acc.finished, error),
        });
        if (!observed) {
          diag.warn('burnrate: unknown Cohere stream shape; call recorded without usage');
          call.end({ streamCompleted: false });
        }
      },
      failed,
    );
  }
}
