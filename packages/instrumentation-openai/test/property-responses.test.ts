/**
 * Property test: for odd but possible chat completion responses and SSE stream sequences (random
 * deltas, tool calls, nulls, odd types, usage with odd values, truncated streams, no [DONE], HTTP errors),
 * what the app gets from the instrumented SDK equals what it gets from the same SDK unpatched, no
 * exception escapes from burnrate, and spans carry no prompt or completion text (content capture is off
 * by default).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import * as openai7 from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOtel, type TestOtel } from '../../../test/fakes/otel.js';
import { OpenAIInstrumentation } from '../src/index.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 40);
const PROMPT = 'SECRET-PROMPT-7d1c';
const COMPLETION = 'SECRET-COMPLETION-3b9e';

type Case =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'sse'; chunks: unknown[]; usage: unknown; done: boolean; garbage: boolean };

let current: Case;
let server: Server;
let baseURL: string;
let otel: TestOtel;
let inst: OpenAIInstrumentation;

function handle(req: IncomingMessage, res: ServerResponse): void {
  let raw = '';
  req.on('data', (c: Buffer) => {
    raw += c.toString();
  });
  req.on('end', () => {
    const body = JSON.parse(raw || '{}') as { stream_options?: { include_usage?: boolean } };
    const c = current;
    if (c.kind === 'json') {
      res.writeHead(c.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(c.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const chunk of c.chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    if (c.garbage) res.write('data: {not json\n\n');
    // Like the real API: the usage chunk only when the request asked for it.
    if (body.stream_options?.include_usage && c.usage !== undefined)
      res.write(
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: c.usage })}\n\n`,
      );
    if (c.done) res.write('data: [DONE]\n\n');
    res.end();
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  otel = setupOtel();
  inst = new OpenAIInstrumentation({ enabled: false });
  inst.setTracerProvider(otel.tracerProvider);
  inst.setMeterProvider(otel.meterProvider);
});
afterAll(async () => {
  inst.unpatch(openai7);
  await new Promise<void>((r) => server.close(() => r()));
});

const odd = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 1e9 }),
  fc.double(),
  fc.boolean(),
);
const usage = fc.option(
  fc.record(
    {
      prompt_tokens: odd,
      completion_tokens: odd,
      total_tokens: odd,
      prompt_tokens_details: fc.option(fc.record({ cached_tokens: odd }, { requiredKeys: [] })),
      completion_tokens_details: fc.option(fc.record({ reasoning_tokens: odd }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const delta = fc.record(
  {
    role: fc.option(fc.constantFrom('assistant', 'tool', 'x')),
    content: fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.constant(COMPLETION))),
    tool_calls: fc.option(
      fc.array(
        fc.record(
          {
            index: odd,
            id: odd,
            function: fc.option(fc.record({ name: odd, arguments: odd }, { requiredKeys: [] })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
  },
  { requiredKeys: [] },
);
const chunk = fc.record(
  {
    id: odd,
    object: fc.constantFrom('chat.completion.chunk', 'x'),
    model: fc.oneof(fc.constantFrom('gpt-4o-mini', 'unknown-model'), odd),
    choices: fc.array(
      fc.record(
        {
          index: odd,
          delta,
          finish_reason: fc.option(fc.constantFrom('stop', 'length', 'tool_calls', 'weird')),
        },
        { requiredKeys: ['delta'] },
      ),
      { minLength: 1, maxLength: 2 },
    ),
  },
  { requiredKeys: ['choices'] },
);
const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.record({
    kind: fc.constant('json' as const),
    status: fc.constantFrom(200, 200, 200, 400, 429, 500),
    body: fc.oneof(
      fc.record(
        {
          id: odd,
          model: fc.oneof(fc.constant('gpt-4o-mini'), odd),
          choices: fc.oneof(
            fc.array(fc.record({ message: fc.option(delta), finish_reason: odd }, { requiredKeys: [] }), {
              maxLength: 2,
            }),
            odd,
          ),
          usage: fc.oneof(usage, odd),
          error: fc.option(fc.record({ message: fc.string({ maxLength: 8 }), type: odd })),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  }),
  fc.record({
    kind: fc.constant('sse' as const),
    chunks: fc.array(chunk, { maxLength: 6 }),
    usage,
    done: fc.boolean(),
    garbage: fc.boolean(),
  }),
);

/** What the app observes: the response or the chunks, or the error's class, status and message. */
async function appRun(stream: boolean): Promise<unknown> {
  const client = new openai7.OpenAI({ apiKey: 'sk-test', baseURL, maxRetries: 0 });
  try {
    const res = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true } : {}),
    } as never);
    if (!stream) return { ok: JSON.parse(JSON.stringify(res)) };
    const chunks: unknown[] = [];
    try {
      for await (const c of res as unknown as AsyncIterable<unknown>)
        chunks.push(JSON.parse(JSON.stringify(c)));
    } catch (err) {
      return { chunks, error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
    }
    return { chunks };
  } catch (err) {
    const e = err as Error & { status?: number };
    return { error: `${e.constructor.name}: ${e.status ?? ''} ${e.message}` };
  }
}

/**
 * Span attributes and events as text. Exception events are left out of the completion check: they carry
 * the SDK's error message, which quotes the provider's error body verbatim (see docs/SECURITY.md).
 */
function spanText(withExceptions: boolean): string {
  return JSON.stringify(
    otel.spans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events
        .filter((e) => withExceptions || e.name !== 'exception')
        .map((e) => [e.name, e.attributes]),
    })),
  );
}

describe('openai@7: instrumented results equal uninstrumented ones', () => {
  for (const stream of [false, true]) {
    it(`${stream ? 'streams' : 'responses'}: same results, no escaping exception, no content in spans`, async () => {
      await fc.assert(
        fc.asyncProperty(caseArb, async (c) => {
          current = c;
          inst.unpatch(openai7);
          const plain = await appRun(stream);
          inst.patch(openai7);
          otel.reset();
          const instrumented = await appRun(stream);
          inst.unpatch(openai7);
          expect(instrumented).toEqual(plain);
          const spans = await otel.waitForSpans(1, 30_000);
          expect(spans.length).toBeGreaterThanOrEqual(1);
          // The prompt never reaches a span; completion text (from the response) only via error messages.
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
