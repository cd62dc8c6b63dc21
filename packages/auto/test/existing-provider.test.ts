/**
 * An app that registered its own tracer provider and loaded openai (CJS) before burnrate:
 * burnrate warns once, joins the app's provider instead of replacing it, and still patches openai.
 */
import { createRequire } from 'node:module';
import { ATTR, withAttribution } from '@burnrate/core';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, expect, it, vi } from 'vitest';
import { startFakeLLM } from '../../../test/fakes/llm-server.js';

const require = createRequire(new URL('../../../test/package.json', import.meta.url));

it('joins the app provider, warns once about a preloaded SDK, and patches it', async () => {
  const fake = await startFakeLLM();
  afterAll(() => fake.close());
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  const OpenAI = require('openai'); // loaded before burnrate
  process.argv[1] = require.resolve('openai'); // resolve SDKs as an app in test/ would
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

  const { start } = await import('../src/setup.js');
  const handle = start();
  expect(start()).toBe(handle); // once per process
  expect(handle.ownsSdk).toBe(false);
  expect(warn.mock.calls.filter((c) => String(c[0]).includes('[burnrate] WARNING'))).toHaveLength(1);
  expect(String(warn.mock.calls[0]![0])).toContain('openai');

  const client = new OpenAI({ apiKey: 'x', baseURL: fake.openaiBaseURL, maxRetries: 0 });
  await withAttribution({ feature: 'checkout' }, async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    trace.getTracer('app').startSpan('app work').end();
  });
  await new Promise((r) => setTimeout(r, 50));
  const spans = exporter.getFinishedSpans();
  const genai = spans.find((s) => s.name === 'chat gpt-4o-mini');
  expect(genai?.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(12);
  // AttributionSpanProcessor was added to the app's provider: the app's own span is attributed too.
  expect(spans.find((s) => s.name === 'app work')?.attributes[ATTR.FEATURE]).toBe('checkout');
  await handle.shutdown();
});
