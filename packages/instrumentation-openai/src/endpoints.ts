/**
 * What burnrate reads from each OpenAI endpoint's request and response. Every reader tolerates
 * odd shapes (missing fields, nulls, wrong types): it returns less, it never throws.
 */
import {
  ATTR,
  type GenAiCallEnd,
  type NormalizedUsage,
  normalizeUsage,
  type PricingTier,
  prefixAllButLastMessage,
  type UsageFormat,
} from '@burnrate/core';
import type { Attributes } from '@opentelemetry/api';

export type Raw = Record<string, unknown>;

export function isObj(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Provider usage, or undefined when absent or malformed (then burnrate counts tokens locally). */
export function usageFrom(format: UsageFormat, raw: unknown): NormalizedUsage | undefined {
  try {
    return normalizeUsage(format, raw);
  } catch {
    return undefined;
  }
}

/** `service_tier` of a request or response -> pricing tier (response wins: it says what ran). */
export function tierOf(...values: unknown[]): PricingTier {
  for (const v of values) {
    if (v === 'flex') return 'flex';
    if (v === 'priority') return 'priority';
    if (v === 'default' || v === 'auto' || v === 'scale') return 'standard';
  }
  return 'standard';
}

/** Text of a message `content`: a string or an array of parts with `text` (images are not counted). */
export function contentTexts(content: unknown, out: string[]): void {
  if (typeof content === 'string') out.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (typeof part === 'string') out.push(part);
      else if (isObj(part) && typeof part['text'] === 'string') out.push(part['text']);
    }
  }
}

export function requestAttributes(body: Raw): Attributes {
  const attributes: Attributes = {};
  const maxTokens =
    num(body['max_completion_tokens']) ?? num(body['max_tokens']) ?? num(body['max_output_tokens']);
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = num(body['temperature']);
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  const tier = str(body['service_tier']);
  if (tier) attributes['openai.request.service_tier'] = tier;
  return attributes;
}

export interface Endpoint {
  operation: string;
  /** Streams of this endpoint accept `stream_options.include_usage`. */
  includeUsageOption: boolean;
  inputTexts(body: Raw): string[];
  fromResponse(data: unknown, body: Raw): GenAiCallEnd & { outputTexts: string[] };
  /** The request's stable prefix (what a provider prompt cache can reuse), for prompt fingerprints. */
  prefix?(body: Raw): unknown;
}

/** Everything but the newest turn: instructions, tools and the leading messages. */
function leading(items: unknown): unknown[] {
  return Array.isArray(items) ? items.slice(0, -1) : [];
}

function responseCommon(data: Raw, body: Raw): GenAiCallEnd {
  const tier = tierOf(data['service_tier'], body['service_tier']);
  const attributes: Attributes = {};
  const responseTier = str(data['service_tier']);
  if (responseTier) attributes['openai.response.service_tier'] = responseTier;
  return {
    responseModel: str(data['model']),
    responseId: str(data['id']),
    tier,
    attributes,
  };
}

function chatInput(body: Raw): string[] {
  const out: string[] = [];
  const messages = body['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isObj(m)) contentTexts(m['content'], out);
  return out;
}

function choiceFinishReasons(choices: unknown): string[] {
  const reasons: string[] = [];
  if (Array.isArray(choices)) {
    for (const c of choices)
      if (isObj(c) && str(c['finish_reason'])) reasons.push(c['finish_reason'] as string);
  }
  return reasons;
}

export const chat: Endpoint = {
  operation: 'chat',
  prefix: prefixAllButLastMessage,
  includeUsageOption: true,
  inputTexts: chatInput,
  fromResponse(data, body) {
    if (!isObj(data)) return { outputTexts: [] };
    const outputTexts: string[] = [];
    const choices = Array.isArray(data['choices']) ? data['choices'] : [];
    for (const c of choices) {
      const message = isObj(c) ? c['message'] : undefined;
      if (!isObj(message)) continue;
      contentTexts(message['content'], outputTexts);
      const calls = message['tool_calls'];
      if (Array.isArray(calls)) {
        for (const call of calls) {
          const fn = isObj(call) ? call['function'] : undefined;
          if (isObj(fn) && typeof fn['arguments'] === 'string') outputTexts.push(fn['arguments']);
        }
      }
    }
    return {
      ...responseCommon(data, body),
      finishReasons: choiceFinishReasons(data['choices']),
      usage: usageFrom('openai.chat', data['usage']),
      outputTexts,
    };
  },
};

export const completions: Endpoint = {
  operation: 'text_completion',
  includeUsageOption: true,
  inputTexts(body) {
    const out: string[] = [];
    contentTexts(body['prompt'], out);
    return out;
  },
  fromResponse(data, body) {
    if (!isObj(data)) return { outputTexts: [] };
    const outputTexts: string[] = [];
    if (Array.isArray(data['choices'])) {
      for (const c of data['choices'])
        if (isObj(c) && typeof c['text'] === 'string') outputTexts.push(c['text']);
    }
    return {
      ...responseCommon(data, body),
      finishReasons: choiceFinishReasons(data['choices']),
      usage: usageFrom('openai.chat', data['usage']),
      outputTexts,
    };
  },
};

export const embeddings: Endpoint = {
  operation: 'embeddings',
  includeUsageOption: false,
  inputTexts(body) {
    const out: string[] = [];
    contentTexts(body['input'], out);
    return out;
  },
  fromResponse(data, body) {
    if (!isObj(data)) return { outputTexts: [] };
    return { ...responseCommon(data, body), usage: usageFrom('openai.chat', data['usage']), outputTexts: [] };
  },
};

function responsesInput(body: Raw): string[] {
  const out: string[] = [];
  if (typeof body['instructions'] === 'string') out.push(body['instructions']);
  const input = body['input'];
  if (typeof input === 'string') out.push(input);
  else if (Array.isArray(input)) {
    for (const item of input) if (isObj(item)) contentTexts(item['content'], out);
  }
  return out;
}

/** A Responses API `response` object (plain result, or the one in `response.completed`). */
export function fromResponsesObject(data: unknown, body: Raw): GenAiCallEnd & { outputTexts: string[] } {
  if (!isObj(data)) return { outputTexts: [] };
  const outputTexts: string[] = [];
  if (Array.isArray(data['output'])) {
    for (const item of data['output']) {
      if (!isObj(item)) continue;
      contentTexts(item['content'], outputTexts);
      if (typeof item['arguments'] === 'string') outputTexts.push(item['arguments']);
    }
  }
  const details = data['incomplete_details'];
  const reason = isObj(details) ? str(details['reason']) : undefined;
  const status = reason ?? str(data['status']);
  return {
    ...responseCommon(data, body),
    finishReasons: status ? [status] : [],
    usage: usageFrom('openai.responses', data['usage']),
    outputTexts,
  };
}

export const responses: Endpoint = {
  operation: 'chat',
  prefix: (body) => ({
    model: body['model'],
    instructions: body['instructions'],
    tools: body['tools'],
    input: leading(body['input']),
  }),
  includeUsageOption: false,
  inputTexts: responsesInput,
  fromResponse: fromResponsesObject,
};
