/**
 * What burnrate reads from @google/genai requests and responses (Gemini API and Vertex AI shapes,
 * as the SDK hands them over). Every reader tolerates odd shapes: it returns less, it never throws.
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
  safeUsage,
  stringOf,
  usageOf,
  valueAt,
} from '@burnrate/core';
import type { Attributes } from '@opentelemetry/api';

const GEMINI_COUNTS = ['promptTokenCount', 'candidatesTokenCount', 'totalTokenCount'];

export type GeminiEnd = GenAiCallEnd & { outputTexts: string[] };

/**
 * The model id as priced and shown: `models/gemini-2.5-flash`, `publishers/google/models/...` and
 * full Vertex resource names become `gemini-2.5-flash`; `google/` publisher prefixes are dropped.
 */
export function modelId(model: unknown): string | undefined {
  let m = stringOf(model);
  if (!m) return undefined;
  const i = m.lastIndexOf('models/');
  if (i >= 0 && (i === 0 || m[i - 1] === '/')) m = m.slice(i + 'models/'.length);
  if (m.startsWith('google/')) m = m.slice('google/'.length);
  return m || undefined;
}

/** Texts of `contents` in any form the SDK accepts: string, Part, Content, or arrays of them. */
export function contentTexts(contents: unknown, out: string[] = []): string[] {
  if (typeof contents === 'string') out.push(contents);
  else if (Array.isArray(contents)) for (const c of contents) contentTexts(c, out);
  else if (isObject(contents)) {
    if (typeof contents['text'] === 'string') out.push(contents['text']);
    if (Array.isArray(contents['parts'])) contentTexts(contents['parts'], out);
    const call = contents['functionCall'];
    if (isObject(call) && call['args'] !== undefined) out.push(JSON.stringify(call['args']));
  }
  return out;
}

export function inputTexts(params: RawObject): string[] {
  const out: string[] = [];
  contentTexts(valueAt(params, 'config', 'systemInstruction'), out);
  contentTexts(params['contents'] ?? params['content'], out);
  return out;
}

export function requestAttributes(params: RawObject): Attributes {
  const attributes: Attributes = {};
  const config = params['config'];
  if (!isObject(config)) return attributes;
  const maxTokens = numberOf(config['maxOutputTokens']);
  if (maxTokens !== undefined) attributes[ATTR.REQUEST_MAX_TOKENS] = maxTokens;
  const temperature = numberOf(config['temperature']);
  if (temperature !== undefined) attributes[ATTR.REQUEST_TEMPERATURE] = temperature;
  return attributes;
}

/**
 * `config` fields that steer the SDK (transport, cancellation, automatic function calling) or label
 * and bill the call, without changing the answer: left out of prompt fingerprints, like the request
 * fields `@burnrate/core` leaves out (`stream`, `metadata`, `service_tier`, ...).
 */
const NOT_PROMPT_CONFIG = new Set([
  'abortSignal',
  'httpOptions',
  'automaticFunctionCalling',
  'labels',
  'serviceTier',
]);

/** Contents are a list of turns (`Content`s with `role` / `parts`), not one turn's parts. */
function isTurn(v: unknown): v is RawObject {
  return isObject(v) && (typeof v['role'] === 'string' || Array.isArray(v['parts']));
}

/**
 * The turns before the last user turn. A string, a Part or a list of Parts is a single user turn:
 * nothing leads it. A turn with no role is a user turn, as the API reads it.
 */
function leadingTurns(contents: unknown): unknown[] {
  if (!Array.isArray(contents) || !contents.some(isTurn)) return [];
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (isTurn(c) && (c['role'] === 'user' || c['role'] === undefined)) return contents.slice(0, i);
  }
  return contents.slice(0, -1);
}

/**
 * A generateContent request as fingerprinted (`request`), and its stable prefix (`prefix`): what
 * Gemini's implicit and explicit context caches reuse, i.e. `systemInstruction`, `tools` /
 * `toolConfig`, the `cachedContent` it references and the turns before the last user turn.
 * The model is the bare id (`models/gemini-2.5-flash` is `gemini-2.5-flash`).
 */
export function generatePrompt(params: RawObject): { request: RawObject; prefix: RawObject } {
  const config = isObject(params['config']) ? params['config'] : undefined;
  const model = modelId(params['model']) ?? params['model'];
  let promptConfig: RawObject | undefined;
  if (config) {
    promptConfig = {};
    for (const k of Object.keys(config)) if (!NOT_PROMPT_CONFIG.has(k)) promptConfig[k] = config[k];
  }
  return {
    request: { ...params, model, config: promptConfig },
    prefix: {
      model,
      systemInstruction: config?.['systemInstruction'],
      tools: config?.['tools'],
      toolConfig: config?.['toolConfig'],
      cachedContent: config?.['cachedContent'],
      contents: leadingTurns(params['contents']),
    },
  };
}

/** Accumulates GenerateContentResponse objects: one (plain call) or a stream of chunks. */
export class GenerateContentResult {
  finished = false;
  private model: string | undefined;
  private id: string | undefined;
  private usageRaw: unknown;
  private trafficType: unknown;
  private readonly reasons = new Map<number, string>();
  private readonly texts: string[] = [];

  constructor(private readonly params: RawObject) {}

  add(response: unknown): void {
    if (!isObject(response)) return;
    this.model = stringOf(response['modelVersion']) ?? this.model;
    this.id ??= stringOf(response['responseId']);
    const usage = response['usageMetadata'];
    if (isObject(usage)) {
      this.usageRaw = usage;
      this.trafficType = usage['trafficType'] ?? this.trafficType;
    }
    const candidates = response['candidates'];
    if (!Array.isArray(candidates)) return;
    candidates.forEach((c, n) => {
      if (!isObject(c)) return;
      contentTexts(valueAt(c, 'content', 'parts'), this.texts);
      const reason = stringOf(c['finishReason']);
      if (reason) {
        this.reasons.set(numberOf(c['index']) ?? n, reason);
        this.finished = true;
      }
    });
  }

  result(): GeminiEnd {
    return {
      responseModel: this.model,
      responseId: this.id,
      finishReasons: [...this.reasons.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r),
      usage: reportedUsage('gemini', this.usageRaw, GEMINI_COUNTS),
      tier: pricingTierOf(this.trafficType, valueAt(this.params, 'config', 'serviceTier')),
      outputTexts: this.texts,
    };
  }
}

/**
 * Embeddings: `usageMetadata` when the API sends it, else Vertex's per-embedding
 * `statistics.tokenCount`; undefined when neither is there (then tokens are counted locally).
 */
export function embedUsage(response: unknown): NormalizedUsage | undefined {
  if (!isObject(response)) return undefined;
  const fromMetadata = safeUsage('gemini', response['usageMetadata']);
  if (fromMetadata && fromMetadata.inputTokens > 0) return fromMetadata;
  const embeddings = response['embeddings'];
  if (!Array.isArray(embeddings)) return undefined;
  let total = 0;
  let seen = false;
  for (const e of embeddings) {
    const n = numberOf(valueAt(e, 'statistics', 'tokenCount'));
    if (n !== undefined && n >= 0) {
      total += n;
      seen = true;
    }
  }
  return seen ? usageOf({ inputTokens: total }) : undefined;
}
