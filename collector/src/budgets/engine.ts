/**
 * The budget engine: evaluates every rule from the ClickHouse rollups every few seconds and soon
 * after ingest, keeps the latest states for /api/budgets, and sends each due alert once.
 */
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '../log.js';
import type { SchemaBuilder } from '../store/schema.js';
import { alertPayload, deliverAll } from './channels.js';
import type { BudgetsConfig } from './config.js';
import { type BudgetStatus, dueAlerts, statusOf } from './evaluate.js';
import { periodAt } from './period.js';
import { BudgetStore } from './store.js';

export interface BudgetEngineOptions {
  client: ClickHouseClient;
  schema: SchemaBuilder;
  config: BudgetsConfig;
  log: Logger;
  /** Injected clock (tests). */
  now?: () => Date;
  /** Delay between ingest and the evaluation it triggers. */
  pokeDelayMs?: number;
  /** Base delay of channel retries. */
  retryBackoffMs?: number;
  /** An alert a channel missed is tried again on evaluations at least this far apart (default 60 s). */
  redeliverIntervalMs?: number;
  fetch?: typeof fetch;
}

/** How long an alert a channel missed keeps being retried. */
const REDELIVER_FOR_MS = 86_400_000;

export class BudgetEngine {
  readonly store: BudgetStore;
  readonly replicaId = randomUUID();
  private latestStates: BudgetStatus[] = [];
  private lastPersisted = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private pokeTimer: NodeJS.Timeout | undefined;
  private running: Promise<BudgetStatus[]> | undefined;
  private again = false;
  private readonly now: () => Date;

  constructor(private readonly opts: BudgetEngineOptions) {
    this.store = new BudgetStore(opts.client, opts.schema);
    this.now = opts.now ?? (() => new Date());
  }

  get enabled(): boolean {
    return this.opts.config.budgets.length > 0;
  }

  start(): void {
    if (!this.enabled || this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.opts.config.budget_evaluation_interval_ms);
    this.timer.unref();
    void this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.pokeTimer) clearTimeout(this.pokeTimer);
    this.timer = this.pokeTimer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Called after spans are stored: evaluate soon (debounced), so alerts follow spend within seconds. */
  poke(): void {
    if (!this.enabled || this.pokeTimer) return;
    this.pokeTimer = setTimeout(() => {
      this.pokeTimer = undefined;
      void this.tick();
    }, this.opts.pokeDelayMs ?? 250);
    this.pokeTimer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.evaluate();
    } catch (err) {
      this.opts.log.error(`budget evaluation failed: ${(err as Error).message}`);
    }
  }

  /** The states of the last evaluation (what /api/budgets serves). */
  latest(): BudgetStatus[] {
    return this.latestStates;
  }

  /** Evaluates every rule now; evaluations never overlap (a request during one runs right after it). */
  evaluate(): Promise<BudgetStatus[]> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.evaluateOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.tick();
      }
    });
    return this.running;
  }

  private async evaluateOnce(): Promise<BudgetStatus[]> {
    const now = this.now();
    const states: BudgetStatus[] = [];
    for (const rule of this.opts.config.budgets) {
      const period = periodAt(rule.period, rule.timezone, now);
      const spend = await this.store.spendByGroup(rule, period, now);
      const fired = await this.store.firedSince(rule.name, period.rolling ? period.alertKey : period.start);
      for (const [group, usd] of spend) {
        const status = statusOf(rule, group, usd, period, now);
        states.push(status);
        for (const alert of dueAlerts(rule, status, period, fired)) {
          await this.send(rule.notify, alert, rule, period, now);
        }
      }
    }
    await this.redeliver();
    states.sort((a, b) => a.name.localeCompare(b.name) || b.spend_usd - a.spend_usd);
    this.latestStates = states;
    await this.persistStates(states, now);
    return states;
  }

  private async send(
    notify: string[],
    alert: Parameters<typeof alertPayload>[0],
    rule: BudgetsConfig['budgets'][number],
    period: ReturnType<typeof periodAt>,
    now: Date,
  ): Promise<void> {
    const top = await this.store.topContributors(rule, alert.group, period, now);
    const record = { ...alert, top };
    const claimedAt = new Date();
    await this.store.recordAlert(record, claimedAt, this.replicaId);
    const winner = await this.store.claimWinner(alert.id);
    if (winner !== undefined && winner !== this.replicaId) return; // another replica sends it
    const { sent, failed } = await deliverAll(notify, this.opts.config.channels, alertPayload(alert, top), {
      log: this.opts.log,
      backoffMs: this.opts.retryBackoffMs,
      fetch: this.opts.fetch,
    });
    await this.store.recordAlert(record, claimedAt, this.replicaId, {
      sentAt: new Date(),
      channels: sent,
      failed,
    });
    this.opts.log.info(
      `budget ${alert.budget}${alert.group ? ` [${alert.group}]` : ''} ${alert.event} ${Math.round(alert.threshold * 100)}%: ` +
        `$${alert.spend_usd.toFixed(2)} of $${alert.limit_usd} -> ${sent.join(', ') || 'no channel'}`,
    );
  }

  /**
   * Tries the channels an alert missed again (a webhook down, Slack answering 500), on evaluations at
   * least `redeliverIntervalMs` apart, for a day after the alert. Only the channels that missed it are
   * sent it, with the same id; whichever replica sees it due first sends it (receivers dedupe on id).
   * Times here are wall-clock: they compare with the records' claim and update times, not with the
   * budget periods' clock.
   */
  private async redeliver(): Promise<void> {
    const now = Date.now();
    const due = await this.store.undelivered(
      new Date(now - REDELIVER_FOR_MS),
      new Date(now - (this.opts.redeliverIntervalMs ?? 60_000)),
    );
    for (const alert of due) {
      const names = alert.failed_channels.filter((n) => this.opts.config.channels[n] !== undefined);
      const { sent, failed } = await deliverAll(
        names,
        this.opts.config.channels,
        alertPayload(alert, alert.top),
        {
          log: this.opts.log,
          backoffMs: this.opts.retryBackoffMs,
          fetch: this.opts.fetch,
        },
      );
      await this.store.recordAlert(alert, new Date(alert.created_at), this.replicaId, {
        sentAt: new Date(),
        channels: [...alert.channels, ...sent],
        failed,
      });
      if (sent.length > 0) {
        this.opts.log.info(`budget alert ${alert.id} delivered on a later try to ${sent.join(', ')}`);
      }
    }
  }

  /** Writes states that changed since the last write, for the Budgets dashboard. */
  private async persistStates(states: BudgetStatus[], now: Date): Promise<void> {
    const changed = states.filter((s) => {
      const key = `${s.name}\u0000${s.group}\u0000${s.period_start}`;
      const sig = `${s.spend_usd}|${s.state}|${s.projected_usd}`;
      if (this.lastPersisted.get(key) === sig) return false;
      this.lastPersisted.set(key, sig);
      return true;
    });
    if (this.lastPersisted.size > 100_000) this.lastPersisted.clear();
    await this.store.recordStates(
      changed.map((s) => ({ ...s, budget: s.name })),
      now,
    );
  }
}
