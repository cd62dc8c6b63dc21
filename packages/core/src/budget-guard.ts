/**
 * Budget guard: an app opts in to block or downgrade calls in a scope whose budget is exhausted.
 * Budget state comes from the collector's `/api/budgets`, refreshed in the background, so the check on
 * the call path is synchronous and free. When the collector is unreachable the guard fails open and
 * warns (once per outage): a monitoring outage must not become an application outage.
 */
import { type Context, context, diag } from '@opentelemetry/api';
import { calcPrice } from '@pydantic/genai-prices';
import { attributionAttributes } from './attribution.js';
import { canonicalModel, defaultPricer, Pricer } from './pricing.js';
import { contextWithRoute } from './route.js';
import { usageOf } from './usage.js';

export interface BudgetState {
  name: string;
  group: string;
  period_start: string;
  period_end: string;
  spend_usd: number;
  limit_usd: number;
  percent: number;
  projected_usd: number;
  state: 'ok' | 'warn' | 'alert';
}

export interface GuardPolicy {
  /** The budget rule's name in the collector config. */
  budget: string;
  /** For `group_by` rules: the attribution the group is keyed on (e.g. `user.id`, `burnrate.feature`). */
  groupBy?: string | undefined;
  /** Only calls whose attribution matches all of these are guarded (e.g. `{ 'burnrate.feature': 'chat' }`). */
  match?: Record<string, string> | undefined;
  action: 'block' | 'downgrade';
  /**
   * `downgrade`: the cheaper model to send chat calls to. Either one model name, which applies only to
   * calls of the provider that model belongs to (per the price table: `gpt-4o-mini` -> `openai`), or a
   * model per `gen_ai.provider.name`, e.g. `{ openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest' }`.
   * Calls of other providers, and non-chat calls (embeddings, legacy completions), are never rewritten.
   */
  downgradeTo?: string | Readonly<Record<string, string>> | undefined;
  /** Percent of the limit at which the policy applies; default 100. */
  atPercent?: number | undefined;
}

export interface BudgetGuardOptions {
  /** Collector base URL, e.g. http://localhost:4318 */
  collectorUrl: string;
  apiToken?: string | undefined;
  policies: GuardPolicy[];
  /** How long fetched budget state is trusted, and the background refresh interval. Default 5 s. */
  refreshMs?: number | undefined;
  /** Request timeout for /api/budgets. Default 2 s. */
  timeoutMs?: number | undefined;
  fetch?: typeof fetch | undefined;
}

/** A call the guard is asked about. */
export interface GuardCall {
  model: string;
  /** `gen_ai.provider.name` of the client making the call; inferred from the model when absent. */
  provider?: string | undefined;
  /** `gen_ai.operation.name` (`chat`, `embeddings`, ...); inferred from the model when absent. */
  operation?: string | undefined;
}

export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  constructor(
    readonly budget: BudgetState,
    readonly policy: GuardPolicy,
  ) {
    super(
      `burnrate budget "${budget.name}"${budget.group ? ` (${budget.group})` : ''} is exhausted: ` +
        `$${budget.spend_usd.toFixed(2)} of $${budget.limit_usd.toFixed(2)} (${budget.percent.toFixed(0)}%); call blocked`,
    );
  }
}

export interface GuardDecision {
  /** The model to send the call to (changed when downgraded). */
  model: string;
  /** Context to run the call in: carries `burnrate.route.*` with reason `budget` when downgraded. */
  context: Context;
  downgraded: boolean;
}

/** Operations a downgrade may rewrite: a conversation turn, which any chat model of the provider serves. */
const CHAT_OPERATIONS = new Set(['chat', 'generate_content']);

/**
 * `gen_ai.provider.name` -> the price table's provider id, for the providers whose own models the table
 * knows (the same mapping pricing.ts prices with). Resellers that name deployments or prefix model ids
 * (Azure OpenAI, Bedrock, OpenRouter) are left out on purpose: a plain `downgradeTo` never applies there.
 */
const HOME_PROVIDER: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  mistral_ai: 'mistral',
  cohere: 'cohere',
  groq: 'groq',
  deepseek: 'deepseek',
  together_ai: 'together',
  x_ai: 'x-ai',
  xai: 'x-ai',
  fireworks: 'fireworks',
};

/** What the price table knows of a model: who it belongs to, and whether it generates output. */
interface ModelInfo {
  /** Price-table provider id of the model's own provider (no provider hint), if the table knows it. */
  home: string | undefined;
  /** Known to the pricer under the given provider (bundled table or a user override). */
  served: boolean;
  /** `chat` for a model with an output price, `embeddings` for input-only pricing, else unknown. */
  kind: 'chat' | 'embeddings' | undefined;
}

const PROBE = usageOf({ inputTokens: 1_000_000, outputTokens: 1_000_000 });

function modelInfo(model: string, provider: string | undefined): ModelInfo {
  let home: string | undefined;
  try {
    home = calcPrice({ input_tokens: 1, output_tokens: 1 }, canonicalModel(model))?.provider.id;
  } catch {
    home = undefined;
  }
  let priced: ReturnType<Pricer['price']> = { priced: false, reason: '' };
  try {
    priced = defaultPricer().price({ provider, model, usage: PROBE });
  } catch {
    // An invalid BURNRATE_PRICES_FILE: the bundled table still answers.
    try {
      priced = bundledPricer.price({ provider, model, usage: PROBE });
    } catch {
      priced = { priced: false, reason: '' };
    }
  }
  return {
    home,
    served: priced.priced,
    kind: priced.priced ? (priced.cost.output > 0 ? 'chat' : 'embeddings') : undefined,
  };
}
const bundledPricer = new Pricer();

/** The provider a model belongs to, as a `gen_ai.provider.name`, when the price table says. */
function homeProviderName(home: string | undefined): string | undefined {
  return home === undefined ? undefined : Object.keys(HOME_PROVIDER).find((p) => HOME_PROVIDER[p] === home);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function invalid(field: string, message: string): never {
  throw new Error(`burnrate budget guard: ${field}: ${message}`);
}

/** Checks one downgrade target (`field` names it) against the provider it is meant for. */
function validateTarget(field: string, model: unknown, provider: string | undefined): void {
  if (typeof model !== 'string' || !model.trim()) invalid(field, 'must be a non-empty model name');
  let info = modelInfo(model, provider);
  if (provider === undefined && !info.served) {
    // Embedding models are priced only under their provider's name: look there too.
    const owner = homeProviderName(info.home);
    const candidates = owner ? [owner] : [...new Set(Object.values(HOME_PROVIDER))].map(homeProviderName);
    for (const p of candidates) {
      const under = modelInfo(model, p);
      if (under.served) {
        info = { ...under, home: info.home };
        break;
      }
    }
  }
  if (provider !== undefined && !info.served && info.home !== undefined) {
    const owner = homeProviderName(info.home) ?? info.home;
    invalid(field, `"${model}" is not a model ${provider} serves (it belongs to ${owner})`);
  }
  if (info.kind === 'embeddings')
    invalid(field, `"${model}" is an embeddings model; downgrades rewrite chat calls only`);
  if (provider === undefined && info.home === undefined && !info.served)
    diag.warn(
      `burnrate budget guard: ${field}: cannot tell which provider serves "${model}", so it is used for no ` +
        'call; name the provider: downgradeTo: { <gen_ai.provider.name>: model }',
    );
}

/** Validates options up front: a wrong policy is the app's bug, reported with its index and field. */
function validateOptions(options: BudgetGuardOptions): void {
  if (!isRecord(options)) invalid('options', 'must be an object');
  let url: URL | undefined;
  try {
    url = new URL(String(options.collectorUrl));
  } catch {
    url = undefined;
  }
  if (typeof options.collectorUrl !== 'string' || !url || !/^https?:$/.test(url.protocol))
    invalid(
      'collectorUrl',
      `must be an http(s) URL such as http://localhost:4318, got ${JSON.stringify(options.collectorUrl)}`,
    );
  for (const key of ['refreshMs', 'timeoutMs'] as const) {
    const v = options[key];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0))
      invalid(key, `must be a positive number of milliseconds, got ${String(v)}`);
  }
  if (options.apiToken !== undefined && typeof options.apiToken !== 'string')
    invalid('apiToken', 'must be a string');
  if (!Array.isArray(options.policies)) invalid('policies', 'must be an array');
  const policies: unknown[] = options.policies;
  policies.forEach((p, i) => {
    const at = `policies[${i}]`;
    if (!isRecord(p)) invalid(at, 'must be an object');
    if (typeof p['budget'] !== 'string' || !p['budget'].trim())
      invalid(`${at}.budget`, 'must be a non-empty string (the budget rule name in the collector config)');
    if (p['action'] !== 'block' && p['action'] !== 'downgrade')
      invalid(`${at}.action`, `must be "block" or "downgrade", got ${JSON.stringify(p['action'])}`);
    if (p['groupBy'] !== undefined && (typeof p['groupBy'] !== 'string' || !p['groupBy'].trim()))
      invalid(`${at}.groupBy`, 'must be a non-empty attribute name such as user.id');
    if (p['match'] !== undefined) {
      if (!isRecord(p['match'])) invalid(`${at}.match`, 'must be an object of attribute -> value');
      for (const [k, v] of Object.entries(p['match']))
        if (typeof v !== 'string') invalid(`${at}.match.${k}`, 'must be a string');
    }
    const pct = p['atPercent'];
    if (pct !== undefined && (typeof pct !== 'number' || !Number.isFinite(pct) || pct <= 0))
      invalid(
        `${at}.atPercent`,
        `must be a number above 0 (percent of the limit), got ${JSON.stringify(pct)}`,
      );
    const to = p['downgradeTo'];
    if (p['action'] === 'downgrade' && (to === undefined || to === null))
      invalid(
        `${at}.downgradeTo`,
        `policy for budget "${p['budget']}" downgrades but names no downgradeTo model`,
      );
    if (to === undefined || to === null) return;
    if (typeof to === 'string') validateTarget(`${at}.downgradeTo`, to, undefined);
    else if (isRecord(to)) {
      const entries = Object.entries(to);
      if (!entries.length)
        invalid(
          `${at}.downgradeTo`,
          'names no model; give one, or one per provider: { openai: "gpt-4o-mini" }',
        );
      for (const [provider, model] of entries) {
        if (!provider.trim()) invalid(`${at}.downgradeTo`, 'provider names must not be empty');
        validateTarget(`${at}.downgradeTo.${provider}`, model, provider);
      }
    } else
      invalid(
        `${at}.downgradeTo`,
        `must be a model name or { <gen_ai.provider.name>: model }, got ${JSON.stringify(to)}`,
      );
  });
}

const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/** A budget entry from `/api/budgets`, or undefined when it is not one (no name or no percent). */
function budgetEntry(raw: unknown): BudgetState | undefined {
  if (!isRecord(raw) || typeof raw['name'] !== 'string') return undefined;
  const percent = raw['percent'];
  if (typeof percent !== 'number' || !Number.isFinite(percent)) return undefined;
  const state = raw['state'];
  return {
    name: raw['name'],
    group: typeof raw['group'] === 'string' ? raw['group'] : '',
    period_start: typeof raw['period_start'] === 'string' ? raw['period_start'] : '',
    period_end: typeof raw['period_end'] === 'string' ? raw['period_end'] : '',
    spend_usd: num(raw['spend_usd']),
    limit_usd: num(raw['limit_usd']),
    percent,
    projected_usd: num(raw['projected_usd']),
    state: state === 'ok' || state === 'warn' || state === 'alert' ? state : percent >= 100 ? 'alert' : 'ok',
  };
}

export class BudgetGuard {
  private budgets: BudgetState[] = [];
  private fetchedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private failing = false;
  private readonly refreshMs: number;
  private readonly policies: GuardPolicy[];
  /** Resolved downgrade target (or why there is none) per policy, provider, model and operation. */
  private readonly targets = new Map<string, { model: string } | { skip: string }>();
  private readonly warned = new Set<string>();

  /** Throws an `Error` naming the policy index and field when the options are invalid. */
  constructor(private readonly options: BudgetGuardOptions) {
    validateOptions(options);
    // A copy: later edits of the app's array do not bypass validation.
    this.policies = options.policies.map((p) => ({
      ...p,
      ...(p.match ? { match: { ...p.match } } : {}),
      ...(isRecord(p.downgradeTo) ? { downgradeTo: { ...p.downgradeTo } } : {}),
    }));
    this.refreshMs = options.refreshMs ?? 5_000;
  }

  /** Fetches budget state now and then keeps it fresh in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Fetches `/api/budgets`; on failure keeps failing open and warns once per outage. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchBudgets().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetchBudgets(): Promise<void> {
    const doFetch = this.options.fetch ?? fetch;
    try {
      const res = await doFetch(new URL('/api/budgets', this.options.collectorUrl), {
        headers: this.options.apiToken ? { authorization: `Bearer ${this.options.apiToken}` } : {},
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { budgets?: unknown };
      const entries = Array.isArray(body?.budgets) ? body.budgets : [];
      this.budgets = entries.map(budgetEntry).filter((b): b is BudgetState => b !== undefined);
      this.fetchedAt = Date.now();
      if (this.failing) diag.info('burnrate budget guard: collector reachable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) {
        // Loud on purpose: budgets are not enforced while this lasts.
        console.warn(
          `burnrate budget guard: cannot read budgets from ${this.options.collectorUrl} (${(err as Error).message}); ` +
            'calls are allowed (fail open) until it is reachable',
        );
      }
      this.failing = true;
    }
  }

  /** Budget state is stale when not refreshed within 3 intervals: then the guard fails open. */
  private fresh(): boolean {
    return Date.now() - this.fetchedAt <= this.refreshMs * 3;
  }

  /**
   * Decides what to do with a call about to be sent. Throws `BudgetExceededError` for `block`
   * policies; returns the model to use (downgraded or not) and the context to run the call in.
   * A downgrade only swaps in a model the call's provider serves, and only for chat calls; when a
   * downgrade policy has no such model for the call, the call goes on unchanged (one diag warning)
   * and later policies still apply.
   */
  decide(call: GuardCall, ctx: Context = context.active()): GuardDecision {
    const allow = { model: call.model, context: ctx, downgraded: false };
    if (!this.fresh()) return allow;
    const attribution = attributionAttributes(ctx);
    for (const [index, policy] of this.policies.entries()) {
      if (policy.match && Object.entries(policy.match).some(([k, v]) => attribution[k] !== v)) continue;
      const group = policy.groupBy ? String(attribution[policy.groupBy] ?? '') : '';
      if (policy.groupBy && !group) continue;
      const budget = this.budgets.find(
        (b) => b.name === policy.budget && (policy.groupBy ? b.group === group : true),
      );
      if (!budget || budget.percent < (policy.atPercent ?? 100)) continue;
      if (policy.action === 'block') throw new BudgetExceededError(budget, policy);
      const target = this.target(index, policy, call);
      if ('skip' in target) {
        this.warnOnce(index, call, target.skip);
        continue;
      }
      if (target.model === call.model) continue;
      const routed = contextWithRoute(
        {
          name: `budget:${budget.name}`,
          reason: 'budget',
          tier: 'downgrade',
          baselineModel: call.model,
        },
        ctx,
      );
      return { model: target.model, context: routed, downgraded: true };
    }
    return allow;
  }

  /** The model a downgrade policy sends this call to, or why it sends it nowhere (cached). */
  private target(index: number, policy: GuardPolicy, call: GuardCall): { model: string } | { skip: string } {
    const key = `${index}\u0000${call.provider ?? ''}\u0000${call.model}\u0000${call.operation ?? ''}`;
    let found = this.targets.get(key);
    if (!found) {
      found = resolveTarget(policy.downgradeTo, call);
      if (this.targets.size >= 5_000) this.targets.clear();
      this.targets.set(key, found);
    }
    return found;
  }

  private warnOnce(index: number, call: GuardCall, why: string): void {
    const key = `${index}\u0000${call.provider ?? ''}\u0000${call.model}\u0000${call.operation ?? ''}`;
    if (this.warned.has(key)) return;
    if (this.warned.size >= 5_000) this.warned.clear();
    this.warned.add(key);
    const policy = this.policies[index]!;
    diag.warn(
      `burnrate budget guard: policies[${index}] (budget "${policy.budget}") does not downgrade ` +
        `${call.provider ?? 'unknown provider'} ${call.operation ?? ''} call to "${call.model}": ${why}; ` +
        'the call goes on unchanged',
    );
  }
}

/** Resolves a policy's `downgradeTo` for one call: a model its provider serves for a chat call, or why not. */
function resolveTarget(
  downgradeTo: GuardPolicy['downgradeTo'],
  call: GuardCall,
): { model: string } | { skip: string } {
  const own = modelInfo(call.model, call.provider);
  const operation = call.operation ?? own.kind;
  if (operation === undefined)
    return { skip: 'cannot tell which operation it is (unknown model; pass the operation)' };
  if (!CHAT_OPERATIONS.has(operation)) return { skip: `${operation} calls are never downgraded (only chat)` };
  // The call's provider: the client's, or else its model's own.
  const provider = call.provider ?? homeProviderName(own.home);
  if (provider === undefined) return { skip: 'cannot tell which provider serves it' };
  if (downgradeTo === undefined) return { skip: 'the policy names no downgradeTo model' };
  if (typeof downgradeTo !== 'string') {
    const model = Object.hasOwn(downgradeTo, provider) ? downgradeTo[provider] : undefined;
    return model ? { model } : { skip: `downgradeTo names no model for provider ${provider}` };
  }
  // One model name: it applies to the provider it belongs to only.
  const target = modelInfo(downgradeTo, provider);
  const belongs = target.home !== undefined ? HOME_PROVIDER[provider] === target.home : target.served; // not in the bundled table: a user price override for this provider
  return belongs
    ? { model: downgradeTo }
    : {
        skip:
          `"${downgradeTo}" is not a ${provider} model; name one per provider: ` +
          `downgradeTo: { ${provider}: '<model>' }`,
      };
}

let installed: BudgetGuard | undefined;

/**
 * Installs the process-wide guard that burnrate instrumentations consult before each call. Throws an
 * `Error` naming the policy index and field (`policies[1].downgradeTo: ...`) when the options are invalid.
 */
export async function installBudgetGuard(options: BudgetGuardOptions): Promise<BudgetGuard> {
  const guard = new BudgetGuard(options); // throws on invalid options, leaving any installed guard as it is
  installed?.stop();
  installed = guard;
  await guard.start();
  return guard;
}

export function uninstallBudgetGuard(): void {
  installed?.stop();
  installed = undefined;
}

/** The installed guard, if any (instrumentations call this on every request). */
export function getBudgetGuard(): BudgetGuard | undefined {
  return installed;
}

/** The operation a request body is for, when its shape says (the instrumentation's word comes first). */
function operationOfBody(body: Record<string, unknown>): string | undefined {
  if (Array.isArray(body['messages']) || Array.isArray(body['contents'])) return 'chat';
  if (body['prompt'] !== undefined && body['input'] === undefined) return 'text_completion';
  return undefined; // `input`: embeddings or the Responses API; the model tells
}

/**
 * For instrumentations, before a request is sent: applies the installed guard to a request body with a
 * `model` field. Throws `BudgetExceededError` (block); returns a copy of the body with the cheaper model
 * and the routed context (downgrade); or the body and context unchanged. `operation` is the call's
 * `gen_ai.operation.name`; without it the body's shape and the model tell.
 */
export function guardRequest<B extends Record<string, unknown>>(
  body: B,
  provider: string,
  ctx: Context = context.active(),
  operation?: string,
): { body: B; ctx: Context } {
  const guard = installed;
  if (!guard || typeof body['model'] !== 'string') return { body, ctx };
  const decision = guard.decide(
    { model: body['model'], provider, operation: operation ?? operationOfBody(body) },
    ctx,
  );
  return decision.downgraded
    ? { body: { ...body, model: decision.model }, ctx: decision.context }
    : { body, ctx };
}

/**
 * The instrumentation hook: runs the installed guard on a call's arguments (`args[0]` is the request
 * body) and returns the context to make the call in. A downgrade replaces `args[0]` with a copy carrying
 * the cheaper model; a block throws `BudgetExceededError` to the app. Any other failure is the guard's
 * own bug: reported to `diag`, and the call goes ahead unchanged.
 */
export function guardCallArgs(args: unknown[], provider: string, operation?: string): Context {
  const ctx = context.active();
  const body = args[0];
  if (!installed || !body || typeof body !== 'object' || Array.isArray(body)) return ctx;
  try {
    const guarded = guardRequest(body as Record<string, unknown>, provider, ctx, operation);
    args[0] = guarded.body;
    return guarded.ctx;
  } catch (err) {
    if (err instanceof BudgetExceededError) throw err;
    diag.warn(`burnrate budget guard: ${(err as Error).message}`);
    return ctx;
  }
}
