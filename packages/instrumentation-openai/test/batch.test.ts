/** Batch API: files.content(output_file_id) gives one batch-tier span per successful result line. */
import { ATTR } from '@burnrate/core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AnyClient, type Harness, PRICE, perM, SDKS, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
afterEach(() => {
  h.otel.reset();
  h.fake.requests.length = 0;
});

const settle = () => new Promise((r) => setTimeout(r, 100));
const P = PRICE['gpt-4o-mini'];
const E = PRICE['text-embedding-3-small'];
const BATCH = 0.5;
const messages = [{ role: 'user', content: 'Say hello' }];
const jsonl = (lines: unknown[]) => `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;

/** The file's content as the server sent it (plain fetch: not instrumented). */
const rawContent = (id: string) => fetch(`${h.fake.openaiBaseURL}/files/${id}/content`).then((r) => r.text());

const burnrateSpans = () =>
  h.otel.spans().filter((s) => s.instrumentationScope.name === '@burnrate/instrumentation-openai');

describe.each(SDKS)('$name Batch API', (sdk) => {
  async function upload(client: AnyClient, content: string, name = 'batch.jsonl') {
    const file = await sdk.module.toFile(Buffer.from(content), name);
    return client.files.create({ file, purpose: 'batch' });
  }

  /** files.create -> batches.create -> batches.retrieve, as an app does it. */
  async function runBatch(client: AnyClient) {
    const input = await upload(
      client,
      jsonl([
        {
          custom_id: 'chat-1',
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: 'gpt-4o-mini', messages },
        },
        {
          custom_id: 'emb-1',
          method: 'POST',
          url: '/v1/embeddings',
          body: { model: 'text-embedding-3-small', input: ['a', 'b'] },
        },
        {
          custom_id: 'bad-1',
          method: 'POST',
          url: '/v1/chat/completions',
          body: { model: 'gpt-4o-mini', messages, fake_status: 400 },
        },
      ]),
    );
    const created = await client.batches.create({
      input_file_id: input.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(created.status).toBe('validating');
    const batch = await client.batches.retrieve(created.id);
    expect(batch.status).toBe('completed');
    expect(batch.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    return batch;
  }

  it('output file: one span per successful line, exact attributes and batch-tier cost; text() unchanged', async () => {
    const client = h.client(sdk);
    const batch = await runBatch(client);
    const content = await client.files.content(batch.output_file_id);
    const text = await content.text();
    expect(text).toBe(await rawContent(batch.output_file_id));
    expect(text.trim().split('\n')).toHaveLength(2);
    await h.otel.waitForSpans(2);
    await settle();
    const spans = burnrateSpans();
    expect(spans).toHaveLength(2);
    const [chat, emb] = spans;
    const port = Number(new URL(h.fake.url).port);
    expect(chat!.name).toBe('chat gpt-4o-mini-2024-07-18');
    expect(chat!.kind).toBe(SpanKind.CLIENT);
    expect(chat!.status.code).toBe(SpanStatusCode.UNSET);
    expect(chat!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'chat',
      [ATTR.PROVIDER_NAME]: 'openai',
      [ATTR.REQUEST_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR.RESPONSE_MODEL]: 'gpt-4o-mini-2024-07-18',
      [ATTR.RESPONSE_ID]: 'chatcmpl-fake1',
      [ATTR.RESPONSE_FINISH_REASONS]: ['stop'],
      [ATTR.USAGE_INPUT_TOKENS]: 12,
      [ATTR.USAGE_OUTPUT_TOKENS]: 5,
      [ATTR.PRICING_TIER]: 'batch',
      [ATTR.COST_SOURCE]: 'computed',
      [ATTR.SERVER_ADDRESS]: '127.0.0.1',
      [ATTR.SERVER_PORT]: port,
      'openai.batch.custom_id': 'chat-1',
    });
    expect(chat!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    // Published per-million prices x the 50% batch discount.
    expect(chat!.attributes[ATTR.COST_INPUT]).toBeCloseTo(BATCH * perM(12, P.input), 15);
    expect(chat!.attributes[ATTR.COST_OUTPUT]).toBeCloseTo(BATCH * perM(5, P.output), 15);
    expect(chat!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      BATCH * (perM(12, P.input) + perM(5, P.output)),
      15,
    );

    expect(emb!.name).toBe('embeddings text-embedding-3-small');
    expect(emb!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'embeddings',
      [ATTR.PROVIDER_NAME]: 'openai',
      [ATTR.REQUEST_MODEL]: 'text-embedding-3-small',
      [ATTR.RESPONSE_MODEL]: 'text-embedding-3-small',
      [ATTR.USAGE_INPUT_TOKENS]: 8,
      [ATTR.PRICING_TIER]: 'batch',
      'openai.batch.custom_id': 'emb-1',
    });
    expect(emb!.attributes[ATTR.USAGE_COST]).toBeCloseTo(BATCH * perM(8, E.input), 15);
  });

  it('error file and failed lines: no span, no cost', async () => {
    const client = h.client(sdk);
    const batch = await runBatch(client);
    expect(batch.error_file_id).toBeTruthy();
    const errors = await (await client.files.content(batch.error_file_id)).text();
    expect(JSON.parse(errors.trim()).response.status_code).toBe(400);
    // An output-format file with a success, an `error` line and a 500 line: only the success counts.
    const body = { id: 'chatcmpl-x', object: 'chat.completion', model: 'gpt-4o-mini', choices: [] };
    const mixed = await upload(
      client,
      jsonl([
        {
          id: 'batch_req_1',
          custom_id: 'ok',
          response: {
            status_code: 200,
            request_id: 'r1',
            body: { ...body, usage: { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 } },
          },
          error: null,
        },
        {
          id: 'batch_req_2',
          custom_id: 'expired',
          response: null,
          error: { code: 'batch_expired', message: 'expired' },
        },
        {
          id: 'batch_req_3',
          custom_id: 'server-error',
          response: { status_code: 500, request_id: 'r3', body: { error: { message: 'boom' } } },
          error: null,
        },
      ]),
    );
    await (await client.files.content(mixed.id)).text();
    await h.otel.waitForSpans(1);
    await settle();
    const spans = burnrateSpans();
    expect(spans.map((s) => s.attributes['openai.batch.custom_id'])).toEqual(['ok']);
    expect(spans[0]!.attributes[ATTR.USAGE_COST]).toBeCloseTo(
      BATCH * (perM(100, P.input) + perM(10, P.output)),
      15,
    );
  });

  it('other file content is ignored silently and returned unchanged (json(), text())', async () => {
    const client = h.client(sdk);
    const training = jsonl([{ messages: [{ role: 'user', content: 'hi' }] }, { messages: [] }]);
    const a = await upload(client, training, 'train.jsonl');
    expect(await (await client.files.content(a.id)).text()).toBe(training);
    const one = JSON.stringify({ custom_id: 'x', note: 'no response field' });
    const b = await upload(client, one, 'one.json');
    expect(await (await client.files.content(b.id)).json()).toEqual(JSON.parse(one));
    const c = await upload(client, 'plain text, not JSON\nsecond line', 'notes.txt');
    expect(await (await client.files.content(c.id)).text()).toBe('plain text, not JSON\nsecond line');
    await settle();
    expect(burnrateSpans()).toHaveLength(0);
  });

  it('a one-line output file read with json(): the caller gets the line, burnrate one span', async () => {
    const client = h.client(sdk);
    const line = {
      id: 'batch_req_9',
      custom_id: 'single',
      response: {
        status_code: 200,
        request_id: 'r9',
        body: {
          object: 'list',
          data: [{ object: 'embedding', index: 0, embedding: [0.1] }],
          model: 'text-embedding-3-small',
          usage: { prompt_tokens: 40, total_tokens: 40 },
        },
      },
      error: null,
    };
    const file = await upload(client, JSON.stringify(line));
    expect(await (await client.files.content(file.id)).json()).toEqual(line);
    const [span] = await h.otel.waitForSpans(1);
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(BATCH * perM(40, E.input), 15);
  });

  it('reading the same output file twice counts it once per client; asResponse() reads count too', async () => {
    const client = h.client(sdk);
    const batch = await runBatch(client);
    const first = await (await client.files.content(batch.output_file_id)).text();
    await h.otel.waitForSpans(2);
    const again = await (await client.files.content(batch.output_file_id)).text();
    expect(again).toBe(first);
    await settle();
    expect(burnrateSpans()).toHaveLength(2);

    // Another client (another process would be the same) has not counted it: asResponse() is read too.
    const raw = await h.client(sdk).files.content(batch.output_file_id).asResponse();
    expect(await raw.text()).toBe(first);
    await h.otel.waitForSpans(4);
    await settle();
    expect(burnrateSpans().map((s) => s.attributes['openai.batch.custom_id'])).toEqual([
      'chat-1',
      'emb-1',
      'chat-1',
      'emb-1',
    ]);
  });

  it('an output file over batchResultsMaxBytes is skipped; batchResults: false turns it off', async () => {
    const config = h.instrumentation.getConfig();
    const client = h.client(sdk);
    const batch = await runBatch(client);
    try {
      h.instrumentation.setConfig({ ...config, batchResultsMaxBytes: 100 });
      const text = await (await client.files.content(batch.output_file_id)).text();
      expect(text).toBe(await rawContent(batch.output_file_id));
      h.instrumentation.setConfig({ ...config, batchResults: false });
      await (await h.client(sdk).files.content(batch.output_file_id)).text();
      await settle();
      expect(burnrateSpans()).toHaveLength(0);
    } finally {
      h.instrumentation.setConfig(config);
    }
    // Skipped, not counted: the same client can still record the file.
    await (await client.files.content(batch.output_file_id)).text();
    await h.otel.waitForSpans(2);
  });

  it('withResponse() on files.content: same Response object, spans once', async () => {
    const client = h.client(sdk);
    const batch = await runBatch(client);
    const { data, response } = await client.files.content(batch.output_file_id).withResponse();
    expect(data).toBe(response);
    expect(await data.text()).toBe(await rawContent(batch.output_file_id));
    await h.otel.waitForSpans(2);
    await settle();
    expect(burnrateSpans()).toHaveLength(2);
  });
});
