/**
 * The savings advisor: from stored traffic, what each cost lever would have saved in a window, in USD
 * and projected per month, next to what the levers already saved. Aggregation runs in ClickHouse;
 * re-pricing runs through core's pricer, the same one that priced the spans.
 */

import { type NormalizedUsage, type Pricer, usageOf } from '@burnrate/core';
import type { ClickHouseClient } from '@clickhouse/client';
import { type SchemaBuilder, TABLES } from '../store/schema.js';
import { BATCH_PROVIDERS, minCacheableSql, smallerTier } from './levers.js';
import { LEVER_CALLS, PREFIX_CALLS, PROMPT_CALLS } from './schema.js';

export type Lever = 'exact_cache' | 'provider_prompt_cache' | 'model_routing' | 'batch' | 'output_limits';

export interface AdviceOptions {
  from: Date;
  to: Date;
  /** Exact cache: a request repeats when the same fingerprint was seen this recently. */
  exactCacheTtlSeconds: number;
  /** Provider prompt caches keep a prefix this long after its last use (5 minutes for OpenAI/Anthropic). */
  promptCacheTtlSeconds: number;
  /** Model routing: candidate calls produce at most this many output tokens... */
  routingMaxOutputTokens: number;
  /** ...from at most this many input tokens. */
  routingMaxInputTokens: number;
}

export const DEFAULT_ADVICE: Omit<AdviceOptions, 'from' | 'to'> = {
  exactCacheTtlSeconds: 3600,
  promptCacheTtlSeconds: 300,
  routingMaxOutputTokens: 300,
  routingMaxInputTokens: 4000,
};

export interface AdviceLine {
  feature: string;
  provider: string;
  model: string;
  requests: number;
  saved_usd: number;
  /** Routing: the cheaper model the calls are re-priced on. */
  to_model?: string;
}

export interface Opportunity {
  lever: Lever;
  title: string;
  saved_usd: number;
  monthly_usd: number;
  requests: number;
  features: string[];
  models: string[];
  method: string;
  lines: AdviceLine[];
}

export interface Realized {
  lever: 'provider_prompt_cache' | 'app_cache' | 'model_routing' | 'batch';
  saved_usd: number;
  monthly_usd: number;
}

export interface AdviceReport {
  from: string;
  to: string;
  window_days: number;
  spend_usd: number;
  opportunities: Opportunity[];
  realized: Realized[];
}

type Row = Record<string, string | number>;

/** The advice window, on a table's `timestamp`. */
const IN_WINDOW =
  'timestamp >= fromUnixTimestamp64Milli({from_ms:Int64}) AND timestamp < fromUnixTimestamp64Milli({to_ms:Int64})';
/** A window over one fingerprint's calls in time order (read in the call tables' sorting-key order). */
const ALL_ROWS = 'ORDER BY timestamp ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING';
/** Milliseconds since the previous call in the window (huge for the first). */
const SINCE_PREVIOUS = 'ms - lagInFrame(ms, 1, toInt64(-1e15)) OVER w';
/** Milliseconds until the next call in the window (huge for the last). */
const UNTIL_NEXT = 'leadInFrame(ms, 1, toInt64(1e15)) OVER w - ms';

export class Advisor {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly schema: SchemaBuilder,
    private readonly pricer: Pricer,
  ) {}

  private async rows(query: string, o: AdviceOptions, extra: Record<string, unknown> = {}): Promise<Row[]> {
    const rs = await this.client.query({
      query,
      query_params: { from_ms: o.from.getTime(), to_ms: o.to.getTime(), ...extra },
      format: 'JSONEachRow',
    });
    return rs.json<Row>();
  }

  /** Calls in the window that a lever could apply to: priced, not failed, not already an app-cache hit. */
  private get base(): string {
    return `FROM ${this.schema.table(TABLES.spend)} WHERE ${IN_WINDOW} AND ${LEVER_CALLS}`;
  }

  async advise(options: Partial<AdviceOptions> & { from: Date; to: Date }): Promise<AdviceReport> {
    const o: AdviceOptions = { ...DEFAULT_ADVICE, ...options };
    const days = (o.to.getTime() - o.from.getTime()) / 86_400_000;
    const monthly = (usd: number) => (days > 0 ? (usd * 30) / days : 0);
    const [spend, ...found] = await Promise.all([
      this.totalSpend(o),
      this.exactCache(o),
      this.promptCache(o),
      this.routing(o),
      this.batch(o),
      this.outputLimits(o),
    ]);
    const opportunities = found
      .map((x) => ({ ...x, monthly_usd: monthly(x.saved_usd) }))
      .filter((x) => x.saved_usd > 0)
      .sort((a, b) => b.saved_usd - a.saved_usd);
    const realized = (await this.realized(o)).map((r) => ({ ...r, monthly_usd: monthly(r.saved_usd) }));
    return {
      from: o.from.toISOString(),
      to: o.to.toISOString(),
      window_days: days,
      spend_usd: spend,
      opportunities,
      realized,
    };
  }

  private async totalSpend(o: AdviceOptions): Promise<number> {
    const [r] = await this.rows(
      `SELECT sum(cost_usd) AS usd FROM ${this.schema.table(TABLES.spend)}
       WHERE ${IN_WINDOW}`,
      o,
    );
    return Number(r?.['usd'] ?? 0);
  }

  /** Exact cache: every call whose full request was already sent within the TTL would have been a hit. */
  private async exactCache(o: AdviceOptions): Promise<Omit<Opportunity, 'monthly_usd'>> {
    // Per fingerprint, its calls' times sorted, and cost and feature/provider/model (hashed to one
    // number: 8-byte arrays instead of tuples of strings) sorted along; a call repeats when the one
    // before it came within the TTL. Names are joined back on the hashed key at the end.
    const calls = `${this.schema.table(PROMPT_CALLS)} WHERE ${IN_WINDOW}`;
    const dims = 'cityHash64(feature, provider, model)';
    const repeatsOf = (column: string) =>
      `arrayFilter((x, gap) -> gap <= {ttl_ms:Int64}, arrayPopFront(arraySort((x, t) -> t, groupArray(${column}), times)), gaps)`;
    const rows = await this.rows(
      `WITH repeats AS (
         SELECT dims, count() AS requests, sum(cost) AS usd
         FROM (
           SELECT groupArray(toUnixTimestamp64Milli(timestamp)) AS times,
             arrayPopFront(arrayDifference(arraySort(times))) AS gaps,
             ${repeatsOf('cost_usd')} AS cost, ${repeatsOf(dims)} AS dims
           FROM ${calls} GROUP BY fingerprint HAVING count() > 1)
         ARRAY JOIN cost, dims
         GROUP BY dims),
       names AS (SELECT DISTINCT ${dims} AS dims, feature, provider, model FROM ${calls})
       SELECT feature, provider, model, requests, usd FROM repeats INNER JOIN names USING dims
       ORDER BY usd DESC`,
      o,
      { ttl_ms: o.exactCacheTtlSeconds * 1000 },
    );
    const lines = rows.map((r) => line(r, Number(r['usd'])));
    return opportunity(
      'exact_cache',
      'Cache identical requests in the application',
      lines,
      `Calls whose whole request (burnrate.prompt.fingerprint) was already sent within ${o.exactCacheTtlSeconds} s ` +
        '(by any feature) would have been exact-cache hits; saved = what those repeat calls cost.',
    );
  }

  /**
   * Provider prompt cache: calls that repeat a long prefix seen within the cache lifetime but read nothing
   * from the cache. Saved = their prefix tokens at (input - cache read) rate, minus the cache-write
   * premium paid by the call that starts each uncached run of repeats.
   */
  private async promptCache(o: AdviceOptions): Promise<Omit<Opportunity, 'monthly_usd'>> {
    // Per prefix and model (a provider caches per model), calls in time order: a call repeats when the
    // previous one came within the cache lifetime; it starts an uncached run when the next one comes
    // within it and reads no cache. Only calls that read no cache are counted.
    const rows = await this.rows(
      `SELECT feature, provider, model, pricing_tier,
         countIf(repeat) AS requests, sumIf(prefix_tokens, repeat) AS repeat_tokens,
         countIf(starts) AS writes, sumIf(prefix_tokens, starts) AS write_tokens
       FROM (
         SELECT feature, provider, model, pricing_tier, prefix_tokens, cache_read_tokens,
           since_previous <= {ttl_ms:Int64} AS repeat,
           NOT repeat AND until_next <= {ttl_ms:Int64} AND next_read = 0 AS starts
         FROM (
           SELECT feature, provider, model, pricing_tier, prefix_tokens, cache_read_tokens,
             ${SINCE_PREVIOUS} AS since_previous, ${UNTIL_NEXT} AS until_next,
             leadInFrame(cache_read_tokens, 1, toUInt64(1)) OVER w AS next_read
           FROM (SELECT *, toUnixTimestamp64Milli(timestamp) AS ms FROM ${this.schema.table(PREFIX_CALLS)}
                 WHERE ${IN_WINDOW} AND prefix_tokens >= ${minCacheableSql()})
           WINDOW w AS (PARTITION BY prefix, provider, model ${ALL_ROWS})))
       WHERE cache_read_tokens = 0
       GROUP BY feature, provider, model, pricing_tier
       HAVING requests > 0`,
      o,
      { ttl_ms: o.promptCacheTtlSeconds * 1000 },
    );
    const lines: AdviceLine[] = [];
    for (const r of rows) {
      const q = {
        provider: String(r['provider']),
        model: String(r['model']),
        tier: r['pricing_tier'] as never,
      };
      // Priced per call (the average prefix), then scaled: summed tokens would cross long-context tiers.
      const repeats = Number(r['requests']);
      const writes = Number(r['writes']);
      const read = Number(r['repeat_tokens']) / repeats;
      const write = writes > 0 ? Number(r['write_tokens']) / writes : 0;
      const saving = this.delta(
        q,
        usageOf({ inputTokens: read }),
        usageOf({ inputTokens: read, cacheReadTokens: read }),
      );
      const premium = this.delta(
        q,
        usageOf({ inputTokens: write, cacheWriteTokens: write }),
        usageOf({ inputTokens: write }),
      );
      if (saving === undefined) continue;
      lines.push(line(r, repeats * saving - writes * (premium ?? 0)));
    }
    return opportunity(
      'provider_prompt_cache',
      'Use the provider prompt cache for repeated long prefixes',
      mergeLines(lines),
      `Calls repeating a prefix (burnrate.prompt.prefix_fingerprint) of at least the provider's minimum cacheable ` +
        `length (1024 tokens; 2048 for Claude Haiku and Gemini Pro) within ${o.promptCacheTtlSeconds} s, with no cache ` +
        "reads: their prefix tokens re-priced at the model's cache-read rate, minus the cache-write premium of the " +
        'call that starts each run of repeats.',
    );
  }

  /** Model routing: short, simple calls on a premium model re-priced on the same provider's smaller tier. */
  private async routing(o: AdviceOptions): Promise<Omit<Opportunity, 'monthly_usd'>> {
    const rows = await this.rows(
      `SELECT feature, provider, model, pricing_tier, count() AS requests, sum(cost_usd) AS usd,
         sum(input_tokens) AS input, sum(cache_read_tokens) AS cache_read, sum(cache_write_tokens) AS cache_write,
         sum(output_tokens) AS output, sum(reasoning_tokens) AS reasoning
       ${this.base} AND route_name = '' AND output_tokens <= {max_out:UInt32} AND input_tokens <= {max_in:UInt32}
       GROUP BY feature, provider, model, pricing_tier`,
      o,
      { max_out: o.routingMaxOutputTokens, max_in: o.routingMaxInputTokens },
    );
    const lines: AdviceLine[] = [];
    for (const r of rows) {
      const provider = String(r['provider']);
      const smaller = smallerTier(provider, String(r['model']));
      if (!smaller) continue;
      // The average call re-priced, times the calls (these calls are short, far from long-context tiers).
      const n = Number(r['requests']);
      const usage = usageOf({
        inputTokens: Number(r['input']) / n,
        cacheReadTokens: Number(r['cache_read']) / n,
        cacheWriteTokens: Number(r['cache_write']) / n,
        outputTokens: Number(r['output']) / n,
        reasoningTokens: Number(r['reasoning']) / n,
      });
      const repriced = this.pricer.price({
        provider,
        model: smaller,
        usage,
        tier: r['pricing_tier'] as never,
      });
      if (!repriced.priced) continue;
      lines.push({ ...line(r, Number(r['usd']) - n * repriced.cost.total), to_model: smaller });
    }
    return opportunity(
      'model_routing',
      'Route short, simple calls to a smaller model',
      lines.filter((l) => l.saved_usd > 0),
      `Calls on a premium model with at most ${o.routingMaxOutputTokens} output and ${o.routingMaxInputTokens} input ` +
        "tokens, re-priced with the same usage on the same provider's smaller tier (e.g. gpt-4o -> gpt-4o-mini, " +
        'claude-sonnet-4 -> claude-haiku-4-5). Quality is NOT judged: try it on an eval set first.',
    );
  }

  /** Batch: non-interactive calls (no server span in their trace, or tagged) at the provider's batch discount. */
  private async batch(o: AdviceOptions): Promise<Omit<Opportunity, 'monthly_usd'>> {
    const rows = await this.rows(
      `SELECT feature, provider, model, count() AS requests, sum(cost_usd) AS usd
       ${this.base} AND pricing_tier = 'standard' AND NOT stream AND provider IN {providers:Array(String)}
         AND tags['interactive'] != 'true'
         AND (tags['interactive'] = 'false' OR tags['batch'] = 'true' OR cityHash64(trace_id) NOT IN (
           -- Hashed: a set of 8-byte keys instead of 32-character strings (4x faster on 7M traces).
           SELECT cityHash64(TraceId) FROM ${this.schema.table(TABLES.traces)}
           WHERE Timestamp >= fromUnixTimestamp64Milli({from_ms:Int64}) - INTERVAL 1 HOUR
             AND Timestamp < fromUnixTimestamp64Milli({to_ms:Int64}) + INTERVAL 1 HOUR
             AND SpanKind = 'Server'))
       GROUP BY feature, provider, model ORDER BY usd DESC`,
      o,
      { providers: BATCH_PROVIDERS },
    );
    const off = 1 - this.pricer.tierMultiplier('batch');
    return opportunity(
      'batch',
      'Send non-interactive work through the batch API',
      rows.map((r) => line(r, Number(r['usd']) * off)),
      'Non-streaming calls with no server span anywhere in their trace (a job, not a request a user waits on), or ' +
        `tagged burnrate.tag.interactive=false / burnrate.tag.batch=true, re-priced at the batch tier (${Math.round(off * 100)}% off).`,
    );
  }

  /**
   * Output limits: per feature, the output beyond the feature's own p95 length, at the output price paid.
   * Flags features that set no max_tokens, or one far above what they use.
   */
  private async outputLimits(o: AdviceOptions): Promise<Omit<Opportunity, 'monthly_usd'>> {
    const rows = await this.rows(
      `WITH p AS (SELECT feature, quantileExact(0.95)(output_tokens) AS p95 ${this.base} AND output_tokens > 0 GROUP BY feature)
       SELECT s.feature AS feature, s.provider AS provider, s.model AS model, any(p.p95) AS p95,
         countIf(s.output_tokens > p.p95) AS requests,
         sum(if(s.output_tokens > p.p95, s.cost_output_usd * (s.output_tokens - p.p95) / s.output_tokens, 0)) AS usd,
         countIf(s.max_tokens = 0) AS unlimited, max(s.max_tokens) AS max_limit
       FROM (SELECT feature, provider, model, output_tokens, cost_output_usd, max_tokens ${this.base}) AS s
       INNER JOIN p ON s.feature = p.feature
       GROUP BY s.feature, s.provider, s.model
       HAVING (unlimited > 0 OR max_limit >= 4 * p95) AND usd > 0`,
      o,
    );
    return opportunity(
      'output_limits',
      'Cap output length where features set no limit (or a loose one)',
      rows.map((r) => line(r, Number(r['usd']))),
      'For features that send calls with no max_tokens, or a max_tokens at least 4x their p95 output: the output ' +
        "tokens beyond the feature's p95 output length, at the output price those calls paid.",
    );
  }

  private async realized(o: AdviceOptions): Promise<Omit<Realized, 'monthly_usd'>[]> {
    const [r] = await this.rows(
      `SELECT sumIf(cache_saved_usd, cache_kind = 'provider_prompt') AS prompt,
         sumIf(cache_saved_usd, cache_kind IN ('exact', 'semantic')) AS app,
         sum(route_saved_usd) AS routing,
         sumIf(cost_usd, pricing_tier = 'batch') AS batch_cost,
         sumIf(cost_usd, pricing_tier = 'flex') AS flex_cost
       FROM ${this.schema.table(TABLES.spend)}
       WHERE ${IN_WINDOW}`,
      o,
    );
    // A call priced at multiplier m would have cost cost / m at standard rates.
    const tierSaved = (cost: number, m: number) => (m > 0 ? cost / m - cost : 0);
    return [
      { lever: 'provider_prompt_cache', saved_usd: Number(r?.['prompt'] ?? 0) },
      { lever: 'app_cache', saved_usd: Number(r?.['app'] ?? 0) },
      { lever: 'model_routing', saved_usd: Number(r?.['routing'] ?? 0) },
      {
        lever: 'batch',
        saved_usd:
          tierSaved(Number(r?.['batch_cost'] ?? 0), this.pricer.tierMultiplier('batch')) +
          tierSaved(Number(r?.['flex_cost'] ?? 0), this.pricer.tierMultiplier('flex')),
      },
    ];
  }

  /** Price of `a` minus price of `b` for one model, or undefined when it has no price. */
  private delta(
    q: { provider: string; model: string; tier: never },
    a: NormalizedUsage,
    b: NormalizedUsage,
  ): number | undefined {
    const pa = this.pricer.price({ ...q, usage: a });
    const pb = this.pricer.price({ ...q, usage: b });
    return pa.priced && pb.priced ? pa.cost.total - pb.cost.total : undefined;
  }
}

function line(r: Row, saved: number): AdviceLine {
  return {
    feature: String(r['feature']),
    provider: String(r['provider']),
    model: String(r['model']),
    requests: Number(r['requests']),
    saved_usd: saved,
  };
}

/** One line per feature/provider/model (pricing tiers folded together). */
function mergeLines(lines: AdviceLine[]): AdviceLine[] {
  const byKey = new Map<string, AdviceLine>();
  for (const l of lines) {
    const key = `${l.feature}\u0000${l.provider}\u0000${l.model}`;
    const prev = byKey.get(key);
    byKey.set(
      key,
      prev ? { ...prev, requests: prev.requests + l.requests, saved_usd: prev.saved_usd + l.saved_usd } : l,
    );
  }
  return [...byKey.values()];
}

function opportunity(
  lever: Lever,
  title: string,
  lines: AdviceLine[],
  method: string,
): Omit<Opportunity, 'monthly_usd'> {
  const sorted = [...lines].sort((a, b) => b.saved_usd - a.saved_usd);
  const uniq = (xs: string[]) => [...new Set(xs.filter((x) => x !== ''))];
  return {
    lever,
    title,
    saved_usd: sorted.reduce((s, l) => s + l.saved_usd, 0),
    requests: sorted.reduce((s, l) => s + l.requests, 0),
    features: uniq(sorted.map((l) => l.feature)),
    models: uniq(sorted.map((l) => l.model)),
    method,
    lines: sorted,
  };
}
