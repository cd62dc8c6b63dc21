/**
 * End to end: the real OpenTelemetry JS exporters (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC) send
 * spans to a running collector on the embedded ClickHouse; both tables get the right values.
 */

import { defaultPricer, usageOf } from '@burnrate/core';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../src/collector.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
let collector: Collector;

beforeAll(async () => {
  collector = await startTestCollector(tmp.dir);
});
afterAll(async () => {
  await collector.close();
  tmp.cleanup();
});

async function sendSpans(exporter: SpanExporter, service: string): Promise<{ traceId: string }> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('@burnrate/instrumentation-openai', '0.1.0');
  let traceId = '';
  {
    const root = tracer.startSpan('handle request', { kind: SpanKind.SERVER });
    const ctx = trace.setSpan(context.active(), root);
    traceId = root.spanContext().traceId;
    const llm = tracer.startSpan(
      'chat gpt-4o-mini',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.provider.name': 'openai',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.usage.input_tokens': 1200,
          'gen_ai.usage.output_tokens': 300,
          'gen_ai.usage.cache_read.input_tokens': 200,
          'gen_ai.request.stream': true,
          'gen_ai.response.time_to_first_chunk': 0.25,
          'burnrate.pricing.tier': 'standard',
          'burnrate.feature': 'support-chat',
          'user.id': 'u-42',
          'session.id': 's-7',
          'burnrate.tenant': 'acme',
          'burnrate.tag.env': 'prod',
          'burnrate.stream.completed': true,
        },
      },
      ctx,
    );
    llm.addEvent('first chunk', { 'chunk.index': 0 });
    llm.end();
    const failed = tracer.startSpan(
      'chat claude-sonnet-4',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.provider.name': 'anthropic',
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': 'claude-sonnet-4-0',
          'error.type': 'overloaded_error',
        },
      },
      ctx,
    );
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'overloaded' });
    failed.end();
    root.end();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId };
}

const expectedCost = () => {
  const p = defaultPricer().price({
    provider: 'openai',
    model: 'gpt-4o-mini-2024-07-18',
    usage: usageOf({ inputTokens: 1200, outputTokens: 300, cacheReadTokens: 200 }),
  });
  if (!p.priced) throw new Error('gpt-4o-mini must be priced');
  return p.cost;
};

describe.each([
  ['OTLP/HTTP JSON', () => new JsonExporter({ url: `${collector.url}/v1/traces` })],
  [
    'OTLP/HTTP protobuf',
    () => new ProtoExporter({ url: `${collector.url}/v1/traces`, compression: 'gzip' as never }),
  ],
  ['OTLP/gRPC', () => new GrpcExporter({ url: `http://127.0.0.1:${collector.grpcPort}` })],
])('%s exporter', (name, make) => {
  it('lands every span in otel_traces and the GenAI ones, priced, in genai_spend', async () => {
    const service = `svc-${name.replace(/\W+/g, '-').toLowerCase()}`;
    const { traceId } = await sendSpans(make(), service);
    // 2xx means durable: the rows are there without waiting.
    const traces = await rows<Record<string, any>>(
      collector.store.client,
      'SELECT * FROM burnrate.otel_traces WHERE TraceId = {t:String} ORDER BY SpanName',
      { t: traceId },
    );
    expect(traces.map((r) => r.SpanName)).toEqual([
      'chat claude-sonnet-4',
      'chat gpt-4o-mini',
      'handle request',
    ]);
    const llm = traces[1]!;
    expect(llm.ServiceName).toBe(service);
    expect(llm.SpanKind).toBe('Client');
    expect(llm.StatusCode).toBe('Unset');
    expect(traces[0]!.StatusCode).toBe('Error');
    expect(traces[0]!.StatusMessage).toBe('overloaded');
    expect(traces[2]!.SpanKind).toBe('Server');
    expect(llm.ParentSpanId).toBe(traces[2]!.SpanId);
    expect(llm.ScopeName).toBe('@burnrate/instrumentation-openai');
    expect(llm.ScopeVersion).toBe('0.1.0');
    expect(llm.ResourceAttributes['service.name']).toBe(service);
    expect(llm.SpanAttributes['gen_ai.usage.input_tokens']).toBe('1200');
    expect(llm.SpanAttributes['gen_ai.request.stream']).toBe('true');
    expect(llm.SpanAttributes['otel.scope.name']).toBe('@burnrate/instrumentation-openai');
    expect(Number(llm.Duration)).toBeGreaterThanOrEqual(0);
    expect(llm['Events.Name']).toEqual(['first chunk']);
    expect(llm['Events.Attributes'][0]['chunk.index']).toBe('0');
    // The collector priced it and stored the cost on the span too.
    const cost = expectedCost();
    expect(Number(llm.SpanAttributes['gen_ai.usage.cost'])).toBeCloseTo(cost.total, 12);
    expect(llm.SpanAttributes['burnrate.cost.source']).toBe('computed');

    const lookup = await rows<{ Start: string }>(
      collector.store.client,
      'SELECT Start FROM burnrate.otel_traces_trace_id_ts WHERE TraceId = {t:String}',
      { t: traceId },
    );
    expect(lookup).toHaveLength(1);

    const spend = await rows<Record<string, any>>(
      collector.store.client,
      'SELECT * FROM burnrate.genai_spend WHERE trace_id = {t:String} ORDER BY provider',
      { t: traceId },
    );
    expect(spend).toHaveLength(2);
    const [anthropic, openai] = spend as [Record<string, any>, Record<string, any>];
    expect(openai).toMatchObject({
      service_name: service,
      provider: 'openai',
      operation: 'chat',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      model: 'gpt-4o-mini-2024-07-18',
      cost_source: 'computed',
      priced_by: 'collector',
      unpriced: false,
      pricing_tier: 'standard',
      feature: 'support-chat',
      user_id: 'u-42',
      session_id: 's-7',
      tenant: 'acme',
      tags: { env: 'prod' },
      cache_hit: true,
      cache_kind: 'provider_prompt',
      stream: true,
      stream_completed: true,
      ttft_seconds: 0.25,
      status_code: 'Unset',
      instrumentation_source: 'burnrate',
      span_id: llm.SpanId,
    });
    expect(Number(openai.input_tokens)).toBe(1200);
    expect(Number(openai.output_tokens)).toBe(300);
    expect(Number(openai.cache_read_tokens)).toBe(200);
    expect(openai.cost_usd).toBeCloseTo(cost.total, 12);
    expect(openai.cost_input_usd).toBeCloseTo(cost.input, 12);
    expect(openai.cost_cache_read_usd).toBeCloseTo(cost.cacheRead, 12);
    expect(openai.cost_output_usd).toBeCloseTo(cost.output, 12);
    expect(openai.cache_saved_usd).toBeGreaterThan(0);
    // A failed call without usage: typed, not priced, not counted as unpriced spend.
    expect(anthropic).toMatchObject({
      provider: 'anthropic',
      status_code: 'Error',
      error_type: 'overloaded_error',
      unpriced: false,
      cost_usd: 0,
    });
  });
});

describe('rollup', () => {
  it('genai_spend_1m sums what genai_spend holds', async () => {
    const per = await rows<{ s: string; c: string }>(
      collector.store.client,
      'SELECT service_name s, count() c FROM burnrate.genai_spend GROUP BY s ORDER BY s',
    );
    expect(per.map((r) => [r.s, Number(r.c)])).toEqual([
      ['svc-otlp-grpc', 2],
      ['svc-otlp-http-json', 2],
      ['svc-otlp-http-protobuf', 2],
    ]);
    const raw = await rows<{ c: string; cost: number }>(
      collector.store.client,
      'SELECT count() c, sum(cost_usd) cost FROM burnrate.genai_spend',
    );
    const roll = await rows<{ c: string; cost: number }>(
      collector.store.client,
      'SELECT sum(requests) c, sum(cost_usd) cost FROM burnrate.genai_spend_1m',
    );
    expect(Number(raw[0]!.c)).toBe(6);
    expect(Number(roll[0]!.c)).toBe(6);
    expect(roll[0]!.cost).toBeCloseTo(raw[0]!.cost, 10);
  });
});
