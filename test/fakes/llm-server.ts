/**
 * A fake LLM provider on 127.0.0.1 (port 0) speaking the real wire formats of OpenAI
 * (chat completions, responses, embeddings, legacy completions) and Anthropic (messages):
 * JSON bodies, and SSE streams (`data: {...}` + `data: [DONE]` for OpenAI chat/completions,
 * typed `event:` lines for Responses and Anthropic).
 *
 * Each request takes the next queued `Behaviour` (or the defaults), so a test scripts odd cases:
 * no usage, an error mid-stream, a 429, odd JSON, a stream that hangs until the client aborts.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Raw = Record<string, unknown>;

export interface Behaviour {
  /** HTTP error: status and the provider's error body. */
  status?: number;
  /** Stream pieces of text (default `['Hello', ' world']`). */
  content?: string[];
  /** Provider usage to report; `null` = none at all (also no usage chunk in streams). */
  usage?: Raw | null;
  /** Model the response names (default: the request's, with a date suffix for OpenAI). */
  model?: string;
  /** `service_tier` in the response. */
  serviceTier?: string;
  /** Stream: send an error event after the first content chunk. */
  failMidStream?: boolean;
  /** Stream: after this many content chunks, stop writing and keep the connection open. */
  hangAfter?: number;
  /** Non-stream: answer with this JSON body verbatim (odd responses). */
  raw?: unknown;
  /**
   * Answer with a tool call instead of text: OpenAI chat `tool_calls` (`call_fake1`), Anthropic messages a
   * `tool_use` block (`toolu_fake1`, stop_reason `tool_use`); both call `get_weather` with `{"city":"Paris"}`.
   */
  toolCall?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Raw;
}

export interface FakeLLM {
  url: string;
  /** OpenAI clients: `${url}/v1`. */
  openaiBaseURL: string;
  requests: RecordedRequest[];
  enqueue(...behaviours: Behaviour[]): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_fake_123', ...headers });
  res.end(JSON.stringify(body));
}

function sseHeaders(res: ServerResponse) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-request-id': 'req_fake_123',
  });
}

function sse(res: ServerResponse, data: unknown, event?: string) {
  res.write(
    `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`,
  );
}

const DATED: Record<string, string> = {
  'gpt-4o-mini': 'gpt-4o-mini-2024-07-18',
  'gpt-4o': 'gpt-4o-2024-08-06',
};

// ---------------------------------------------------------------- OpenAI

function openaiError(res: ServerResponse, status: number) {
  const type = status === 429 ? 'rate_limit_exceeded' : 'server_error';
  json(
    res,
    status,
    { error: { message: `fake ${status}`, type, param: null, code: type } },
    status === 429 ? { 'retry-after': '0' } : {},
  );
}

function openaiNotFound(res: ServerResponse, what: string) {
  json(res, 404, {
    error: { message: `No such ${what}`, type: 'invalid_request_error', param: 'id', code: null },
  });
}

async function chatCompletions(body: Raw, b: Behaviour, res: ServerResponse) {
  const model = b.model ?? DATED[String(body['model'])] ?? String(body['model']);
  const pieces = b.content ?? ['Hello', ' world'];
  const defaultUsage = {
    prompt_tokens: 12,
    completion_tokens: 5,
    total_tokens: 17,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
  const usage = b.usage === undefined ? defaultUsage : b.usage;
  const base = { id: 'chatcmpl-fake1', created: 1_700_000_000, model, system_fingerprint: 'fp_fake' };
  const tier = b.serviceTier ? { service_tier: b.serviceTier } : {};
  const toolCall = {
    id: 'call_fake1',
    type: 'function',
    function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
  };
  if (body['stream'] !== true) {
    if (b.raw !== undefined) return json(res, 200, b.raw);
    const message = b.toolCall
      ? { role: 'assistant', content: null, tool_calls: [toolCall], refusal: null }
      : { role: 'assistant', content: pieces.join(''), refusal: null };
    return json(res, 200, {
      ...base,
      object: 'chat.completion',
      ...tier,
      choices: [{ index: 0, message, logprobs: null, finish_reason: b.toolCall ? 'tool_calls' : 'stop' }],
      ...(usage ? { usage } : {}),
    });
  }
  const streamOptions = body['stream_options'] as Raw | undefined;
  const includeUsage = streamOptions?.['include_usage'] === true;
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (choice: Raw) => ({
    ...base,
    object: 'chat.completion.chunk',
    ...tier,
    choices: [{ index: 0, logprobs: null, finish_reason: null, ...choice }],
    ...usageField,
  });
  sseHeaders(res);
  sse(res, chunk({ delta: { role: 'assistant', content: '', refusal: null } }));
  if (b.toolCall) {
    sse(
      res,
      chunk({ delta: { tool_calls: [{ index: 0, ...toolCall, function: { ...toolCall.function } }] } }),
    );
  }
  let sent = 0;
  for (const piece of b.toolCall ? [] : pieces) {
    if (b.hangAfter !== undefined && sent >= b.hangAfter) return; // keep open: the client aborts
    sse(res, chunk({ delta: { content: piece } }));
    sent++;
    await sleep(1);
    if (b.failMidStream) {
      sse(res, { error: { message: 'fake failure mid-stream', type: 'server_error', code: null } });
      return res.end();
    }
  }
  sse(res, chunk({ delta: {}, finish_reason: b.toolCall ? 'tool_calls' : 'stop' }));
  if (includeUsage && usage)
    sse(res, { ...base, object: 'chat.completion.chunk', ...tier, choices: [], usage });
  sse(res, '[DONE]');
  res.end();
}

async function legacyCompletions(body: Raw, b: Behaviour, res: ServerResponse) {
  const model = b.model ?? String(body['model']);
  const pieces = b.content ?? ['Hello', ' world'];
  const usage = b.usage === undefined ? { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 } : b.usage;
  const base = { id: 'cmpl-fake1', object: 'text_completion', created: 1_700_000_000, model };
  if (body['stream'] !== true) {
    return json(res, 200, {
      ...base,
      choices: [{ text: pieces.join(''), index: 0, logprobs: null, finish_reason: 'stop' }],
      ...(usage ? { usage } : {}),
    });
  }
  const includeUsage = (body['stream_options'] as Raw | undefined)?.['include_usage'] === true;
  sseHeaders(res);
  for (const [i, piece] of pieces.entries()) {
    const last = i === pieces.length - 1;
    sse(res, {
      ...base,
      choices: [{ text: piece, index: 0, logprobs: null, finish_reason: last ? 'stop' : null }],
      ...(includeUsage ? { usage: null } : {}),
    });
  }
  if (includeUsage && usage) sse(res, { ...base, choices: [], usage });
  sse(res, '[DONE]');
  res.end();
}

function embeddingsApi(body: Raw, b: Behaviour, res: ServerResponse) {
  const inputs = Array.isArray(body['input']) ? body['input'] : [body['input']];
  const vector = new Float32Array([0.25, -0.5, 0.75]);
  const encoded =
    body['encoding_format'] === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector);
  const usage = b.usage === undefined ? { prompt_tokens: 8, total_tokens: 8 } : b.usage;
  json(res, 200, {
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: encoded })),
    model: b.model ?? String(body['model']),
    ...(usage ? { usage } : {}),
  });
}

async function responsesApi(body: Raw, b: Behaviour, res: ServerResponse) {
  const model = b.model ?? DATED[String(body['model'])] ?? String(body['model']);
  const pieces = b.content ?? ['Hello', ' world'];
  const defaultUsage = {
    input_tokens: 20,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 7,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 27,
  };
  const usage = b.usage === undefined ? defaultUsage : b.usage;
  const text = pieces.join('');
  const message = {
    id: 'msg_fake1',
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
  const response = (status: string, output: unknown[], withUsage: boolean) => ({
    id: 'resp_fake1',
    object: 'response',
    created_at: 1_700_000_000,
    status,
    model,
    output,
    ...(b.serviceTier ? { service_tier: b.serviceTier } : {}),
    usage: withUsage ? usage : null,
  });
  if (body['stream'] !== true) return json(res, 200, response('completed', [message], true));
  sseHeaders(res);
  let seq = 0;
  const ev = (type: string, data: Raw) => sse(res, { type, sequence_number: seq++, ...data }, type);
  ev('response.created', { response: response('in_progress', [], false) });
  ev('response.output_item.added', {
    output_index: 0,
    item: { ...message, status: 'in_progress', content: [] },
  });
  ev('response.content_part.added', {
    item_id: 'msg_fake1',
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text: '', annotations: [] },
  });
  let sent = 0;
  for (const piece of pieces) {
    if (b.hangAfter !== undefined && sent >= b.hangAfter) return;
    ev('response.output_text.delta', {
      item_id: 'msg_fake1',
      output_index: 0,
      content_index: 0,
      delta: piece,
    });
    sent++;
    await sleep(1);
    if (b.failMidStream) {
      ev('error', { code: 'server_error', message: 'fake failure mid-stream', param: null });
      return res.end();
    }
  }
  ev('response.output_text.done', { item_id: 'msg_fake1', output_index: 0, content_index: 0, text });
  ev('response.content_part.done', {
    item_id: 'msg_fake1',
    output_index: 0,
    content_index: 0,
    part: { type: 'output_text', text, annotations: [] },
  });
  ev('response.output_item.done', { output_index: 0, item: message });
  ev('response.completed', { response: response('completed', [message], usage !== null) });
  res.end();
}

// ---------------------------------------------------------------- Anthropic

function anthropicError(res: ServerResponse, status: number) {
  const type = status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : 'api_error';
  json(res, status, { type: 'error', error: { type, message: `fake ${status}` } }, { 'retry-after': '0' });
}

const ANTHROPIC_TOOL_USE = {
  type: 'tool_use',
  id: 'toolu_fake1',
  name: 'get_weather',
  input: { city: 'Paris' },
};

async function anthropicMessages(body: Raw, b: Behaviour, res: ServerResponse) {
  const model = b.model ?? String(body['model']);
  const pieces = b.content ?? ['Hello', ' world'];
  const defaultUsage = {
    input_tokens: 30,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 9,
    service_tier: 'standard',
  };
  const thinking = (body['thinking'] as Raw | undefined)?.['type'] === 'enabled';
  const thinkingUsage = thinking ? { output_tokens_details: { thinking_tokens: 3 } } : {};
  const usage = b.usage === undefined ? { ...defaultUsage, ...thinkingUsage } : b.usage;
  if (body['stream'] !== true) {
    if (b.raw !== undefined) return json(res, 200, b.raw);
    const content: Raw[] = [];
    if (thinking) content.push({ type: 'thinking', thinking: 'Let me think.', signature: 'sig' });
    content.push(b.toolCall ? { ...ANTHROPIC_TOOL_USE } : { type: 'text', text: pieces.join('') });
    return json(res, 200, {
      id: 'msg_fake1',
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: b.toolCall ? 'tool_use' : 'end_turn',
      stop_sequence: null,
      ...(usage ? { usage } : {}),
    });
  }
  sseHeaders(res);
  const ev = (type: string, data: Raw) => sse(res, { type, ...data }, type);
  const startUsage = usage ? { ...usage, output_tokens: 1 } : undefined;
  ev('message_start', {
    message: {
      id: 'msg_fake1',
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      ...(startUsage ? { usage: startUsage } : {}),
    },
  });
  if (b.toolCall) {
    const { input, ...block } = ANTHROPIC_TOOL_USE;
    ev('content_block_start', { index: 0, content_block: { ...block, input: {} } });
    const json = JSON.stringify(input);
    for (const partial of [json.slice(0, 8), json.slice(8)])
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: partial } });
  } else {
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '', citations: null } });
  }
  let sent = 0;
  for (const piece of b.toolCall ? [] : pieces) {
    if (b.hangAfter !== undefined && sent >= b.hangAfter) return;
    ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
    sent++;
    await sleep(1);
    if (b.failMidStream) {
      ev('error', { error: { type: 'overloaded_error', message: 'fake failure mid-stream' } });
      return res.end();
    }
  }
  ev('content_block_stop', { index: 0 });
  ev('message_delta', {
    delta: { stop_reason: b.toolCall ? 'tool_use' : 'end_turn', stop_sequence: null },
    ...(usage ? { usage: { output_tokens: usage['output_tokens'] } } : {}),
  });
  ev('message_stop', {});
  res.end();
}

/** A batch created with `POST /v1/messages/batches`: each request answered as `messages.create` would. */
interface CreatedBatch {
  id: string;
  requests: Array<{ custom_id: string; params: Raw; behaviour: Behaviour }>;
}

function batchObject(batch: CreatedBatch, url: string, ended: boolean) {
  const n = batch.requests.length;
  return {
    id: batch.id,
    type: 'message_batch',
    processing_status: ended ? 'ended' : 'in_progress',
    request_counts: {
      processing: ended ? 0 : n,
      succeeded: ended ? n : 0,
      errored: 0,
      canceled: 0,
      expired: 0,
    },
    results_url: ended ? `${url}/v1/messages/batches/${batch.id}/results` : null,
    created_at: new Date().toISOString(),
    ended_at: ended ? new Date().toISOString() : null,
    expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    archived_at: null,
    cancel_initiated_at: null,
  };
}

function createdBatchResults(batch: CreatedBatch, res: ServerResponse) {
  const lines = batch.requests.map(({ custom_id, params, behaviour: b }, i) => {
    const usage = b.usage ?? { input_tokens: 30, output_tokens: 9 };
    return {
      custom_id,
      result: {
        type: 'succeeded',
        message: {
          id: `msg_${batch.id}_${i}`,
          type: 'message',
          role: 'assistant',
          model: b.model ?? String(params['model']),
          content: [{ type: 'text', text: (b.content ?? ['ok']).join('') }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { ...usage, service_tier: 'batch' },
        },
      },
    };
  });
  res.writeHead(200, { 'content-type': 'application/binary' });
  res.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

/** Message Batches: one batch `msgbatch_fake1` whose results are these JSONL lines. */
function anthropicBatch(path: string, url: string, res: ServerResponse) {
  if (path === '/v1/messages/batches/msgbatch_fake1') {
    return json(res, 200, {
      id: 'msgbatch_fake1',
      type: 'message_batch',
      processing_status: 'ended',
      request_counts: { processing: 0, succeeded: 2, errored: 1, canceled: 0, expired: 0 },
      results_url: `${url}/v1/messages/batches/msgbatch_fake1/results`,
      created_at: '2025-01-01T00:00:00Z',
      ended_at: '2025-01-01T01:00:00Z',
      expires_at: '2025-01-02T00:00:00Z',
      archived_at: null,
      cancel_initiated_at: null,
    });
  }
  const message = (id: string, input: number, output: number) => ({
    id,
    type: 'message',
    role: 'assistant',
    model: 'claude-3-5-haiku-20241022',
    content: [{ type: 'text', text: 'ok' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: input, output_tokens: output, service_tier: 'batch' },
  });
  const lines = [
    { custom_id: 'req-1', result: { type: 'succeeded', message: message('msg_b1', 1000, 200) } },
    {
      custom_id: 'req-2',
      result: { type: 'errored', error: { type: 'error', error: { type: 'api_error' } } },
    },
    { custom_id: 'req-3', result: { type: 'succeeded', message: message('msg_b3', 500, 100) } },
  ];
  res.writeHead(200, { 'content-type': 'application/binary' });
  res.end(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
}

// ---------------------------------------------------------------- OpenAI Batch API

/** A file uploaded with `POST /v1/files` (multipart), or written by a batch (output / error JSONL). */
interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  content: string;
  createdAt: number;
}

/** An OpenAI batch: its requests were answered when it was created (GET reports it completed). */
interface OpenAIBatch {
  id: string;
  endpoint: string;
  inputFileId: string;
  outputFileId: string | null;
  errorFileId: string | null;
  total: number;
  failed: number;
  metadata: unknown;
  createdAt: number;
}

function fileObject(f: StoredFile) {
  return {
    id: f.id,
    object: 'file',
    bytes: Buffer.byteLength(f.content),
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
    status: 'processed',
    expires_at: null,
    status_details: null,
  };
}

function openaiBatchObject(b: OpenAIBatch, completed: boolean) {
  return {
    id: b.id,
    object: 'batch',
    endpoint: b.endpoint,
    errors: null,
    input_file_id: b.inputFileId,
    completion_window: '24h',
    status: completed ? 'completed' : 'validating',
    output_file_id: completed ? b.outputFileId : null,
    error_file_id: completed ? b.errorFileId : null,
    created_at: b.createdAt,
    in_progress_at: completed ? b.createdAt + 1 : null,
    expires_at: b.createdAt + 86_400,
    finalizing_at: completed ? b.createdAt + 2 : null,
    completed_at: completed ? b.createdAt + 3 : null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: completed
      ? { total: b.total, completed: b.total - b.failed, failed: b.failed }
      : { total: 0, completed: 0, failed: 0 },
    metadata: b.metadata ?? null,
  };
}

/** The `file` part of a multipart/form-data body (what `files.create` sends). */
function multipartFile(
  raw: Buffer,
  contentType: string | undefined,
): { filename: string; content: string; purpose: string } {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const sep = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  let filename = 'upload.jsonl';
  let content = '';
  let purpose = '';
  for (const part of raw.toString('utf8').split(sep)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const value = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    if (name === 'file') {
      filename = /filename="([^"]*)"/.exec(headers)?.[1] ?? filename;
      content = value;
    } else if (name === 'purpose') purpose = value;
  }
  return { filename, content, purpose };
}

/** Runs one request as the live endpoint would, capturing its status and JSON body. */
async function answerBatchRequest(
  url: string,
  body: Raw,
  b: Behaviour,
): Promise<{ status: number; body: unknown }> {
  let status = 200;
  const parts: string[] = [];
  const res = {
    headersSent: false,
    writeHead(s: number) {
      status = s;
      res.headersSent = true;
      return res;
    },
    write(chunk: string) {
      parts.push(chunk);
      return true;
    },
    end(chunk?: string) {
      if (chunk) parts.push(chunk);
    },
    destroy() {},
  };
  const r = res as unknown as ServerResponse;
  if (b.status && b.status >= 400) openaiError(r, b.status);
  else if (url === '/v1/chat/completions') await chatCompletions(body, b, r);
  else if (url === '/v1/embeddings') embeddingsApi(body, b, r);
  else if (url === '/v1/responses') await responsesApi(body, b, r);
  else if (url === '/v1/completions') await legacyCompletions(body, b, r);
  else {
    status = 404;
    parts.push(JSON.stringify({ error: { message: `no route ${url}`, type: 'invalid_request_error' } }));
  }
  const text = parts.join('');
  return { status, body: text ? JSON.parse(text) : null };
}

// ---------------------------------------------------------------- server

export interface FakeLLMOptions {
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /**
   * Scripted answers: the behaviour for a request (e.g. realistic usage chosen by its prompt), used when
   * nothing is queued. Message Batches requests are passed in as `POST /v1/messages` requests.
   */
  script?: (req: RecordedRequest) => Behaviour | undefined;
}

export async function startFakeLLM(options: FakeLLMOptions = {}): Promise<FakeLLM> {
  const queue: Behaviour[] = [];
  const batches = new Map<string, CreatedBatch>();
  const files = new Map<string, StoredFile>();
  const openaiBatches = new Map<string, OpenAIBatch>();
  const storeFile = (filename: string, purpose: string, content: string) => {
    const f: StoredFile = {
      id: `file-fake${files.size + 1}`,
      filename,
      purpose,
      content,
      createdAt: Math.floor(Date.now() / 1000),
    };
    files.set(f.id, f);
    return f;
  };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let url = '';
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Raw = {};
    const rawBody = Buffer.concat(chunks);
    try {
      body = chunks.length ? (JSON.parse(rawBody.toString('utf8')) as Raw) : {};
    } catch {
      body = {};
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    const recorded = { method: req.method ?? 'GET', path, headers: req.headers, body };
    requests.push(recorded);
    const b = queue.shift() ?? options.script?.(recorded) ?? {};
    const anthropic = path === '/v1/messages';
    try {
      if (b.status && b.status >= 400)
        return anthropic ? anthropicError(res, b.status) : openaiError(res, b.status);
      if (path === '/v1/chat/completions') return await chatCompletions(body, b, res);
      if (path === '/v1/completions') return await legacyCompletions(body, b, res);
      if (path === '/v1/embeddings') return embeddingsApi(body, b, res);
      if (path === '/v1/responses') return await responsesApi(body, b, res);
      if (anthropic) return await anthropicMessages(body, b, res);
      if (path === '/v1/messages/batches' && req.method === 'POST') {
        const id = `msgbatch_fake_${batches.size + 2}`;
        const list = Array.isArray(body['requests']) ? (body['requests'] as Raw[]) : [];
        const batch: CreatedBatch = {
          id,
          requests: list.map((r) => {
            const params = (r['params'] ?? {}) as Raw;
            const asMessage = { method: 'POST', path: '/v1/messages', headers: req.headers, body: params };
            return {
              custom_id: String(r['custom_id']),
              params,
              behaviour: options.script?.(asMessage) ?? {},
            };
          }),
        };
        batches.set(id, batch);
        return json(res, 200, batchObject(batch, url, false));
      }
      // OpenAI Files and Batch API. A batch input line's body may carry `fake_status` (removed before
      // answering): that request fails with this HTTP status and goes to the batch's error file.
      if (path === '/v1/files' && req.method === 'POST') {
        const upload = multipartFile(rawBody, req.headers['content-type']);
        return json(res, 200, fileObject(storeFile(upload.filename, upload.purpose, upload.content)));
      }
      const fileContent = /^\/v1\/files\/([^/]+)\/content$/.exec(path);
      if (fileContent) {
        const f = files.get(decodeURIComponent(fileContent[1] ?? ''));
        if (!f) return openaiNotFound(res, 'file');
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-request-id': 'req_fake_123' });
        return res.end(f.content);
      }
      if (path === '/v1/batches' && req.method === 'POST') {
        const input = files.get(String(body['input_file_id']));
        if (!input) return openaiNotFound(res, 'file');
        const out: string[] = [];
        const errors: string[] = [];
        let n = 0;
        for (const line of input.content.split('\n')) {
          if (line.trim() === '') continue;
          const request = JSON.parse(line) as Raw;
          const params = { ...((request['body'] ?? {}) as Raw) };
          const fakeStatus = params['fake_status'];
          delete params['fake_status'];
          const asRequest = {
            method: 'POST',
            path: String(request['url']),
            headers: req.headers,
            body: params,
          };
          const behaviour: Behaviour = {
            ...(options.script?.(asRequest) ?? {}),
            ...(typeof fakeStatus === 'number' ? { status: fakeStatus } : {}),
          };
          n++;
          const answer = await answerBatchRequest(String(request['url']), params, behaviour);
          const result = JSON.stringify({
            id: `batch_req_fake${n}`,
            custom_id: request['custom_id'],
            response: { status_code: answer.status, request_id: `req_batch_fake${n}`, body: answer.body },
            error: null,
          });
          (answer.status >= 400 ? errors : out).push(result);
        }
        const batch: OpenAIBatch = {
          id: `batch_fake${openaiBatches.size + 1}`,
          endpoint: String(body['endpoint']),
          inputFileId: input.id,
          outputFileId: out.length
            ? storeFile('batch_output.jsonl', 'batch_output', `${out.join('\n')}\n`).id
            : null,
          errorFileId: errors.length
            ? storeFile('batch_error.jsonl', 'batch_output', `${errors.join('\n')}\n`).id
            : null,
          total: n,
          failed: errors.length,
          metadata: body['metadata'],
          createdAt: Math.floor(Date.now() / 1000),
        };
        openaiBatches.set(batch.id, batch);
        return json(res, 200, openaiBatchObject(batch, false));
      }
      if (path.startsWith('/v1/batches/') && req.method === 'GET') {
        const batch = openaiBatches.get(path.slice('/v1/batches/'.length));
        if (!batch) return openaiNotFound(res, 'batch');
        return json(res, 200, openaiBatchObject(batch, true));
      }
      const created = batches.get(path.split('/')[4] ?? '');
      if (created && path.endsWith('/results')) return createdBatchResults(created, res);
      if (created) return json(res, 200, batchObject(created, url, true));
      if (path.startsWith('/v1/messages/batches/')) return anthropicBatch(path, url, res);
      json(res, 404, { error: { message: `no route ${path}` } });
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } });
      else res.destroy();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    requests,
    enqueue: (...b) => queue.push(...b),
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
