/**
 * Property test: odd but possible Messages API responses and SSE event sequences (events out of order or
 * missing, odd usage values, unknown event and block types, truncated streams, HTTP errors). What the
 * app gets from the instrumented SDK equals what it gets unpatched, no exception escapes from burnrate,
 * and spans carry no prompt or completion text by default.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as anthropic1 from '@anthropic-ai/sdk';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { AnthropicInstrumentation } from '../src/index.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 40);
const PROMPT = 'SECRET-PROMPT-a41f';
const COMPLETION = 'SECRET-COMPLETION-c07d';

type Case =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'sse'; events: Array<[string, unknown]> };

let current: Case;
let server: Server;
let baseURL: string;
let otel: TestOtel;
let inst: AnthropicInstrumentation;

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    const c = current;
    if (c.kind === 'json') {
      res.writeHead(c.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(c.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [event, data] of c.events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.end();
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  otel = setupOtel();
  inst = new AnthropicInstrumentation({ enabled: false });
  inst.setTracerProvider(otel.tracerProvider);
  inst.setMeterProvider(otel.meterProvider);
});
afterAll(async () => {
  inst.unpatch(anthropic1);
  await new Promise<void>((r) => server.close(() => r()));
});

const odd = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 1e9 }),
  fc.double(),
  fc.boolean(),
);
const usage = fc.record(
  {
    input_tokens: odd,
    output_tokens: odd,
    cache_read_input_tokens: odd,
    cache_creation_input_tokens: odd,
    cache_creation: fc.option(
      fc.record({ ephemeral_5m_input_tokens: odd, ephemeral_1h_input_tokens: odd }, { requiredKeys: [] }),
    ),
  },
  { requiredKeys: [] },
);
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(COMPLETION));
const event: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc
    .record(
      {
        model: fc.oneof(fc.constant('claude-3-5-haiku-latest'), odd),
        id: odd,
        usage,
        type: fc.constant('message'),
        role: fc.constant('assistant'),
        content: fc.constant([]),
      },
      { requiredKeys: [] },
    )
    .map((message) => ['message_start', { type: 'message_start', message }] as [string, unknown]),
  fc
    .record({
      index: odd,
      content_block: fc.record(
        { type: fc.constantFrom('text', 'tool_use', 'thinking', 'weird'), text },
        { requiredKeys: ['type'] },
      ),
    })
    .map((d) => ['content_block_start', { type: 'content_block_start', ...d }] as [string, unknown]),
  fc
    .record({
      index: odd,
      delta: fc.record(
        {
          type: fc.constantFrom('text_delta', 'input_json_delta', 'odd_delta'),
          text,
          partial_json: fc.string({ maxLength: 6 }),
        },
        { requiredKeys: ['type'] },
      ),
    })
    .map((d) => ['content_block_delta', { type: 'content_block_delta', ...d }] as [string, unknown]),
  fc
    .record({ index: odd })
    .map((d) => ['content_block_stop', { type: 'content_block_stop', ...d }] as [string, unknown]),
  fc
    .record({
      delta: fc.record(
        { stop_reason: fc.option(fc.constantFrom('end_turn', 'max_tokens', 'x')) },
        { requiredKeys: [] },
      ),
      usage,
    })
    .map((d) => ['message_delta', { type: 'message_delta', ...d }] as [string, unknown]),
  fc.constant(['message_stop', { type: 'message_stop' }] as [string, unknown]),
  fc.constant(['ping', { type: 'ping' }] as [string, unknown]),
  fc.constant(['future_event', { type: 'future_event', x: 1 }] as [string, unknown]),
);
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({
    kind: fc.constant('json' as const),
    status: fc.constantFrom(200, 200, 200, 400, 429, 529),
    body: fc.oneof(
      fc.record(
        {
          id: odd,
          type: fc.constantFrom('message', 'error'),
          model: fc.oneof(fc.constant('claude-3-5-haiku-latest'), odd),
          content: fc.oneof(
            fc.array(fc.record({ type: fc.constantFrom('text', 'x'), text }, { requiredKeys: [] }), {
              maxLength: 2,
            }),
            odd,
          ),
          usage: fc.oneof(usage, odd),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  }),
  fc.record({ kind: fc.constant('sse' as const), events: fc.array(event, { maxLength: 8 }) }),
);

async function appRun(stream: boolean): Promise<unknown> {
  const client = new anthropic1.Anthropic({ apiKey: 'sk-ant-test', baseURL, maxRetries: 0 });
  try {
    const res = await client.messages.create({
      model: 'claude-3-5-haiku-latest',
      max_tokens: 100,
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true } : {}),
    } as never);
    if (!stream) return { ok: JSON.parse(JSON.stringify(res)) };
    const events: unknown[] = [];
    try {
      for await (const e of res as unknown as AsyncIterable<unknown>)
        events.push(JSON.parse(JSON.stringify(e)));
    } catch (err) {
      return { events, error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
    }
    return { events };
  } catch (err) {
    const e = err as Error & { status?: number };
    return { error: `${e.constructor.name}: ${e.status ?? ''} ${e.message}` };
  }
}

/** Attributes and non-exception events (exception events quote the provider's error body). */
function spanText(withExceptions: boolean): string {
  return JSON.stringify(
    otel.spans().map((s) => ({
      attributes: s.attributes,
      events: s.events
        .filter((e) => withExceptions || e.name !== 'exception')
        .map((e) => [e.name, e.attributes]),
    })),
  );
}

describe('@anthropic-ai/sdk@1: instrumented results equal uninstrumented ones', () => {
  for (const stream of [false, true]) {
    it(`${stream ? 'streams' : 'responses'}: same results, no escaping exception, no content in spans`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          current = c;
          inst.unpatch(anthropic1);
          const plain = await appRun(stream);
          inst.patch(anthropic1);
          otel.reset();
          const instrumented = await appRun(stream);
          inst.unpatch(anthropic1);
          expect(instrumented).toEqual(plain);
          expect((await otel.waitForSpans(1, 30_000)).length).toBeGreaterThanOrEqual(1);
          expect(spanText(true)).not.toContain(PROMPT);
          expect(spanText(false)).not.toContain(COMPLETION);
        }),
        {
          numRuns: RUNS,
          ...(process.env['PROPERTY_SEED'] ? { seed: Number(process.env['PROPERTY_SEED']) } : {}),
        },
      );
    }, 300_000);
  }
});
