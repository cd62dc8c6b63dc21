/**
 * OpenTelemetry instrumentation for the `openai` package, majors 4 to 7.
 *
 * Patches `create` on the resource prototypes reached from the main export
 * (`OpenAI.Chat.Completions`, `OpenAI.Responses`, `OpenAI.Embeddings`, `OpenAI.Completions`), so
 * one patch serves CJS (require hook) and ESM (import-in-the-middle) and every helper built on
 * `create` (`parse`, `.stream()`, `runTools`). The SDK's APIPromise and Stream are observed in place
 * (see `observeApiPromise` in @burnrate/core): the caller gets exactly what the SDK returned.
 */
import {
  GenAiCall,
  type GenAiCallEnd,
  GenAiMetrics,
  getBudgetGuard,
  guardCallArgs,
  observeApiPromise,
  observeSdkStream,
  type PricingTier,
  promptShape,
} from '@burnrate/core';
import { type Context, context, diag } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  isWrapped,
} from '@opentelemetry/instrumentation';
import {
  type BatchLine,
  claimFile,
  DEFAULT_BATCH_MAX_BYTES,
  endpointOfBody,
  readBatchFile,
  releaseFile,
} from './batch.js';
import {
  chat,
  completions,
  type Endpoint,
  embeddings,
  isObj,
  type Raw,
  requestAttributes,
  responses,
  str,
} from './endpoints.js';
import { type ServerInfo, serverInfo } from './provider.js';
import { cloneResponse, isResponseLike, onBareAsResponse, readAllText } from './raw-response.js';
import { ChoicesStream, ResponsesStream, type StreamAccumulator } from './stream.js';
import type { OpenAIInstrumentationConfig } from './types.js';
import { VERSION } from './version.js';

export const SUPPORTED_VERSIONS = ['>=4.0.0 <8'];

/** Resource classes, by their path from the `OpenAI` class, and what each endpoint is. */
const TARGETS: Array<[path: string[], endpoint: Endpoint]> = [
  [['Chat', 'Completions'], chat],
  [['Responses'], responses],
  [['Embeddings'], embeddings],
  [['Completions'], completions],
];

type AnyFn = (...args: unknown[]) => unknown;

/** Largest raw (`asResponse()`) JSON body burnrate parses a copy of; larger ones are estimated. */
const RAW_RESPONSE_MAX_BYTES = 64 * 1024 * 1024;

function parseFlag(raw: string | undefined): boolean | undefined {
  const v = raw?.trim().toLowerCase();
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  return undefined;
}

let includeUsageRaw: string | undefined;
let includeUsageFlag: boolean | undefined;

/** `BURNRATE_OPENAI_INCLUDE_USAGE`, parsed once per distinct value (the variable may change at run time). */
function includeUsageEnv(): boolean | undefined {
  const raw = process.env['BURNRATE_OPENAI_INCLUDE_USAGE'];
  if (raw !== includeUsageRaw) {
    includeUsageRaw = raw;
    includeUsageFlag = parseFlag(raw);
  }
  return includeUsageFlag;
}

type ClientLike = { _client?: { baseURL?: unknown } } | undefined;
interface ServerCacheEntry {
  baseURL: unknown;
  providerFor: ((url: URL) => string | undefined) | undefined;
  info: ServerInfo;
}
/** `serverInfo` per SDK client (parsing its base URL is per client, not per call); redone if the URL changes. */
const serverCache = new WeakMap<object, ServerCacheEntry>();

function serverOfClient(
  client: { baseURL?: unknown } | undefined,
  providerFor: ((url: URL) => string | undefined) | undefined,
): ServerInfo {
  const baseURL = client?.baseURL;
  if (typeof client !== 'object' || client === null) return serverInfo(baseURL, providerFor);
  const hit = serverCache.get(client);
  if (hit && hit.baseURL === baseURL && hit.providerFor === providerFor) return hit.info;
  const info = serverInfo(baseURL, providerFor);
  serverCache.set(client, { baseURL, providerFor, info });
  return info;
}

function openAIClass(moduleExports: unknown): Record<string, unknown> | undefined {
  const m = moduleExports as Record<string, unknown> | undefined;
  const cls = m?.['OpenAI'] ?? m?.['default'] ?? m;
  return typeof cls === 'function' ? (cls as unknown as Record<string, unknown>) : undefined;
}

function prototypeAt(
  root: Record<string, unknown>,
  path: string[],
  method = 'create',
): Record<string, AnyFn> | undefined {
  let node: unknown = root;
  for (const key of path) node = (node as Record<string, unknown> | undefined)?.[key];
  const proto = (node as { prototype?: unknown } | undefined)?.prototype;
  return proto && typeof (proto as Record<string, unknown>)[method] === 'function'
    ? (proto as Record<string, AnyFn>)
    : undefined;
}

/** Adds `stream_options.include_usage` to the caller's body in place; returns the undo. */
function askForUsage(body: Raw): (() => void) | undefined {
  const had = Object.hasOwn(body, 'stream_options');
  const previous = body['stream_options'];
  if (previous !== undefined && previous !== null && !isObj(previous)) return undefined;
  if (isObj(previous) && previous['include_usage'] !== undefined) return undefined;
  // In place, not a copy: the SDK's own helpers key their request observers on this object.
  body['stream_options'] = { ...(isObj(previous) ? previous : {}), include_usage: true };
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (had) body['stream_options'] = previous;
    else delete body['stream_options'];
  };
}

export class OpenAIInstrumentation extends InstrumentationBase<OpenAIInstrumentationConfig> {
  declare private genAiMetrics: GenAiMetrics | undefined;

  constructor(config: OpenAIInstrumentationConfig = {}) {
    super('@burnrate/instrumentation-openai', VERSION, config);
  }

  protected override _updateMetricInstruments(): void {
    this.genAiMetrics = new GenAiMetrics(this.meter);
  }

  protected init() {
    return new InstrumentationNodeModuleDefinition(
      'openai',
      SUPPORTED_VERSIONS,
      (moduleExports) => this.patch(moduleExports),
      (moduleExports) => this.unpatch(moduleExports),
    );
  }

  /** Patches an already-loaded `openai` module (the hooks call this; tests and bundlers may too). */
  patch<T>(moduleExports: T): T {
    try {
      const root = openAIClass(moduleExports);
      if (!root) {
        diag.warn('burnrate: openai module has no OpenAI class; not instrumented');
        return moduleExports;
      }
      for (const [path, endpoint] of TARGETS) {
        const proto = prototypeAt(root, path);
        if (!proto || isWrapped(proto['create'])) continue;
        this._wrap(proto, 'create', (original: AnyFn) => this.wrapCreate(original, endpoint));
      }
      const files = prototypeAt(root, ['Files'], 'content');
      if (files && !isWrapped(files['content'])) {
        this._wrap(files, 'content', (original: AnyFn) => this.wrapFileContent(original));
      }
    } catch (err) {
      diag.warn(`burnrate: could not instrument openai: ${(err as Error).message}`);
    }
    return moduleExports;
  }

  unpatch<T>(moduleExports: T): void {
    const root = openAIClass(moduleExports);
    if (!root) return;
    for (const [path] of TARGETS) {
      const proto = prototypeAt(root, path);
      if (proto && isWrapped(proto['create'])) this._unwrap(proto, 'create');
    }
    const files = prototypeAt(root, ['Files'], 'content');
    if (files && isWrapped(files['content'])) this._unwrap(files, 'content');
  }

  /** The provider a client talks to (for the budget guard's policies). */
  private providerOf(sdk: unknown): string {
    try {
      return serverOfClient((sdk as ClientLike)?._client, this.getConfig().providerFor).provider;
    } catch {
      return 'openai';
    }
  }

  private includeUsage(): boolean {
    return includeUsageEnv() ?? this.getConfig().includeUsage ?? true;
  }

  private wrapCreate(original: AnyFn, endpoint: Endpoint): AnyFn {
    const instrumentation = this;
    const create = function burnrateCreate(this: unknown, ...args: unknown[]) {
      let call: GenAiCall | undefined;
      let undo: (() => void) | undefined;
      let stream = false;
      const body = args[0];
      try {
        if (isObj(body)) {
          stream = body['stream'] === true;
          const server = serverOfClient(
            (this as ClientLike)?._client,
            instrumentation.getConfig().providerFor,
          );
          call = new GenAiCall({
            tracer: instrumentation.tracer,
            metrics: instrumentation.genAiMetrics,
            start: {
              operation: endpoint.operation,
              provider: server.provider,
              requestModel: typeof body['model'] === 'string' ? body['model'] : undefined,
              serverAddress: server.serverAddress,
              serverPort: server.serverPort,
              stream: endpoint === embeddings ? undefined : stream,
              attributes: requestAttributes(body),
            },
            prompt: endpoint.prefix ? promptShape(body, endpoint.prefix(body)) : undefined,
          });
          if (stream && endpoint.includeUsageOption && instrumentation.includeUsage())
            undo = askForUsage(body);
        }
      } catch (err) {
        diag.warn(`burnrate: could not start openai span: ${(err as Error).message}`);
      }
      if (!call) return original.apply(this, args);

      let result: unknown;
      try {
        result = context.with(call.ctx, () => original.apply(this, args));
      } catch (err) {
        undo?.();
        call.end({}, err);
        throw err;
      }
      try {
        instrumentation.observe(result, call, endpoint, body as Raw, stream, undo);
      } catch (err) {
        diag.warn(`burnrate: could not observe openai call: ${(err as Error).message}`);
      }
      return result;
    };
    return function burnrateGuardedCreate(this: unknown, ...args: unknown[]) {
      if (!getBudgetGuard()) return create.apply(this, args);
      // The budget guard runs first: a blocked call throws BudgetExceededError before anything is sent.
      const ctx = guardCallArgs(args, instrumentation.providerOf(this));
      return context.with(ctx, () => create.apply(this, args));
    };
  }

  private observe(
    result: unknown,
    call: GenAiCall,
    endpoint: Endpoint,
    body: Raw,
    stream: boolean,
    undo: (() => void) | undefined,
  ): void {
    const estimate = (outputTexts: string[]) => ({ input: endpoint.inputTexts(body), output: outputTexts });
    const observed = observeApiPromise(result, {
      onSettled: () => undo?.(),
      onError: (err) => call.end(stream ? { streamCompleted: false } : {}, err),
      onData: (data) => {
        if (stream && isObj(data) && typeof data['iterator'] === 'function') {
          this.observeStream(data, call, endpoint, body, undo !== undefined, estimate);
          return;
        }
        // The result is ours: it goes to call.end as it is (end() reads only GenAiCallEnd's fields).
        const end: GenAiCallEnd & { outputTexts: string[] } = endpoint.fromResponse(data, body);
        end.estimateFrom = end.usage ? undefined : estimate(end.outputTexts);
        call.end(end);
      },
    });
    if (!observed) {
      undo?.();
      diag.warn('burnrate: unknown openai APIPromise shape; call recorded without usage');
      call.end({});
      return;
    }
    onBareAsResponse(result, (response) =>
      this.observeRawResponse(response, call, endpoint, body, stream, estimate),
    );
  }

  /**
   * A bare `asResponse()`: the caller reads the raw body. Non-streaming: burnrate parses a clone of it
   * (bounded) and ends the span as a parsed call would. Streaming: the SSE is left to the caller (a
   * teed copy would keep the connection open after the caller cancels), and the span gets locally
   * counted input tokens (`burnrate.usage.estimated`).
   */
  private observeRawResponse(
    response: unknown,
    call: GenAiCall,
    endpoint: Endpoint,
    body: Raw,
    stream: boolean,
    estimate: (outputTexts: string[]) => { input: string[]; output: string[] },
  ): void {
    if (call.isEnded) return;
    const unread = () => call.end({ estimateFrom: estimate([]) });
    const clone = stream ? undefined : cloneResponse(response);
    if (!clone) {
      // As before this hook: a parse the caller starts in the same tick still wins.
      setImmediate(unread);
      return;
    }
    readAllText(clone, RAW_RESPONSE_MAX_BYTES).then(
      (text) => {
        if (call.isEnded) return;
        let data: unknown;
        try {
          data = text === undefined ? undefined : JSON.parse(text);
        } catch {
          data = undefined;
        }
        if (data === undefined) {
          if (text === undefined)
            diag.debug('burnrate: openai raw response over the size limit; usage estimated');
          unread();
          return;
        }
        const end: GenAiCallEnd & { outputTexts: string[] } = endpoint.fromResponse(data, body);
        end.estimateFrom = end.usage ? undefined : estimate(end.outputTexts);
        call.end(end);
      },
      (err: unknown) => {
        diag.debug(`burnrate: could not read an openai raw response: ${(err as Error)?.message}`);
        unread();
      },
    );
  }

  private observeStream(
    sdkStream: unknown,
    call: GenAiCall,
    endpoint: Endpoint,
    body: Raw,
    hideUsageChunk: boolean,
    estimate: (outputTexts: string[]) => { input: string[]; output: string[] },
  ): void {
    const acc: StreamAccumulator =
      endpoint === responses ? new ResponsesStream(body) : new ChoicesStream(body, hideUsageChunk);
    const finish = (completed: boolean, error?: unknown) => {
      const { outputTexts, ...end }: GenAiCallEnd & { outputTexts: string[] } = acc.result();
      call.end(
        { ...end, streamCompleted: completed, estimateFrom: end.usage ? undefined : estimate(outputTexts) },
        error,
      );
    };
    const observed = observeSdkStream(sdkStream, {
      onChunk: (chunk) => {
        call.firstChunk();
        return acc.onChunk(chunk);
      },
      onEnd: ({ exhausted, error }) => finish(exhausted && error === undefined && acc.finished, error),
    });
    if (!observed) {
      diag.warn('burnrate: unknown openai Stream shape; call recorded without usage');
      call.end({ streamCompleted: false });
    }
  }

  /**
   * `files.content(id)`: when the content is a Batch API output (or error) file, one span per
   * successful result line, priced on the batch tier. burnrate reads a clone of the `Response`; the
   * caller's is untouched. Each file id is counted once per client.
   */
  private wrapFileContent(original: AnyFn): AnyFn {
    const instrumentation = this;
    return function burnrateFileContent(this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      try {
        if (instrumentation.getConfig().batchResults !== false) {
          instrumentation.observeFileContent(result, this, args[0], context.active());
        }
      } catch (err) {
        diag.warn(`burnrate: could not observe openai file content: ${(err as Error).message}`);
      }
      return result;
    };
  }

  private observeFileContent(result: unknown, files: unknown, fileId: unknown, ctx: Context): void {
    const client = (files as ClientLike)?._client;
    const owner: object | undefined =
      typeof client === 'object' && client !== null
        ? client
        : typeof files === 'object' && files !== null
          ? files
          : undefined;
    const id = str(fileId);
    let taken = false;
    const read = (response: unknown) => {
      if (taken || !isResponseLike(response)) return;
      taken = true;
      const clone = cloneResponse(response);
      if (!clone) return;
      const server = serverOfClient(client, this.getConfig().providerFor);
      const max = this.getConfig().batchResultsMaxBytes ?? DEFAULT_BATCH_MAX_BYTES;
      readBatchFile(clone, max, id, {
        claim: () => (owner && id ? claimFile(owner, id) : true),
        release: () => {
          if (owner && id) releaseFile(owner, id);
        },
        record: (line) => this.recordBatchLine(line, server, ctx),
      }).catch((err: unknown) => diag.debug(`burnrate: openai batch file: ${(err as Error)?.message}`));
    };
    const observed = observeApiPromise(result, { onData: read, onError: () => undefined });
    if (observed) onBareAsResponse(result, read);
  }

  private recordBatchLine(line: BatchLine & { body: Raw }, server: ServerInfo, ctx: Context): void {
    const endpoint = endpointOfBody(line.body);
    if (!endpoint) return;
    const tier: PricingTier = 'batch';
    const call = new GenAiCall({
      tracer: this.tracer,
      metrics: this.genAiMetrics,
      ctx,
      start: {
        operation: endpoint.operation,
        provider: server.provider,
        requestModel: str(line.body['model']),
        serverAddress: server.serverAddress,
        serverPort: server.serverPort,
        attributes: { 'openai.batch.custom_id': line.customId },
      },
    });
    const { outputTexts: _unused, ...end } = endpoint.fromResponse(line.body, {});
    call.end({ ...end, tier });
  }
}
