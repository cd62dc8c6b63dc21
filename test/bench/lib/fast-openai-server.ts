/**
 * A minimal, fast OpenAI chat-completions server for overhead benchmarks. Unlike test/fakes/llm-server.ts
 * (which paces streams at 1 ms per chunk to exercise timing code), it answers from precomputed bodies
 * and writes a whole stream at once, so the client side (SDK + instrumentation) dominates what is
 * measured. The stream length comes from the base URL: `http://127.0.0.1:PORT/c1000/v1` streams 1000
 * content chunks. Runs in the parent process, so the children's CPU time is the client's alone.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const usage = {
  prompt_tokens: 12,
  completion_tokens: 5,
  total_tokens: 17,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
};
const base = {
  id: 'chatcmpl-bench',
  created: 1_700_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_b',
};

/** The non-streaming answer. */
export const plainBody = JSON.stringify({
  ...base,
  object: 'chat.completion',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello world', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
});

const streams = new Map<string, string>();
/** The SSE body of a `chunks`-long stream (built once per length and usage flag). */
export function streamBody(chunks: number, includeUsage: boolean): string {
  const key = `${chunks}:${includeUsage}`;
  let s = streams.get(key);
  if (s) return s;
  const extra = includeUsage ? { usage: null } : {};
  const chunk = (choice: Record<string, unknown>) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }], ...extra })}\n\n`;
  const parts = [chunk({ delta: { role: 'assistant', content: '', refusal: null } })];
  for (let i = 0; i < chunks; i++) parts.push(chunk({ delta: { content: ' tok' } }));
  parts.push(chunk({ delta: {}, finish_reason: 'stop' }));
  if (includeUsage)
    parts.push(
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
    );
  parts.push('data: [DONE]\n\n');
  s = parts.join('');
  streams.set(key, s);
  return s;
}

export interface FastOpenAI {
  /** Base URL for `chunks`-long streams. */
  baseURL(chunks: number): string;
  requests: number;
  close(): Promise<void>;
}

export async function startFastOpenAI(): Promise<FastOpenAI> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      state.requests++;
      const m = /^\/c(\d+)\/v1\/chat\/completions/.exec(req.url ?? '');
      if (!m || req.method !== 'POST') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not found","type":"invalid_request_error"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      if (body['stream'] === true) {
        const so = body['stream_options'] as { include_usage?: boolean } | undefined;
        const text = streamBody(Number(m[1]), so?.include_usage === true);
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          'x-request-id': 'req_b',
        });
        res.end(text);
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_b' });
        res.end(plainBody);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: (chunks) => `http://127.0.0.1:${port}/c${chunks}/v1`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
