/**
 * What burnrate reads from Cohere v2 responses, as the SDK parses them (camelCase). Billed units are
 * what Cohere charges; raw token counts are the fallback. Readers never throw.
 */
import {
  type GenAiCallEnd,
  isObject,
  type NormalizedUsage,
  numberOf,
  type RawObject,
  safeUsage,
  stringOf,
  textsOf,
  valueAt,
} from '@burnrate/core';

/** `usage` of a chat response or `meta` of an embed response; undefined when it has no counts. */
export function cohereUsage(u: unknown): NormalizedUsage | undefined {
  if (!isObject(u)) return undefined;
  const billed = u['billedUnits'] ?? u['billed_units'];
  const tokens = u['tokens'];
  const has = (o: unknown) =>
    isObject(o) &&
    [o['inputTokens'], o['input_tokens'], o['outputTokens'], o['output_tokens']].some(
      (v) => numberOf(v) !== undefined,
    );
  if (!has(billed) && !has(tokens)) return undefined;
  return safeUsage('cohere', has(billed) ? { billed_units: billed } : { tokens });
}

export class CohereChatResult {
  finished = false;
  private id: string | undefined;
  private usage: NormalizedUsage | undefined;
  private readonly reasons: string[] = [];
  private readonly texts: string[] = [];

  addResponse(data: unknown): void {
    if (!isObject(data)) return;
    this.id = stringOf(data['id']);
    const reason = stringOf(data['finishReason']);
    if (reason) this.reasons.push(reason);
    const message = data['message'];
    if (isObject(message)) {
      textsOf(message['content'], this.texts);
      this.toolCalls(message['toolCalls']);
    }
    this.usage = cohereUsage(data['usage']);
  }

  /** Stream events: `message-start`, `content-delta`, `tool-call-delta`, `message-end` (usage). */
  addEvent(event: unknown): void {
    if (!isObject(event)) return;
    switch (event['type']) {
      case 'message-start':
        this.id ??= stringOf(event['id']);
        return;
      case 'content-delta': {
        const text = valueAt(event, 'delta', 'message', 'content', 'text');
        if (typeof text === 'string') this.texts.push(text);
        return;
      }
      case 'tool-call-delta': {
        const args = valueAt(event, 'delta', 'message', 'toolCalls', 'function', 'arguments');
        if (typeof args === 'string') this.texts.push(args);
        return;
      }
      case 'message-end': {
        const delta = event['delta'] as RawObject | undefined;
        const reason = stringOf(valueAt(delta, 'finishReason'));
        if (reason) this.reasons.push(reason);
        this.usage = cohereUsage(valueAt(delta, 'usage'));
        this.finished = true;
        return;
      }
    }
  }

  private toolCalls(calls: unknown): void {
    if (!Array.isArray(calls)) return;
    for (const c of calls) {
      const args = valueAt(c, 'function', 'arguments');
      if (typeof args === 'string') this.texts.push(args);
    }
  }

  result(): GenAiCallEnd & { outputTexts: string[] } {
    return { responseId: this.id, finishReasons: this.reasons, usage: this.usage, outputTexts: this.texts };
  }
}
