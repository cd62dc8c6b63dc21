/**
 * The OpenAI chat-completions wire format as other SDKs speak it (groq-sdk, @mistralai/mistralai):
 * responses and stream chunks with `choices`, `usage` (or Groq's `x_groq.usage`), in snake_case or
 * the camelCase some SDKs parse it into. Readers tolerate odd shapes: they return less, never throw.
 */
import type { GenAiCallEnd } from './genai-call.js';
import type { UsageFormat } from './usage.js';
import { isObject, type RawObject, safeUsage, stringOf, textsOf } from './values.js';

export type ChatCompletionEnd = GenAiCallEnd & { outputTexts: string[] };

const pick = (o: RawObject, snake: string, camel: string): unknown => o[snake] ?? o[camel];

/** Input texts of a chat request's `messages` (for the local count when no usage comes back). */
export function chatInputTexts(messages: unknown): string[] {
  const out: string[] = [];
  if (Array.isArray(messages)) for (const m of messages) if (isObject(m)) textsOf(m['content'], out);
  return out;
}

function toolArguments(calls: unknown, out: string[]): void {
  if (!Array.isArray(calls)) return;
  for (const call of calls) {
    const fn = isObject(call) ? call['function'] : undefined;
    const args = isObject(fn) ? fn['arguments'] : undefined;
    if (typeof args === 'string') out.push(args);
    else if (isObject(args)) out.push(JSON.stringify(args));
  }
}

function usageOfChunk(o: RawObject): unknown {
  const usage = o['usage'];
  if (isObject(usage)) return usage;
  const groq = pick(o, 'x_groq', 'xGroq');
  return isObject(groq) && isObject(groq['usage']) ? groq['usage'] : undefined;
}

/** A non-streamed chat completion. */
export function chatCompletionEnd(data: unknown, format: UsageFormat = 'openai.chat'): ChatCompletionEnd {
  if (!isObject(data)) return { outputTexts: [] };
  const outputTexts: string[] = [];
  const finishReasons: string[] = [];
  const choices = Array.isArray(data['choices']) ? data['choices'] : [];
  for (const c of choices) {
    if (!isObject(c)) continue;
    const message = c['message'];
    if (isObject(message)) {
      textsOf(message['content'], outputTexts);
      toolArguments(pick(message, 'tool_calls', 'toolCalls'), outputTexts);
    }
    const reason = stringOf(pick(c, 'finish_reason', 'finishReason'));
    if (reason) finishReasons.push(reason);
  }
  return {
    responseModel: stringOf(data['model']),
    responseId: stringOf(data['id']),
    finishReasons,
    usage: safeUsage(format, usageOfChunk(data)),
    outputTexts,
  };
}

/** Adds up a streamed chat completion chunk by chunk. */
export class ChatCompletionChunks {
  /** A choice reported its finish reason. */
  finished = false;
  private model: string | undefined;
  private id: string | undefined;
  private usageRaw: unknown;
  private readonly reasons = new Map<number, string>();
  private readonly texts: string[] = [];

  constructor(private readonly format: UsageFormat = 'openai.chat') {}

  onChunk(chunk: unknown): void {
    if (!isObject(chunk)) return;
    this.model ??= stringOf(chunk['model']);
    this.id ??= stringOf(chunk['id']);
    const choices = chunk['choices'];
    if (Array.isArray(choices)) {
      for (const c of choices) {
        if (!isObject(c)) continue;
        const delta = c['delta'];
        if (isObject(delta)) {
          textsOf(delta['content'], this.texts);
          toolArguments(pick(delta, 'tool_calls', 'toolCalls'), this.texts);
        }
        const reason = stringOf(pick(c, 'finish_reason', 'finishReason'));
        if (reason) {
          this.reasons.set(typeof c['index'] === 'number' ? c['index'] : this.reasons.size, reason);
          this.finished = true;
        }
      }
    }
    const usage = usageOfChunk(chunk);
    if (usage) this.usageRaw = usage;
  }

  result(): ChatCompletionEnd {
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: [...this.reasons.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r),
      usage: safeUsage(this.format, this.usageRaw),
      outputTexts: this.texts,
    };
  }
}
