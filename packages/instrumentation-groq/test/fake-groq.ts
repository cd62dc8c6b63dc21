/**
 * A fake Groq API: `POST /openai/v1/chat/completions` (JSON, or SSE chunks whose last content chunk
 * carries `x_groq.usage`, then `data: [DONE]`) and `POST /openai/v1/embeddings`.
 */
import type { ServerResponse } from 'node:http';
import {
  type RecordedHttpRequest,
  type ScriptedServer,
  sendJson,
  sleep,
  startScriptedServer,
} from '../../../test/fakes/http-server.js';

export interface GroqBehaviour {
  status?: number;
  content?: string[];
  usage?: Record<string, unknown> | null;
  raw?: unknown;
  hangAfter?: number;
}

export const DEFAULT_USAGE = {
  prompt_tokens: 12,
  completion_tokens: 5,
  total_tokens: 17,
  queue_time: 0.01,
  prompt_time: 0.002,
  completion_time: 0.01,
  total_time: 0.012,
};

async function handle(req: RecordedHttpRequest, res: ServerResponse, b: GroqBehaviour) {
  if (b.status) {
    sendJson(res, b.status, {
      error: { message: 'Rate limit reached', type: 'tokens', code: 'rate_limit_exceeded' },
    });
    return;
  }
  const body = req.json ?? {};
  const model = body.model ?? 'llama-3.3-70b-versatile';
  const usage = b.usage === undefined ? DEFAULT_USAGE : b.usage;
  const content = b.content ?? ['Hello', ' world'];
  if (req.url === '/openai/v1/embeddings') {
    sendJson(
      res,
      200,
      b.raw ?? {
        object: 'list',
        model,
        data: [{ object: 'embedding', index: 0, embedding: [0.1] }],
        usage: { prompt_tokens: 6, total_tokens: 6 },
      },
    );
    return;
  }
  if (req.url !== '/openai/v1/chat/completions') {
    sendJson(res, 404, { error: { message: `no route ${req.url}` } });
    return;
  }
  const id = 'chatcmpl-groq-1';
  if (!body.stream) {
    sendJson(
      res,
      200,
      b.raw ?? {
        id,
        object: 'chat.completion',
        created: 1_700_000_000,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: content.join('') },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        ...(usage ? { usage } : {}),
        system_fingerprint: 'fp_fake',
        x_groq: { id: 'req_fake' },
      },
      { 'x-request-id': 'req_fake' },
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const base = {
    id,
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
    system_fingerprint: 'fp_fake',
  };
  const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  send({
    ...base,
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    x_groq: { id: 'req_fake' },
  });
  for (const [i, text] of content.entries()) {
    await sleep(2);
    send({ ...base, choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] });
    if (b.hangAfter !== undefined && i + 1 >= b.hangAfter) return;
  }
  send({
    ...base,
    choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
    x_groq: { id: 'req_fake', ...(usage ? { usage } : {}) },
  });
  res.write('data: [DONE]\n\n');
  res.end();
}

export type FakeGroq = ScriptedServer<GroqBehaviour>;

export function startFakeGroq(): Promise<FakeGroq> {
  return startScriptedServer<GroqBehaviour>(handle);
}
