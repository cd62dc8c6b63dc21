/**
 * Reads GenAI facts from the attribute conventions of every known producer, burnrate's first:
 *
 * | producer | recognised by | model / provider / usage attributes |
 * |---|---|---|
 * | burnrate, OTel GenAI semconv | `gen_ai.provider.name`, `gen_ai.usage.input_tokens` | `gen_ai.*` |
 * | OpenLLMetry (Traceloop), older semconv | `gen_ai.system`, `gen_ai.usage.prompt_tokens`, `traceloop.*`, `llm.request.type` | `gen_ai.usage.prompt_tokens` / `completion_tokens` |
 * | OpenInference (Arize) | `openinference.span.kind`, `llm.*` | `llm.model_name`, `llm.provider`, `llm.token_count.*` |
 * | Vercel AI SDK <= 6, and 7 with `LegacyOpenTelemetry` | `ai.*`, `ai.operationId` | `ai.model.id`, `ai.model.provider`, `ai.usage.*` |
 * | Vercel AI SDK 7 with `@ai-sdk/otel` `OpenTelemetry` | GenAI semconv (source `otel_genai`) | `gen_ai.*`; `invoke_agent` root spans are wrappers |
 */
import { ATTR } from '@burnrate/core';
import { type AnyValue, type Attributes, bool, num, type Span, str } from '../model.js';

export type InstrumentationSource = 'burnrate' | 'otel_genai' | 'openllmetry' | 'openinference' | 'vercel_ai';

export interface GenAiFacts {
  source: InstrumentationSource;
  provider: string;
  operation: string;
  requestModel: string;
  responseModel: string;
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
  reasoningTokens?: number | undefined;
  /** Total USD the span already carries (kept as-is). */
  costUsd?: number | undefined;
  ttftSeconds?: number | undefined;
  feature: string;
  userId: string;
  sessionId: string;
  tenant: string;
  tags: Record<string, string>;
  tier?: string | undefined;
}

/** First attribute present (span, then resource) among `keys`. */
function pick(attrs: Attributes, keys: string[]): AnyValue | undefined {
  for (const k of keys) {
    const v = attrs.get(k);
    if (v !== undefined && v.t !== 'empty') return v;
  }
  return undefined;
}

const pickStr = (a: Attributes, keys: string[]) => str(pick(a, keys)) ?? '';
const pickNum = (a: Attributes, keys: string[]) => num(pick(a, keys));

/** Provider names used by other producers -> `gen_ai.provider.name` values. */
const PROVIDER_ALIASES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  gemini: 'gcp.gemini',
  'google.generative-ai': 'gcp.gemini',
  'google-generative-ai': 'gcp.gemini',
  gcp_gemini: 'gcp.gemini',
  vertexai: 'gcp.vertex_ai',
  vertex_ai: 'gcp.vertex_ai',
  vertex: 'gcp.vertex_ai',
  'google.vertex': 'gcp.vertex_ai',
  aws: 'aws.bedrock',
  bedrock: 'aws.bedrock',
  'amazon-bedrock': 'aws.bedrock',
  aws_bedrock: 'aws.bedrock',
  mistral: 'mistral_ai',
  mistralai: 'mistral_ai',
  cohere: 'cohere',
  groq: 'groq',
  azure: 'azure.ai.openai',
  'azure-openai': 'azure.ai.openai',
  'az.ai.openai': 'azure.ai.openai',
  azure_openai: 'azure.ai.openai',
  'az.ai.inference': 'azure.ai.inference',
  deepseek: 'deepseek',
  together: 'together_ai',
  togetherai: 'together_ai',
  'together.ai': 'together_ai',
  openrouter: 'openrouter',
  xai: 'x_ai',
  'x-ai': 'x_ai',
  fireworks: 'fireworks',
  fireworksai: 'fireworks',
  ollama: 'ollama',
  vllm: 'vllm',
  perplexity: 'perplexity',
};

/** Canonical `gen_ai.provider.name` for a producer's provider string (unknown names pass through). */
export function canonicalProvider(raw: string): string {
  const p = raw.trim().toLowerCase();
  if (!p) return '';
  if (PROVIDER_ALIASES[p]) return PROVIDER_ALIASES[p]!;
  // Vercel AI SDK: `openai.chat`, `anthropic.messages`, `google.generative-ai`, `amazon-bedrock`...
  const head = p.split('.')[0]!;
  return PROVIDER_ALIASES[head] ?? p;
}

const OPERATION_ALIASES: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  text_completion: 'text_completion',
  embedding: 'embeddings',
  embeddings: 'embeddings',
  rerank: 'rerank',
  llm: 'chat',
};

/** Vercel AI SDK span operations that are one provider call (the outer spans aggregate them). */
const VERCEL_CALL = /\.(doGenerate|doStream|doEmbed)$/;

/**
 * GenAI semconv operations of agent/workflow spans. In-process (INTERNAL) ones wrap the `chat` spans of
 * their model calls and carry their summed usage (the Vercel AI SDK 7 `invoke_agent` root span does), so
 * pricing them would count the spend twice. A CLIENT `invoke_agent` span calls a remote agent whose model
 * calls are not traced here: it is the only record of that spend and is priced.
 */
const AGENT_OPERATIONS = new Set([
  'invoke_agent',
  'create_agent',
  'invoke_workflow',
  'agent_step',
  'execute_tool',
]);
/** OTLP `SPAN_KIND_CLIENT`. */
const KIND_CLIENT = 3;

function isAgentWrapper(span: Span): boolean {
  const op = str(span.attributes.get(ATTR.OPERATION_NAME));
  return op !== undefined && AGENT_OPERATIONS.has(op) && span.kind !== KIND_CLIENT;
}

export function detectSource(span: Span): InstrumentationSource | undefined {
  const a = span.attributes;
  const vercelOp = str(a.get('ai.operationId'));
  if (vercelOp !== undefined || a.has('ai.model.id')) return 'vercel_ai';
  if (a.has('openinference.span.kind') || a.has('llm.model_name') || a.has('llm.token_count.prompt'))
    return 'openinference';
  const genai =
    a.has(ATTR.PROVIDER_NAME) ||
    a.has(ATTR.REQUEST_MODEL) ||
    a.has(ATTR.RESPONSE_MODEL) ||
    a.has(ATTR.USAGE_INPUT_TOKENS) ||
    a.has(ATTR.USAGE_OUTPUT_TOKENS) ||
    a.has(ATTR.USAGE_COST);
  const burnrate = a.has(ATTR.COST_SOURCE) || a.has(ATTR.COST_UNPRICED) || a.has(ATTR.PRICING_TIER);
  if (burnrate || (genai && span.scope.name.startsWith('@burnrate/'))) return 'burnrate';
  if (
    a.has('gen_ai.system') ||
    a.has('gen_ai.usage.prompt_tokens') ||
    a.has('llm.request.type') ||
    a.has('traceloop.span.kind')
  )
    return 'openllmetry';
  if (genai) return 'otel_genai';
  return undefined;
}

/**
 * Whether this span is one priced model call. Wrapper spans that only aggregate their children (Vercel
 * `ai.generateText`, OpenInference CHAIN/AGENT spans, Traceloop workflow/task spans) are not, so the spend
 * is counted once.
 */
function isModelCall(span: Span, source: InstrumentationSource): boolean {
  const a = span.attributes;
  if (source !== 'vercel_ai' && source !== 'openinference' && isAgentWrapper(span)) return false;
  switch (source) {
    case 'vercel_ai': {
      const op = str(a.get('ai.operationId')) ?? span.name;
      return VERCEL_CALL.test(op);
    }
    case 'openinference': {
      const kind = (str(a.get('openinference.span.kind')) ?? '').toUpperCase();
      return kind === '' ? a.has('llm.model_name') : kind === 'LLM' || kind === 'EMBEDDING';
    }
    case 'openllmetry': {
      const kind = str(a.get('traceloop.span.kind'));
      if (kind && kind !== 'llm') return false;
      return (
        a.has('gen_ai.request.model') ||
        a.has('gen_ai.response.model') ||
        a.has('gen_ai.usage.prompt_tokens') ||
        a.has('gen_ai.usage.input_tokens')
      );
    }
    default:
      // A model call names its model or reports usage; a span with neither (an SDK's own span for a
      // bookkeeping call such as Anthropic's messages.batches.create) is not spend.
      return MODEL_CALL_KEYS.some((k) => a.has(k));
  }
}

const MODEL_CALL_KEYS = [
  ATTR.REQUEST_MODEL,
  ATTR.RESPONSE_MODEL,
  ATTR.USAGE_INPUT_TOKENS,
  ATTR.USAGE_OUTPUT_TOKENS,
  ATTR.USAGE_COST,
  'gen_ai.usage.prompt_tokens',
  'gen_ai.usage.completion_tokens',
];

function tagsFrom(attrs: Attributes, into: Record<string, string>): void {
  for (const [k, v] of attrs) {
    if (k.startsWith(ATTR.TAG_PREFIX)) {
      const key = k.slice(ATTR.TAG_PREFIX.length);
      if (key && into[key] === undefined) into[key] = str(v) ?? '';
    }
  }
}

const meta = (...keys: string[]) =>
  keys.flatMap((key) => [
    // Vercel AI SDK <= 6: experimental_telemetry.metadata
    `ai.telemetry.metadata.${key}`,
    // Vercel AI SDK 7: runtimeContext, with telemetry.includeRuntimeContext
    `ai.settings.context.${key}`,
    `traceloop.association.properties.${key}`,
    `metadata.${key}`,
  ]);
const FEATURE_KEYS = [ATTR.FEATURE, ...meta('feature', 'burnrate.feature'), 'ai.telemetry.functionId'];
const USER_KEYS = [ATTR.USER_ID, 'enduser.id', ...meta('userId', 'user_id')];
const SESSION_KEYS = [ATTR.SESSION_ID, ...meta('sessionId', 'session_id')];
const TENANT_KEYS = [ATTR.TENANT, ...meta('tenant', 'tenantId', 'tenant_id')];

/**
 * Whether a producer's input token count leaves the provider prompt-cache tokens out (read from each
 * producer's code):
 *
 * | producer | input attribute | cache tokens in it? |
 * |---|---|---|
 * | burnrate | `gen_ai.usage.input_tokens` | yes (the contract) |
 * | OTel GenAI semconv producers | `gen_ai.usage.input_tokens` | yes ("SHOULD include all types of input tokens, including cached tokens") |
 * | OpenLLMetry JS `@traceloop/instrumentation-anthropic` | `gen_ai.usage.input_tokens` (older: `gen_ai.usage.prompt_tokens`) | **no**: Anthropic's `input_tokens` as is |
 * | OpenLLMetry Python `opentelemetry.instrumentation.anthropic` | `gen_ai.usage.input_tokens` | yes (`input_tokens + cache_read + cache_creation`) |
 * | OpenLLMetry OpenAI (JS and Python) | `prompt_tokens` | yes (OpenAI's `prompt_tokens` includes `cached_tokens`) |
 * | OpenInference (OpenAI, Anthropic) | `llm.token_count.prompt` | yes (Anthropic: `input_tokens + cache_creation + cache_read`) |
 * | Vercel AI SDK 6 and 7 | `ai.usage.inputTokens`, `gen_ai.usage.input_tokens` | yes (the total; `ai.usage.inputTokenDetails.noCacheTokens` is the rest) |
 * | Vercel AI SDK 4 and 5, `@ai-sdk/anthropic` | `ai.usage.inputTokens` / `promptTokens` | **no**: Anthropic's `input_tokens`, cache read in `ai.usage.cachedInputTokens` |
 */
function inputExcludesCache(span: Span, source: InstrumentationSource, provider: string): boolean {
  if (span.scope.name === '@traceloop/instrumentation-anthropic') return true;
  if (source === 'vercel_ai') {
    return provider === 'anthropic' && !span.attributes.has('ai.usage.inputTokenDetails.noCacheTokens');
  }
  return false;
}

/** Extracts the GenAI facts of a span, or undefined when it is not a GenAI model call. */
export function readGenAi(span: Span): GenAiFacts | undefined {
  const source = detectSource(span);
  if (!source || !isModelCall(span, source)) return undefined;
  const a = span.attributes;
  const r = span.resource.attributes;

  const vercelOp = str(a.get('ai.operationId')) ?? '';
  const oiKind = (str(a.get('openinference.span.kind')) ?? '').toUpperCase();
  let operation = pickStr(a, [ATTR.OPERATION_NAME, 'llm.request.type']);
  if (!operation && source === 'vercel_ai') operation = vercelOp.endsWith('.doEmbed') ? 'embeddings' : 'chat';
  if (!operation && source === 'openinference') operation = oiKind === 'EMBEDDING' ? 'embeddings' : 'chat';
  operation = OPERATION_ALIASES[operation] ?? (operation || 'chat');

  const provider = canonicalProvider(
    pickStr(a, [ATTR.PROVIDER_NAME, 'gen_ai.system', 'llm.provider', 'llm.system', 'ai.model.provider']),
  );
  const requestModel = pickStr(a, [
    ATTR.REQUEST_MODEL,
    'ai.model.id',
    'llm.model_name',
    'embedding.model_name',
  ]);
  const responseModel = pickStr(a, [ATTR.RESPONSE_MODEL, 'ai.response.model', 'llm.model_name']);

  let inputTokens = pickNum(a, [
    ATTR.USAGE_INPUT_TOKENS,
    'gen_ai.usage.prompt_tokens',
    'llm.token_count.prompt',
    'ai.usage.inputTokens',
    'ai.usage.promptTokens',
    'llm.usage.prompt_tokens',
  ]);
  const outputTokens = pickNum(a, [
    ATTR.USAGE_OUTPUT_TOKENS,
    'gen_ai.usage.completion_tokens',
    'llm.token_count.completion',
    'ai.usage.outputTokens',
    'ai.usage.completionTokens',
    'llm.usage.completion_tokens',
  ]);
  const cacheReadTokens = pickNum(a, [
    ATTR.USAGE_CACHE_READ_INPUT_TOKENS,
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
    'ai.usage.cachedInputTokens',
    'ai.usage.inputTokenDetails.cacheReadTokens',
  ]);
  const cacheWriteTokens = pickNum(a, [
    ATTR.USAGE_CACHE_CREATION_INPUT_TOKENS,
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
    'ai.usage.inputTokenDetails.cacheWriteTokens',
  ]);
  const reasoningTokens = pickNum(a, [
    ATTR.USAGE_REASONING_OUTPUT_TOKENS,
    'gen_ai.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
    'ai.usage.reasoningTokens',
  ]);
  // The contract's input counts every input token, cached ones included. Producers known to pass a
  // provider's uncached count through get the cache tokens added; for the others, cache tokens that
  // exceed the input show it cannot have included them.
  const cached = (cacheReadTokens ?? 0) + (cacheWriteTokens ?? 0);
  if (inputTokens !== undefined && (inputExcludesCache(span, source, provider) || cached > inputTokens)) {
    inputTokens += cached;
  }

  let ttftSeconds = pickNum(a, [
    ATTR.RESPONSE_TIME_TO_FIRST_CHUNK,
    // Vercel AI SDK 7 (@ai-sdk/otel OpenTelemetry)
    'gen_ai.client.operation.time_to_first_chunk',
  ]);
  if (ttftSeconds === undefined) {
    const ms = pickNum(a, ['ai.response.msToFirstChunk', 'ai.stream.msToFirstChunk']);
    if (ms !== undefined) ttftSeconds = ms / 1000;
  }

  const both = (keys: string[]) => pickStr(a, keys) || pickStr(r, keys);
  const feature = both(FEATURE_KEYS);
  const userId = both(USER_KEYS);
  const sessionId = both(SESSION_KEYS);
  const tenant = both(TENANT_KEYS);
  const tags: Record<string, string> = {};
  tagsFrom(a, tags);
  tagsFrom(r, tags);

  let costUsd = pickNum(a, [ATTR.USAGE_COST, 'llm.cost.total', 'gen_ai.usage.cost_usd']);
  if (costUsd !== undefined && (costUsd < 0 || !Number.isFinite(costUsd))) costUsd = undefined;

  let tier = pickStr(a, [ATTR.PRICING_TIER]);
  if (!tier) {
    const serviceTier = pickStr(a, [
      'gen_ai.openai.request.service_tier',
      'gen_ai.openai.response.service_tier',
      'openai.request.service_tier',
    ]);
    if (serviceTier === 'flex' || serviceTier === 'priority') tier = serviceTier;
  }

  return {
    source,
    provider,
    operation,
    requestModel,
    responseModel,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens,
    costUsd,
    ttftSeconds,
    feature,
    userId,
    sessionId,
    tenant,
    tags,
    tier: tier || undefined,
  };
}

export { bool, num, str };
