/** What every instrumentation's prompt-fingerprint test shares: the key, the readers and the checks. */
import { canonicalJson, hmacSha256Hex, PROMPT_ATTR } from '@burnrate/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Sets `BURNRATE_PROMPT_HASH_KEY` to `key` around every test (and clears `BURNRATE_PROMPT_FINGERPRINT`
 * after it); returns the fingerprint the instrumentation must produce for a normalized request.
 */
export function usePromptHashKey(key: string): (request: unknown) => string {
  beforeEach(() => {
    process.env['BURNRATE_PROMPT_HASH_KEY'] = key;
  });
  afterEach(() => {
    delete process.env['BURNRATE_PROMPT_HASH_KEY'];
    delete process.env['BURNRATE_PROMPT_FINGERPRINT'];
  });
  return (request) => hmacSha256Hex(key, canonicalJson(request));
}

/** One support-agent conversation every fingerprint test asks: a long system prompt, a tool, two questions. */
export const SYSTEM = 'You are the terse support agent of ACME Rockets. '.repeat(30);
export const TOOL_DESCRIPTION = 'Looks up the shipping status of an ACME order';
export const QUESTIONS = ['Where is order 1234?', 'Can I return a rocket skate?'];
export const ANSWER = 'Order 1234 left the warehouse yesterday.';
/** The texts no span may carry. */
export const PROMPT_TEXTS = [SYSTEM.slice(0, 40), TOOL_DESCRIPTION, ANSWER, ...QUESTIONS];
/** The tool in the OpenAI function-tool shape (OpenAI, Groq, Mistral, Cohere v2). */
export const FUNCTION_TOOLS = [
  {
    type: 'function' as const,
    function: {
      name: 'order_status',
      description: TOOL_DESCRIPTION,
      parameters: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    },
  },
];

export function fingerprints(span: ReadableSpan) {
  return {
    full: span.attributes[PROMPT_ATTR.FINGERPRINT],
    prefix: span.attributes[PROMPT_ATTR.PREFIX_FINGERPRINT],
    prefixTokens: span.attributes[PROMPT_ATTR.PREFIX_TOKENS],
  };
}
export const NO_FINGERPRINTS = { full: undefined, prefix: undefined, prefixTokens: undefined };

/** No prompt text (system prompt, conversation, tool descriptions) in any attribute or event. */
export function expectNoPromptText(span: ReadableSpan, texts: string[]): void {
  const recorded = JSON.stringify([span.attributes, span.events]);
  for (const text of texts) expect(recorded).not.toContain(text);
}

export async function drain(stream: AsyncIterable<unknown> | undefined): Promise<void> {
  for await (const _ of stream ?? []) {
    // read to the end, so the span ends
  }
}
