/**
 * Usage normalization: every provider's raw usage object becomes one shape.
 *
 * Invariants of `NormalizedUsage` (the contract's meaning of gen_ai.usage.*):
 * - `inputTokens` counts ALL input tokens, cache reads and cache writes included;
 * - `outputTokens` counts all output tokens, reasoning included;
 * - `cacheWriteTokens` is every cache write, `cacheWrite1hTokens` the part written with a 1-hour TTL.
 */
export interface NormalizedUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens: number;
  reasoningTokens: number;
}

export type UsageFormat =
  | 'openai.chat'
  | 'openai.responses'
  | 'anthropic'
  | 'gemini'
  | 'bedrock.converse'
  | 'mistral'
  | 'cohere';

/** Raised for usage that cannot be priced: negative, non-numeric or inconsistent counts. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function emptyUsage(): NormalizedUsage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    reasoningTokens: 0,
  };
}

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a token count: absent/null -> 0; anything else must be a finite, non-negative integer-ish number. */
function count(obj: unknown, ...path: string[]): number {
  let value: unknown = obj;
  for (const key of path) {
    if (!isObject(value)) return 0;
    value = value[key];
  }
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new UsageError(`usage field ${path.join('.')} must be a number, got ${JSON.stringify(value)}`);
  }
  if (value < 0) throw new UsageError(`usage field ${path.join('.')} must not be negative, got ${value}`);
  return value;
}

/** The first field present among snake_case / camelCase spellings (SDKs differ). */
function countAny(obj: unknown, ...paths: string[][]): number {
  for (const path of paths) {
    let value: unknown = obj;
    for (const key of path) value = isObject(value) ? value[key] : undefined;
    if (value !== undefined && value !== null) return count(obj, ...path);
  }
  return 0;
}

function openaiChat(u: Raw): NormalizedUsage {
  const input = countAny(u, ['prompt_tokens'], ['promptTokens'], ['input_tokens']);
  const output = countAny(u, ['completion_tokens'], ['completionTokens'], ['output_tokens']);
  return {
    ...emptyUsage(),
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: countAny(
      u,
      ['prompt_tokens_details', 'cached_tokens'],
      ['promptTokensDetails', 'cachedTokens'],
      ['num_cached_tokens'],
    ),
    reasoningTokens: countAny(
      u,
      ['completion_tokens_details', 'reasoning_tokens'],
      ['completionTokensDetails', 'reasoningTokens'],
    ),
  };
}

function openaiResponses(u: Raw): NormalizedUsage {
  return {
    ...emptyUsage(),
    inputTokens: count(u, 'input_tokens'),
    outputTokens: count(u, 'output_tokens'),
    cacheReadTokens: count(u, 'input_tokens_details', 'cached_tokens'),
    reasoningTokens: count(u, 'output_tokens_details', 'reasoning_tokens'),
  };
}

/** Anthropic's `input_tokens` excludes cache reads and writes: they are summed in. */
function anthropic(u: Raw): NormalizedUsage {
  const uncached = count(u, 'input_tokens');
  const read = count(u, 'cache_read_input_tokens');
  const write = count(u, 'cache_creation_input_tokens');
  const write1h = count(u, 'cache_creation', 'ephemeral_1h_input_tokens');
  const write5m = count(u, 'cache_creation', 'ephemeral_5m_input_tokens');
  const writeTotal = Math.max(write, write1h + write5m);
  return {
    ...emptyUsage(),
    inputTokens: uncached + read + writeTotal,
    outputTokens: count(u, 'output_tokens'),
    cacheReadTokens: read,
    cacheWriteTokens: writeTotal,
    cacheWrite1hTokens: write1h,
  };
}

/** Gemini: promptTokenCount includes cached content; candidates exclude thoughts. */
function gemini(u: Raw): NormalizedUsage {
  const thoughts = count(u, 'thoughtsTokenCount');
  return {
    ...emptyUsage(),
    inputTokens: count(u, 'promptTokenCount') + count(u, 'toolUsePromptTokenCount'),
    outputTokens: count(u, 'candidatesTokenCount') + thoughts,
    cacheReadTokens: count(u, 'cachedContentTokenCount'),
    reasoningTokens: thoughts,
  };
}

/** Bedrock Converse: inputTokens excludes cache reads/writes, like Anthropic. */
function bedrockConverse(u: Raw): NormalizedUsage {
  const read = count(u, 'cacheReadInputTokens');
  const write = count(u, 'cacheWriteInputTokens');
  return {
    ...emptyUsage(),
    inputTokens: count(u, 'inputTokens') + read + write,
    outputTokens: count(u, 'outputTokens'),
    cacheReadTokens: read,
    cacheWriteTokens: write,
  };
}

/** Cohere v2: billed units are what is charged; raw token counts are the fallback. */
function cohere(u: Raw): NormalizedUsage {
  const billed = isObject(u['billed_units'])
    ? u['billed_units']
    : isObject(u['billedUnits'])
      ? u['billedUnits']
      : null;
  const tokens = isObject(u['tokens']) ? u['tokens'] : null;
  const src = billed ?? tokens ?? u;
  return {
    ...emptyUsage(),
    inputTokens: countAny(src, ['input_tokens'], ['inputTokens']),
    outputTokens: countAny(src, ['output_tokens'], ['outputTokens']),
  };
}

const normalizers: Record<UsageFormat, (u: Raw) => NormalizedUsage> = {
  'openai.chat': openaiChat,
  'openai.responses': openaiResponses,
  anthropic,
  gemini,
  'bedrock.converse': bedrockConverse,
  mistral: openaiChat,
  cohere,
};

/**
 * Normalizes a provider's raw usage object. Returns `undefined` when there is no usage object at all;
 * throws `UsageError` when counts are negative, non-numeric or inconsistent.
 */
export function normalizeUsage(format: UsageFormat, raw: unknown): NormalizedUsage | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new UsageError(`${format} usage must be an object, got ${typeof raw}`);
  const usage = normalizers[format](raw);
  validateUsage(usage);
  return usage;
}

/** Checks a NormalizedUsage built by hand or from span attributes. */
export function validateUsage(usage: NormalizedUsage): NormalizedUsage {
  for (const [key, value] of Object.entries(usage)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new UsageError(`usage.${key} must be a finite number, got ${JSON.stringify(value)}`);
    }
    if (value < 0) throw new UsageError(`usage.${key} must not be negative, got ${value}`);
  }
  if (usage.cacheReadTokens + usage.cacheWriteTokens > usage.inputTokens) {
    throw new UsageError(
      `cache tokens (read ${usage.cacheReadTokens} + write ${usage.cacheWriteTokens}) exceed input tokens ${usage.inputTokens}`,
    );
  }
  if (usage.cacheWrite1hTokens > usage.cacheWriteTokens) {
    throw new UsageError(
      `1-hour cache writes ${usage.cacheWrite1hTokens} exceed cache writes ${usage.cacheWriteTokens}`,
    );
  }
  if (usage.reasoningTokens > usage.outputTokens) {
    throw new UsageError(
      `reasoning tokens ${usage.reasoningTokens} exceed output tokens ${usage.outputTokens}`,
    );
  }
  return usage;
}

/** Builds a complete usage from partial counts (missing ones are 0) and validates it. */
export function usageOf(partial: Partial<NormalizedUsage>): NormalizedUsage {
  return validateUsage({ ...emptyUsage(), ...partial });
}

export function addUsage(a: NormalizedUsage, b: NormalizedUsage): NormalizedUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    cacheWrite1hTokens: a.cacheWrite1hTokens + b.cacheWrite1hTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}
