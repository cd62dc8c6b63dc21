/**
 * A fake Gemini API / Vertex AI endpoint: `{model}:generateContent` (JSON),
 * `{model}:streamGenerateContent?alt=sse` (SSE `data:` lines), `{model}:batchEmbedContents`,
 * `{model}:predict` (Vertex embeddings), with scripted usage and failures.
 */
import type { ServerResponse } from 'node:http';
import {
  type RecordedHttpRequest,
  type ScriptedServer,
  sendJson,
  sleep,
  startScriptedServer,
} from '../../../test/fakes/http-server.js';

export interface GeminiBehaviour {
  status?: number;
  /** Text pieces (stream chunks); default ['Hello', ' world']. */
  content?: string[];
  /** usageMetadata of the (final) response; null = none. */
  usage?: Record<string, unknown> | null;
  modelVersion?: string;
  /** Non-stream: answer this JSON verbatim. */
  raw?: unknown;
  /** Stream: HTTP 200 then an error after the first chunk (connection destroyed). */
  failMidStream?: boolean;
  /** Stream: stop after this many chunks and keep the connection open. */
  hangAfter?: number;
  /** Answer with a functionCall part (automatic function calling tests). */
  functionCall?: { name: string; args: Record<string, unknown> };
}

export const DEFAULT_USAGE = { promptTokenCount: 11, candidatesTokenCount: 4, totalTokenCount: 15 };

function modelOf(url: string): string {
  const m = /models\/([^:/?]+):/.exec(url);
  return m?.[1] ?? 'unknown';
}

function candidate(text: string, finish: boolean, b: GeminiBehaviour) {
  const parts = b.functionCall ? [{ functionCall: b.functionCall }] : [{ text }];
  return { content: { parts, role: 'model' }, index: 0, ...(finish ? { finishReason: 'STOP' } : {}) };
}

async function handle(req: RecordedHttpRequest, res: ServerResponse, b: GeminiBehaviour) {
  if (b.status) {
    sendJson(res, b.status, {
      error: { code: b.status, message: 'Resource exhausted', status: 'RESOURCE_EXHAUSTED' },
    });
    return;
  }
  const model = modelOf(req.url);
  const usage = b.usage === undefined ? DEFAULT_USAGE : b.usage;
  const modelVersion = b.modelVersion ?? model;
  const content = b.content ?? ['Hello', ' world'];
  if (req.url.includes(':batchEmbedContents')) {
    const n = Array.isArray(req.json?.requests) ? req.json.requests.length : 1;
    sendJson(res, 200, b.raw ?? { embeddings: Array.from({ length: n }, () => ({ values: [0.1, 0.2] })) });
    return;
  }
  if (req.url.includes(':predict')) {
    const n = Array.isArray(req.json?.instances) ? req.json.instances.length : 1;
    sendJson(
      res,
      200,
      b.raw ?? {
        predictions: Array.from({ length: n }, () => ({
          embeddings: { values: [0.1], statistics: { token_count: 3, truncated: false } },
        })),
      },
    );
    return;
  }
  if (req.url.includes(':generateContent')) {
    const body = b.raw ?? {
      candidates: [candidate(content.join(''), true, b)],
      ...(usage ? { usageMetadata: usage } : {}),
      modelVersion,
      responseId: 'resp-fake-1',
    };
    sendJson(res, 200, body);
    return;
  }
  if (req.url.includes(':streamGenerateContent')) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < content.length; i++) {
      const last = i === content.length - 1;
      const chunk: Record<string, unknown> = {
        candidates: [candidate(content[i]!, last, b)],
        modelVersion,
        responseId: 'resp-fake-stream',
      };
      // Like the real API: every chunk carries usage so far; the last one is complete.
      if (usage) chunk['usageMetadata'] = last ? usage : { promptTokenCount: usage['promptTokenCount'] };
      res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      await sleep(2);
      if (b.failMidStream) {
        res.destroy();
        return;
      }
      if (b.hangAfter !== undefined && i + 1 >= b.hangAfter) return;
    }
    res.end();
    return;
  }
  sendJson(res, 404, { error: { code: 404, message: `no route ${req.url}` } });
}

export type FakeGemini = ScriptedServer<GeminiBehaviour>;

export function startFakeGemini(): Promise<FakeGemini> {
  return startScriptedServer<GeminiBehaviour>(handle);
}
