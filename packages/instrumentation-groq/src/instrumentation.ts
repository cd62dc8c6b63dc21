/**
 * OpenTelemetry instrumentation for `groq-sdk` (a Stainless SDK, like openai).
 *
 * Patches `Groq.Chat.Completions.prototype.create` and `Groq.Embeddings.prototype.create`, and observes
 * the returned `APIPromise` and `Stream` in place with the Stainless hooks in `@burnrate/core`
 * (`withResponse()`, `asResponse()`, `tee()`, `controller.abort()` keep working). Unlike OpenAI, Groq
 * reports a stream's usage in the last chunk's `x_groq.usage` without being asked, so burnrate sends
 * no `stream_options` and hides nothing from the caller.
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
  observeApiPromise,
  observeSdkStream,
  PROVIDER,
  prefixAllButLastMessage,
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

export const SUPPORTED_VERSIONS = ['>=0.5.0 <2'];

export type GroqInstrumentationConfig = InstrumentationConfig;

type AnyFn = (...args: unknown[]) => unknown;
type Kind = 'chat' | 'embeddings';

const TARGETS: Array<[path: string[], kind: Kind]> = [
  [['Chat', 'Completions'], 'chat'],
  [['Embeddings'], 'embeddings'],
];

function groqClass(moduleExports: unknown): Record<string, unknown> | undefined {
  const m = moduleExports as Record<string, unknown> | undefined;
  const cls = m?.['Groq'] ?? m?.['default'] ?? m;
  return typeof cls === 'function' ? (cls as unknown as Record<string, unknown>) : undefined;
}

function prototypeAt(root: Record<string, unknown>, path: string[]): Record<string, AnyFn> | undefined {
  let node: unknown = root;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  const proto = (node as { prototype?: Record<string, AnyFn> } | undefined)?.prototype;
  return proto && typeof proto['create'] === 'function' ? proto : undefined;
}

function requestAttributes(body: RawObject): Attributes {
  const attributes: Attributes = {};
  const maxTokens = numberOf(body['max_completion_tokens']) ?? numberOf(body['max_tokens']);
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = numberOf(body['temperature']);
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

export class GroqInstrumentation extends InstrumentationBase<GroqInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: GroqInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-groq', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'groq-sdk',
      SUPPORTED_VERSIONS,
      (moduleExports) => this.patch(moduleExports),
      (moduleExports) => this.unpatch(moduleExports),
    );
  }

  /** Patches an already-loaded `groq-sdk` module. */
  patch<T>(moduleExports: T): T {
    try {
      const root = groqClass(moduleExports);
      if (!root) {
        diag.warn('burnrate: groq-sdk has no Groq class; not instrumented');
        return moduleExports;
      }
      for (const [path, kind] of TARGETS) {
        const proto = prototypeAt(root, path);
        if (!proto || isWrapped(proto['create'])) continue;
        this._wrap(proto, 'create', (original: AnyFn) => this.wrapCreate(original, kind));
      }
    } catch (err) {
      diag.warn(`burnrate: could not instrument groq-sdk: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    const root = groqClass(moduleExports);
    if (!root) return;
    for (const [path] of TARGETS) {
      const proto = prototypeAt(root, path);
      if (proto && isWrapped(proto['create'])) this._unwrap(proto, 'create');
    }
  }

  private wrapCreate(original: AnyFn, kind: Kind): AnyFn {
    const instrumentation = this;
    return function burnrateGroqCreate(this: unknown, ...args: unknown[]) {
      const body = args[0];
      let call: GenAiCall | undefined;
      let stream = false;
      try {
        if (isObject(body)) {
          stream = kind === 'chat' && body['stream'] === true;
          const baseURL = (this as { _client?: { baseURL?: unknown } } | undefined)?._client?.baseURL;
          call = new GenAiCall({
            tracer: instrumentation.tracer,
            metrics: instrumentation.genAiMetrics,
            start: {
              operation: kind,
              provider: PROVIDER.GROQ,
              requestModel: stringOf(body['model']),
              ...serverOf(baseURL),
              stream: kind === 'chat' ? stream : undefined,
              attributes: requestAttributes(body),
            },
            prompt: kind === 'chat' ? promptShape(body, prefixAllButLastMessage(body)) : undefined,
          });
        }
      } catch (err) {
        diag.warn(`burnrate: could not start groq span: ${(err as Error).message}`);
      }
      if (!call) return original.apply(this, args);
      let result: unknown;
      try {
        result = context.with(call.ctx, () => original.apply(this, args));
      } catch (err) {
        call.end({}, err);
        throw err;
      }
      try {
        instrumentation.observe(result, call, body as RawObject, kind, stream);
      } catch (err) {
        diag.warn(`burnrate: could not observe groq call: ${(err as Error).message}`);
        call.end({});
      }
      return result;
    };
  }

  private observe(result: unknown, call: GenAiCall, body: RawObject, kind: Kind, stream: boolean): void {
    const inputTexts = () => (kind === 'chat' ? chatInputTexts(body['messages']) : textsOf(body['input']));
    const observed = observeApiPromise(result, {
      onError: (err) => call.end(stream ? { streamCompleted: false } : {}, err),
      onUnparsed: () => call.end({}),
      onData: (data) => {
        if (stream && isObject(data) && typeof data['iterator'] === 'function') {
          this.observeStream(data, call, inputTexts);
          return;
        }
        if (kind === 'embeddings') {
          const usage = safeUsage('openai.chat', valueAt(data, 'usage'));
          call.end({
            responseModel: stringOf(valueAt(data, 'model')),
            usage,
            estimateFrom: usage ? undefined : { input: inputTexts(), output: [] },
          });
          return;
        }
        const { outputTexts, ...end } = chatCompletionEnd(data);
        call.end({
          ...end,
          estimateFrom: end.usage ? undefined : { input: inputTexts(), output: outputTexts },
        });
      },
    });
    if (!observed) {
      diag.warn('burnrate: unknown groq APIPromise shape; call recorded without usage');
      call.end({});
    }
  }

  private observeStream(sdkStream: unknown, call: GenAiCall, inputTexts: () => string[]): void {
    const acc = new ChatCompletionChunks();
    const observed = observeSdkStream(sdkStream, {
      onChunk: (chunk) => {
        call.firstChunk();
        acc.onChunk(chunk);
        return true;
      },
      onEnd: ({ exhausted, error }) => {
        const { outputTexts, ...end } = acc.result();
        call.end(
          {
            ...end,
            streamCompleted: exhausted && error === undefined && acc.finished,
            estimateFrom: end.usage ? undefined : { input: inputTexts(), output: outputTexts },
          },
          error,
        );
      },
    });
    if (!observed) {
      diag.warn('burnrate: unknown groq Stream shape; call recorded without usage');
      call.end({ streamCompleted: false });
    }
  }
}
