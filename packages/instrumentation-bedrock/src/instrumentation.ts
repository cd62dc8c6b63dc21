/**
 * OpenTelemetry instrumentation for `@aws-sdk/client-bedrock-runtime` (v3).
 *
 * Patches `BedrockRuntimeClient.prototype.send` (the `BedrockRuntime` aggregated client calls it too)
 * and acts only on `ConverseCommand`, `ConverseStreamCommand`, `InvokeModelCommand` and
 * `InvokeModelWithResponseStreamCommand`; every other command passes straight through. Promise and
 * callback styles both work. Streams (`output.stream`, `output.body`) are observed in place: the
 * caller gets the SDK's own objects.
 */
import {
  canonicalModel,
  GenAiCall,
  GenAiMetrics,
  isObject,
  observeAsyncIterableInPlace,
  PROVIDER,
  promptShape,
  type RawObject,
  serverOf,
  stringOf,
} from '@burnrate/core';
import { context, diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  type InstrumentationConfig,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import {
  type BedrockEnd,
  ConverseStreamResult,
  converseEnd,
  converseInputTexts,
  conversePrompt,
  converseRequestAttributes,
  InvokeStreamResult,
  invokeEnd,
  invokeInputTexts,
  invokePrompt,
  invokeRequestAttributes,
  parseBody,
} from './bedrock.js';
import { VERSION } from './version.js';

export const SUPPORTED_VERSIONS = ['>=3.0.0 <4'];

export type BedrockInstrumentationConfig = InstrumentationConfig;

type AnyFn = (...args: unknown[]) => unknown;
type Kind = 'converse' | 'converseStream' | 'invoke' | 'invokeStream';

const COMMANDS: Record<string, Kind> = {
  ConverseCommand: 'converse',
  ConverseStreamCommand: 'converseStream',
  InvokeModelCommand: 'invoke',
  InvokeModelWithResponseStreamCommand: 'invokeStream',
};

function clientPrototype(moduleExports: unknown): Record<string, AnyFn> | undefined {
  const m = moduleExports as Record<string, unknown> | undefined;
  const cls: unknown =
    m?.['BedrockRuntimeClient'] ??
    (m?.['default'] as Record<string, unknown> | undefined)?.['BedrockRuntimeClient'];
  return typeof cls === 'function' ? (cls.prototype as Record<string, AnyFn>) : undefined;
}

function kindOf(command: unknown, moduleExports: Record<string, unknown>): Kind | undefined {
  if (!isObject(command)) return undefined;
  for (const [name, kind] of Object.entries(COMMANDS)) {
    const cls = moduleExports[name];
    if (typeof cls === 'function' && command instanceof cls) return kind;
  }
  // Another copy of the package (bundled twice): match on the class name.
  const name = (command as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' ? COMMANDS[name] : undefined;
}

function operationOf(kind: Kind, modelId: string, body: unknown): string {
  if (kind === 'converse' || kind === 'converseStream') return 'chat';
  if (/embed/i.test(modelId)) return 'embeddings';
  if (
    isObject(body) &&
    !Array.isArray(body['messages']) &&
    (typeof body['inputText'] === 'string' || typeof body['prompt'] === 'string')
  ) {
    return 'text_completion';
  }
  return 'chat';
}

interface ClientConfig {
  endpoint?: () => unknown;
  region?: () => unknown;
}

/** `server.address`/`server.port` once the client's endpoint (custom, or the regional default) resolves. */
async function resolveServer(client: unknown): Promise<{ serverAddress?: string; serverPort?: number }> {
  const config = (client as { config?: ClientConfig } | undefined)?.config;
  if (!config) return {};
  if (typeof config.endpoint === 'function') {
    const e = (await config.endpoint()) as
      | { hostname?: string; port?: number; protocol?: string }
      | undefined;
    if (e?.hostname) {
      return { serverAddress: e.hostname, serverPort: e.port ?? (e.protocol === 'http:' ? 80 : 443) };
    }
  }
  if (typeof config.region === 'function') {
    const region = stringOf(await config.region());
    if (region) return serverOf(`https://bedrock-runtime.${region}.amazonaws.com`);
  }
  return {};
}

export class BedrockInstrumentation extends InstrumentationBase<BedrockInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: BedrockInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-bedrock', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      '@aws-sdk/client-bedrock-runtime',
      SUPPORTED_VERSIONS,
      (moduleExports) => this.patch(moduleExports),
      (moduleExports) => this.unpatch(moduleExports),
    );
  }

  /** Patches an already-loaded `@aws-sdk/client-bedrock-runtime` module. */
  patch<T>(moduleExports: T): T {
    try {
      const proto = clientPrototype(moduleExports);
      if (!proto || typeof proto['send'] !== 'function') {
        diag.warn('burnrate: @aws-sdk/client-bedrock-runtime has no BedrockRuntimeClient; not instrumented');
        return moduleExports;
      }
      if (!isWrapped(proto['send'])) {
        const exportsObj = moduleExports as unknown as Record<string, unknown>;
        this._wrap(proto, 'send', (original: AnyFn) => this.wrapSend(original, exportsObj));
      }
    } catch (err) {
      diag.warn(`burnrate: could not instrument @aws-sdk/client-bedrock-runtime: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    const proto = clientPrototype(moduleExports);
    if (proto && isWrapped(proto['send'])) this._unwrap(proto, 'send');
  }

  private start(client: unknown, input: RawObject, kind: Kind): { call: GenAiCall; body: unknown } {
    const rawModel = stringOf(input['modelId']) ?? '';
    const body = kind === 'invoke' || kind === 'invokeStream' ? parseBody(input['body']) : undefined;
    const converse = kind === 'converse' || kind === 'converseStream';
    const prompt = converse ? conversePrompt(input) : invokePrompt(input, body);
    const call = new GenAiCall({
      tracer: this.tracer,
      metrics: this.genAiMetrics,
      start: {
        operation: operationOf(kind, rawModel, body),
        provider: PROVIDER.BEDROCK,
        requestModel: rawModel ? canonicalModel(rawModel) : undefined,
        stream: kind === 'converseStream' || kind === 'invokeStream',
        attributes: converse ? converseRequestAttributes(input) : invokeRequestAttributes(body),
      },
      prompt: prompt && promptShape(prompt.request, prompt.prefix),
    });
    resolveServer(client).then(
      (server) => {
        if (!call.isEnded && server.serverAddress) {
          call.span.setAttributes({
            'server.address': server.serverAddress,
            'server.port': server.serverPort,
          });
        }
      },
      () => undefined,
    );
    return { call, body };
  }

  private wrapSend(original: AnyFn, moduleExports: Record<string, unknown>): AnyFn {
    const instrumentation = this;
    return function burnrateSend(this: unknown, ...args: unknown[]) {
      let call: GenAiCall | undefined;
      let kind: Kind | undefined;
      let input: RawObject = {};
      let body: unknown;
      try {
        const command = args[0] as { input?: unknown } | undefined;
        kind = kindOf(command, moduleExports);
        if (kind && isObject(command?.input)) {
          input = command.input;
          ({ call, body } = instrumentation.start(this, input, kind));
        }
      } catch (err) {
        diag.warn(`burnrate: could not start Bedrock span: ${(err as Error).message}`);
      }
      if (!call || !kind) return original.apply(this, args);
      const streaming = kind === 'converseStream' || kind === 'invokeStream';
      const observer = instrumentation.observer(call, kind, input, body);
      // Callback style: send(command, [options,] (err, data) => ...).
      const cbIndex = args.length > 1 && typeof args[args.length - 1] === 'function' ? args.length - 1 : -1;
      if (cbIndex > 0) {
        const cb = args[cbIndex] as (err: unknown, data?: unknown) => void;
        args[cbIndex] = function (this: unknown, err: unknown, data?: unknown) {
          try {
            if (err) call.end(streaming ? { streamCompleted: false } : {}, err);
            else observer(data);
          } catch (e) {
            diag.warn(`burnrate: could not observe Bedrock call: ${(e as Error).message}`);
          }
          return cb.call(this, err, data);
        };
      }
      let result: unknown;
      try {
        result = context.with(call.ctx, () => original.apply(this, args));
      } catch (err) {
        call.end(streaming ? { streamCompleted: false } : {}, err);
        throw err;
      }
      if (cbIndex < 0 && result && typeof (result as PromiseLike<unknown>).then === 'function') {
        (result as PromiseLike<unknown>).then(
          (data) => {
            try {
              observer(data);
            } catch (e) {
              diag.warn(`burnrate: could not observe Bedrock call: ${(e as Error).message}`);
              call.end({});
            }
          },
          (err: unknown) => call.end(streaming ? { streamCompleted: false } : {}, err),
        );
      }
      return result;
    };
  }

  /** What to do with the command's output. */
  private observer(call: GenAiCall, kind: Kind, input: RawObject, body: unknown): (output: unknown) => void {
    const inputTexts = () =>
      kind === 'converse' || kind === 'converseStream' ? converseInputTexts(input) : invokeInputTexts(body);
    const end = (r: BedrockEnd, streamCompleted?: boolean, error?: unknown) => {
      const { outputTexts, ...rest } = r;
      call.end(
        {
          ...rest,
          streamCompleted,
          estimateFrom: rest.usage ? undefined : { input: inputTexts(), output: outputTexts },
        },
        error,
      );
    };
    return (output) => {
      const out = isObject(output) ? output : {};
      if (kind === 'converse') return end(converseEnd(output, input));
      if (kind === 'invoke') return end(invokeEnd(parseBody(out['body']), input, out));
      const requestId = stringOf((out['$metadata'] as RawObject | undefined)?.['requestId']);
      const acc =
        kind === 'converseStream'
          ? new ConverseStreamResult(input, requestId)
          : new InvokeStreamResult(input, out);
      const observed = observeAsyncIterableInPlace(kind === 'converseStream' ? out['stream'] : out['body'], {
        onItem: (event) => {
          call.firstChunk();
          acc.add(event);
        },
        onEnd: ({ exhausted, error }) =>
          end(acc.result(), exhausted && error === undefined && acc.finished, error),
      });
      if (!observed) {
        diag.warn('burnrate: unknown Bedrock stream shape; call recorded without usage');
        call.end({ streamCompleted: false });
      }
    };
  }
}
