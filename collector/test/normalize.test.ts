import { Pricer, usageOf } from '@burnrate/core';
import { describe, expect, it } from 'vitest';
import { normalizeSpan } from '../src/normalize/index.js';
import { makeSpan } from './helpers.js';

const pricer = new Pricer();
/** OTLP span kinds (makeSpan's default is CLIENT, 3). */
const SPAN_KIND_INTERNAL = 1;
const perM = (tokens: number, usdPerMillion: number) => (tokens * usdPerMillion) / 1_000_000;
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

  // Producers as their current releases emit them (attribute names and values read from their code;
  // test/e2e/producers.test.ts runs the real packages). Costs by hand from the published prices.
  describe('Vercel AI SDK 7 (@ai-sdk/otel)', () => {
    const MINI = { input: 0.15, cached: 0.075, output: 0.6 };
    it('OpenTelemetry integration: prices the `chat` span, not the `invoke_agent` span that sums it', () => {
      const usage = {
        'gen_ai.usage.input_tokens': 2000,
        'gen_ai.usage.output_tokens': 300,
        'gen_ai.usage.cache_read.input_tokens': 1200,
      };
      const chat = makeSpan({
        name: 'chat gpt-4o-mini',
        scope: 'ai',
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.client.operation.time_to_first_chunk': 0.163,
          ...usage,
        },
      });
      const { spend } = normalizeSpan(chat, pricer);
      expect(spend).toMatchObject({
        instrumentation_source: 'otel_genai',
        provider: 'openai',
        operation: 'chat',
        model: 'gpt-4o-mini-2024-07-18',
        input_tokens: 2000,
        output_tokens: 300,
        cache_read_tokens: 1200,
        ttft_seconds: 0.163,
        unpriced: false,
      });
      expect(spend!.cost_usd).toBeCloseTo(
        perM(800, MINI.input) + perM(1200, MINI.cached) + perM(300, MINI.output),
        15,
      );
      // The root span of generateText/streamText: INTERNAL, carries the summed usage of every step.
      const agent = makeSpan({
        name: 'invoke_agent gpt-4o-mini',
        scope: 'ai',
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.agent.name': 'support-bot',
          ...usage,
        },
      });
      agent.kind = SPAN_KIND_INTERNAL;
      expect(normalizeSpan(agent, pricer).spend).toBeUndefined();
      const step = makeSpan({
        name: 'step 1',
        scope: 'ai',
        attributes: { 'gen_ai.operation.name': 'agent_step' },
      });
      step.kind = SPAN_KIND_INTERNAL;
      expect(normalizeSpan(step, pricer).spend).toBeUndefined();
      // A remote agent called over the network (CLIENT invoke_agent) is the only record of its spend.
      const remote = makeSpan({
        name: 'invoke_agent travel',
        attributes: {
          'gen_ai.operation.name': 'invoke_agent',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 100,
          'gen_ai.usage.output_tokens': 10,
        },
      });
      expect(normalizeSpan(remote, pricer).spend).toMatchObject({ input_tokens: 100, unpriced: false });
    });

    it('LegacyOpenTelemetry integration: attribution from ai.settings.context.* (runtimeContext)', () => {
      const span = makeSpan({
        name: 'ai.streamText.doStream',
        scope: 'ai',
        attributes: {
          'ai.operationId': 'ai.streamText.doStream',
          'ai.telemetry.functionId': 'support-bot',
          'ai.model.provider': 'openai.responses',
          'ai.model.id': 'gpt-4o-mini',
          'gen_ai.system': 'openai.responses',
          'gen_ai.request.model': 'gpt-4o-mini',
          'ai.response.model': 'gpt-4o-mini-2024-07-18',
          'ai.settings.context.userId': 'u-9',
          'ai.settings.context.tenant': 'acme',
          'ai.settings.context.sessionId': 's-3',
          'ai.usage.inputTokens': 2000,
          'ai.usage.outputTokens': 300,
          'ai.usage.cachedInputTokens': 1200,
          'ai.usage.inputTokenDetails.noCacheTokens': 800,
          'ai.usage.inputTokenDetails.cacheReadTokens': 1200,
          'gen_ai.usage.input_tokens': 2000,
          'gen_ai.usage.output_tokens': 300,
          'ai.response.msToFirstChunk': 239,
        },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({
        instrumentation_source: 'vercel_ai',
        provider: 'openai',
        model: 'gpt-4o-mini-2024-07-18',
        input_tokens: 2000,
        cache_read_tokens: 1200,
        output_tokens: 300,
        feature: 'support-bot',
        user_id: 'u-9',
        tenant: 'acme',
        session_id: 's-3',
        ttft_seconds: 0.239,
      });
      expect(spend!.cost_usd).toBeCloseTo(
        perM(800, MINI.input) + perM(1200, MINI.cached) + perM(300, MINI.output),
        15,
      );
    });
  });

  describe('cache tokens: whether a producer counts them in its input', () => {
    const HAIKU = { input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1 };
    // Uncached 1500, cache read 600, cache write 200: more uncached input than cached, so the old
    // "cache > input" guess did not add them and the call was priced as 1500 input tokens in all.
    const haikuCost =
      perM(1500, HAIKU.input) +
      perM(600, HAIKU.cacheRead) +
      perM(200, HAIKU.cacheWrite) +
      perM(250, HAIKU.output);
    const anthropicUsage = (input: number) => ({
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': 250,
      'gen_ai.usage.cache_read.input_tokens': 600,
      'gen_ai.usage.cache_creation.input_tokens': 200,
    });
    const claude = {
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'claude-3-5-haiku-20241022',
      'gen_ai.response.model': 'claude-3-5-haiku-20241022',
    };

    it('OpenLLMetry JS (@traceloop/instrumentation-anthropic) passes Anthropic input_tokens: cache added', () => {
      const span = makeSpan({
        name: 'chat claude-3-5-haiku-20241022',
        scope: '@traceloop/instrumentation-anthropic',
        attributes: { ...claude, ...anthropicUsage(1500), 'llm.usage.total_tokens': 1750 },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({
        provider: 'anthropic',
        input_tokens: 2300,
        cache_read_tokens: 600,
        cache_write_tokens: 200,
        output_tokens: 250,
        unpriced: false,
      });
      expect(spend!.cost_usd).toBeCloseTo(haikuCost, 15);
      expect(span.attributes.get('gen_ai.usage.input_tokens')).toEqual({ t: 'i', v: 1500 }); // kept as sent
    });

    it('OpenLLMetry JS, older releases (gen_ai.system, gen_ai.usage.prompt_tokens): cache added', () => {
      const span = makeSpan({
        name: 'anthropic.chat',
        scope: '@traceloop/instrumentation-anthropic',
        attributes: {
          'gen_ai.system': 'Anthropic',
          'llm.request.type': 'chat',
          'gen_ai.request.model': 'claude-3-5-haiku-20241022',
          'gen_ai.usage.prompt_tokens': 1500,
          'gen_ai.usage.completion_tokens': 250,
          'gen_ai.usage.cache_read_input_tokens': 600,
          'gen_ai.usage.cache_creation_input_tokens': 200,
        },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({ instrumentation_source: 'openllmetry', input_tokens: 2300 });
      expect(spend!.cost_usd).toBeCloseTo(haikuCost, 15);
    });

    it('OpenLLMetry Python (opentelemetry.instrumentation.anthropic) already includes cache: not added', () => {
      const span = makeSpan({
        name: 'anthropic.chat',
        scope: 'opentelemetry.instrumentation.anthropic',
        attributes: { ...claude, ...anthropicUsage(2300) },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({ input_tokens: 2300, cache_read_tokens: 600, cache_write_tokens: 200 });
      expect(spend!.cost_usd).toBeCloseTo(haikuCost, 15);
    });

    it('burnrate and the OTel GenAI conventions include cache in input: not added', () => {
      for (const scope of ['@burnrate/instrumentation-anthropic', 'some-otel-genai-producer']) {
        const span = makeSpan({ scope, attributes: { ...claude, ...anthropicUsage(2300) } });
        const { spend } = normalizeSpan(span, pricer);
        expect(spend).toMatchObject({ input_tokens: 2300 });
        expect(spend!.cost_usd).toBeCloseTo(haikuCost, 15);
      }
    });

    it('OpenInference: llm.token_count.prompt already includes the prompt_details: not added', () => {
      const span = makeSpan({
        name: 'Anthropic Messages',
        scope: '@arizeai/openinference-instrumentation-anthropic',
        attributes: {
          'openinference.span.kind': 'LLM',
          'llm.provider': 'anthropic',
          'llm.system': 'anthropic',
          'llm.model_name': 'claude-3-5-haiku-20241022',
          'llm.token_count.prompt': 2300,
          'llm.token_count.completion': 250,
          'llm.token_count.total': 2550,
          'llm.token_count.prompt_details.cache_read': 600,
          'llm.token_count.prompt_details.cache_write': 200,
        },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({ input_tokens: 2300, cache_read_tokens: 600, cache_write_tokens: 200 });
      expect(spend!.cost_usd).toBeCloseTo(haikuCost, 15);
    });

    it('Vercel AI SDK 4/5 with Anthropic (no inputTokenDetails): input_tokens excludes the cache read', () => {
      const span = makeSpan({
        name: 'ai.generateText.doGenerate',
        scope: 'ai',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.provider': 'anthropic.messages',
          'ai.model.id': 'claude-3-5-haiku-20241022',
          'ai.usage.inputTokens': 1500,
          'ai.usage.outputTokens': 250,
          'ai.usage.cachedInputTokens': 600,
        },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({ provider: 'anthropic', input_tokens: 2100, cache_read_tokens: 600 });
      expect(spend!.cost_usd).toBeCloseTo(
        perM(1500, HAIKU.input) + perM(600, HAIKU.cacheRead) + perM(250, HAIKU.output),
        15,
      );
    });

    it('Vercel AI SDK 6/7 with Anthropic (inputTokenDetails.noCacheTokens): input is the total', () => {
      const span = makeSpan({
        name: 'ai.generateText.doGenerate',
        scope: 'ai',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.provider': 'anthropic.messages',
          'ai.model.id': 'claude-3-5-haiku-20241022',
          'ai.usage.inputTokens': 2300,
          'ai.usage.outputTokens': 250,
          'ai.usage.cachedInputTokens': 600,
          'ai.usage.inputTokenDetails.noCacheTokens': 1500,
          'ai.usage.inputTokenDetails.cacheReadTokens': 600,
          'ai.usage.inputTokenDetails.cacheWriteTokens': 200,
        },
      });
      const { spend } = normalizeSpan(span, pricer);
      expect(spend).toMatchObject({ input_tokens: 2300, cache_read_tokens: 600, cache_write_tokens: 200 });
      expect(spend!.cost_usd).toBeCloseTo(haikuCost, 15);
    });

    it('an unknown producer whose cache exceeds its input cannot have counted it: added', () => {
      const span = makeSpan({ scope: 'custom', attributes: { ...claude, ...anthropicUsage(100) } });
      expect(normalizeSpan(span, pricer).spend).toMatchObject({ input_tokens: 900 });
    });
  });
});
