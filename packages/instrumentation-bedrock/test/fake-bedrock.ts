/**
 * A fake Bedrock Runtime endpoint (cleartext HTTP/2, as the SDK talks to Bedrock by default): `/model/{modelId}/converse` and `/invoke` (JSON), and
 * `/converse-stream` and `/invoke-with-response-stream` in the AWS event-stream binary encoding
 * (frames built with @smithy/eventstream-codec: prelude, headers, payload, CRC32s).
 * The model-native bodies (Anthropic, Nova, Titan) are chosen from the model id.
 */
import type { ServerResponse } from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import {
  type RecordedHttpRequest,
  type ScriptedServer,
  sendJson,
  sleep,
  startScriptedServer,
} from '../../../test/fakes/http-server.js';

export interface BedrockBehaviour {
  status?: number;
  content?: string[];
  /** Usage as the API reports it for this call's shape; null = none. */
  usage?: Record<string, unknown> | null;
  /** Non-stream: answer this body verbatim. */
  raw?: unknown;
  /** Stream: send a modelStreamErrorException after the first content event. */
  failMidStream?: boolean;
  /** Stream: stop after this many content events and keep the connection open. */
  hangAfter?: number;
  /** Stream: omit `amazon-bedrock-invocationMetrics` from the last invoke chunk. */
  noInvocationMetrics?: boolean;
  /** Extra fields of the converse response / stream metadata event (e.g. serviceTier). */
  extra?: Record<string, unknown>;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  const h: Record<string, { type: 'string'; value: string }> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { type: 'string', value: v };
  return codec.encode({ headers: h, body: fromUtf8(JSON.stringify(payload)) });
}

const event = (type: string, payload: unknown) =>
  frame({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, payload);
const exception = (type: string, message: string) =>
  frame(
    { ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' },
    { message },
  );

/** An invoke-with-response-stream `chunk` event wrapping one model-native JSON event. */
const chunk = (native: unknown) =>
  event('chunk', { bytes: Buffer.from(JSON.stringify(native)).toString('base64') });

type Family = 'anthropic' | 'nova' | 'titan' | 'titan-embed';

function familyOf(modelId: string): Family {
  if (modelId.includes('titan-embed')) return 'titan-embed';
  if (modelId.includes('titan')) return 'titan';
  if (modelId.includes('nova')) return 'nova';
  return 'anthropic';
}

const DEFAULT_USAGE: Record<Family | 'converse', Record<string, unknown>> = {
  converse: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
  anthropic: { input_tokens: 12, output_tokens: 5 },
  nova: { inputTokens: 12, outputTokens: 5, totalTokens: 17 },
  titan: { inputTextTokenCount: 12 },
  'titan-embed': { inputTextTokenCount: 7 },
};

function invokeBody(family: Family, text: string, usage: Record<string, unknown> | null) {
  switch (family) {
    case 'anthropic':
      return {
        id: 'msg_bdrk_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-haiku-20241022',
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        ...(usage ? { usage } : {}),
      };
    case 'nova':
      return {
        output: { message: { role: 'assistant', content: [{ text }] } },
        stopReason: 'end_turn',
        ...(usage ? { usage } : {}),
      };
    case 'titan':
      return {
        ...(usage ?? {}),
        results: [{ tokenCount: 5, outputText: text, completionReason: 'FINISH' }],
      };
    case 'titan-embed':
      return { embedding: [0.1, 0.2], ...(usage ?? {}) };
  }
}

async function writeFrames(
  res: ServerResponse,
  frames: Uint8Array[],
  b: BedrockBehaviour,
  contentFrames: number[],
) {
  res.writeHead(200, {
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': 'req-stream-1',
  });
  let sent = 0;
  for (let i = 0; i < frames.length; i++) {
    res.write(frames[i]!);
    await sleep(2);
    if (contentFrames.includes(i)) {
      sent++;
      if (b.failMidStream) {
        res.end(exception('modelStreamErrorException', 'The model stream failed'));
        return;
      }
      if (b.hangAfter !== undefined && sent >= b.hangAfter) return;
    }
  }
  res.end();
}

async function handle(req: RecordedHttpRequest, res: ServerResponse, b: BedrockBehaviour) {
  const m = /^\/model\/([^/]+)\/(converse-stream|converse|invoke-with-response-stream|invoke)$/.exec(req.url);
  if (!m) {
    sendJson(res, 404, { message: `no route ${req.url}` });
    return;
  }
  if (b.status) {
    const type = b.status === 429 ? 'ThrottlingException' : 'InternalServerException';
    sendJson(res, b.status, { message: 'Too many requests, please wait.' }, { 'x-amzn-errortype': type });
    return;
  }
  const modelId = decodeURIComponent(m[1]!);
  const op = m[2]!;
  const content = b.content ?? ['Hello', ' world'];
  const family = familyOf(modelId);
  if (op === 'converse') {
    const usage = b.usage === undefined ? DEFAULT_USAGE.converse : b.usage;
    sendJson(
      res,
      200,
      b.raw ?? {
        output: { message: { role: 'assistant', content: [{ text: content.join('') }] } },
        stopReason: 'end_turn',
        ...(usage ? { usage } : {}),
        metrics: { latencyMs: 42 },
        ...b.extra,
      },
      { 'x-amzn-requestid': 'req-converse-1' },
    );
    return;
  }
  if (op === 'invoke') {
    const usage = b.usage === undefined ? DEFAULT_USAGE[family] : b.usage;
    sendJson(res, 200, b.raw ?? invokeBody(family, content.join(''), usage), {
      'x-amzn-requestid': 'req-invoke-1',
    });
    return;
  }
  if (op === 'converse-stream') {
    const usage = b.usage === undefined ? DEFAULT_USAGE.converse : b.usage;
    const frames = [
      event('messageStart', { role: 'assistant' }),
      ...content.map((text) => event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } })),
      event('contentBlockStop', { contentBlockIndex: 0 }),
      event('messageStop', { stopReason: 'end_turn' }),
      event('metadata', { ...(usage ? { usage } : {}), metrics: { latencyMs: 42 }, ...b.extra }),
    ];
    await writeFrames(
      res,
      frames,
      b,
      content.map((_, i) => i + 1),
    );
    return;
  }
  // invoke-with-response-stream
  const usage = b.usage === undefined ? DEFAULT_USAGE[family] : b.usage;
  const natives: unknown[] = [];
  const contentIdx: number[] = [];
  let metrics: Record<string, unknown> = {
    inputTokenCount: 12,
    outputTokenCount: 5,
    invocationLatency: 50,
    firstByteLatency: 10,
  };
  if (family === 'anthropic') {
    const u = usage ?? {};
    natives.push({
      type: 'message_start',
      message: {
        id: 'msg_bdrk_s',
        type: 'message',
        role: 'assistant',
        model: 'claude-3-5-haiku-20241022',
        content: [],
        usage: usage ? { ...u, output_tokens: 1 } : undefined,
      },
    });
    natives.push({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (const text of content) {
      contentIdx.push(natives.length);
      natives.push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
    }
    natives.push({ type: 'content_block_stop', index: 0 });
    natives.push({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn' },
      ...(usage ? { usage: { output_tokens: u['output_tokens'] } } : {}),
    });
    natives.push({ type: 'message_stop' });
    metrics = {
      ...metrics,
      inputTokenCount: u['input_tokens'] ?? 12,
      outputTokenCount: u['output_tokens'] ?? 5,
      ...(u['cache_read_input_tokens'] !== undefined
        ? { cacheReadInputTokenCount: u['cache_read_input_tokens'] }
        : {}),
      ...(u['cache_creation_input_tokens'] !== undefined
        ? { cacheWriteInputTokenCount: u['cache_creation_input_tokens'] }
        : {}),
    };
  } else if (family === 'nova') {
    natives.push({ messageStart: { role: 'assistant' } });
    for (const text of content) {
      contentIdx.push(natives.length);
      natives.push({ contentBlockDelta: { delta: { text }, contentBlockIndex: 0 } });
    }
    natives.push({ contentBlockStop: { contentBlockIndex: 0 } });
    natives.push({ messageStop: { stopReason: 'end_turn' } });
    if (usage) natives.push({ metadata: { usage } });
  } else {
    for (const [i, text] of content.entries()) {
      contentIdx.push(natives.length);
      const last = i === content.length - 1;
      natives.push({
        outputText: text,
        index: 0,
        totalOutputTextTokenCount: i + 1,
        completionReason: last ? 'FINISH' : null,
        inputTextTokenCount: i === 0 ? 12 : undefined,
      });
    }
  }
  if (!b.noInvocationMetrics) {
    const last = natives.length - 1;
    natives[last] = { ...(natives[last] as object), 'amazon-bedrock-invocationMetrics': metrics };
  }
  await writeFrames(res, natives.map(chunk), b, contentIdx);
}

export type FakeBedrock = ScriptedServer<BedrockBehaviour>;

export function startFakeBedrock(): Promise<FakeBedrock> {
  return startScriptedServer<BedrockBehaviour>(handle, { http2: true });
}
