/**
 * The one import: sets up OpenTelemetry (OTLP/HTTP, standard OTEL_* variables) with burnrate's
 * AttributionSpanProcessor and every burnrate instrumentation whose provider SDK is installed.
 * An app that already registered a tracer provider keeps it: burnrate adds itself to it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AttributionSpanProcessor } from '@burnrate/core';
import { AnthropicInstrumentation } from '@burnrate/instrumentation-anthropic';
import { OpenAIInstrumentation } from '@burnrate/instrumentation-openai';
import { diag, trace } from '@opentelemetry/api';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { registerEsmHook } from './esm-hook.js';
import { findLoaded, patchLoaded, type SdkEntry } from './loaded.js';
import { PROVIDER_SDKS } from './providers.js';

export interface BurnrateHandle {
  instrumentations: Instrumentation[];
  /** True when burnrate started its own NodeSDK; false when it joined the app's provider. */
  ownsSdk: boolean;
  /** Resolves when the ESM loader has every hook (await it before importing provider SDKs). */
  ready: Promise<void>;
  shutdown(): Promise<void>;
}

const STATE = Symbol.for('burnrate.auto');
type GlobalWithState = typeof globalThis & { [STATE]?: BurnrateHandle };

/** Provider SDKs burnrate instruments, by npm name. */
export const SDKS: SdkEntry[] = [
  {
    module: 'openai',
    instrumentationName: '@burnrate/instrumentation-openai',
    create: () => new OpenAIInstrumentation(),
  },
  {
    module: '@anthropic-ai/sdk',
    instrumentationName: '@burnrate/instrumentation-anthropic',
    create: () => new AnthropicInstrumentation(),
  },
  ...PROVIDER_SDKS,
];

/** `require` as the app sees it (resolves the app's own node_modules). */
export function appRequire(): NodeJS.Require {
  const main = process.argv[1];
  return createRequire(main ? pathToFileURL(main).href : join(process.cwd(), 'index.js'));
}

function installed(module: string): boolean {
  try {
    appRequire().resolve(module);
    return true;
  } catch {
    return false;
  }
}

function hasAppTracerProvider(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = provider.getDelegate?.() ?? provider;
  return delegate?.constructor?.name !== 'NoopTracerProvider';
}

/** SDK TracerProviders (sdk-trace 2.x/3.x) keep their processors in a MultiSpanProcessor. */
function addSpanProcessor(processor: SpanProcessor): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as {
    addSpanProcessor?: (p: SpanProcessor) => void;
    _activeSpanProcessor?: { _spanProcessors?: SpanProcessor[] };
  };
  if (typeof delegate.addSpanProcessor === 'function') {
    delegate.addSpanProcessor(processor);
    return true;
  }
  const list = delegate._activeSpanProcessor?._spanProcessors;
  if (Array.isArray(list)) {
    list.unshift(processor);
    return true;
  }
  return false;
}

/** Starts burnrate once per process; later calls return the same handle. */
export function start(options: { esmHookChannel?: boolean } = {}): BurnrateHandle {
  const g = globalThis as GlobalWithState;
  if (g[STATE]) return g[STATE];
  const loadedEarly = findLoaded(SDKS);
  const acknowledged = registerEsmHook({ channel: options.esmHookChannel });
  const instrumentations = SDKS.filter((s) => installed(s.module)).map((s) => s.create());

  let sdk: NodeSDK | undefined;
  if (hasAppTracerProvider()) {
    registerInstrumentations({ instrumentations });
    if (!addSpanProcessor(new AttributionSpanProcessor())) {
      diag.warn('burnrate: could not add AttributionSpanProcessor to the app tracer provider');
    }
  } else {
    sdk = new NodeSDK({ instrumentations });
    sdk.start();
    addSpanProcessor(new AttributionSpanProcessor());
  }
  patchLoaded(loadedEarly, instrumentations, SDKS);

  const handle: BurnrateHandle = {
    instrumentations,
    ownsSdk: sdk !== undefined,
    ready: acknowledged(),
    async shutdown() {
      for (const i of instrumentations) i.disable();
      await sdk?.shutdown();
      delete g[STATE];
    },
  };
  g[STATE] = handle;
  if (sdk) {
    const flush = () => {
      sdk?.shutdown().catch((err: Error) => diag.warn(`burnrate: shutdown failed: ${err.message}`));
    };
    process.once('beforeExit', flush);
  }
  return handle;
}
