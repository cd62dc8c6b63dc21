/**
 * Deterministic, realistic seed data for the dashboard tests: GenAI spans from several services,
 * features, users, tenants and models, with provider prompt-cache reads, exact and semantic app-cache
 * hits, routed calls, batch-tier calls, errors, unpriced models and estimated usage; the trace rows
 * those spans belong to; and budget state and alert history.
 */

/** The dashboard time range used by the tests: six hours, minute aligned. */
export const FROM_MS = Date.UTC(2026, 0, 15, 6, 0, 0);
export const TO_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface SeedSpan {
  ts: number; // ms
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  service: string;
  provider: string;
  operation: string;
  model: string;
  feature: string;
  user: string;
  session: string;
  tenant: string;
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
  cost: number;
  cost_input: number;
  cost_output: number;
  cost_cache_read: number;
  cost_cache_write: number;
  cost_source: string;
  priced_by: string;
  unpriced: boolean;
  estimated: boolean;
  tier: string;
  cache_hit: boolean;
  cache_kind: string;
  cache_similarity: number | null;
  cache_saved: number;
  route_name: string;
  route_reason: string;
  route_baseline_model: string;
  route_baseline_cost: number | null;
  route_saved: number;
  duration_ns: number;
  ttft: number | null;
  stream: boolean;
  status: string;
  error_type: string;
  source: string;
}

export interface BudgetStateRow {
  budget: string;
  group_key: string;
  period_start: number;
  period_end: number;
  spend_usd: number;
  limit_usd: number;
  percent: number;
  projected_usd: number;
  state: string;
  evaluated_at: number;
}

export interface BudgetAlertRow {
  id: string;
  event: string;
  budget: string;
  group_key: string;
  threshold: number;
  percent: number;
  spend_usd: number;
  limit_usd: number;
  projected_usd: number;
  period_start: number;
  period_end: number;
  created_at: number;
  sent_at: number | null;
  channels: string[];
  failed_channels: string[];
}

interface Price {
  provider: string;
  input: number; // USD per token
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning?: boolean;
}

/** Per-token prices; models absent here are unpriced. */
const PRICES: Record<string, Price> = {
  'gpt-4o': { provider: 'openai', input: 2.5e-6, output: 10e-6, cacheRead: 1.25e-6, cacheWrite: 0 },
  'gpt-4o-mini': { provider: 'openai', input: 0.15e-6, output: 0.6e-6, cacheRead: 0.075e-6, cacheWrite: 0 },
  'o3-mini': {
    provider: 'openai',
    input: 1.1e-6,
    output: 4.4e-6,
    cacheRead: 0.55e-6,
    cacheWrite: 0,
    reasoning: true,
  },
  'claude-sonnet-4': {
    provider: 'anthropic',
    input: 3e-6,
    output: 15e-6,
    cacheRead: 0.3e-6,
    cacheWrite: 3.75e-6,
  },
  'claude-3-5-haiku': {
    provider: 'anthropic',
    input: 0.8e-6,
    output: 4e-6,
    cacheRead: 0.08e-6,
    cacheWrite: 1e-6,
  },
  'text-embedding-3-small': { provider: 'openai', input: 0.02e-6, output: 0, cacheRead: 0, cacheWrite: 0 },
};
const UNPRICED: Record<string, string> = { 'ft:acme-support-v2': 'openai', 'llama3.1:8b': 'ollama' };

const SERVICES: Record<string, { models: string[]; features: string[] }> = {
  'chat-api': {
    models: ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4', 'o3-mini'],
    features: ['chat', 'chat', 'agent', ''],
  },
  'search-worker': {
    models: ['text-embedding-3-small', 'gpt-4o-mini', 'claude-3-5-haiku', 'llama3.1:8b'],
    features: ['search', 'rerank'],
  },
  'support-bot': {
    models: ['claude-sonnet-4', 'claude-3-5-haiku', 'ft:acme-support-v2'],
    features: ['summarize', 'triage'],
  },
};
const TENANTS = ['acme', 'globex', 'initech', ''];
const SOURCES = ['burnrate', 'burnrate', 'burnrate', 'burnrate', 'openllmetry', 'openinference', 'vercel-ai'];

/** mulberry32: a small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, bytes: number) => n.toString(16).padStart(bytes * 2, '0');

export interface Seed {
  spans: SeedSpan[];
  budgetState: BudgetStateRow[];
  budgetAlerts: BudgetAlertRow[];
  advice: AdviceRow[];
}

/** One `savings_advice` row, as the collector's advisor snapshot writes it. */
export interface AdviceRow {
  computed_at: number;
  kind: 'opportunity' | 'realized';
  lever: string;
  title: string;
  saved_usd: number;
  monthly_usd: number;
  requests: number;
  features: string[];
  models: string[];
  method: string;
}

export function makeSeed(count = 1200): Seed {
  const rnd = prng(20260115);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const spans: SeedSpan[] = [];
  let traceSeq = 0;
  let spanSeq = 0;
  let trace = '';
  let traceRoot = '';
  for (let i = 0; i < count + 40; i++) {
    const outside = i >= count; // 40 spans a day before the range: the time filter must drop them
    const base = outside ? FROM_MS - 86_400_000 : FROM_MS;
    // about one trace in three holds two GenAI calls (an agent step and its follow-up)
    if (i === 0 || rnd() > 0.35) {
      trace = hex(++traceSeq, 16);
      traceRoot = hex(++spanSeq, 8);
    }
    const service = pick(Object.keys(SERVICES));
    const svc = SERVICES[service]!;
    let model = pick(svc.models);
    const feature = pick(svc.features);
    const userN = int(0, 15);
    const user = userN === 0 ? '' : `user-${String(userN).padStart(2, '0')}`;
    const session = user && rnd() < 0.8 ? `${user}-s${int(1, 3)}` : '';
    const tenant = pick(TENANTS);
    const source = model === 'llama3.1:8b' ? 'openllmetry' : pick(SOURCES);
    const estimated = source === 'vercel-ai' ? rnd() < 0.7 : rnd() < 0.04;
    const tier =
      service === 'support-bot' && feature === 'summarize' ? 'batch' : rnd() < 0.03 ? 'priority' : 'standard';
    const operation = model.startsWith('text-embedding') ? 'embeddings' : 'chat';

    // routing: a third of chat-api chat calls go through the cost router
    let route_name = '';
    let route_reason = '';
    let route_baseline_model = '';
    if (service === 'chat-api' && feature === 'chat' && rnd() < 0.35) {
      route_name = 'cost-router';
      route_reason = pick(['complexity', 'complexity', 'complexity', 'budget', 'fallback']);
      route_baseline_model = 'gpt-4o';
      model = route_reason === 'fallback' ? 'claude-sonnet-4' : 'gpt-4o-mini';
    }
    const price = PRICES[model];
    const provider = price?.provider ?? UNPRICED[model]!;
    const unpriced = price === undefined;

    const appCache = operation === 'chat' && !route_name && rnd() < 0.08 ? pick(['exact', 'semantic']) : '';
    let input = operation === 'embeddings' ? int(50, 2000) : int(200, 6000);
    let output = operation === 'embeddings' ? 0 : int(20, 1500);
    const reasoning = price?.reasoning ? int(100, Math.max(100, output)) : 0;
    if (reasoning > output) output = reasoning + int(10, 200);
    const promptCache = !appCache && (model === 'gpt-4o' || model === 'claude-sonnet-4') && rnd() < 0.4;
    const cache_read = promptCache ? Math.floor(input * 0.6) : 0;
    const cache_write =
      !promptCache && model === 'claude-sonnet-4' && rnd() < 0.2 ? Math.floor(input * 0.5) : 0;
    const isError = rnd() < 0.05;
    if (isError) output = 0;

    const mult = tier === 'batch' ? 0.5 : tier === 'priority' ? 1.7 : 1;
    let cost_input = 0;
    let cost_output = 0;
    let cost_cache_read = 0;
    let cost_cache_write = 0;
    let cache_saved = 0;
    if (price && !appCache) {
      cost_input = (input - cache_read - cache_write) * price.input * mult;
      cost_output = output * price.output * mult;
      cost_cache_read = cache_read * price.cacheRead * mult;
      cost_cache_write = cache_write * price.cacheWrite * mult;
      if (promptCache) cache_saved = cache_read * (price.input - price.cacheRead) * mult;
    }
    let cost = cost_input + cost_output + cost_cache_read + cost_cache_write;
    if (appCache && price) {
      // an application cache hit answers without calling the model: no tokens, no cost
      cache_saved = input * price.input + output * price.output;
      input = 0;
      output = 0;
      cost = 0;
    }
    let route_baseline_cost: number | null = null;
    let route_saved = 0;
    if (route_name) {
      const b = PRICES['gpt-4o']!;
      route_baseline_cost = input * b.input + output * b.output;
      route_saved = route_baseline_cost - cost;
    }
    const stream = operation === 'chat' && !appCache && rnd() < 0.6;
    const duration_ns = appCache ? int(2, 40) * 1_000_000 : int(150, 9000) * 1_000_000 + int(0, 999_999);
    const ttft = stream && !isError ? Math.round((0.08 + rnd() * 1.5) * 1000) / 1000 : null;
    spans.push({
      ts: base + 30_000 + Math.floor(rnd() * (TO_MS - FROM_MS - 120_000)),
      trace_id: trace,
      span_id: hex(++spanSeq, 8),
      parent_span_id: traceRoot,
      service,
      provider,
      operation,
      model,
      feature,
      user,
      session,
      tenant,
      input,
      output,
      cache_read,
      cache_write,
      reasoning: isError ? 0 : reasoning,
      cost: unpriced ? 0 : cost,
      cost_input,
      cost_output,
      cost_cache_read,
      cost_cache_write,
      cost_source: unpriced
        ? ''
        : estimated
          ? 'estimated'
          : source === 'burnrate'
            ? pick(['computed', 'provider'])
            : 'computed',
      priced_by: unpriced ? '' : source === 'burnrate' ? 'sdk' : 'collector',
      unpriced,
      estimated,
      tier,
      cache_hit: promptCache || appCache !== '',
      cache_kind: promptCache ? 'provider_prompt' : appCache,
      cache_similarity: appCache === 'semantic' ? Math.round((0.9 + rnd() * 0.09) * 1000) / 1000 : null,
      cache_saved,
      route_name,
      route_reason,
      route_baseline_model,
      route_baseline_cost,
      route_saved,
      duration_ns,
      ttft,
      stream,
      status: isError ? 'Error' : 'Unset',
      error_type: isError ? pick(['rate_limit', 'timeout', 'APIConnectionError']) : '',
      source,
    });
  }

  const h = (hours: number) => FROM_MS + hours * 3_600_000;
  const monthStart = Date.UTC(2026, 0, 1);
  const monthEnd = Date.UTC(2026, 1, 1);
  const dayStart = Date.UTC(2026, 0, 15);
  const dayEnd = Date.UTC(2026, 0, 16);
  const state = (
    budget: string,
    group_key: string,
    period: [number, number],
    spend: number,
    limit: number,
    projected: number,
    st: string,
    evaluated: number,
  ): BudgetStateRow => ({
    budget,
    group_key,
    period_start: period[0],
    period_end: period[1],
    spend_usd: spend,
    limit_usd: limit,
    percent: Math.round((spend / limit) * 10000) / 100,
    projected_usd: projected,
    state: st,
    evaluated_at: evaluated,
  });
  const budgetState: BudgetStateRow[] = [
    // two evaluations of the same period: the later one wins (ReplacingMergeTree on evaluated_at)
    state('monthly-total', '', [monthStart, monthEnd], 310.5, 1000, 680.2, 'ok', h(1)),
    state('monthly-total', '', [monthStart, monthEnd], 352.75, 1000, 741.9, 'ok', h(5)),
    // last month: an older period, not shown
    state('tenant-monthly', 'acme', [Date.UTC(2025, 11, 1), monthStart], 500, 400, 500, 'alert', h(-300)),
    state('tenant-monthly', 'acme', [monthStart, monthEnd], 420.1, 400, 905.4, 'alert', h(5)),
    state('tenant-monthly', 'globex', [monthStart, monthEnd], 170, 200, 366.3, 'warn', h(5)),
    state('tenant-monthly', 'initech', [monthStart, monthEnd], 35.2, 200, 75.9, 'ok', h(5)),
    state('feature-daily', 'chat', [dayStart, dayEnd], 41.3, 50, 96.4, 'warn', h(5.5)),
  ];
  const alert = (
    id: string,
    event: string,
    budget: string,
    group_key: string,
    threshold: number,
    spend: number,
    limit: number,
    projected: number,
    period: [number, number],
    created: number,
    sent: number | null,
    channels: string[],
    failed: string[],
  ): BudgetAlertRow => ({
    id,
    event,
    budget,
    group_key,
    threshold,
    percent: Math.round((spend / limit) * 10000) / 100,
    spend_usd: spend,
    limit_usd: limit,
    projected_usd: projected,
    period_start: period[0],
    period_end: period[1],
    created_at: created,
    sent_at: sent,
    channels,
    failed_channels: failed,
  });
  const month: [number, number] = [monthStart, monthEnd];
  const budgetAlerts: BudgetAlertRow[] = [
    alert(
      'a1',
      'threshold_crossed',
      'tenant-monthly',
      'acme',
      0.8,
      330,
      400,
      800,
      month,
      h(0.5),
      h(0.5),
      ['slack', 'webhook'],
      [],
    ),
    alert(
      'a2',
      'threshold_crossed',
      'tenant-monthly',
      'acme',
      1,
      401,
      400,
      880,
      month,
      h(3.2),
      h(3.2),
      ['slack', 'webhook'],
      ['webhook'],
    ),
    alert(
      'a3',
      'forecast_exceeded',
      'tenant-monthly',
      'globex',
      1,
      150,
      200,
      366,
      month,
      h(2),
      null,
      ['slack'],
      ['slack'],
    ),
    alert(
      'a4',
      'threshold_crossed',
      'feature-daily',
      'chat',
      0.5,
      26,
      50,
      90,
      [dayStart, dayEnd],
      h(4.1),
      h(4.1),
      ['log'],
      [],
    ),
    // written again once delivered: the same id, same version -> the later insert replaces it
    alert(
      'a3',
      'forecast_exceeded',
      'tenant-monthly',
      'globex',
      1,
      150,
      200,
      366,
      month,
      h(2),
      h(2.01),
      ['slack'],
      [],
    ),
    // a week before the range: not shown
    alert(
      'a0',
      'threshold_crossed',
      'monthly-total',
      '',
      0.5,
      510,
      1000,
      1100,
      [Date.UTC(2025, 11, 1), monthStart],
      FROM_MS - 7 * 86_400_000,
      FROM_MS - 7 * 86_400_000,
      ['slack'],
      [],
    ),
  ];
  // Two advisor snapshots: the panel shows the newest one only.
  const opportunity = (
    at: number,
    lever: string,
    saved: number,
    features: string[],
    models: string[],
  ): AdviceRow => ({
    computed_at: at,
    kind: 'opportunity',
    lever,
    title: `advice on ${lever}`,
    saved_usd: saved,
    monthly_usd: saved * 30,
    requests: Math.round(saved * 1000),
    features,
    models,
    method: `how ${lever} was computed`,
  });
  const advice: AdviceRow[] = [
    opportunity(TO_MS - 3_600_000, 'exact_cache', 9.5, ['faq'], ['gpt-4o']),
    opportunity(TO_MS - 600_000, 'model_routing', 12.25, ['classify', 'tagging'], ['gpt-4o']),
    opportunity(TO_MS - 600_000, 'exact_cache', 4.5, ['faq'], ['gpt-4o-mini']),
    opportunity(TO_MS - 600_000, 'batch', 7.75, ['nightly-report'], ['claude-sonnet-4-5', 'gpt-4o']),
    { ...opportunity(TO_MS - 600_000, 'app_cache', 3, [], []), kind: 'realized', title: '' },
  ];
  return { spans, budgetState, budgetAlerts, advice };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** genai_spend rows as the collector writes them (JSONEachRow). */
export function spendRows(spans: SeedSpan[]): Record<string, unknown>[] {
  return spans.map((s) => ({
    timestamp: iso(s.ts),
    trace_id: s.trace_id,
    span_id: s.span_id,
    parent_span_id: s.parent_span_id,
    span_name: `${s.operation} ${s.model}`,
    service_name: s.service,
    provider: s.provider,
    operation: s.operation,
    request_model: s.route_name ? s.route_baseline_model : s.model,
    response_model: s.model,
    model: s.model,
    server_address: s.provider === 'ollama' ? 'localhost' : `api.${s.provider}.com`,
    input_tokens: s.input,
    output_tokens: s.output,
    cache_read_tokens: s.cache_read,
    cache_write_tokens: s.cache_write,
    reasoning_tokens: s.reasoning,
    cost_usd: s.cost,
    cost_input_usd: s.cost_input,
    cost_output_usd: s.cost_output,
    cost_cache_read_usd: s.cost_cache_read,
    cost_cache_write_usd: s.cost_cache_write,
    cost_source: s.cost_source,
    priced_by: s.priced_by,
    unpriced: s.unpriced,
    usage_estimated: s.estimated,
    pricing_tier: s.tier,
    feature: s.feature,
    user_id: s.user,
    session_id: s.session,
    tenant: s.tenant,
    tags: s.feature ? { team: 'growth' } : {},
    cache_hit: s.cache_hit,
    cache_kind: s.cache_kind,
    cache_similarity: s.cache_similarity,
    cache_saved_usd: s.cache_saved,
    route_name: s.route_name,
    route_tier: s.route_name ? 'small' : '',
    route_reason: s.route_reason,
    route_baseline_model: s.route_baseline_model,
    route_baseline_cost_usd: s.route_baseline_cost,
    route_saved_usd: s.route_saved,
    duration_ns: s.duration_ns,
    ttft_seconds: s.ttft,
    stream: s.stream,
    stream_completed: s.stream ? s.status !== 'Error' : null,
    status_code: s.status,
    error_type: s.error_type,
    instrumentation_source: s.source,
    scope_name: `@burnrate/instrumentation-${s.provider}`,
  }));
}

/** otel_traces rows: one SERVER root per trace and one CLIENT span per GenAI call under it. */
export function traceRows(spans: SeedSpan[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const roots = new Map<string, SeedSpan[]>();
  for (const s of spans) {
    const list = roots.get(s.trace_id) ?? [];
    list.push(s);
    roots.set(s.trace_id, list);
  }
  for (const [traceId, calls] of roots) {
    const first = calls[0]!;
    const start = Math.min(...calls.map((c) => c.ts)) - 5;
    const end = Math.max(...calls.map((c) => c.ts + c.duration_ns / 1e6)) + 5;
    rows.push({
      Timestamp: iso(start),
      TraceId: traceId,
      SpanId: first.parent_span_id,
      ParentSpanId: '',
      SpanName: `POST /${first.feature || 'api'}`,
      SpanKind: 'Server',
      ServiceName: first.service,
      ResourceAttributes: { 'service.name': first.service },
      ScopeName: '@opentelemetry/instrumentation-http',
      SpanAttributes: { 'http.request.method': 'POST' },
      Duration: Math.round((end - start) * 1e6),
      StatusCode: calls.some((c) => c.status === 'Error') ? 'Error' : 'Unset',
    });
    for (const c of calls) {
      rows.push({
        Timestamp: iso(c.ts),
        TraceId: traceId,
        SpanId: c.span_id,
        ParentSpanId: c.parent_span_id,
        SpanName: `${c.operation} ${c.model}`,
        SpanKind: 'Client',
        ServiceName: c.service,
        ResourceAttributes: { 'service.name': c.service },
        ScopeName: `@burnrate/instrumentation-${c.provider}`,
        SpanAttributes: {
          'gen_ai.provider.name': c.provider,
          'gen_ai.request.model': c.model,
          'gen_ai.usage.input_tokens': String(c.input),
          'gen_ai.usage.output_tokens': String(c.output),
          ...(c.unpriced ? { 'burnrate.cost.unpriced': 'true' } : { 'gen_ai.usage.cost': String(c.cost) }),
        },
        Duration: c.duration_ns,
        StatusCode: c.status,
      });
    }
  }
  return rows;
}

const chTime = (ms: number | null) => (ms === null ? null : iso(ms));

export function budgetStateRows(rows: BudgetStateRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    ...r,
    period_start: chTime(r.period_start),
    period_end: chTime(r.period_end),
    evaluated_at: chTime(r.evaluated_at),
  }));
}

export function budgetAlertRows(rows: BudgetAlertRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    ...r,
    period_start: chTime(r.period_start),
    period_end: chTime(r.period_end),
    created_at: chTime(r.created_at),
    sent_at: chTime(r.sent_at),
    payload: JSON.stringify({ id: r.id, budget: r.budget }),
  }));
}

export function adviceRows(rows: AdviceRow[]): Record<string, unknown>[] {
  return rows.map((r) => ({
    ...r,
    computed_at: chTime(r.computed_at),
    window_from: chTime(r.computed_at - 7 * 86_400_000),
    window_to: chTime(r.computed_at),
  }));
}
