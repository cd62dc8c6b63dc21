/**
 * Security properties of the collector:
 * - bearer tokens are required when configured, compared in constant time (`timingSafeEqual` over
 *   SHA-256 digests, so a wrong-length token costs the same and never throws);
 * - secrets (tokens, ClickHouse password, webhook secret, Slack URL) never appear in the logs, in normal
 *   operation or in failures (alert delivery failing, ClickHouse unreachable);
 * - a config file that holds secrets but is readable by group or others draws a warning at start.
 * Webhook HMAC signatures are tested in budgets-engine.test.ts ("signs webhooks").
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorized, tokenMatches } from '../../src/auth.js';
import { configFileWarnings, loadConfig } from '../../src/config.js';
import { TRACE_SERVICE_EXPORT } from '../../src/receiver/grpc.js';
import { startTestCollector, tempDir } from '../helpers.js';
import { ensureBuilt, PKG, startBinary, until } from './proc.js';

const tmp = tempDir('burnrate-sec-');
beforeAll(() => ensureBuilt(), 180_000);
afterAll(() => tmp.cleanup());

const INGEST = 'ingest-tok-7f3a9c1e5b2d4f60';
const API = 'api-tok-0c9e8d7f6a5b4c3d21';
const PASSWORD = 'ch-pass-Zq8wX2vR5tY9';
const WEBHOOK_SECRET = 'whsec-4Kp9Lm2Nq7Rs5Tv8';
const SLACK_PATH = '/services/T0SECRET1/B0SECRET2/slacksecret3XyZ';
const SECRETS = [INGEST, API, PASSWORD, WEBHOOK_SECRET, SLACK_PATH, 'slacksecret3XyZ'];

async function refusingPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('bearer tokens', () => {
  it('compares in constant time (timingSafeEqual over digests)', () => {
    const src = readFileSync(join(PKG, 'src/auth.ts'), 'utf8');
    expect(src).toMatch(/timingSafeEqual\(digest\(presented \?\? ''\), digest\(expected\)\)/);
    expect(tokenMatches(INGEST, INGEST)).toBe(true);
    for (const wrong of [
      '',
      'x',
      INGEST.slice(0, -1),
      `${INGEST}x`,
      INGEST.toUpperCase(),
      'é'.repeat(5000),
      `${INGEST}\u0000`,
    ])
      expect(tokenMatches(wrong, INGEST), JSON.stringify(wrong.slice(0, 20))).toBe(false);
    expect(tokenMatches(undefined, INGEST)).toBe(false);
    expect(authorized('Basic abc', INGEST)).toBe(false);
    expect(authorized(`bearer ${INGEST}`, INGEST)).toBe(true);
  });

  it('HTTP ingest, API and gRPC refuse missing, wrong and wrong-length tokens', async () => {
    const c = await startTestCollector(tmp.dir, `auth:\n  ingest_token: ${INGEST}\n  api_token: ${API}\n`);
    try {
      const wrong = [
        undefined,
        '',
        'Bearer',
        'Bearer x',
        `Bearer ${INGEST.slice(1)}`,
        `Bearer ${INGEST}0`,
        `Bearer ${'a'.repeat(8000)}`,
        `Bearer ${API}`,
      ];
      for (const h of wrong) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (h !== undefined) headers['authorization'] = h;
        const res = await fetch(`${c.url}/v1/traces`, { method: 'POST', headers, body: '{}' });
        expect(res.status, String(h).slice(0, 30)).toBe(401);
        expect(((await res.json()) as { message: string }).message).toMatch(/bearer token/);
        const api = await fetch(`${c.url}/api/spend`, {
          headers: h ? { authorization: h.replace(API, INGEST) } : {},
        });
        expect(api.status).toBe(401);
        await api.arrayBuffer();
      }
      const ok = await fetch(`${c.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` },
        body: '{}',
      });
      expect(ok.status).toBe(200);
      const api = await fetch(`${c.url}/api/spend`, { headers: { authorization: `Bearer ${API}` } });
      expect(api.status).toBe(200);
      await api.arrayBuffer();

      const client = new grpc.Client(`127.0.0.1:${c.grpcPort}`, grpc.credentials.createInsecure());
      const call = (token?: string) =>
        new Promise<grpc.ServiceError | null>((resolve) => {
          const md = new grpc.Metadata();
          if (token !== undefined) md.set('authorization', token);
          client.makeUnaryRequest(
            TRACE_SERVICE_EXPORT,
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.alloc(0),
            md,
            (err) => resolve(err),
          );
        });
      try {
        for (const t of [undefined, 'Bearer x', `Bearer ${INGEST}x`, `Bearer ${API}`])
          expect((await call(t))?.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(await call(`Bearer ${INGEST}`)).toBeNull();
      } finally {
        client.close();
      }
    } finally {
      await c.close();
    }
  });
});

describe('config files holding secrets', () => {
  it('warns when the file is readable by group or others, not when it is 0600 or holds no secrets', () => {
    const file = join(tmp.dir, 'perm.yaml');
    writeFileSync(file, `auth:\n  api_token: ${API}\nclickhouse:\n  password: ${PASSWORD}\n`);
    chmodSync(file, 0o644);
    const loose = configFileWarnings(loadConfig({ BURNRATE_CONFIG: file }, tmp.dir));
    expect(loose).toHaveLength(1);
    expect(loose[0]).toMatch(
      /perm\.yaml contains secrets \(clickhouse\.password, auth\.api_token\).*0644.*chmod 600/,
    );
    expect(loose[0]).not.toContain(API);
    chmodSync(file, 0o600);
    expect(configFileWarnings(loadConfig({ BURNRATE_CONFIG: file }, tmp.dir))).toEqual([]);
    const plain = join(tmp.dir, 'plain.yaml');
    writeFileSync(plain, 'writer:\n  batch_spans: 10\n');
    chmodSync(plain, 0o644);
    expect(configFileWarnings(loadConfig({ BURNRATE_CONFIG: plain }, tmp.dir))).toEqual([]);
    // Secrets given by environment variables are not in the file: no warning about the file.
    expect(
      configFileWarnings(loadConfig({ BURNRATE_CONFIG: plain, BURNRATE_API_TOKEN: API }, tmp.dir)),
    ).toEqual([]);
  });
});

describe('secrets never reach the logs', () => {
  it('normal operation, rejected requests and failing alert delivery (embedded store)', async () => {
    const dead = await refusingPort();
    const file = join(tmp.dir, 'secrets.yaml');
    writeFileSync(
      file,
      `data_dir: ${join(tmp.dir, 'bin-data')}
clickhouse:
  password: ${PASSWORD}
auth:
  ingest_token: ${INGEST}
  api_token: ${API}
channels:
  hook: { type: webhook, url: "http://127.0.0.1:${dead}/alerts", secret: ${WEBHOOK_SECRET}, retries: 0, timeout_ms: 500 }
  slack: { type: slack, url: "http://127.0.0.1:${dead}${SLACK_PATH}", retries: 0, timeout_ms: 500 }
budgets:
  - name: tiny
    limit_usd: 0.000001
    period: day
    notify: [hook, slack]
budget_evaluation_interval_ms: 200
`,
    );
    chmodSync(file, 0o644); // loose on purpose: the warning must name the fields, not the values
    const col = await startBinary({
      BURNRATE_CONFIG: file,
      BURNRATE_HOST: '127.0.0.1',
      BURNRATE_GRPC_PORT: 'off',
      BURNRATE_LOG_LEVEL: 'debug',
    });
    try {
      const now = BigInt(Date.now()) * 1_000_000n;
      const body = JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'ab'.repeat(16),
                    spanId: 'cd'.repeat(8),
                    name: 'chat',
                    startTimeUnixNano: now.toString(),
                    endTimeUnixNano: (now + 1000n).toString(),
                    attributes: [
                      { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
                      { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o-mini' } },
                      { key: 'gen_ai.usage.input_tokens', value: { intValue: 100000 } },
                      { key: 'gen_ai.usage.output_tokens', value: { intValue: 100 } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      });
      const post = (auth?: string) =>
        fetch(`${col.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
          body,
        }).then((r) => r.status);
      expect(await post(`Bearer ${API}`)).toBe(401);
      expect(await post(`Bearer ${INGEST}`)).toBe(200);
      expect(
        (await fetch(`${col.url}/api/budgets`, { headers: { authorization: `Bearer ${API}` } })).status,
      ).toBe(200);
      expect(
        (await fetch(`${col.url}/api/spend?from=x`, { headers: { authorization: `Bearer ${API}` } })).status,
      ).toBe(400);
      // Both channels fail (nothing listens): the failures are logged, by channel name.
      await until(
        () => /channel "hook" failed/.test(col.log()) && /channel "slack" failed/.test(col.log()),
        30_000,
        'alert failures logged',
      );
      expect(await col.stop()).toBe(0);
      const log = col.log();
      expect(log).toMatch(
        /contains secrets \(clickhouse\.password, auth\.ingest_token, auth\.api_token, channels\.hook\.secret, channels\.slack\.url\)/,
      );
      for (const s of SECRETS) expect(log, `log leaks ${s}`).not.toContain(s);
    } finally {
      await col.stop();
    }
  }, 120_000);

  it('ClickHouse server unreachable: credentials are not logged', async () => {
    const dead = await refusingPort();
    const col = await startBinary({
      BURNRATE_DATA_DIR: join(tmp.dir, 'bin-data-2'),
      BURNRATE_HOST: '127.0.0.1',
      BURNRATE_GRPC_PORT: 'off',
      BURNRATE_LOG_LEVEL: 'debug',
      BURNRATE_CONFIG: '',
      BURNRATE_CLICKHOUSE_URL: `http://burnrate:${PASSWORD}@127.0.0.1:${dead}`,
      BURNRATE_CLICKHOUSE_PASSWORD: PASSWORD,
      BURNRATE_INGEST_TOKEN: INGEST,
    });
    try {
      const res = await fetch(`${col.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INGEST}` },
        body: JSON.stringify({
          resourceSpans: [
            { scopeSpans: [{ spans: [{ traceId: 'ef'.repeat(16), spanId: '01'.repeat(8), name: 's' }] }] },
          ],
        }),
      });
      expect(res.status).toBe(200); // spooled
      await until(() => /ClickHouse/.test(col.log()) && /spool/.test(col.log()), 10_000, 'outage logged');
      expect(await col.stop()).toBe(0);
      const log = col.log();
      expect(log).toMatch(/ECONNREFUSED/);
      for (const s of SECRETS) expect(log, `log leaks ${s}`).not.toContain(s);
    } finally {
      await col.stop();
    }
  }, 60_000);
});
