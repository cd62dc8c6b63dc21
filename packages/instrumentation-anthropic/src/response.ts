/** What burnrate reads from Anthropic requests, messages and stream events. Tolerant of odd shapes. */
import {
  ATTR,
  type GenAiCallEnd,
  type NormalizedUsage,
  normalizeUsage,
  type PricingTier,
} from '@burnrate/core';
import type { Attributes } from '@opentelemetry/api';

export type Raw = Record<string, unknown>;

export function isObj(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Normalized usage; thinking tokens (`output_tokens_details.thinking_tokens`) become reasoning tokens. */
export function usageFrom(raw: unknown): NormalizedUsage | undefined {
  try {
    const usage = normalizeUsage('anthropic', raw);
    if (!usage || !isObj(raw)) return usage;
    const details = raw['output_tokens_details'];
    const thinking = isObj(details) ? num(details['thinking_tokens']) : undefined;
    if (thinking !== undefined && thinking >= 0 && thinking <= usage.outputTokens) {
      usage.reasoningTokens = thinking;
    }
    return usage;
  } catch {
    return undefined;
  }
}

/** `usage.service_tier` (what ran) or the request's `service_tier` -> pricing tier. */
export function tierOf(usage: unknown, override?: PricingTier): PricingTier {
  if (override) return override;
  const tier = isObj(usage) ? usage['service_tier'] : undefined;
  if (tier === 'priority') return 'priority';
  if (tier === 'batch') return 'batch';
  return 'standard';
}

function blockTexts(content: unknown, out: string[]): void {
  if (typeof content === 'string') out.push(content);
  else if (Array.isArray(content)) {
    for (const block of content) {
      if (!isObj(block)) continue;
      for (const key of ['text', 'thinking'])
        if (typeof block[key] === 'string') out.push(block[key] as string);
      if (block['type'] === 'tool_use' && block['input'] !== undefined)
        out.push(JSON.stringify(block['input']));
      if (block['type'] === 'tool_result') blockTexts(block['content'], out);
    }
  }
}

export function inputTexts(body: Raw): string[] {
  const out: string[] = [];
  blockTexts(body['system'], out);
  const messages = body['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isObj(m)) blockTexts(m['content'], out);
  return out;
}

export function requestAttributes(body: Raw): Attributes {
  const attributes: Attributes = {};
  const maxTokens = num(body['max_tokens']);
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = num(body['temperature']);
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

function responseAttributes(usage: unknown): Attributes {
  const attributes: Attributes = {};
  if (!isObj(usage)) return attributes;
  const tier = str(usage['service_tier']);
  if (tier) attributes['anthropic.response.service_tier'] = tier;
  const creation = usage['cache_creation'];
  if (isObj(creation)) {
    const m5 = num(creation['ephemeral_5m_input_tokens']);
    const h1 = num(creation['ephemeral_1h_input_tokens']);
    if (m5) attributes['anthropic.usage.cache_creation.ephemeral_5m_input_tokens'] = m5;
    if (h1) attributes['anthropic.usage.cache_creation.ephemeral_1h_input_tokens'] = h1;
  }
  return attributes;
}

/** A `Message` (plain result, batch result, or the one a stream adds up to). */
export function fromMessage(data: unknown, tier?: PricingTier): GenAiCallEnd & { outputTexts: string[] } {
  if (!isObj(data)) return { outputTexts: [] };
  const outputTexts: string[] = [];
  blockTexts(data['content'], outputTexts);
  const stop = str(data['stop_reason']);
  return {
    responseModel: str(data['model']),
    responseId: str(data['id']),
    finishReasons: stop ? [stop] : [],
    usage: usageFrom(data['usage']),
    tier: tierOf(data['usage'], tier),
    attributes: responseAttributes(data['usage']),
    outputTexts,
  };
}

/** Adds up a Messages stream: `message_start`, deltas, `message_delta` (usage), `message_stop`. */
export class MessageStreamState {
  finished = false;
  private message: Raw | undefined;
  private usage: Raw | undefined;
  private stopReason: string | undefined;
  private readonly texts: string[] = [];

  onEvent(event: unknown): void {
    if (!isObj(event)) return;
    switch (event['type']) {
      case 'message_start': {
        const message = event['message'];
        if (isObj(message)) {
          this.message = message;
          if (isObj(message['usage'])) this.usage = { ...message['usage'] };
        }
        break;
      }
      case 'content_block_delta': {
        const delta = event['delta'];
        if (isObj(delta)) {
          for (const key of ['text', 'thinking', 'partial_json']) {
            if (typeof delta[key] === 'string') this.texts.push(delta[key] as string);
          }
        }
        break;
      }
      case 'message_delta': {
        const delta = event['delta'];
        if (isObj(delta)) this.stopReason = str(delta['stop_reason']) ?? this.stopReason;
        const usage = event['usage'];
        // Counts in message_delta are cumulative: they replace those of message_start.
        if (isObj(usage)) {
          const merged: Raw = { ...this.usage };
          for (const [k, v] of Object.entries(usage)) if (v !== null && v !== undefined) merged[k] = v;
          this.usage = merged;
        }
        break;
      }
      case 'message_stop':
        this.finished = true;
        break;
    }
  }

  result(): GenAiCallEnd & { outputTexts: string[] } {
    const r = fromMessage({ ...this.message, usage: this.usage, stop_reason: this.stopReason });
    return { ...r, outputTexts: this.texts };
  }
}
