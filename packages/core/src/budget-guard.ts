/**
 * Budget guard: an app opts in to block or downgrade calls in a scope whose budget is exhausted.
 * Budget state comes from the collector's `/api/budgets`, refreshed in the background, so the check on
 * the call path is synchronous and free. When the collector is unreachable the guard fails open and
 * warns (once per outage): a monitoring outage must not become an application outage.
 */
import { type Context, context, diag } from '@opentelemetry/api';
import { attributionAttributes } from './attribution.js';
import { contextWithRoute } from './route.js';

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
  /** `downgrade`: the cheaper model to send the call to. */
  downgradeTo?: string | undefined;
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

export class BudgetGuard {
  private budgets: BudgetState[] = [];
  private fetchedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private failing = false;
  private readonly refreshMs: number;

  constructor(private readonly options: BudgetGuardOptions) {
    for (const p of options.policies) {
      if (p.action === 'downgrade' && !p.downgradeTo) {
        throw new Error(
          `burnrate budget guard: policy for budget "${p.budget}" downgrades but names no downgradeTo model`,
        );
      }
    }
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
      const body = (await res.json()) as { budgets?: BudgetState[] };
      this.budgets = Array.isArray(body.budgets) ? body.budgets : [];
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
   */
  decide(
    call: { model: string; provider?: string | undefined },
    ctx: Context = context.active(),
  ): GuardDecision {
    const allow = { model: call.model, context: ctx, downgraded: false };
    if (!this.fresh()) return allow;
    const attribution = attributionAttributes(ctx);
    for (const policy of this.options.policies) {
      if (policy.match && Object.entries(policy.match).some(([k, v]) => attribution[k] !== v)) continue;
      const group = policy.groupBy ? String(attribution[policy.groupBy] ?? '') : '';
      if (policy.groupBy && !group) continue;
      const budget = this.budgets.find(
        (b) => b.name === policy.budget && (policy.groupBy ? b.group === group : true),
      );
      if (!budget || budget.percent < (policy.atPercent ?? 100)) continue;
      if (policy.action === 'block') throw new BudgetExceededError(budget, policy);
      const model = policy.downgradeTo!;
      if (model === call.model) continue;
      const routed = contextWithRoute(
        { name: `budget:${budget.name}`, reason: 'budget', tier: 'downgrade', baselineModel: call.model },
        ctx,
      );
      return { model, context: routed, downgraded: true };
    }
    return allow;
  }
}

let installed: BudgetGuard | undefined;

/** Installs the process-wide guard that burnrate instrumentations consult before each call. */
export async function installBudgetGuard(options: BudgetGuardOptions): Promise<BudgetGuard> {
  installed?.stop();
  const guard = new BudgetGuard(options);
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

/**
 * For instrumentations, before a request is sent: applies the installed guard to a request body with a
 * `model` field. Throws `BudgetExceededError` (block); returns a copy of the body with the cheaper model
 * and the routed context (downgrade); or the body and context unchanged.
 */
export function guardRequest<B extends Record<string, unknown>>(
  body: B,
  provider: string,
  ctx: Context = context.active(),
): { body: B; ctx: Context } {
  const guard = installed;
  if (!guard || typeof body['model'] !== 'string') return { body, ctx };
  const decision = guard.decide({ model: body['model'], provider }, ctx);
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
export function guardCallArgs(args: unknown[], provider: string): Context {
  const ctx = context.active();
  const body = args[0];
  if (!installed || !body || typeof body !== 'object' || Array.isArray(body)) return ctx;
  try {
    const guarded = guardRequest(body as Record<string, unknown>, provider, ctx);
    args[0] = guarded.body;
    return guarded.ctx;
  } catch (err) {
    if (err instanceof BudgetExceededError) throw err;
    diag.warn(`burnrate budget guard: ${(err as Error).message}`);
    return ctx;
  }
}
