/**
 * Stream accumulators: what a streamed OpenAI response adds up to (model, id, finish reasons,
 * usage, output text for the local count), chunk by chunk. They never throw on odd chunks.
 */
import type { GenAiCallEnd } from '@burnrate/core';
import { fromResponsesObject, isObj, type Raw, str, tierOf, usageFrom } from './endpoints.js';

export interface StreamAccumulator {
  /** Returns false to hide the chunk from the caller, `{ replacement }` to show that instead. */
  onChunk(chunk: unknown): boolean | { replacement: unknown };
  /** The provider sent its terminal event (finish reason / `response.completed`). */
  readonly finished: boolean;
  result(): GenAiCallEnd & { outputTexts: string[] };
}

/**
 * Chat completions and legacy completions: `data: {...}` chunks with `choices[].delta` (or `.text`),
 * and, with `stream_options.include_usage`, a last chunk with empty `choices` and the usage.
 * `hideUsageChunk`: burnrate asked for the usage, so the caller gets the stream it would have had.
 */
export class ChoicesStream implements StreamAccumulator {
  finished = false;
  private model: string | undefined;
  private id: string | undefined;
  private serviceTier: unknown;
  private usageRaw: unknown;
  private readonly reasons = new Map<number, string>();
  private readonly texts: string[] = [];

  constructor(
    private readonly body: Raw,
    private readonly hideUsageChunk: boolean,
  ) {}

  onChunk(chunk: unknown): boolean | { replacement: unknown } {
    if (!isObj(chunk)) return true;
    this.model ??= str(chunk['model']);
    this.id ??= str(chunk['id']);
    if (chunk['service_tier'] !== undefined && chunk['service_tier'] !== null) {
      this.serviceTier = chunk['service_tier'];
    }
    const choices = chunk['choices'];
    if (Array.isArray(choices)) {
      for (const c of choices) {
        if (!isObj(c)) continue;
        const delta = c['delta'];
        if (isObj(delta)) {
          if (typeof delta['content'] === 'string') this.texts.push(delta['content']);
          const calls = delta['tool_calls'];
          if (Array.isArray(calls)) {
            for (const call of calls) {
              const fn = isObj(call) ? call['function'] : undefined;
              if (isObj(fn) && typeof fn['arguments'] === 'string') this.texts.push(fn['arguments']);
            }
          }
        }
        if (typeof c['text'] === 'string') this.texts.push(c['text']);
        const reason = str(c['finish_reason']);
        if (reason) {
          this.reasons.set(typeof c['index'] === 'number' ? c['index'] : this.reasons.size, reason);
          this.finished = true;
        }
      }
    }
    const usage = chunk['usage'];
    if (isObj(usage)) this.usageRaw = usage;
    if (!this.hideUsageChunk) return true;
    if (Array.isArray(choices) && choices.length === 0 && isObj(usage)) return false;
    // Without include_usage, the API sends no `usage` field at all: the caller gets the chunk without
    // it, as a copy (deleting a property would turn every chunk into a slow dictionary-mode object).
    if (usage === null) return { replacement: withoutUsage(chunk) };
    return true;
  }

  result(): GenAiCallEnd & { outputTexts: string[] } {
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: [...this.reasons.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r),
      usage: usageFrom('openai.chat', this.usageRaw),
      tier: tierOf(this.serviceTier, this.body['service_tier']),
      attributes: str(this.serviceTier) ? { 'openai.response.service_tier': this.serviceTier as string } : {},
      outputTexts: this.texts,
    };
  }
}

/** A copy of `chunk` without its `usage` field: same keys in the same order, same values. */
function withoutUsage(chunk: Raw): Raw {
  const out: Raw = {};
  const keys = Object.keys(chunk);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === 'usage') continue;
    if (k === '__proto__')
      Object.defineProperty(out, k, {
        value: chunk[k],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    else out[k] = chunk[k];
  }
  return out;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** Responses API: typed events; the usage is in the `response` of `response.completed`. */
export class ResponsesStream implements StreamAccumulator {
  finished = false;
  private model: string | undefined;
  private id: string | undefined;
  private final: unknown;
  private readonly texts: string[] = [];

  constructor(private readonly body: Raw) {}

  onChunk(event: unknown): boolean {
    if (!isObj(event)) return true;
    const type = event['type'];
    const response = event['response'];
    if (isObj(response)) {
      this.model = str(response['model']) ?? this.model;
      this.id = str(response['id']) ?? this.id;
    }
    if (type === 'response.output_text.delta' && typeof event['delta'] === 'string') {
      this.texts.push(event['delta']);
    } else if (type === 'response.function_call_arguments.delta' && typeof event['delta'] === 'string') {
      this.texts.push(event['delta']);
    } else if (typeof type === 'string' && TERMINAL.has(type)) {
      this.final = response;
      if (type === 'response.completed') this.finished = true;
    }
    return true;
  }

  result(): GenAiCallEnd & { outputTexts: string[] } {
    const fromFinal = this.final ? fromResponsesObject(this.final, this.body) : undefined;
    return {
      ...fromFinal,
      responseModel: fromFinal?.responseModel ?? this.model,
      responseId: fromFinal?.responseId ?? this.id,
      tier: fromFinal?.tier ?? tierOf(this.body['service_tier']),
      outputTexts: fromFinal?.usage ? [] : this.texts,
    };
  }
}
