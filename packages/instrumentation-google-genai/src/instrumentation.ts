/**
 * OpenTelemetry instrumentation for `@google/genai` (Gemini API and Vertex AI), majors 1 to 3.
 *
 * `models.generateContent`, `generateContentStream` and `embedContent` are per-instance arrow
 * functions, so burnrate patches the prototype methods they (and `chats.create().sendMessage*`)
 * all go through: `Models.prototype.generateContentInternal`, `generateContentStreamInternal` and
 * `embedContentInternal`. Each of those is exactly one HTTP request, so each span is one billed
 * request: automatic function calling and automatic continuation make one span per round trip.
 * What the SDK returns is not replaced: promises are observed, stream generators are observed in place.
 */
import {
  GenAiCall,
  GenAiMetrics,
  isObject,
  observeAsyncIterableInPlace,
  observePromise,
  PROVIDER,
  promptShape,
  type RawObject,
  serverOf,
  stringOf,
  valueAt,
} from '@burnrate/core';
import { context, diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import {
  embedUsage,
  GenerateContentResult,
  generatePrompt,
  inputTexts,
  modelId,
  requestAttributes,
} from './gemini.js';
import { VERSION } from './version.js';

export const SUPPORTED_VERSIONS = ['>=1.0.0 <4'];

export type GoogleGenAIInstrumentationConfig = InstrumentationConfig;

type AnyFn = (...args: unknown[]) => unknown;
type Kind = 'generate' | 'stream' | 'embed';

const METHODS: Array<[name: string, kind: Kind]> = [
  ['generateContentInternal', 'generate'],
  ['generateContentStreamInternal', 'stream'],
  ['embedContentInternal', 'embed'],
];

function modelsPrototype(moduleExports: unknown): Record<string, AnyFn> | undefined {
  const m = moduleExports as Record<string, unknown> | undefined;
  const Models: unknown =
    m?.['Models'] ?? (m?.['default'] as Record<string, unknown> | undefined)?.['Models'];
  return typeof Models === 'function' ? (Models.prototype as Record<string, AnyFn>) : undefined;
}

interface ApiClientLike {
  isVertexAI?: () => boolean;
  getBaseUrl?: () => string;
}

function clientInfo(models: unknown, params: RawObject) {
  const api = (models as { apiClient?: ApiClientLike } | undefined)?.apiClient;
  let vertex = false;
  let baseUrl: unknown;
  try {
    vertex = api?.isVertexAI?.() === true;
  } catch {
    vertex = false;
  }
  try {
    baseUrl = valueAt(params, 'config', 'httpOptions', 'baseUrl') ?? api?.getBaseUrl?.();
  } catch {
    baseUrl = undefined;
  }
  return { provider: vertex ? PROVIDER.VERTEX_AI : PROVIDER.GEMINI, ...serverOf(baseUrl) };
}

export class GoogleGenAIInstrumentation extends InstrumentationBase<GoogleGenAIInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: GoogleGenAIInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-google-genai', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@google/genai',
      SUPPORTED_VERSIONS,
      (moduleExports) => this.patch(moduleExports),
      (moduleExports) => this.unpatch(moduleExports),
    );
  }

  /** Patches an already-loaded `@google/genai` module (the hooks call this; tests and bundlers may too). */
  patch<T>(moduleExports: T): T {
    try {
      const proto = modelsPrototype(moduleExports);
      if (!proto) {
        diag.warn('burnrate: @google/genai has no Models class; not instrumented');
        return moduleExports;
      }
      for (const [name, kind] of METHODS) {
        if (typeof proto[name] !== 'function' || isWrapped(proto[name])) continue;
        this._wrap(proto, name, (original: AnyFn) => this.wrapMethod(original, kind));
      }
    } catch (err) {
      diag.warn(`burnrate: could not instrument @google/genai: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    const proto = modelsPrototype(moduleExports);
    if (!proto) return;
    for (const [name] of METHODS) if (isWrapped(proto[name])) this._unwrap(proto, name);
  }

  private start(models: unknown, params: RawObject, kind: Kind): GenAiCall {
    const info = clientInfo(models, params);
    // Embeddings carry no fingerprints (as in the openai instrumentation).
    const prompt = kind === 'embed' ? undefined : generatePrompt(params);
    return new GenAiCall({
      tracer: this.tracer,
      metrics: this.genAiMetrics,
      start: {
        operation: kind === 'embed' ? 'embeddings' : 'generate_content',
        provider: info.provider,
        requestModel: modelId(params['model']),
        serverAddress: info.serverAddress,
        serverPort: info.serverPort,
        stream: kind === 'embed' ? undefined : kind === 'stream',
        attributes: requestAttributes(params),
      },
      prompt: prompt && promptShape(prompt.request, prompt.prefix),
    });
  }

  private wrapMethod(original: AnyFn, kind: Kind): AnyFn {
    const instrumentation = this;
    return function burnrateGenAI(this: unknown, ...args: unknown[]) {
      const params = args[0];
      let call: GenAiCall | undefined;
      try {
        if (isObject(params)) call = instrumentation.start(this, params, kind);
      } catch (err) {
        diag.warn(`burnrate: could not start @google/genai span: ${(err as Error).message}`);
      }
      if (!call) return original.apply(this, args);
      let result: unknown;
      try {
        result = context.with(call.ctx, () => original.apply(this, args));
      } catch (err) {
        call.end(kind === 'stream' ? { streamCompleted: false } : {}, err);
        throw err;
      }
      try {
        instrumentation.observe(result, call, params as RawObject, kind);
      } catch (err) {
        diag.warn(`burnrate: could not observe @google/genai call: ${(err as Error).message}`);
        call.end({});
      }
      return result;
    };
  }

  private observe(result: unknown, call: GenAiCall, params: RawObject, kind: Kind): void {
    if (!result || typeof (result as PromiseLike<unknown>).then !== 'function') {
      call.end({});
      return;
    }
    const failed = (err: unknown) => call.end(kind === 'stream' ? { streamCompleted: false } : {}, err);
    if (kind === 'embed') {
      observePromise(
        result as PromiseLike<unknown>,
        (data) => {
          const usage = embedUsage(data);
          call.end({
            usage,
            responseModel: modelId(valueAt(data, 'modelVersion')),
            estimateFrom: usage ? undefined : { input: inputTexts(params), output: [] },
          });
        },
        failed,
      );
      return;
    }
    const acc = new GenerateContentResult(params);
    const finish = (streamCompleted: boolean | undefined, error?: unknown) => {
      const { outputTexts, ...end } = acc.result();
      call.end(
        {
          ...end,
          streamCompleted,
          estimateFrom: end.usage ? undefined : { input: inputTexts(params), output: outputTexts },
        },
        error,
      );
    };
    if (kind === 'generate') {
      observePromise(
        result as PromiseLike<unknown>,
        (data) => {
          acc.add(data);
          finish(undefined);
        },
        failed,
      );
      return;
    }
    observePromise(
      result as PromiseLike<unknown>,
      (stream) => {
        const observed = observeAsyncIterableInPlace(stream, {
          onItem: (chunk) => {
            call.firstChunk();
            acc.add(chunk);
          },
          onEnd: ({ exhausted, error }) => finish(exhausted && error === undefined && acc.finished, error),
        });
        if (!observed) {
          diag.warn(`burnrate: unknown @google/genai stream shape (${stringOf(typeof stream)}); no usage`);
          call.end({ streamCompleted: false });
        }
      },
      failed,
    );
  }
}
