/**
 * Budget queries and alert persistence in ClickHouse. Spend comes from the minute rollup (or from
 * genai_spend for dimensions the rollup does not carry), so every replica computes the same numbers
 * and a restart loses nothing.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { type SchemaBuilder, TABLES } from '../store/schema.js';
import { BUDGET_DIMENSIONS, type BudgetRule } from './config.js';
import type { DueAlert } from './evaluate.js';
import type { Period } from './period.js';
import { BUDGET_TABLES } from './schema.js';

export interface TopContributor {
  dimension: string;
  key: string;
  cost_usd: number;
}

export interface StoredAlert extends DueAlert {
  top: TopContributor[];
  created_at: string;
  sent_at: string | null;
  channels: string[];
  failed_channels: string[];
}

const TOP_DIMENSIONS = ['burnrate.feature', 'user.id', 'model'] as const;

/** DateTime64(3) parameter text in UTC. */
function chTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

interface Scope {
  table: string;
  timeColumn: string;
  where: string[];
  params: Record<string, unknown>;
}

function columnFor(dimension: string, params: Record<string, unknown>, slot: string): string {
  const known = BUDGET_DIMENSIONS[dimension];
  if (known) return known.column;
  params[slot] = dimension.slice('burnrate.tag.'.length);
  return `tags[{${slot}:String}]`;
}

export class BudgetStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly schema: SchemaBuilder,
  ) {}

  /** Where-clause of a rule over a period: rollup when every dimension it uses is in the rollup. */
  private scope(rule: BudgetRule, period: Period, now: Date): Scope {
    const dims = [...Object.keys(rule.filter), ...(rule.group_by ? [rule.group_by] : [])];
    const rollup = dims.every((d) => BUDGET_DIMENSIONS[d]?.rollup);
    const from = new Date(Math.floor(period.start.getTime() / 60_000) * 60_000);
    // Rolling windows end now: include the current minute's bucket.
    const to = period.rolling ? new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000) : period.end;
    const params: Record<string, unknown> = { from: chTime(from), to: chTime(to) };
    const timeColumn = rollup ? 'minute' : 'timestamp';
    const where = [`${timeColumn} >= {from:DateTime64(3)}`, `${timeColumn} < {to:DateTime64(3)}`];
    Object.entries(rule.filter).forEach(([dimension, value], i) => {
      params[`f${i}`] = value;
      where.push(`${columnFor(dimension, params, `fk${i}`)} = {f${i}:String}`);
    });
    return { table: this.schema.table(rollup ? TABLES.spend1m : TABLES.spend), timeColumn, where, params };
  }

  /** Spend per group ('' for an ungrouped rule) in the period. */
  async spendByGroup(rule: BudgetRule, period: Period, now: Date): Promise<Map<string, number>> {
    const s = this.scope(rule, period, now);
    const group = rule.group_by ? columnFor(rule.group_by, s.params, 'gk') : "''";
    const having = rule.group_by ? `WHERE group_key != ''` : '';
    const rs = await this.client.query({
      query: `SELECT group_key, spend FROM (
        SELECT ${group} AS group_key, sum(cost_usd) AS spend FROM ${s.table}
        WHERE ${s.where.join(' AND ')} GROUP BY group_key) ${having}`,
      query_params: s.params,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ group_key: string; spend: number }>();
    const spend = new Map(rows.map((r) => [r.group_key, Number(r.spend)]));
    if (!rule.group_by && !spend.has('')) spend.set('', 0);
    return spend;
  }

  /** The biggest contributors to a budget group's spend, by feature, user and model. */
  async topContributors(
    rule: BudgetRule,
    group: string,
    period: Period,
    now: Date,
    limit = 3,
  ): Promise<TopContributor[]> {
    const s = this.scope(rule, period, now);
    const where = [...s.where];
    if (rule.group_by) {
      s.params['group'] = group;
      where.push(`${columnFor(rule.group_by, s.params, 'gk')} = {group:String}`);
    }
    const parts = TOP_DIMENSIONS.map(
      (d) => `SELECT '${d}' AS dimension, ${BUDGET_DIMENSIONS[d]!.column} AS key, sum(cost_usd) AS cost_usd
        FROM ${s.table} WHERE ${where.join(' AND ')} AND ${BUDGET_DIMENSIONS[d]!.column} != ''
        GROUP BY key ORDER BY cost_usd DESC LIMIT ${limit}`,
    );
    const rs = await this.client.query({
      query: parts.join('\nUNION ALL\n'),
      query_params: s.params,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<TopContributor>();
    const order = (d: string) => TOP_DIMENSIONS.indexOf(d as (typeof TOP_DIMENSIONS)[number]);
    return rows
      .map((r) => ({ dimension: r.dimension, key: r.key, cost_usd: Number(r.cost_usd) }))
      .sort((a, b) => order(a.dimension) - order(b.dimension) || b.cost_usd - a.cost_usd);
  }

  /** Ids of alerts of `budget` already recorded since `since`. */
  async firedSince(budget: string, since: Date): Promise<Set<string>> {
    const rs = await this.client.query({
      query: `SELECT DISTINCT id FROM ${this.schema.table(BUDGET_TABLES.alerts)}
        WHERE budget = {budget:String} AND created_at >= {since:DateTime64(3)}`,
      query_params: { budget, since: chTime(since) },
      format: 'JSONEachRow',
    });
    return new Set((await rs.json<{ id: string }>()).map((r) => r.id));
  }

  /** Records an alert (first as claimed, later with its delivery outcome). Replaces by `updated_at`. */
  async recordAlert(
    alert: DueAlert & { top: TopContributor[] },
    createdAt: Date,
    claimedBy: string,
    delivery?: { sentAt: Date; channels: string[]; failed: string[] },
  ) {
    const now = new Date();
    await this.client.insert({
      table: this.schema.table(BUDGET_TABLES.alerts),
      format: 'JSONEachRow',
      values: [
        {
          id: alert.id,
          event: alert.event,
          budget: alert.budget,
          group_key: alert.group,
          threshold: alert.threshold,
          percent: alert.percent,
          spend_usd: alert.spend_usd,
          limit_usd: alert.limit_usd,
          projected_usd: alert.projected_usd,
          period_start: chTime(new Date(alert.period_start)),
          period_end: chTime(new Date(alert.period_end)),
          created_at: chTime(createdAt),
          updated_at: chTime(now),
          sent_at: delivery ? chTime(delivery.sentAt) : null,
          claimed_by: claimedBy,
          channels: delivery?.channels ?? [],
          failed_channels: delivery?.failed ?? [],
          payload: JSON.stringify(alert.top),
        },
      ],
    });
  }

  /**
   * Which replica owns an alert: the earliest claim (ties broken by replica id). Every replica that
   * sees both claims agrees; replicas racing closer than an insert's latency may both send, with the same id.
   */
  async claimWinner(id: string): Promise<string | undefined> {
    const rs = await this.client.query({
      query: `SELECT claimed_by FROM ${this.schema.table(BUDGET_TABLES.alerts)}
        WHERE id = {id:String} AND sent_at IS NULL ORDER BY created_at, claimed_by LIMIT 1`,
      query_params: { id },
      format: 'JSONEachRow',
    });
    return (await rs.json<{ claimed_by: string }>())[0]?.claimed_by;
  }

  async alerts(from: Date, to: Date, limit = 1000): Promise<StoredAlert[]> {
    return this.storedAlerts(
      'created_at >= {from:DateTime64(3)} AND created_at < {to:DateTime64(3)} ORDER BY created_at DESC, threshold DESC LIMIT {limit:UInt32}',
      { from: chTime(from), to: chTime(to), limit },
    );
  }

  /**
   * Alerts some channel did not take (delivery recorded with failed channels), first claimed after
   * `since` and last tried before `triedBefore`: the ones due for another try.
   */
  async undelivered(since: Date, triedBefore: Date): Promise<StoredAlert[]> {
    return this.storedAlerts(
      `sent_at IS NOT NULL AND notEmpty(failed_channels)
        AND created_at >= {since:DateTime64(3)} AND updated_at <= {tried:DateTime64(3)} ORDER BY created_at`,
      { since: chTime(since), tried: chTime(triedBefore) },
    );
  }

  /** The latest record of each alert (FINAL: filters apply after replacing) matching `where`. */
  private async storedAlerts(where: string, params: Record<string, unknown>): Promise<StoredAlert[]> {
    const rs = await this.client.query({
      query: `SELECT id, event, budget, group_key, threshold, percent, spend_usd, limit_usd, projected_usd,
          period_start, period_end, created_at, sent_at, channels,
          failed_channels, payload
        FROM ${this.schema.table(BUDGET_TABLES.alerts)} FINAL
        WHERE ${where}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<Record<string, any>>();
    const iso = (v: string | null) => (v ? new Date(`${v.replace(' ', 'T')}Z`).toISOString() : null);
    return rows.map((r) => ({
      id: r.id,
      event: r.event,
      budget: r.budget,
      group: r.group_key,
      threshold: Number(r.threshold),
      percent: Number(r.percent),
      spend_usd: Number(r.spend_usd),
      limit_usd: Number(r.limit_usd),
      projected_usd: Number(r.projected_usd),
      period_start: iso(r.period_start)!,
      period_end: iso(r.period_end)!,
      created_at: iso(r.created_at)!,
      sent_at: iso(r.sent_at),
      channels: r.channels,
      failed_channels: r.failed_channels,
      top: JSON.parse(r.payload || '[]'),
    }));
  }

  async recordStates(
    states: Array<{
      budget: string;
      group: string;
      period_start: string;
      period_end: string;
      spend_usd: number;
      limit_usd: number;
      percent: number;
      projected_usd: number;
      state: string;
    }>,
    at: Date,
  ): Promise<void> {
    if (states.length === 0) return;
    await this.client.insert({
      table: this.schema.table(BUDGET_TABLES.state),
      format: 'JSONEachRow',
      values: states.map((s) => ({
        budget: s.budget,
        group_key: s.group,
        period_start: chTime(new Date(s.period_start)),
        period_end: chTime(new Date(s.period_end)),
        spend_usd: s.spend_usd,
        limit_usd: s.limit_usd,
        percent: s.percent,
        projected_usd: s.projected_usd,
        state: s.state,
        evaluated_at: chTime(at),
      })),
    });
  }
}
