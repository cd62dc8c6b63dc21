/**
 * Provider facts the savings advisor needs: the smallest prompt a provider caches, which providers
 * have a batch API, and each premium model's smaller sibling on the same provider.
 */

/** Minimum cacheable prompt (tokens) by provider and model family; SQL `multiIf` over provider/model. */
export function minCacheableSql(): string {
  return `multiIf(
    provider IN ('anthropic', 'aws.bedrock') AND positionCaseInsensitive(model, 'haiku') > 0, 2048,
    provider IN ('gcp.gemini', 'gcp.vertex_ai') AND positionCaseInsensitive(model, 'pro') > 0, 2048,
    1024)`;
}

/** Providers whose batch API prices at the batch tier (50% off by default). */
export const BATCH_PROVIDERS = [
  'openai',
  'azure.ai.openai',
  'anthropic',
  'gcp.gemini',
  'gcp.vertex_ai',
  'aws.bedrock',
  'mistral_ai',
  'groq',
];

/** Premium model prefix -> the same provider's smaller tier. Longest prefix wins. */
const SMALLER: Array<[provider: string[], premium: string, smaller: string]> = [
  [['openai', 'azure.ai.openai'], 'gpt-4o', 'gpt-4o-mini'],
  [['openai', 'azure.ai.openai'], 'gpt-4.1', 'gpt-4.1-mini'],
  [['openai', 'azure.ai.openai'], 'gpt-4-turbo', 'gpt-4o-mini'],
  [['openai', 'azure.ai.openai'], 'gpt-5', 'gpt-5-mini'],
  [['anthropic'], 'claude-opus-4', 'claude-sonnet-4-5'],
  [['anthropic'], 'claude-sonnet-4', 'claude-haiku-4-5'],
  [['anthropic'], 'claude-3-7-sonnet', 'claude-3-5-haiku'],
  [['anthropic'], 'claude-3-5-sonnet', 'claude-3-5-haiku'],
  [['gcp.gemini', 'gcp.vertex_ai'], 'gemini-2.5-pro', 'gemini-2.5-flash'],
  [['gcp.gemini', 'gcp.vertex_ai'], 'gemini-1.5-pro', 'gemini-1.5-flash'],
  [['mistral_ai'], 'mistral-large', 'mistral-small-latest'],
];

/** The smaller sibling of a premium model, or undefined (already small, or unknown). */
export function smallerTier(provider: string, model: string): string | undefined {
  const m = model.toLowerCase();
  let best: [string, string] | undefined;
  for (const [providers, premium, smaller] of SMALLER) {
    if (!providers.includes(provider) || !m.startsWith(premium)) continue;
    // "gpt-4o-mini" starts with "gpt-4o": a model that already is the smaller tier is not premium.
    if (m.startsWith(smaller) || /-(mini|nano|haiku|flash|small)/.test(m)) continue;
    if (!best || premium.length > best[0].length) best = [premium, smaller];
  }
  return best?.[1];
}
