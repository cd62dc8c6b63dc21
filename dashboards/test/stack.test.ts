/**
 * The compose stack, the Grafana provisioning and the collector's Dockerfile fit together: service
 * names, ports, mounts, datasource uid, environment. `docker compose config` (or the v1
 * `docker-compose config`) validates the file and resolves it; CI (CI=true) fails without either,
 * .ci/run installs Docker's compose plugin.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DATASOURCE_UID, PLUGIN_ID } from '../src/grafana.ts';
import { DASHBOARDS } from '../src/index.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = join(DIR, '..');
const COMPOSE = join(DIR, 'docker-compose.yml');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const datasources = parse(readFileSync(join(DIR, 'provisioning/datasources/burnrate.yaml'), 'utf8')) as {
  datasources: {
    uid: string;
    type: string;
    url?: string;
    jsonData?: Record<string, any>;
    secureJsonData?: any;
  }[];
};
const providers = parse(readFileSync(join(DIR, 'provisioning/dashboards/burnrate.yaml'), 'utf8')) as {
  providers: { type: string; options: { path: string } }[];
};

/** host path (relative to the compose file) -> container path, for a service's bind mounts. */
function binds(s: Service): Map<string, string> {
  return new Map(
    (s.volumes ?? [])
      .filter((v) => v.startsWith('.'))
      .map((v) => {
        const [host, container] = v.split(':');
        return [resolve(DIR, host!), container!];
      }),
  );
}

describe('compose stack', () => {
  it('runs ClickHouse, Jaeger v2, the collector built from the root Dockerfile, and Grafana', () => {
    expect(Object.keys(services).sort()).toEqual(['clickhouse', 'collector', 'grafana', 'jaeger']);
    expect(services['clickhouse']!.image).toMatch(/^clickhouse\/clickhouse-server:2[5-9]\.\d+/);
    expect(services['jaeger']!.image).toMatch(/^jaegertracing\/jaeger:2\.\d+/);
    expect(services['grafana']!.image).toMatch(/^grafana\/grafana:1[1-9]\./);
    const build = services['collector']!.build!;
    expect(resolve(DIR, build.context)).toBe(ROOT);
    expect(existsSync(join(ROOT, build.dockerfile))).toBe(true);
  });

  it('wires the collector to ClickHouse and forwards spans to Jaeger over OTLP/HTTP', () => {
    const env = services['collector']!.environment!;
    expect(env['BURNRATE_CLICKHOUSE_URL']).toBe('http://clickhouse:8123');
    expect(env['BURNRATE_FORWARD_OTLP_ENDPOINT']).toBe('http://jaeger:4318');
    expect(env['BURNRATE_CLICKHOUSE_PASSWORD']).toBe(
      services['clickhouse']!.environment!['CLICKHOUSE_PASSWORD'],
    );
    expect(env['BURNRATE_CLICKHOUSE_USER']).toBe(services['clickhouse']!.environment!['CLICKHOUSE_USER']);
    expect(services['collector']!.ports).toEqual(expect.arrayContaining(['4318:4318', '4317:4317']));
    expect(services['collector']!.depends_on?.['clickhouse']?.condition).toBe('service_healthy');
    expect(services['jaeger']!.ports).toEqual(['127.0.0.1:16686:16686']);
  });

  it('gives Grafana the ClickHouse plugin, the provisioning and the dashboards where the provider reads them', () => {
    const grafana = services['grafana']!;
    expect(grafana.environment!['GF_INSTALL_PLUGINS']).toContain('grafana-clickhouse-datasource');
    const mounts = binds(grafana);
    expect(mounts.get(join(DIR, 'provisioning'))).toBe('/etc/grafana/provisioning');
    const dashboardsPath = mounts.get(join(DIR, 'json'));
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0]!.type).toBe('file');
    expect(providers.providers[0]!.options.path).toBe(dashboardsPath);
    const home = grafana.environment!['GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH']!;
    expect(home.startsWith(`${dashboardsPath}/`)).toBe(true);
    expect(DASHBOARDS.map((d) => d.file)).toContain(home.slice(dashboardsPath!.length + 1));
  });

  it('provisions the ClickHouse datasource the dashboards use, reading otel_traces, and a Jaeger datasource', () => {
    const ch = datasources.datasources.find((d) => d.type === PLUGIN_ID)!;
    expect(ch.uid).toBe(DATASOURCE_UID);
    expect(ch.jsonData!['host']).toBe('clickhouse');
    expect(ch.jsonData!['port']).toBe(8123);
    expect(ch.jsonData!['protocol']).toBe('http');
    expect(ch.jsonData!['defaultDatabase']).toBe('burnrate');
    expect(ch.jsonData!['traces']).toMatchObject({ defaultTable: 'otel_traces', otelEnabled: true });
    // credentials come from the Grafana container's environment, which carries the ClickHouse ones
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana provisioning env syntax, not a JS template
    expect(ch.jsonData!['username']).toBe('${BURNRATE_CLICKHOUSE_USER}');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana provisioning env syntax, not a JS template
    expect(ch.secureJsonData.password).toBe('${BURNRATE_CLICKHOUSE_PASSWORD}');
    const genv = services['grafana']!.environment!;
    expect(genv['BURNRATE_CLICKHOUSE_PASSWORD']).toBe(
      services['clickhouse']!.environment!['CLICKHOUSE_PASSWORD'],
    );
    const jaeger = datasources.datasources.find((d) => d.type === 'jaeger')!;
    expect(jaeger.url).toBe('http://jaeger:16686');
  });

  it('the Dockerfile builds core and the collector with pnpm on node:24-slim and runs burnrate-collector', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    expect(dockerfile.match(/^FROM \$\{NODE_IMAGE\}/gm)).toHaveLength(2);
    expect(dockerfile).toContain('pnpm install --frozen-lockfile');
    expect(dockerfile).toContain('pnpm --filter @burnrate/core build');
    expect(dockerfile).toContain('pnpm --filter @burnrate/collector build');
    expect(dockerfile).toMatch(/^ENTRYPOINT \["burnrate-collector"\]$/m);
    const bin = JSON.parse(readFileSync(join(ROOT, 'collector/package.json'), 'utf8')).bin;
    expect(dockerfile).toContain(
      `ln -s /app/${bin['burnrate-collector'].replace('./', '')} /usr/local/bin/burnrate-collector`,
    );
    // everything the build stage copies is in the build context (.dockerignore keeps it out otherwise)
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    for (const [, src] of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm))
      for (const path of src!.split(' ')) {
        expect(existsSync(join(ROOT, path)), path).toBe(true);
        expect(ignored.split('\n'), path).not.toContain(path);
      }
  });

  it('passes `docker compose config` (or `docker-compose config`); CI must have one of them', () => {
    // what `config` checks whatever the CLI: every service has an image or a build, named volumes exist
    const declared = Object.keys((parse(readFileSync(COMPOSE, 'utf8')) as { volumes: object }).volumes);
    for (const [name, s] of Object.entries(services)) {
      expect(s.image ?? s.build, name).toBeTruthy();
      for (const v of s.volumes ?? [])
        if (!v.startsWith('.')) expect(declared, `${name}: ${v}`).toContain(v.split(':')[0]);
      for (const dep of Object.keys(s.depends_on ?? {})) expect(Object.keys(services)).toContain(dep);
    }
    const run = (cmd: string, args: string[]) =>
      spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    // Docker's compose plugin (v2, what .ci/run installs), else the standalone `docker-compose`
    const cli = (
      [
        ['docker', ['compose']],
        ['docker-compose', []],
      ] as [string, string[]][]
    ).find(([cmd, pre]) => run(cmd, [...pre, 'version']).status === 0);
    if (!cli) {
      const why = 'no compose CLI here (neither `docker compose` nor `docker-compose`)';
      // .ci/run installs one: in CI a missing CLI is a failure, not a silently skipped check
      if (process.env['CI'] === 'true') expect.fail(`${why}; CI=true requires one (.ci/run installs it)`);
      console.log(`${why}: compose file checked structurally only`);
      return;
    }
    const [cmd, pre] = cli;
    const config = run(cmd, [...pre, '-f', COMPOSE, 'config']);
    const what = `${cmd} ${[...pre, '-f', COMPOSE, 'config'].join(' ')}`;
    // valid, and no warnings either (unset variables, obsolete keys, ...)
    expect({ status: config.status, stderr: config.stderr.trim() }, what).toEqual({ status: 0, stderr: '' });
    // the file as compose reads it: variables resolved, paths absolute, depends_on long form
    const resolved = parse(config.stdout) as { services: Record<string, Service> };
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(services).sort());
    expect(resolved.services['collector']!.build!.context).toBe(ROOT);
    expect(resolved.services['collector']!.depends_on!['clickhouse']!.condition).toBe('service_healthy');
    expect(resolved.services['grafana']!.depends_on!['clickhouse']!.condition).toBe('service_healthy');
    expect(resolved.services['collector']!.environment!['BURNRATE_CLICKHOUSE_PASSWORD']).toBe(
      resolved.services['clickhouse']!.environment!['CLICKHOUSE_PASSWORD'],
    );
  });
});
