/**
 * Pricing: one module for the SDK (emit time) and the collector (ingest time).
 * Prices come from the bundled @pydantic/genai-prices table plus user overrides; batch/flex/priority
 * multipliers and long-context tiers apply. An unknown model is `unpriced`, never a cost of 0.
 */
import { calcPrice } from '@pydantic/genai-prices';
import type { PricingTier } from './attributes.js';
import { loadPricesFile, type ModelOverride, type PricesFile } from './prices-file.js';
import { type NormalizedUsage, validateUsage } from './usage.js';

export interface CostBreakdown {
  /** Uncached input tokens. */
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  total: number;
}

export interface PriceQuery {
  /** `gen_ai.provider.name` (e.g. `openai`, `aws.bedrock`); optional. */
  provider?: string | undefined;
  model: string;
  usage: NormalizedUsage;
  tier?: PricingTier | undefined;
  /** When the call happened: prices that changed over time are looked up for this date. */
  at?: Date | undefined;
}

export type PriceResult =
  | { priced: true; cost: CostBreakdown; modelId: string; from: 'override' | 'bundled'; tier: PricingTier }
  | { priced: false; reason: string };

/** Per-million-token prices that apply to one request (long-context tier already chosen). */
interface RatesPerMillion {
  input: number;
  output: number;
  cacheRead?: number | undefined;
  cacheWrite?: number | undefined;
  cacheWrite1h?: number | undefined;
}

/** Defaults: OpenAI/Anthropic/Google batch and OpenAI flex are 50% off; priority is ~1.8x (Gemini, OpenAI). */
export const DEFAULT_TIER_MULTIPLIERS: Record<PricingTier, number> = {
  standard: 1,
  batch: 0.5,
  flex: 0.5,
  priority: 1.8,
};

/** `gen_ai.provider.name` -> @pydantic/genai-prices provider id. `null`: self-hosted, no public price. */
const PROVIDER_IDS: Record<string, string | null> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  'aws.bedrock': 'aws',
  mistral_ai: 'mistral',
  cohere: 'cohere',
  groq: 'groq',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  deepseek: 'deepseek',
  together_ai: 'together',
  openrouter: 'openrouter',
  x_ai: 'x-ai',
  xai: 'x-ai',
  fireworks: 'fireworks',
  ollama: null,
  vllm: null,
};

/** Strips what is not part of a model id: Bedrock ARNs and `models/` prefixes (Gemini). */
export function canonicalModel(model: string): string {
  let m = model.trim();
  if (m.startsWith('arn:')) m = m.slice(m.lastIndexOf('/') + 1);
  if (m.startsWith('models/')) m = m.slice('models/'.length);
  return m;
}

type BundledPrice = Record<string, unknown>;

function tierRate(value: unknown, totalInput: number): number | undefined {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object' && 'base' in value) {
    const tiered = value as { base: number; tiers: Array<{ start: number; price: number }> };
    let rate = tiered.base;
    // genai-prices semantics: the whole request is repriced once input exceeds a tier's start.
    for (const t of tiered.tiers) if (totalInput > t.start) rate = t.price;
    return rate;
  }
  return undefined;
}

function ratesFromBundled(price: BundledPrice, totalInput: number): RatesPerMillion | undefined {
  const input = tierRate(price['input_mtok'], totalInput);
  if (input === undefined) return undefined;
  return {
    input,
    output: tierRate(price['output_mtok'], totalInput) ?? 0,
    cacheRead: tierRate(price['cache_read_mtok'], totalInput),
    cacheWrite: tierRate(price['cache_write_mtok'], totalInput),
    cacheWrite1h: tierRate(price['cache_write_1h_mtok'], totalInput),
  };
}

function ratesFromOverride(o: ModelOverride, totalInput: number): RatesPerMillion {
  const lc = o.long_context && totalInput > o.long_context.above_input_tokens ? o.long_context : undefined;
  return {
    input: lc?.input_mtok ?? o.input_mtok,
    output: lc?.output_mtok ?? o.output_mtok,
    cacheRead: lc?.cache_read_mtok ?? o.cache_read_mtok,
    cacheWrite: lc?.cache_write_mtok ?? o.cache_write_mtok,
    cacheWrite1h: o.cache_write_1h_mtok,
  };
}

/** The cost arithmetic, in one place. Missing cache rates fall back to the input rate. */
export function costFromRates(rates: RatesPerMillion, usage: NormalizedUsage, multiplier = 1): CostBreakdown {
  const perToken = (mtok: number) => (mtok * multiplier) / 1_000_000;
  const uncached = usage.inputTokens - usage.cacheReadTokens - usage.cacheWriteTokens;
  const write5m = usage.cacheWriteTokens - usage.cacheWrite1hTokens;
  const input = uncached * perToken(rates.input);
  const cacheRead = usage.cacheReadTokens * perToken(rates.cacheRead ?? rates.input);
  const cacheWrite =
    write5m * perToken(rates.cacheWrite ?? rates.input) +
    usage.cacheWrite1hTokens * perToken(rates.cacheWrite1h ?? rates.cacheWrite ?? rates.input);
  const output = usage.outputTokens * perToken(rates.output);
  return { input, cacheRead, cacheWrite, output, total: input + cacheRead + cacheWrite + output };
}

export interface PricerOptions {
  overrides?: PricesFile | undefined;
}

type BundledEntry = { modelId: string; price: BundledPrice } | null;

/** What one (provider, model) resolves to: its override, and its bundled price per UTC day. */
interface LookupEntry {
  override: ModelOverride | undefined;
  /** The last UTC day (days since the epoch) looked up, and its price: the common case. NaN: none. */
  day: number;
  bundled: BundledEntry;
  /** Every day looked up (calls priced at their own timestamps span days). */
  byDay: Map<number, BundledEntry> | undefined;
}

const DAY_MS = 86_400_000;
/** Bound on cached (provider, model, day) lookups; past it the cache starts over. */
const LOOKUP_CACHE_LIMIT = 10_000;

export class Pricer {
  private readonly overrides: ModelOverride[];
  private readonly multipliers: Record<PricingTier, number>;
  /**
   * Per provider, per canonical model: the matching override and the bundled-table lookup (the slow
   * part: pattern matching), the latter refreshed when the call's UTC day changes. Bounded.
   */
  private readonly lookupCache = new Map<string | undefined, Map<string, LookupEntry>>();
  private lookupCacheSize = 0;

  constructor(options: PricerOptions = {}) {
    this.overrides = options.overrides?.models ?? [];
    this.multipliers = { ...DEFAULT_TIER_MULTIPLIERS, ...options.overrides?.tiers };
  }

  static fromFile(path: string): Pricer {
    return new Pricer({ overrides: loadPricesFile(path) });
  }

  tierMultiplier(tier: PricingTier): number {
    return this.multipliers[tier];
  }

  price(query: PriceQuery): PriceResult {
    const usage = validateUsage(query.usage);
    const tier = query.tier ?? 'standard';
    const model = canonicalModel(query.model);
    if (!model) return { priced: false, reason: 'no model name' };
    const multiplier = this.multipliers[tier];

    const entry = this.entryFor(query.provider, model);
    const override = entry.override;
    if (override) {
      const rates = ratesFromOverride(override, usage.inputTokens);
      return {
        priced: true,
        cost: costFromRates(rates, usage, multiplier),
        modelId: override.model,
        from: 'override',
        tier,
      };
    }
    const bundled = this.lookupBundled(entry, query.provider, model, query.at);
    if (!bundled)
      return {
        priced: false,
        reason: `no price known for model ${model} (provider ${query.provider ?? 'unknown'})`,
      };
    const rates = ratesFromBundled(bundled.price, usage.inputTokens);
    if (!rates) return { priced: false, reason: `price table has no token prices for ${bundled.modelId}` };
    return {
      priced: true,
      cost: costFromRates(rates, usage, multiplier),
      modelId: bundled.modelId,
      from: 'bundled',
      tier,
    };
  }

  private entryFor(provider: string | undefined, model: string): LookupEntry {
    let byModel = this.lookupCache.get(provider);
    let entry = byModel?.get(model);
    if (entry) return entry;
    if (this.lookupCacheSize >= LOOKUP_CACHE_LIMIT) {
      this.lookupCache.clear();
      this.lookupCacheSize = 0;
      byModel = undefined;
    }
    if (!byModel) {
      byModel = new Map();
      this.lookupCache.set(provider, byModel);
    }
    entry = {
      override: this.findOverride(provider, model),
      day: Number.NaN,
      bundled: null,
      byDay: undefined,
    };
    byModel.set(model, entry);
    this.lookupCacheSize++;
    return entry;
  }

  private findOverride(provider: string | undefined, model: string): ModelOverride | undefined {
    return this.overrides.find(
      (o) =>
        (!o.provider || o.provider === provider) &&
        (o.match === 'prefix' ? model.startsWith(o.model) : model === o.model),
    );
  }

  private lookupBundled(
    entry: LookupEntry,
    provider: string | undefined,
    model: string,
    at: Date | undefined,
  ): BundledEntry {
    const providerId = provider === undefined ? undefined : PROVIDER_IDS[provider];
    if (providerId === null) return null; // self-hosted: only an override can price it
    const day = Math.floor((at ? at.getTime() : Date.now()) / DAY_MS);
    if (day === entry.day) return entry.bundled;
    // An invalid date fails here as it always did (RangeError), before anything is cached.
    const timestamp = at ?? new Date();
    if (Number.isNaN(day)) timestamp.toISOString();
    const seen = entry.byDay?.get(day);
    if (seen !== undefined) {
      entry.day = day;
      entry.bundled = seen;
      return seen;
    }
    let found: BundledEntry = null;
    try {
      const r = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, {
        ...(providerId ? { providerId } : {}),
        timestamp,
      });
      if (r) found = { modelId: r.model.id, price: r.model_price as BundledPrice };
    } catch {
      found = null;
    }
    if (this.lookupCacheSize >= LOOKUP_CACHE_LIMIT) {
      this.lookupCache.clear();
      this.lookupCacheSize = 0;
    }
    entry.byDay ??= new Map();
    entry.byDay.set(day, found);
    this.lookupCacheSize++;
    entry.day = day;
    entry.bundled = found;
    return found;
  }
}

let shared: Pricer | undefined;

/**
 * The process-wide pricer: bundled prices plus `BURNRATE_PRICES_FILE` overrides when set.
 * Throws `PricesFileError` when that file is invalid (callers decide whether to stop or warn).
 */
export function defaultPricer(): Pricer {
  if (!shared) {
    const file = process.env['BURNRATE_PRICES_FILE'];
    shared = file ? Pricer.fromFile(file) : new Pricer();
  }
  return shared;
}

/** Replaces the process-wide pricer (tests, or apps that load prices their own way). */
export function setDefaultPricer(pricer: Pricer | undefined): void {
  shared = pricer;
}
