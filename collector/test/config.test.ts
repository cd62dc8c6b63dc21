import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/config.js';
import { tempDir } from './helpers.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = parseConfig('', 'x');
    expect(c.server).toMatchObject({ port: 4318, grpc_port: 4317 });
    expect(c.clickhouse).toMatchObject({ user: 'default', password: '', database: 'burnrate' });
    expect(c.clickhouse.url).toBeUndefined();
    expect(c.data_dir).toBe('./.burnrate');
  });

  it('environment variables override the file', () => {
    const c = parseConfig('server:\n  port: 9000\nclickhouse:\n  database: fromfile\n', 'f.yaml', {
      BURNRATE_PORT: '4999',
      BURNRATE_CLICKHOUSE_URL: 'https://ch.example:8443',
      BURNRATE_CLICKHOUSE_USER: 'writer',
      BURNRATE_CLICKHOUSE_PASSWORD: 'pw',
      BURNRATE_DATA_DIR: '/var/lib/burnrate',
      BURNRATE_INGEST_TOKEN: 'i',
      BURNRATE_API_TOKEN: 'a',
      BURNRATE_FORWARD_OTLP_ENDPOINT: 'http://jaeger:4318',
    });
    expect(c.server.port).toBe(4999);
    expect(c.clickhouse).toMatchObject({
      url: 'https://ch.example:8443',
      user: 'writer',
      password: 'pw',
      database: 'fromfile',
    });
    expect(c.data_dir).toBe('/var/lib/burnrate');
    expect(c.auth).toEqual({ ingest_token: 'i', api_token: 'a' });
    expect(c.forward.endpoint).toBe('http://jaeger:4318');
  });

  it('an invalid file names the file, the path and the reason', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'burnrate.yaml');
      writeFileSync(file, 'clickhouse:\n  retention_days:\n    spend: -3\n');
      expect(() => loadConfig({}, t.dir)).toThrow(ConfigError);
      expect(() => loadConfig({}, t.dir)).toThrow(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: clickhouse\\.retention_days\\.spend: .*>=\\s*0`,
        ),
      );
      writeFileSync(file, 'server:\n  prot: 4318\n');
      expect(() => loadConfig({}, t.dir)).toThrow(/burnrate\.yaml: server: Unrecognized key: "prot"/);
      writeFileSync(file, 'server: [unclosed\n');
      expect(() => loadConfig({}, t.dir)).toThrow(/burnrate\.yaml: not valid YAML/);
      expect(() => loadConfig({ BURNRATE_CONFIG: 'missing.yaml' }, t.dir)).toThrow(
        /missing\.yaml: cannot read config file/,
      );
      writeFileSync(file, '{}\n');
      expect(() => loadConfig({ BURNRATE_PORT: 'abc' }, t.dir)).toThrow(/BURNRATE_PORT: must be an integer/);
      expect(() => loadConfig({ BURNRATE_CLICKHOUSE_DATABASE: 'x; DROP' }, t.dir)).toThrow(
        /^environment: clickhouse\.database: must be a plain identifier/,
      );
    } finally {
      t.cleanup();
    }
  });

  it('accepts budgets and channels', () => {
    const c = parseConfig(
      'budgets:\n  - name: monthly\n    limit_usd: 100\n    period: month\n    notify: [ops]\nchannels:\n  ops: { type: log }\n',
      'x',
    );
    expect(c.budgets).toHaveLength(1);
    expect(c.channels['ops']).toEqual({ type: 'log' });
  });
});
