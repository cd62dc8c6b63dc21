/** Webhook delivery against a local receiver: what is retried, what is not, and what the error says. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlertPayload, deliver } from '../src/budgets/channels.js';
import { channelSchema } from '../src/budgets/config.js';
import type { Logger } from '../src/log.js';

let server: Server;
let url: string;
/** Scripted answers, taken one per request; then 200. */
let answers: Array<[number, string]> = [];
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume().on('end', () => {
      requests++;
      const [status, text] = answers.shift() ?? [200, 'ok'];
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  answers = [];
  requests = 0;
});

const payload: AlertPayload = {
  id: 'a1',
  event: 'threshold_crossed',
  budget: 'daily',
  group: '',
  threshold: 0.5,
  percent: 51,
  spend_usd: 5.1,
  limit_usd: 10,
  projected_usd: 12,
  period_start: '2026-12-01T00:00:00Z',
  period_end: '2026-12-02T00:00:00Z',
  top: [],
};
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const webhook = () => channelSchema.parse({ type: 'webhook', url, retries: 3 });

describe('webhook delivery', () => {
  it('retries a 5xx with backoff and succeeds', async () => {
    answers = [
      [503, 'busy'],
      [500, 'oops'],
    ];
    await deliver(webhook(), payload, { log: silent, backoffMs: 5 });
    expect(requests).toBe(3);
  });

  it('does not retry a permanent 4xx, and says what the receiver answered', async () => {
    answers = [[410, 'hook removed\n']];
    await expect(deliver(webhook(), payload, { log: silent, backoffMs: 5 })).rejects.toThrow(
      'HTTP 410 hook removed',
    );
    expect(requests).toBe(1);
  });

  it('retries 408 and 429, which are not permanent', async () => {
    answers = [
      [429, 'slow down'],
      [408, 'timeout'],
    ];
    await deliver(webhook(), payload, { log: silent, backoffMs: 5 });
    expect(requests).toBe(3);
  });

  it('gives up after the configured retries with the last answer', async () => {
    answers = [
      [502, 'a'],
      [502, 'b'],
      [502, 'c'],
      [502, 'd'],
    ];
    await expect(deliver(webhook(), payload, { log: silent, backoffMs: 5 })).rejects.toThrow('HTTP 502 d');
    expect(requests).toBe(4);
  });
});
