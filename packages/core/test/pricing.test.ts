import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { parsePrices } from '../src/prices-file.js';
import { canonicalModel, Pricer } from '../src/pricing.js';
import { UsageError, usageOf } from '../src/usage.js';

const M = 1_000_000;
const pricer = new Pricer();

function priced(result: ReturnType<Pricer['price']>) {
  if (!result.priced) throw new Error(`expected a price, got: ${result.reason}`);
  return result;
}

describe('pricing against published per-million prices', () => {
  it('gpt-4o with cached input: $2.50 in, $1.25 cached, $10 out', () => {
    const r = priced(
      pricer.price({
        provider: 'openai',
        model: 'gpt-4o-2024-11-20',
        usage: usageOf({ inputTokens: 10_000, cacheReadTokens: 4_000, outputTokens: 500 }),
      }),
    );
    expect(r.modelId).toBe('gpt-4o');
    expect(r.cost.input).toBeCloseTo((6_000 * 2.5) / M, 12);
    expect(r.cost.cacheRead).toBeCloseTo((4_000 * 1.25) / M, 12);
    expect(r.cost.output).toBeCloseTo((500 * 10) / M, 12);
    expect(r.cost.cacheWrite).toBe(0);
    expect(r.cost.total).toBeCloseTo(0.015 + 0.005 + 0.005, 12);
  });

  it('Anthropic cache writes: 5-minute at 1.25x and 1-hour at 2x the $3 input price', () => {
    const usage = usageOf({
      inputTokens: 1_000 + 2_000 + 3_000 + 4_000,
      cacheReadTokens: 2_000,
      cacheWriteTokens: 7_000,
      cacheWrite1hTokens: 4_000,
      outputTokens: 1_000,
    });
    const r = priced(pricer.price({ provider: 'anthropic', model: 'claude-sonnet-4-20250514', usage }));
    expect(r.cost.input).toBeCloseTo((1_000 * 3) / M, 12);
    expect(r.cost.cacheRead).toBeCloseTo((2_000 * 0.3) / M, 12);
    expect(r.cost.cacheWrite).toBeCloseTo((3_000 * 3.75 + 4_000 * 6) / M, 12);
    expect(r.cost.output).toBeCloseTo((1_000 * 15) / M, 12);
  });

  it('batch tier halves every component (gpt-4o-mini: $0.15 / $0.60)', () => {
    const usage = usageOf({ inputTokens: 2_000_000, outputTokens: 1_000_000 });
    const standard = priced(pricer.price({ provider: 'openai', model: 'gpt-4o-mini', usage }));
    const batch = priced(pricer.price({ provider: 'openai', model: 'gpt-4o-mini', usage, tier: 'batch' }));
    expect(standard.cost.total).toBeCloseTo(0.3 + 0.6, 12);
    expect(batch.cost.total).toBeCloseTo((0.3 + 0.6) / 2, 12);
    expect(batch.tier).toBe('batch');
  });

  it('long-context tier: gemini-2.5-pro reprices the whole request above 200k input tokens', () => {
    const small = priced(
      pricer.price({
        provider: 'gcp.gemini',
        model: 'gemini-2.5-pro',
        usage: usageOf({ inputTokens: 100_000, outputTokens: 1_000 }),
      }),
    );
    expect(small.cost.total).toBeCloseTo((100_000 * 1.25 + 1_000 * 10) / M, 12);
    const large = priced(
      pricer.price({
        provider: 'gcp.gemini',
        model: 'gemini-2.5-pro',
        usage: usageOf({ inputTokens: 250_000, outputTokens: 1_000 }),
      }),
    );
    expect(large.cost.input).toBeCloseTo((250_000 * 2.5) / M, 12);
    expect(large.cost.output).toBeCloseTo((1_000 * 15) / M, 12);
  });

  it('agrees with genai-prices totals for plain usage', () => {
    for (const [providerId, provider, model] of [
      ['openai', 'openai', 'gpt-4.1-mini'],
      ['anthropic', 'anthropic', 'claude-haiku-4-5'],
      ['mistral', 'mistral_ai', 'mistral-large-latest'],
      ['cohere', 'cohere', 'command-r-plus'],
    ] as const) {
      const ours = priced(
        pricer.price({ provider, model, usage: usageOf({ inputTokens: 12_345, outputTokens: 678 }) }),
      );
      const theirs = calcPrice({ input_tokens: 12_345, output_tokens: 678 }, model, { providerId });
      expect(ours.cost.total).toBeCloseTo(theirs!.total_price, 12);
    }
  });
});

describe('model resolution', () => {
  it('resolves dated ids, Bedrock region prefixes and ARNs', () => {
    const usage = usageOf({ inputTokens: 1_000, outputTokens: 1_000 });
    expect(
      priced(pricer.price({ provider: 'anthropic', model: 'claude-sonnet-4-20250514', usage })).cost.total,
    ).toBeCloseTo((1_000 * 3 + 1_000 * 15) / M, 12);
    const arn =
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0';
    expect(canonicalModel(arn)).toBe('us.anthropic.claude-3-5-sonnet-20241022-v2:0');
    expect(priced(pricer.price({ provider: 'aws.bedrock', model: arn, usage })).cost.total).toBeCloseTo(
      0.018,
      12,
    );
    expect(canonicalModel('models/gemini-2.5-flash')).toBe('gemini-2.5-flash');
  });

  it('an unknown model is unpriced, never $0', () => {
    const r = pricer.price({
      provider: 'openai',
      model: 'gpt-imaginary-9',
      usage: usageOf({ inputTokens: 10, outputTokens: 10 }),
    });
    expect(r.priced).toBe(false);
    if (!r.priced) expect(r.reason).toContain('gpt-imaginary-9');
  });

  it('self-hosted providers are unpriced unless overridden', () => {
    const usage = usageOf({ inputTokens: 10, outputTokens: 10 });
    expect(pricer.price({ provider: 'ollama', model: 'llama3.3:70b', usage }).priced).toBe(false);
    const custom = new Pricer({
      overrides: parsePrices({
        models: [{ provider: 'ollama', model: 'llama3', match: 'prefix', input_mtok: 0.1, output_mtok: 0.2 }],
      }),
    });
    expect(priced(custom.price({ provider: 'ollama', model: 'llama3.3:70b', usage })).cost.total).toBeCloseTo(
      3e-6,
      15,
    );
  });
});

describe('overrides', () => {
  const overrides = parsePrices({
    tiers: { batch: 0.4 },
    models: [
      { provider: 'openai', model: 'gpt-4o', input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 },
      { model: 'ft:gpt-4o-mini:acme', match: 'prefix', input_mtok: 0.3, output_mtok: 1.2 },
      {
        model: 'big-ctx',
        input_mtok: 1,
        output_mtok: 1,
        long_context: { above_input_tokens: 1000, input_mtok: 2 },
      },
    ],
  });
  const custom = new Pricer({ overrides });
  const usage = usageOf({ inputTokens: 1_000_000, outputTokens: 1_000_000 });

  it('an override beats the bundled price, only for its provider', () => {
    expect(priced(custom.price({ provider: 'openai', model: 'gpt-4o', usage })).cost.total).toBeCloseTo(
      3,
      12,
    );
    expect(priced(custom.price({ provider: 'openai', model: 'gpt-4o', usage })).from).toBe('override');
    // Azure's gpt-4o is not covered by the openai-scoped override: bundled price.
    expect(
      priced(custom.price({ provider: 'azure.ai.openai', model: 'gpt-4o', usage })).cost.total,
    ).toBeCloseTo(12.5, 12);
  });

  it('prefix matches cover fine-tuned ids; tier multipliers are overridable', () => {
    const ft = priced(custom.price({ model: 'ft:gpt-4o-mini:acme:abc123', usage, tier: 'batch' }));
    expect(ft.cost.total).toBeCloseTo((0.3 + 1.2) * 0.4, 12);
  });

  it('long-context override tiers switch above the threshold', () => {
    const below = priced(
      custom.price({ model: 'big-ctx', usage: usageOf({ inputTokens: 1000, outputTokens: 0 }) }),
    );
    const above = priced(
      custom.price({ model: 'big-ctx', usage: usageOf({ inputTokens: 1001, outputTokens: 0 }) }),
    );
    expect(below.cost.total).toBeCloseTo(1000 / M, 15);
    expect(above.cost.total).toBeCloseTo((1001 * 2) / M, 15);
  });
});

describe('bad usage never produces a cost', () => {
  it('rejects negative and non-numeric counts', () => {
    expect(() => pricer.price({ model: 'gpt-4o', usage: { ...usageOf({}), inputTokens: -5 } })).toThrow(
      /inputTokens must not be negative/,
    );
    expect(() =>
      pricer.price({ model: 'gpt-4o', usage: { ...usageOf({}), outputTokens: Number.NaN } }),
    ).toThrow(UsageError);
    expect(() =>
      pricer.price({ model: 'gpt-4o', usage: { ...usageOf({}), outputTokens: '12' as unknown as number } }),
    ).toThrow(/outputTokens must be a finite number/);
  });
});

describe('lookup cache', () => {
  const usage = usageOf({ inputTokens: 1_000_000, outputTokens: 1_000_000 });

  it('repeated calls give the same answers as a fresh pricer; overrides keep winning', () => {
    const overrides = parsePrices({
      models: [{ provider: 'openai', model: 'gpt-4o', input_mtok: 1, output_mtok: 2 }],
    });
    const custom = new Pricer({ overrides });
    for (let i = 0; i < 3; i++) {
      for (const [provider, model] of [
        ['openai', 'gpt-4o'],
        ['azure.ai.openai', 'gpt-4o'],
        [undefined, 'gpt-4o-mini'],
        ['openai', 'no-such-model-xyz'],
        ['ollama', 'llama3'],
      ] as const) {
        const q = { provider, model, usage };
        expect(custom.price(q)).toEqual(new Pricer({ overrides }).price(q));
      }
      expect(priced(custom.price({ provider: 'openai', model: 'gpt-4o', usage })).from).toBe('override');
    }
  });

  it('prices each call on its own date, also when dates alternate', () => {
    const days = [new Date('2024-01-15T12:00:00Z'), new Date('2025-06-01T00:00:00Z'), undefined];
    for (let i = 0; i < 2; i++) {
      for (const at of days) {
        const q = { provider: 'openai', model: 'gpt-4o', usage, at };
        expect(pricer.price(q)).toEqual(new Pricer().price(q));
      }
    }
  });

  it('an invalid date still fails the lookup (RangeError), and is not cached', () => {
    const fresh = new Pricer();
    expect(() => fresh.price({ model: 'gpt-4o', usage, at: new Date(Number.NaN) })).toThrow(RangeError);
    expect(() => fresh.price({ model: 'gpt-4o', usage, at: new Date(Number.NaN) })).toThrow(RangeError);
    expect(priced(fresh.price({ model: 'gpt-4o', usage })).cost.total).toBeGreaterThan(0);
  });

  it('stays bounded and correct past its limit', () => {
    const fresh = new Pricer();
    const expected = priced(fresh.price({ provider: 'openai', model: 'gpt-4o', usage })).cost.total;
    for (let i = 0; i < 10_050; i++) fresh.price({ provider: 'openai', model: `unknown-${i}`, usage });
    const cache = (fresh as unknown as { lookupCacheSize: number }).lookupCacheSize;
    expect(cache).toBeLessThanOrEqual(10_000);
    expect(priced(fresh.price({ provider: 'openai', model: 'gpt-4o', usage })).cost.total).toBe(expected);
  }, 60_000);
});
