import { Pricer, usageOf } from '@burnrate/core';
import { describe, expect, it } from 'vitest';
import { normalizeSpan } from '../src/normalize/index.js';
import { makeSpan } from './helpers.js';

const pricer = new Pricer();
const price = (provider: string, model: string, usage: Parameters<typeof usageOf>[0]) => {
  const p = pricer.price({ provider, model, usage: usageOf(usage) });
  if (!p.priced) throw new Error(`${model} must have a price`);
  return p.cost;
};

describe('normalization of other producers', () => {
  it('prices OpenLLMetry spans (gen_ai.system, prompt/completion tokens)', () => {
    const span = makeSpan({
      name: 'openai.chat',
      scope: 'opentelemetry.instrumentation.openai.v1',
      attributes: {
        'gen_ai.system': 'OpenAI',
        'llm.request.type': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.response.model': 'gpt-4o-2024-08-06',
        'gen_ai.usage.prompt_tokens': 2000,
        'gen_ai.usage.completion_tokens': 400,
        'llm.usage.total_tokens': 2400,
        'traceloop.association.properties.user_id': 'alice',
      },
    });
    const { spend } = normalizeSpan(span, pricer);
    const cost = price('openai', 'gpt-4o-2024-08-06', { inputTokens: 2000, outputTokens: 400 });
    expect(spend).toMatchObject({
      instrumentation_source: 'openllmetry',
      provider: 'openai',
      operation: 'chat',
      model: 'gpt-4o-2024-08-06',
      input_tokens: 2000,
      output_tokens: 400,
      unpriced: false,
      priced_by: 'collector',
      cost_source: 'computed',
      user_id: 'alice',
    });
    expect(spend!.cost_usd).toBeCloseTo(cost.total, 12);
    // The span now carries the contract's attributes for Jaeger and Grafana.
    expect(span.attributes.get('gen_ai.provider.name')).toEqual({ t: 's', v: 'openai' });
    expect(span.attributes.get('gen_ai.usage.input_tokens')).toEqual({ t: 'i', v: 2000 });
    expect(span.attributes.get('gen_ai.usage.cost')).toEqual({ t: 'd', v: cost.total });
  });

  it('skips OpenLLMetry workflow spans (no double counting)', () => {
    const span = makeSpan({ attributes: { 'traceloop.span.kind': 'workflow', 'gen_ai.system': 'openai' } });
    expect(normalizeSpan(span, pricer).spend).toBeUndefined();
  });

  it('prices OpenInference LLM spans (llm.* attributes) and ignores CHAIN spans', () => {
    const span = makeSpan({
      name: 'ChatAnthropic',
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.provider': 'anthropic',
        'llm.system': 'anthropic',
        'llm.model_name': 'claude-3-5-haiku-20241022',
        'llm.token_count.prompt': 1000,
        'llm.token_count.completion': 250,
        'llm.token_count.prompt_details.cache_read': 600,
        'session.id': 'sess-1',
      },
    });
    const { spend } = normalizeSpan(span, pricer);
    const cost = price('anthropic', 'claude-3-5-haiku-20241022', {
      inputTokens: 1000,
      outputTokens: 250,
      cacheReadTokens: 600,
    });
    expect(spend).toMatchObject({
      instrumentation_source: 'openinference',
      provider: 'anthropic',
      request_model: 'claude-3-5-haiku-20241022',
      input_tokens: 1000,
      cache_read_tokens: 600,
      cache_hit: true,
      cache_kind: 'provider_prompt',
      session_id: 'sess-1',
      unpriced: false,
    });
    expect(spend!.cost_usd).toBeCloseTo(cost.total, 12);
    expect(spend!.cache_saved_usd).toBeGreaterThan(0);
    const chain = makeSpan({
      attributes: { 'openinference.span.kind': 'CHAIN', 'llm.token_count.prompt': 1000 },
    });
    expect(normalizeSpan(chain, pricer).spend).toBeUndefined();
  });

  it('prices Vercel AI SDK provider calls (ai.*), not the wrapper spans', () => {
    const inner = makeSpan({
      name: 'ai.generateText.doGenerate',
      scope: 'ai',
      attributes: {
        'ai.operationId': 'ai.generateText.doGenerate',
        'ai.model.id': 'gpt-4o-mini',
        'ai.model.provider': 'openai.chat',
        'ai.usage.promptTokens': 800,
        'ai.usage.completionTokens': 120,
        'ai.telemetry.functionId': 'summarize-ticket',
        'ai.telemetry.metadata.userId': 'bob',
        'ai.telemetry.metadata.tenant': 'globex',
        'ai.response.msToFirstChunk': 340,
      },
    });
    const { spend } = normalizeSpan(inner, pricer);
    const cost = price('openai', 'gpt-4o-mini', { inputTokens: 800, outputTokens: 120 });
    expect(spend).toMatchObject({
      instrumentation_source: 'vercel_ai',
      provider: 'openai',
      operation: 'chat',
      model: 'gpt-4o-mini',
      input_tokens: 800,
      output_tokens: 120,
      feature: 'summarize-ticket',
      user_id: 'bob',
      tenant: 'globex',
      ttft_seconds: 0.34,
    });
    expect(spend!.cost_usd).toBeCloseTo(cost.total, 12);
    const outer = makeSpan({
      name: 'ai.generateText',
      attributes: {
        'ai.operationId': 'ai.generateText',
        'ai.model.id': 'gpt-4o-mini',
        'ai.usage.promptTokens': 800,
      },
    });
    expect(normalizeSpan(outer, pricer).spend).toBeUndefined();
  });

  it('keeps a cost the span already carries', () => {
    const span = makeSpan({
      attributes: {
        'gen_ai.provider.name': 'openrouter',
        'gen_ai.request.model': 'some/router-model',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
        'gen_ai.usage.cost': 0.0123,
        'burnrate.cost.source': 'provider',
      },
    });
    const { spend } = normalizeSpan(span, pricer);
    expect(spend).toMatchObject({
      cost_usd: 0.0123,
      cost_source: 'provider',
      priced_by: 'span',
      unpriced: false,
    });
  });

  it('marks an unknown model unpriced, never a silent $0', () => {
    const span = makeSpan({
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'no-such-model-xyz',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.usage.output_tokens': 5,
      },
    });
    const { spend } = normalizeSpan(span, pricer);
    expect(spend).toMatchObject({ unpriced: true, cost_usd: 0, priced_by: '' });
    expect(span.attributes.get('burnrate.cost.unpriced')).toEqual({ t: 'b', v: true });
    expect(span.attributes.has('gen_ai.usage.cost')).toBe(false);
  });

  it('prices the routing baseline and the saving', () => {
    const span = makeSpan({
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 1000,
        'gen_ai.usage.output_tokens': 1000,
        'burnrate.route.name': 'support-router',
        'burnrate.route.reason': 'complexity',
        'burnrate.route.baseline_model': 'gpt-4o',
      },
    });
    const { spend } = normalizeSpan(span, pricer);
    const base = price('openai', 'gpt-4o', { inputTokens: 1000, outputTokens: 1000 });
    expect(spend!.route_baseline_cost_usd).toBeCloseTo(base.total, 12);
    expect(spend!.route_saved_usd).toBeCloseTo(base.total - spend!.cost_usd, 12);
    expect(spend!.route_saved_usd).toBeGreaterThan(0);
  });

  it('leaves non-GenAI spans out of genai_spend but stores them in otel_traces', () => {
    const span = makeSpan({ name: 'GET /health', attributes: { 'http.request.method': 'GET' } });
    const n = normalizeSpan(span, pricer);
    expect(n.spend).toBeUndefined();
    expect(n.trace.SpanName).toBe('GET /health');
    expect(n.trace.SpanAttributes['http.request.method']).toBe('GET');
  });

  it('skips GenAI-flavoured spans that name no model and carry no usage (SDK bookkeeping calls)', () => {
    // What @anthropic-ai/sdk's own tracing emits for messages.batches.create / retrieve / results.
    const batchCreate = makeSpan({
      name: 'anthropic.messages.batches.create',
      attributes: {
        'gen_ai.provider.name': 'anthropic',
        'http.route': '/v1/messages/batches',
        'anthropic.message.batch.request_count': 1,
        'http.response.status_code': 200,
      },
    });
    expect(normalizeSpan(batchCreate, pricer).spend).toBeUndefined();
    // A failed call that named its model is still a call (an error, with no usage).
    const failed = makeSpan({
      statusCode: 2,
      attributes: {
        'gen_ai.provider.name': 'openai',
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
      },
    });
    expect(normalizeSpan(failed, pricer).spend).toMatchObject({
      model: 'gpt-4o',
      status_code: 'Error',
      unpriced: false,
    });
  });
});
