/**
 * What burnrate reads from Bedrock Runtime requests and responses: Converse / ConverseStream (one
 * shape for every model) and InvokeModel / InvokeModelWithResponseStream, whose bodies are the model
 * family's own JSON (Anthropic Messages, Amazon Nova, Amazon Titan text and embeddings, Meta Llama).
 * Families are told apart by the shape of the body, so application inference profile ARNs work too.
 * Every reader tolerates odd shapes: it returns less, it never throws.
 */
import {
  ATTR,
  type GenAiCallEnd,
  isObject,
  type NormalizedUsage,
  numberOf,
  pricingTierOf,
  type RawObject,
  reportedUsage,
  stringOf,
  textsOf,
  usageOf,
  valueAt,
} from '@burnrate/core';
import type { Attributes } from '@opentelemetry/api';

export type BedrockEnd = GenAiCallEnd & { outputTexts: string[] };

const decoder = new TextDecoder();

/** Parses a JSON body given as a string or bytes (Uint8Array, Buffer, the SDK's blob adapter). */
export function parseBody(body: unknown): unknown {
  try {
    if (typeof body === 'string') return JSON.parse(body);
    if (body instanceof Uint8Array) return JSON.parse(decoder.decode(body));
  } catch {
    return undefined;
  }
  return undefined;
}

/** Converse `usage`, or undefined when it carries no token counts at all (then tokens are counted locally). */
function converseUsage(u: unknown): NormalizedUsage | undefined {
  return reportedUsage('bedrock.converse', u, ['inputTokens', 'outputTokens']);
}

function anthropicUsage(u: unknown): NormalizedUsage | undefined {
  return reportedUsage('anthropic', u, ['input_tokens', 'output_tokens']);
}

function tierOf(...values: unknown[]) {
  return pricingTierOf(...values.map((v) => (isObject(v) ? v['type'] : v)));
}

// ------------------------------------------------------------------ Converse

export function converseInputTexts(input: RawObject): string[] {
  const out: string[] = [];
  const system = input['system'];
  if (Array.isArray(system)) textsOf(system, out);
  const messages = input['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isObject(m)) textsOf(m['content'], out);
  return out;
}

export function converseRequestAttributes(input: RawObject): Attributes {
  const attributes: Attributes = {};
  const maxTokens = numberOf(valueAt(input, 'inferenceConfig', 'maxTokens'));
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = numberOf(valueAt(input, 'inferenceConfig', 'temperature'));
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

function toolUseTexts(content: unknown, out: string[]): void {
  if (!Array.isArray(content)) return;
  for (const block of content) {
    const input = valueAt(block, 'toolUse', 'input');
    if (input !== undefined) out.push(typeof input === 'string' ? input : JSON.stringify(input));
  }
}

export function converseEnd(output: unknown, input: RawObject): BedrockEnd {
  if (!isObject(output)) return { outputTexts: [] };
  const content = valueAt(output, 'output', 'message', 'content');
  const outputTexts = textsOf(content);
  toolUseTexts(content, outputTexts);
  const stop = stringOf(output['stopReason']);
  return {
    finishReasons: stop ? [stop] : [],
    usage: converseUsage(output['usage']),
    tier: tierOf(output['serviceTier'], input['serviceTier']),
    responseId: stringOf(valueAt(output, '$metadata', 'requestId')),
    outputTexts,
  };
}

/** ConverseStream events: `{ contentBlockDelta }`, `{ messageStop }`, `{ metadata: { usage } }`, ... */
export class ConverseStreamResult {
  finished = false;
  private stop: string | undefined;
  private usageRaw: unknown;
  private serviceTier: unknown;
  private readonly texts: string[] = [];

  constructor(
    private readonly input: RawObject,
    private readonly requestId: string | undefined,
  ) {}

  add(event: unknown): void {
    if (!isObject(event)) return;
    const delta = valueAt(event, 'contentBlockDelta', 'delta');
    if (isObject(delta)) {
      if (typeof delta['text'] === 'string') this.texts.push(delta['text']);
      const tool = valueAt(delta, 'toolUse', 'input');
      if (typeof tool === 'string') this.texts.push(tool);
    }
    const stop = valueAt(event, 'messageStop', 'stopReason');
    if (typeof stop === 'string') this.stop = stop;
    const metadata = event['metadata'];
    if (isObject(metadata)) {
      if (isObject(metadata['usage'])) this.usageRaw = metadata['usage'];
      if (metadata['serviceTier'] !== undefined) this.serviceTier = metadata['serviceTier'];
      this.finished = true;
    }
  }

  result(): BedrockEnd {
    return {
      finishReasons: this.stop ? [this.stop] : [],
      usage: converseUsage(this.usageRaw),
      tier: tierOf(this.serviceTier, this.input['serviceTier']),
      responseId: this.requestId,
      outputTexts: this.texts,
    };
  }
}

// ------------------------------------------------------------------ InvokeModel

/** Input texts of a model-native request body (Anthropic, Nova, Titan, Llama, embeddings). */
export function invokeInputTexts(body: unknown): string[] {
  const out: string[] = [];
  if (!isObject(body)) return out;
  const system = body['system'];
  if (typeof system === 'string') out.push(system);
  else if (Array.isArray(system)) textsOf(system, out);
  const messages = body['messages'];
  if (Array.isArray(messages)) for (const m of messages) if (isObject(m)) textsOf(m['content'], out);
  for (const key of ['inputText', 'prompt']) if (typeof body[key] === 'string') out.push(body[key] as string);
  if (Array.isArray(body['texts'])) textsOf(body['texts'], out);
  return out;
}

export function invokeRequestAttributes(body: unknown): Attributes {
  const attributes: Attributes = {};
  const maxTokens =
    numberOf(valueAt(body, 'max_tokens')) ??
    numberOf(valueAt(body, 'inferenceConfig', 'maxTokens')) ??
    numberOf(valueAt(body, 'inferenceConfig', 'max_new_tokens')) ??
    numberOf(valueAt(body, 'textGenerationConfig', 'maxTokenCount')) ??
    numberOf(valueAt(body, 'max_gen_len'));
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature =
    numberOf(valueAt(body, 'temperature')) ??
    numberOf(valueAt(body, 'inferenceConfig', 'temperature')) ??
    numberOf(valueAt(body, 'textGenerationConfig', 'temperature'));
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

/** Nova (and other Amazon models) name their cache counts `cache*InputTokenCount`. */
function novaUsage(u: unknown): NormalizedUsage | undefined {
  if (!isObject(u)) return undefined;
  return converseUsage({
    inputTokens: u['inputTokens'],
    outputTokens: u['outputTokens'],
    cacheReadInputTokens: u['cacheReadInputTokenCount'] ?? u['cacheReadInputTokens'],
    cacheWriteInputTokens: u['cacheWriteInputTokenCount'] ?? u['cacheWriteInputTokens'],
  });
}

/** `amazon-bedrock-invocationMetrics`, which Bedrock appends to the last chunk of every stream. */
function invocationMetricsUsage(m: unknown): NormalizedUsage | undefined {
  if (!isObject(m)) return undefined;
  return converseUsage({
    inputTokens: m['inputTokenCount'],
    outputTokens: m['outputTokenCount'],
    cacheReadInputTokens: m['cacheReadInputTokenCount'],
    cacheWriteInputTokens: m['cacheWriteInputTokenCount'],
  });
}

function tokenUsage(input: unknown, output: unknown): NormalizedUsage | undefined {
  const i = numberOf(input);
  const o = numberOf(output);
  if (i === undefined && o === undefined) return undefined;
  try {
    return usageOf({ inputTokens: i ?? 0, outputTokens: o ?? 0 });
  } catch {
    return undefined;
  }
}

/** A model-native InvokeModel response body. */
export function invokeEnd(body: unknown, input: RawObject, output: RawObject): BedrockEnd {
  const tier = tierOf(output['serviceTier'], input['serviceTier']);
  const responseId = stringOf(valueAt(output, '$metadata', 'requestId'));
  if (!isObject(body)) return { tier, responseId, outputTexts: [] };
  const outputTexts: string[] = [];
  const finishReasons: string[] = [];
  let usage: NormalizedUsage | undefined;
  const u = body['usage'];
  if (body['type'] === 'message' || (isObject(u) && 'input_tokens' in u)) {
    // Anthropic Messages
    textsOf(body['content'], outputTexts);
    if (Array.isArray(body['content'])) {
      for (const b of body['content'])
        if (isObject(b) && b['input'] !== undefined) outputTexts.push(JSON.stringify(b['input']));
    }
    const stop = stringOf(body['stop_reason']);
    if (stop) finishReasons.push(stop);
    usage = anthropicUsage(u);
  } else if (isObject(body['output']) || (isObject(u) && 'inputTokens' in u)) {
    // Amazon Nova
    textsOf(valueAt(body, 'output', 'message', 'content'), outputTexts);
    const stop = stringOf(body['stopReason']);
    if (stop) finishReasons.push(stop);
    usage = novaUsage(u);
  } else if (Array.isArray(body['results']) || 'inputTextTokenCount' in body) {
    // Amazon Titan text and embeddings
    let out = 0;
    let anyOut = false;
    if (Array.isArray(body['results'])) {
      for (const r of body['results']) {
        if (!isObject(r)) continue;
        if (typeof r['outputText'] === 'string') outputTexts.push(r['outputText']);
        const n = numberOf(r['tokenCount']);
        if (n !== undefined) {
          out += n;
          anyOut = true;
        }
        const reason = stringOf(r['completionReason']);
        if (reason) finishReasons.push(reason);
      }
    }
    usage = tokenUsage(body['inputTextTokenCount'], anyOut ? out : undefined);
  } else if ('prompt_token_count' in body || 'generation_token_count' in body) {
    // Meta Llama
    if (typeof body['generation'] === 'string') outputTexts.push(body['generation']);
    const stop = stringOf(body['stop_reason']);
    if (stop) finishReasons.push(stop);
    usage = tokenUsage(body['prompt_token_count'], body['generation_token_count']);
  }
  return { finishReasons, usage, tier, responseId, outputTexts };
}

/** InvokeModelWithResponseStream: each event's `chunk.bytes` is one model-native JSON event. */
export class InvokeStreamResult {
  finished = false;
  private readonly reasons: string[] = [];
  private readonly texts: string[] = [];
  /** Anthropic: input and cache counts from message_start, output from the last message_delta. */
  private anthropicStart: RawObject | undefined;
  private anthropicOutput: number | undefined;
  private native: NormalizedUsage | undefined;
  private metrics: NormalizedUsage | undefined;

  constructor(
    private readonly input: RawObject,
    private readonly output: RawObject,
  ) {}

  add(event: unknown): void {
    const bytes = valueAt(event, 'chunk', 'bytes');
    const e = parseBody(bytes);
    if (!isObject(e)) return;
    const metrics = invocationMetricsUsage(e['amazon-bedrock-invocationMetrics']);
    if (metrics) {
      this.metrics = metrics;
      this.finished = true;
    }
    switch (e['type']) {
      case 'message_start': {
        const u = valueAt(e, 'message', 'usage');
        if (isObject(u)) this.anthropicStart = u;
        return;
      }
      case 'content_block_delta': {
        const delta = e['delta'];
        if (isObject(delta)) {
          if (typeof delta['text'] === 'string') this.texts.push(delta['text']);
          if (typeof delta['partial_json'] === 'string') this.texts.push(delta['partial_json']);
        }
        return;
      }
      case 'message_delta': {
        const stop = stringOf(valueAt(e, 'delta', 'stop_reason'));
        if (stop) this.reasons.push(stop);
        this.anthropicOutput = numberOf(valueAt(e, 'usage', 'output_tokens')) ?? this.anthropicOutput;
        return;
      }
      case 'message_stop':
        this.finished = true;
        return;
    }
    // Nova
    const delta = valueAt(e, 'contentBlockDelta', 'delta', 'text');
    if (typeof delta === 'string') this.texts.push(delta);
    const stop = stringOf(valueAt(e, 'messageStop', 'stopReason'));
    if (stop) {
      this.reasons.push(stop);
      this.finished = true;
    }
    const novaU = novaUsage(valueAt(e, 'metadata', 'usage'));
    if (novaU) this.native = novaU;
    // Titan text
    if (typeof e['outputText'] === 'string') this.texts.push(e['outputText']);
    const reason = stringOf(e['completionReason']);
    if (reason) {
      this.reasons.push(reason);
      this.finished = true;
    }
    // Llama
    if (typeof e['generation'] === 'string') this.texts.push(e['generation']);
    const llamaStop = stringOf(e['stop_reason']);
    if (llamaStop) {
      this.reasons.push(llamaStop);
      this.finished = true;
    }
  }

  private anthropicUsage(): NormalizedUsage | undefined {
    if (!this.anthropicStart) return undefined;
    return anthropicUsage({ ...this.anthropicStart, output_tokens: this.anthropicOutput ?? 0 });
  }

  result(): BedrockEnd {
    return {
      finishReasons: this.reasons,
      // The model's own usage is the most detailed (cache writes); Bedrock's metrics are the fallback.
      usage: this.anthropicUsage() ?? this.native ?? this.metrics,
      tier: tierOf(this.output['serviceTier'], this.input['serviceTier']),
      responseId: stringOf(valueAt(this.output, '$metadata', 'requestId')),
      outputTexts: this.texts,
    };
  }
}

// ------------------------------------------------------------------ Prompt fingerprints

/** A request as fingerprinted, and its stable prefix (what Bedrock's prompt cache can reuse). */
export interface PromptParts {
  request: RawObject;
  prefix: RawObject;
}

/**
 * Command fields that do not change the answer: invocation-log metadata, the pricing tier, the body's
 * content types and the guardrail trace switch (like the fields `@burnrate/core` leaves out).
 */
const NOT_PROMPT = new Set(['requestMetadata', 'serviceTier', 'contentType', 'accept', 'trace']);

function promptFields(input: RawObject): RawObject {
  const out: RawObject = {};
  for (const k of Object.keys(input)) if (!NOT_PROMPT.has(k)) out[k] = input[k];
  return out;
}

/** Everything but the newest turn: where Converse and Claude put the conversation so far. */
function leadingMessages(messages: unknown): unknown[] {
  return Array.isArray(messages) ? messages.slice(0, -1) : [];
}

/** Converse / ConverseStream: prefix = model id, `system`, `toolConfig` and all messages but the last. */
export function conversePrompt(input: RawObject): PromptParts {
  return {
    request: promptFields(input),
    prefix: {
      modelId: input['modelId'],
      system: input['system'],
      toolConfig: input['toolConfig'],
      messages: leadingMessages(input['messages']),
    },
  };
}

/**
 * InvokeModel / InvokeModelWithResponseStream with an Anthropic Messages body (`anthropic_version`):
 * the request is the body with the command's other fields (model id, guardrail); prefix = model id,
 * `system`, `tools` and all messages but the last. Other model families: undefined (no fingerprints).
 */
export function invokePrompt(input: RawObject, body: unknown): PromptParts | undefined {
  if (!isObject(body) || typeof body['anthropic_version'] !== 'string') return undefined;
  const { body: _bytes, ...command } = promptFields(input);
  return {
    request: { ...command, ...body },
    prefix: {
      modelId: input['modelId'],
      system: body['system'],
      tools: body['tools'],
      messages: leadingMessages(body['messages']),
    },
  };
}
