/**
 * A fake Cohere v2 API: `POST /v2/chat` (JSON, or SSE typed events `message-start` …
 * `message-end` when `stream: true`) and `POST /v2/embed`, snake_case on the wire.
 */
import type { ServerResponse } from 'node:http';
import {
  type RecordedHttpRequest,
  type ScriptedServer,
  sendJson,
  sleep,
  startScriptedServer,
} from '../../../test/fakes/http-server.js';

export interface CohereBehaviour {
  status?: number;
  content?: string[];
  /** `usage` object (wire shape); null = none. */
  usage?: Record<string, unknown> | null;
  raw?: unknown;
  hangAfter?: number;
}

export const DEFAULT_USAGE = {
  billed_units: { input_tokens: 12, output_tokens: 5 },
  tokens: { input_tokens: 80, output_tokens: 5 },
};

async function handle(req: RecordedHttpRequest, res: ServerResponse, b: CohereBehaviour) {
  if (b.status) {
    sendJson(res, b.status, {
      message: 'You are using a Trial key, which is limited to 10 API calls / minute.',
    });
    return;
  }
  const body = req.json ?? {};
  const usage = b.usage === undefined ? DEFAULT_USAGE : b.usage;
  const content = b.content ?? ['Hello', ' world'];
  if (req.url === '/v2/embed') {
    const texts: string[] = Array.isArray(body.texts) ? body.texts : [];
    sendJson(
      res,
      200,
      b.raw ?? {
        id: 'emb-fake-1',
        embeddings: { float: texts.map(() => [0.1, 0.2]) },
        texts,
        meta: { api_version: { version: '2' }, ...(usage ? { billed_units: { input_tokens: 8 } } : {}) },
        response_type: 'embeddings_by_type',
      },
    );
    return;
  }
  if (req.url !== '/v2/chat') {
    sendJson(res, 404, { message: `no route ${req.url}` });
    return;
  }
  if (!body.stream) {
    sendJson(
      res,
      200,
      b.raw ?? {
        id: 'chat-fake-1',
        finish_reason: 'COMPLETE',
        message: { role: 'assistant', content: [{ type: 'text', text: content.join('') }] },
        ...(usage ? { usage } : {}),
      },
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (o: Record<string, unknown>) =>
    res.write(`event: ${o['type']}\ndata: ${JSON.stringify(o)}\n\n`);
  send({
    id: 'chat-fake-stream',
    type: 'message-start',
    delta: { message: { role: 'assistant', content: [] } },
  });
  send({ type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } });
  for (const [i, text] of content.entries()) {
    await sleep(2);
    send({ type: 'content-delta', index: 0, delta: { message: { content: { text } } } });
    if (b.hangAfter !== undefined && i + 1 >= b.hangAfter) return;
  }
  send({ type: 'content-end', index: 0 });
  send({ type: 'message-end', delta: { finish_reason: 'COMPLETE', ...(usage ? { usage } : {}) } });
  res.end();
}

export type FakeCohere = ScriptedServer<CohereBehaviour>;

export function startFakeCohere(): Promise<FakeCohere> {
  return startScriptedServer<CohereBehaviour>(handle);
}
