/**
 * Alert delivery: webhook (HMAC-signed when a secret is set), Slack incoming webhook, and log.
 * Each channel retries with exponential backoff; one failing channel never stops the others.
 */
import { createHmac } from 'node:crypto';
import type { Logger } from '../log.js';
import type { ChannelConfig } from './config.js';
import type { DueAlert } from './evaluate.js';
import type { TopContributor } from './store.js';

/** The webhook body: exactly the contract's budget alert shape. */
export interface AlertPayload {
  id: string;
  event: DueAlert['event'];
  budget: string;
  group: string;
  threshold: number;
  percent: number;
  spend_usd: number;
  limit_usd: number;
  projected_usd: number;
  period_start: string;
  period_end: string;
  top: TopContributor[];
}

export function alertPayload(alert: DueAlert, top: TopContributor[]): AlertPayload {
  return {
    id: alert.id,
    event: alert.event,
    budget: alert.budget,
    group: alert.group,
    threshold: alert.threshold,
    percent: alert.percent,
    spend_usd: alert.spend_usd,
    limit_usd: alert.limit_usd,
    projected_usd: alert.projected_usd,
    period_start: alert.period_start,
    period_end: alert.period_end,
    top,
  };
}

export const SIGNATURE_HEADER = 'x-burnrate-signature';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. Signing the timestamp with the body lets a
 * receiver reject replays of old deliveries as well as forged ones.
 */
export function signBody(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Slack's mrkdwn control characters, escaped as Slack documents: group keys and top contributors are
 * attribution values an app (or its users) set, and unescaped `<!channel>` or `<url|text>` would ping
 * the channel or show a forged link.
 */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackText(p: AlertPayload): string {
  const e = slackEscape;
  const usd = (n: number) => `$${n.toFixed(2)}`;
  const who = p.group ? ` for *${e(p.group)}*` : '';
  const what =
    p.event === 'forecast_exceeded'
      ? `is forecast to reach ${usd(p.projected_usd)} (limit ${usd(p.limit_usd)}); ` +
        `${usd(p.spend_usd)} spent so far (${p.percent.toFixed(1)}%)`
      : `crossed ${Math.round(p.threshold * 100)}%: ${usd(p.spend_usd)} of ${usd(p.limit_usd)} (${p.percent.toFixed(1)}%)`;
  const top = p.top.length
    ? `\nTop: ${p.top.map((t) => `${e(t.dimension)}=${e(t.key)} ${usd(t.cost_usd)}`).join(', ')}`
    : '';
  return `:rotating_light: burnrate budget *${e(p.budget)}*${who} ${what}\nPeriod ${e(p.period_start)} – ${e(p.period_end)}${top}`;
}

export interface DeliveryOptions {
  /** Base backoff; attempt n waits base * 2^(n-1). */
  backoffMs?: number;
  log: Logger;
  fetch?: typeof fetch;
}

/** A delivery failure that retrying cannot fix (e.g. Slack's `invalid_payload`, `no_service`). */
class PermanentDeliveryError extends Error {}

/**
 * POSTs one JSON body. The receiver's error body is part of the error (Slack says why in it:
 * `invalid_payload`, `no_service`, `channel_is_archived`, ...; webhooks often do too), and a 4xx other
 * than 408/429 is permanent: it is not retried (the engine offers a missed alert again later).
 */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  doFetch: typeof fetch,
): Promise<void> {
  const res = await doFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    return;
  }
  const text = await res.text().catch(() => '');
  // Error codes are short words; anything longer is cut, and only printable ASCII is kept.
  const reason = text
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim()
    .slice(0, 100);
  const message = `HTTP ${res.status}${reason ? ` ${reason}` : ''}`;
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
  throw permanent ? new PermanentDeliveryError(message) : new Error(message);
}

async function withRetries(retries: number, backoffMs: number, attempt: () => Promise<void>): Promise<void> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (n >= retries || err instanceof PermanentDeliveryError) throw err;
      await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** n));
    }
  }
}

/** Sends one alert to one channel; throws after the last retry fails. */
export async function deliver(
  channel: ChannelConfig,
  payload: AlertPayload,
  opts: DeliveryOptions,
): Promise<void> {
  const doFetch = opts.fetch ?? fetch;
  const backoff = opts.backoffMs ?? 500;
  switch (channel.type) {
    case 'log':
      opts.log.warn(`budget alert ${JSON.stringify(payload)}`);
      return;
    case 'slack': {
      const body = JSON.stringify({ text: slackText(payload) });
      return withRetries(channel.retries, backoff, () =>
        post(channel.url, body, {}, channel.timeout_ms, doFetch),
      );
    }
    case 'webhook': {
      const body = JSON.stringify(payload);
      return withRetries(channel.retries, backoff, () => {
        const headers: Record<string, string> = { 'x-burnrate-alert-id': payload.id };
        if (channel.secret)
          headers[SIGNATURE_HEADER] = signBody(channel.secret, body, Math.floor(Date.now() / 1000));
        return post(channel.url, body, headers, channel.timeout_ms, doFetch);
      });
    }
  }
}

/** Delivers to every channel in parallel; returns which succeeded and which failed. */
export async function deliverAll(
  names: string[],
  channels: Record<string, ChannelConfig>,
  payload: AlertPayload,
  opts: DeliveryOptions,
): Promise<{ sent: string[]; failed: string[] }> {
  const results = await Promise.allSettled(names.map((name) => deliver(channels[name]!, payload, opts)));
  const sent: string[] = [];
  const failed: string[] = [];
  results.forEach((r, i) => {
    const name = names[i]!;
    if (r.status === 'fulfilled') sent.push(name);
    else {
      failed.push(name);
      // The URL may embed a token (Slack webhooks do): log the channel name only.
      opts.log.error(
        `budget alert ${payload.id} to channel "${name}" failed: ${(r.reason as Error).message}`,
      );
    }
  });
  return { sent, failed };
}
