/**
 * A fake Mistral API: `POST /v1/chat/completions` (JSON, or SSE `data:` chunks ending in
 * `data: [DONE]` with the usage in the last chunk, as Mistral sends it) and `POST /v1/embeddings`.
 */
import type { ServerResponse } from 'node:http';
import {
  type RecordedHttpRequest,
  type ScriptedServer,
  sendJson,
  sleep,
  startScriptedServer,
} from '../../../test/fakes/http-server.js';

export interface MistralBehaviour {
  status?: number;
  content?: string[];
  usage?: Record<string, unknown> | null;
  raw?: unknown;
  hangAfter?: number;
  failMidStream?: boolean;
  toolCall?: boolean;
}

export const DEFAULT_USAGE = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };

async function handle(req: RecordedHttpRequest, res: ServerResponse, b: MistralBehaviour) {
  if (b.status) {
    sendJson(res, b.status, {
      object: 'error',
      message: 'Requests rate limit exceeded',
      type: 'rate_limited',
      code: '1300',
    });
    return;
  }
  const body = req.json ?? {};
  const model = body.model ?? 'mistral-small-latest';
  const usage = b.usage === undefined ? DEFAULT_USAGE : b.usage;
  const content = b.content ?? ['Hello', ' world'];
  if (req.url === '/v1/embeddings') {
    const inputs = body.input ?? body.inputs;
    const n = Array.isArray(inputs) ? inputs.length : 1;
    sendJson(
      res,
      200,
      b.raw ?? {
        id: 'emb-fake-1',
        object: 'list',
        model,
        data: Array.from({ length: n }, (_, index) => ({
          object: 'embedding',
          embedding: [0.1, 0.2],
          index,
        })),
        ...(usage ? { usage: { prompt_tokens: 8, completion_tokens: 0, total_tokens: 8 } } : {}),
      },
    );
    return;
  }
  if (req.url !== '/v1/chat/completions') {
    sendJson(res, 404, { message: `no route ${req.url}` });
    return;
  }
  if (!body.stream) {
    const message = b.toolCall
      ? {
          role: 'assistant',
          content: '',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
          ],
        }
      : { role: 'assistant', content: content.join(''), tool_calls: null };
    sendJson(
      res,
      200,
      b.raw ?? {
        id: 'cmpl-fake-1',
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [{ index: 0, message, finish_reason: b.toolCall ? 'tool_calls' : 'stop' }],
        ...(usage ? { usage } : {}),
      },
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const base = { id: 'cmpl-fake-stream', object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  for (const [i, text] of content.entries()) {
    await sleep(2);
    const last = i === content.length - 1;
    send({
      ...base,
      choices: [{ index: 0, delta: { content: text }, finish_reason: last ? 'stop' : null }],
      ...(last && usage ? { usage } : {}),
    });
    if (b.failMidStream) {
      res.destroy();
      return;
    }
    if (b.hangAfter !== undefined && i + 1 >= b.hangAfter) return;
  }
  res.write('data: [DONE]\n\n');
  res.end();
}

export type FakeMistral = ScriptedServer<MistralBehaviour>;

export function startFakeMistral(): Promise<FakeMistral> {
  return startScriptedServer<MistralBehaviour>(handle);
}
