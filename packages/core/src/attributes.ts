/**
 * Span attribute names: the public contract (shared/CONVENTIONS.md). Every package reads names
 * from here so a rename happens in one place.
 */
export const ATTR = {
  // OpenTelemetry GenAI semantic conventions
  PROVIDER_NAME: 'gen_ai.provider.name',
  OPERATION_NAME: 'gen_ai.operation.name',
  REQUEST_MODEL: 'gen_ai.request.model',
  RESPONSE_MODEL: 'gen_ai.response.model',
  RESPONSE_ID: 'gen_ai.response.id',
  RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  REQUEST_STREAM: 'gen_ai.request.stream',
  REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  REQUEST_TEMPERATURE: 'gen_ai.request.temperature',
  RESPONSE_TIME_TO_FIRST_CHUNK: 'gen_ai.response.time_to_first_chunk',
  USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  USAGE_CACHE_READ_INPUT_TOKENS: 'gen_ai.usage.cache_read.input_tokens',
  USAGE_CACHE_CREATION_INPUT_TOKENS: 'gen_ai.usage.cache_creation.input_tokens',
  USAGE_REASONING_OUTPUT_TOKENS: 'gen_ai.usage.reasoning.output_tokens',
  USAGE_COST: 'gen_ai.usage.cost',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  ERROR_TYPE: 'error.type',
  // burnrate cost
  COST_INPUT: 'burnrate.cost.input',
  COST_OUTPUT: 'burnrate.cost.output',
  COST_CACHE_READ: 'burnrate.cost.cache_read',
  COST_CACHE_WRITE: 'burnrate.cost.cache_write',
  COST_SOURCE: 'burnrate.cost.source',
  COST_UNPRICED: 'burnrate.cost.unpriced',
  USAGE_ESTIMATED: 'burnrate.usage.estimated',
  PRICING_TIER: 'burnrate.pricing.tier',
  STREAM_COMPLETED: 'burnrate.stream.completed',
  // attribution
  FEATURE: 'burnrate.feature',
  USER_ID: 'user.id',
  SESSION_ID: 'session.id',
  TENANT: 'burnrate.tenant',
  TAG_PREFIX: 'burnrate.tag.',
  // cache
  CACHE_HIT: 'burnrate.cache.hit',
  CACHE_KIND: 'burnrate.cache.kind',
  CACHE_SIMILARITY: 'burnrate.cache.similarity',
  CACHE_SAVED_USD: 'burnrate.cache.saved_usd',
  // routing
  ROUTE_NAME: 'burnrate.route.name',
  ROUTE_TIER: 'burnrate.route.tier',
  ROUTE_REASON: 'burnrate.route.reason',
  ROUTE_BASELINE_MODEL: 'burnrate.route.baseline_model',
  ROUTE_BASELINE_COST: 'burnrate.route.baseline_cost',
} as const;

export type AttributeName = (typeof ATTR)[keyof typeof ATTR];

/** `gen_ai.provider.name` values burnrate emits. */
export const PROVIDER = {
  OPENAI: 'openai',
  ANTHROPIC: 'anthropic',
  GEMINI: 'gcp.gemini',
  VERTEX_AI: 'gcp.vertex_ai',
  BEDROCK: 'aws.bedrock',
  MISTRAL: 'mistral_ai',
  COHERE: 'cohere',
  GROQ: 'groq',
  AZURE_OPENAI: 'azure.ai.openai',
  DEEPSEEK: 'deepseek',
  TOGETHER: 'together_ai',
  OPENROUTER: 'openrouter',
  XAI: 'x_ai',
  FIREWORKS: 'fireworks',
  OLLAMA: 'ollama',
  VLLM: 'vllm',
} as const;

export type CostSource = 'provider' | 'computed' | 'estimated';
export type PricingTier = 'standard' | 'batch' | 'flex' | 'priority';
export type CacheKind = 'provider_prompt' | 'exact' | 'semantic';
