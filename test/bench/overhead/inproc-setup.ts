/**
 * What the in-process overhead scripts (inproc.ts, ab-child.ts) share: a global OTel tracer provider
 * exporting to memory, and the openai SDK (`v7`: openai 7, otherwise 6) loaded once, with its version.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const require = createRequire(import.meta.url);

export interface OpenAIModule {
  OpenAI: new (o: object) => { chat: { completions: { create(body: object): Promise<unknown> } } };
}

export function setupInProcess(sdk: string) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.setGlobalTracerProvider(provider);
  const sdkName = sdk === 'v7' ? 'openai' : 'openai-v6';
  const openaiModule = require(sdkName) as OpenAIModule;
  const version = (
    JSON.parse(readFileSync(join(dirname(require.resolve(sdkName)), 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return { exporter, provider, openaiModule, version };
}
