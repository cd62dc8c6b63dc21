/**
 * End to end: spans from other producers' REAL packages (the Vercel AI SDK 7 with @ai-sdk/otel and
 * @ai-sdk/openai, OpenLLMetry's and OpenInference's Anthropic instrumentations) against the fake
 * provider, exported with the real OTLP/HTTP protobuf exporter to a running collector on the embedded
 * ClickHouse. Asserts the genai_spend rows: one per provider call, priced from the published prices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOpenAI } from '@ai-sdk/openai';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import * as anthropic1 from '@anthropic-ai/sdk';
import { AnthropicInstrumentation as OpenInferenceAnthropic } from '@arizeai/openinference-instrumentation-anthropic';
import { type Collector, parseConfig, startCollector } from '@burnrate/collector';
import { AttributionSpanProcessor, withAttribution } from '@burnrate/core';
import { OpenAIInstrumentation } from '@burnrate/instrumentation-openai';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AnthropicInstrumentation as OpenLLMetryAnthropic } from '@traceloop/instrumentation-anthropic';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import * as anthropic0 from 'anthropic-v0';
import * as openaiSdk from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLLM, startFakeLLM } from '../fakes/llm-server.js';

/** Published per-million-token prices (USD). */
const MINI = { input: 0.15, cached: 0.075, output: 0.6 }; // gpt-4o-mini
const HAIKU = { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite5m: 1 }; // claude-3-5-haiku
const perM = (tokens: number, usd: number) => (tokens * usd) / 1_000_000;

let dir: string;
let fake: FakeLLM;
let collector: Collector;
let provider: TracerProvider;
const memory = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  dir = mkdtempSync(join(tmpdir(), 'burnrate-producers-'));
  fake = await startFakeLLM();
  collector = await startCollector(
    parseConfig(
      `data_dir: ${dir}\nlog_level: silent\nserver: { host: 127.0.0.1, port: 0, grpc_port: false }\nwriter: { flush_interval_ms: 10 }\n`,
      'e2e',
    ),
  );
  provider = new TracerProvider({
    spanProcessors: [
      new AttributionSpanProcessor(),
      new SimpleSpanProcessor({ exporter: memory }),
      new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }) }),
    ],
  });
});
afterAll(async () => {
  await provider?.shutdown();
  await collector?.close();
  await fake?.close();
  contextManager.disable();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn` under a root span; returns that trace's genai_spend rows once every span was exported. */
async function inTrace(fn: () => Promise<void>) {
  const tracer = provider.getTracer('e2e');
  const traceId = await tracer.startActiveSpan('request', async (root) => {
    await fn();
    root.end();
    return root.spanContext().traceId;
  });
  await provider.forceFlush();
  const q = async (query: string) =>
    (await collector.store.client.query({ query, query_params: { t: traceId }, format: 'JSONEachRow' })).json<
      Record<string, any>
    >();
  return {
    spend: await q('SELECT * FROM burnrate.genai_spend WHERE trace_id = {t:String} ORDER BY timestamp'),
    traces: await q(
      'SELECT SpanName FROM burnrate.otel_traces WHERE TraceId = {t:String} ORDER BY Timestamp',
    ),
  };
}

const num = (row: Record<string, any>, ...keys: string[]) => keys.map((k) => Number(row[k]));

describe('Vercel AI SDK 7 (ai + @ai-sdk/openai + @ai-sdk/otel)', () => {
  const openai = () => createOpenAI({ baseURL: fake.openaiBaseURL, apiKey: 'sk-test' });

  it('OpenTelemetry integration: one priced row per provider call (the `chat` spans), none for invoke_agent; the burnrate OpenAI instrumentation adds none', async () => {
    // Registered and live: it prices the `openai` SDK call below, and sees nothing of @ai-sdk/openai,
    // which calls the API with fetch.
    const burnrate = new OpenAIInstrumentation({ enabled: false });
    burnrate.setTracerProvider(provider);
    burnrate.patch(openaiSdk);
    const integration = new OpenTelemetry({ tracer: provider.getTracer('ai') });
    const telemetry = { isEnabled: true, functionId: 'support-bot', integrations: [integration] };
    fake.enqueue(
      {
        usage: {
          input_tokens: 2000,
          input_tokens_details: { cached_tokens: 1200 },
          output_tokens: 300,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 2300,
        },
      },
      {
        usage: {
          input_tokens: 500,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: 40,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: 540,
        },
      },
    );
    const { spend, traces } = await inTrace(async () => {
      await withAttribution({ feature: 'support-chat', userId: 'u-1', tenant: 'acme' }, async () => {
        const r = await generateText({
          model: openai()('gpt-4o-mini'),
          prompt: 'Say hello',
          experimental_telemetry: telemetry,
        });
        expect(r.text).toBe('Hello world');
        const s = streamText({
          model: openai()('gpt-4o-mini'),
          prompt: 'Say hello',
          experimental_telemetry: telemetry,
        });
        let text = '';
        for await (const piece of s.textStream) text += piece;
        expect(text).toBe('Hello world');
      });
      const client = new openaiSdk.OpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseURL, maxRetries: 0 });
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
    });
    burnrate.unpatch(openaiSdk);
    expect(fake.requests.slice(-3).map((r) => r.path)).toEqual([
      '/v1/responses',
      '/v1/responses',
      '/v1/chat/completions',
    ]);
    // Every span is stored; the agent and step wrappers are not spend.
    expect(traces.map((t) => t.SpanName).sort()).toEqual(
      [
        'request',
        'invoke_agent gpt-4o-mini',
        'step 1',
        'chat gpt-4o-mini',
        'invoke_agent gpt-4o-mini',
        'step 1',
        'chat gpt-4o-mini',
        'chat gpt-4o-mini',
      ].sort(),
    );
    expect(spend).toHaveLength(3);
    const [gen, stream, sdk] = spend as [Record<string, any>, Record<string, any>, Record<string, any>];
    for (const row of [gen, stream]) {
      expect(row).toMatchObject({
        span_name: 'chat gpt-4o-mini',
        scope_name: 'ai',
        instrumentation_source: 'otel_genai',
        provider: 'openai',
        operation: 'chat',
        request_model: 'gpt-4o-mini',
        response_model: 'gpt-4o-mini-2024-07-18',
        model: 'gpt-4o-mini-2024-07-18',
        unpriced: false,
        priced_by: 'collector',
        cost_source: 'computed',
        // The chat span carries no functionId or runtimeContext (those go on invoke_agent); burnrate's
        // AttributionSpanProcessor puts withAttribution's values on it.
        feature: 'support-chat',
        user_id: 'u-1',
        tenant: 'acme',
      });
    }
    expect(num(gen, 'input_tokens', 'cache_read_tokens', 'output_tokens')).toEqual([2000, 1200, 300]);
    expect(gen.cost_usd).toBeCloseTo(
      perM(800, MINI.input) + perM(1200, MINI.cached) + perM(300, MINI.output),
      15,
    );
    expect(gen.cache_hit).toBe(true);
    expect(gen.cache_saved_usd).toBeCloseTo(perM(1200, MINI.input - MINI.cached), 15);
    expect(num(stream, 'input_tokens', 'cache_read_tokens', 'output_tokens')).toEqual([500, 0, 40]);
    expect(stream.cost_usd).toBeCloseTo(perM(500, MINI.input) + perM(40, MINI.output), 15);
    expect(stream.ttft_seconds).toBeGreaterThan(0);
    // The one call through the `openai` package: burnrate's own span.
    expect(sdk).toMatchObject({
      instrumentation_source: 'burnrate',
      scope_name: '@burnrate/instrumentation-openai',
    });
    expect(num(sdk, 'input_tokens', 'output_tokens')).toEqual([12, 5]);
    expect(sdk.cost_usd).toBeCloseTo(perM(12, MINI.input) + perM(5, MINI.output), 15);
    expect(
      memory.getFinishedSpans().filter((s) => s.instrumentationScope.name.startsWith('@burnrate/')),
    ).toHaveLength(1);
  });

  it('LegacyOpenTelemetry integration (ai.* spans), chat completions with a tool loop: one row per doGenerate/doStream, attribution from functionId and runtimeContext', async () => {
    const integration = new LegacyOpenTelemetry({ tracer: provider.getTracer('ai') });
    fake.enqueue(
      {
        toolCall: true,
        usage: {
          prompt_tokens: 300,
          completion_tokens: 20,
          total_tokens: 320,
          prompt_tokens_details: { cached_tokens: 0 },
        },
      },
      {
        usage: {
          prompt_tokens: 1400,
          completion_tokens: 60,
          total_tokens: 1460,
          prompt_tokens_details: { cached_tokens: 1024 },
        },
      },
      { usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } },
    );
    const weather = tool({
      description: 'Weather in a city',
      inputSchema: jsonSchema<{ city: string }>({
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
      }),
      execute: async ({ city }) => ({ city, tempC: 21 }),
    });
    const telemetry = {
      isEnabled: true,
      functionId: 'weather-bot',
      includeRuntimeContext: { userId: true, tenant: true },
      integrations: [integration],
    };
    const runtimeContext = { userId: 'u-7', tenant: 'globex', apiKey: 'not-for-telemetry' };
    const { spend, traces } = await inTrace(async () => {
      const r = await generateText({
        model: createOpenAI({ baseURL: fake.openaiBaseURL, apiKey: 'sk-test' }).chat('gpt-4o-mini'),
        prompt: 'Weather in Paris?',
        tools: { get_weather: weather },
        stopWhen: stepCountIs(2),
        runtimeContext,
        experimental_telemetry: telemetry,
      });
      expect(r.steps).toHaveLength(2);
      expect(r.text).toBe('Hello world');
      const s = streamText({
        model: createOpenAI({ baseURL: fake.openaiBaseURL, apiKey: 'sk-test' }).chat('gpt-4o-mini'),
        prompt: 'Say hello',
        runtimeContext,
        experimental_telemetry: telemetry,
      });
      for await (const _ of s.textStream) {
        // drain
      }
    });
    const requests = fake.requests.slice(-3);
    expect(requests.map((r) => r.path)).toEqual([
      '/v1/chat/completions',
      '/v1/chat/completions',
      '/v1/chat/completions',
    ]);
    expect(requests[1]!.body['messages']).toContainEqual(
      expect.objectContaining({ role: 'tool', tool_call_id: 'call_fake1' }),
    );
    expect(traces.map((t) => t.SpanName).sort()).toEqual(
      [
        'request',
        'ai.generateText',
        'ai.generateText.doGenerate',
        'ai.toolCall',
        'ai.generateText.doGenerate',
        'ai.streamText',
        'ai.streamText.doStream',
      ].sort(),
    );
    expect(spend.map((r) => r.span_name)).toEqual([
      'ai.generateText.doGenerate',
      'ai.generateText.doGenerate',
      'ai.streamText.doStream',
    ]);
    for (const row of spend) {
      expect(row).toMatchObject({
        instrumentation_source: 'vercel_ai',
        provider: 'openai',
        operation: 'chat',
        request_model: 'gpt-4o-mini',
        model: 'gpt-4o-mini-2024-07-18',
        unpriced: false,
        feature: 'weather-bot',
        user_id: 'u-7',
        tenant: 'globex',
      });
    }
    const [step1, step2, streamed] = spend as [Record<string, any>, Record<string, any>, Record<string, any>];
    expect(num(step1, 'input_tokens', 'cache_read_tokens', 'output_tokens')).toEqual([300, 0, 20]);
    expect(step1.cost_usd).toBeCloseTo(perM(300, MINI.input) + perM(20, MINI.output), 15);
    expect(num(step2, 'input_tokens', 'cache_read_tokens', 'output_tokens')).toEqual([1400, 1024, 60]);
    expect(step2.cost_usd).toBeCloseTo(
      perM(376, MINI.input) + perM(1024, MINI.cached) + perM(60, MINI.output),
      15,
    );
    expect(num(streamed, 'input_tokens', 'output_tokens')).toEqual([100, 10]);
    expect(streamed.cost_usd).toBeCloseTo(perM(100, MINI.input) + perM(10, MINI.output), 15);
    expect(streamed.ttft_seconds).toBeGreaterThan(0);
    // runtimeContext keys not included for telemetry stay out of the spans.
    const attrs = memory.getFinishedSpans().flatMap((s) => Object.keys(s.attributes));
    expect(attrs).toContain('ai.settings.context.userId');
    expect(attrs).not.toContain('ai.settings.context.apiKey');
  });
});

describe('Anthropic prompt-cache tokens from other producers (input counted with or without cache)', () => {
  const usage = {
    input_tokens: 1500,
    cache_creation_input_tokens: 200,
    cache_read_input_tokens: 600,
    output_tokens: 250,
  };
  const cost =
    perM(1500, HAIKU.input) +
    perM(600, HAIKU.cacheRead) +
    perM(200, HAIKU.cacheWrite5m) +
    perM(250, HAIKU.output);

  async function twoCalls(sdk: { Anthropic: any }) {
    fake.enqueue({ usage }, { usage });
    return inTrace(async () => {
      const client = new sdk.Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
      const params = {
        model: 'claude-3-5-haiku-20241022',
        max_tokens: 300,
        messages: [{ role: 'user', content: 'hi' }],
      };
      await client.messages.create(params);
      const stream = await client.messages.create({ ...params, stream: true });
      for await (const _ of stream) {
        // drain
      }
    });
  }

  function expectPriced(spend: Record<string, any>[], source: string) {
    expect(spend).toHaveLength(2);
    for (const row of spend) {
      expect(row).toMatchObject({
        instrumentation_source: source,
        provider: 'anthropic',
        model: 'claude-3-5-haiku-20241022',
        unpriced: false,
      });
      expect(num(row, 'input_tokens', 'cache_read_tokens', 'cache_write_tokens', 'output_tokens')).toEqual([
        2300, 600, 200, 250,
      ]);
      expect(row.cost_usd).toBeCloseTo(cost, 15);
    }
  }

  it('OpenLLMetry JS (@traceloop/instrumentation-anthropic): input_tokens is Anthropic input_tokens, cache added', async () => {
    const instrumentation = new OpenLLMetryAnthropic({ enabled: false });
    instrumentation.setTracerProvider(provider);
    instrumentation.manuallyInstrument(anthropic0 as never);
    const { spend } = await twoCalls(anthropic0);
    const spans = memory
      .getFinishedSpans()
      .filter((s) => s.instrumentationScope.name === '@traceloop/instrumentation-anthropic');
    expect(spans.at(-1)!.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.usage.input_tokens': 1500,
      'gen_ai.usage.cache_read.input_tokens': 600,
      'gen_ai.usage.cache_creation.input_tokens': 200,
    });
    expectPriced(spend, 'otel_genai');
  });

  it('OpenInference (@arizeai/openinference-instrumentation-anthropic): llm.token_count.prompt includes cache, not added again', async () => {
    const instrumentation = new OpenInferenceAnthropic({
      instrumentationConfig: { enabled: false },
      tracerProvider: provider,
    });
    instrumentation.manuallyInstrument(anthropic1 as never);
    const { spend } = await twoCalls(anthropic1);
    const spans = memory
      .getFinishedSpans()
      .filter((s) => s.instrumentationScope.name === '@arizeai/openinference-instrumentation-anthropic');
    expect(spans.at(-1)!.attributes).toMatchObject({ 'llm.token_count.prompt': 2300 });
    expectPriced(spend, 'openinference');
  });
});
