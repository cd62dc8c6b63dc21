/**
 * Collector configuration: defaults < YAML file (`BURNRATE_CONFIG`, or `./burnrate.yaml` when present)
 * < environment variables (the public contract in CONVENTIONS.md). Validated with zod at start: an
 * invalid file stops the collector with the file, the offending path and the reason.
 *
 * The schema is one object of sections so later features add theirs (`budgets:`, `channels:`) without
 * touching the others.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { budgetSections, describeBudgetPath, refineBudgets } from './budgets/config.js';

const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();
const days = z.number().int().min(0);

export const serverSchema = z.strictObject({
  host: z.string().min(1).default('0.0.0.0'),
  port: port.default(4318),
  /** OTLP/gRPC port; `false` disables the gRPC receiver. */
  grpc_port: z.union([port, z.literal(false)]).default(4317),
  /** Largest request body, before and after decompression. */
  max_body_bytes: positiveInt.default(16 * 1024 * 1024),
});

export const clickhouseSchema = z.strictObject({
  url: z.url({ error: 'must be an http(s) URL' }).optional(),
  user: z.string().default('default'),
  password: z.string().default(''),
  database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)')
    .default('burnrate'),
  /** Cluster mode: ON CLUSTER DDL, Replicated engines, Distributed tables. */
  cluster: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .optional(),
  tls: z
    .strictObject({
      ca_file: z.string().min(1),
      cert_file: z.string().min(1).optional(),
      key_file: z.string().min(1).optional(),
    })
    .optional(),
  request_timeout_ms: positiveInt.default(30_000),
  retention_days: z
    .strictObject({
      traces: days.default(30),
      spend: days.default(400),
      rollups: days.default(0),
    })
    .prefault({}),
});

export const writerSchema = z.strictObject({
  batch_spans: positiveInt.default(5000),
  flush_interval_ms: positiveInt.default(200),
  max_queue_spans: positiveInt.default(100_000),
  insert_attempts: positiveInt.default(3),
  retry_base_ms: positiveInt.default(100),
  retry_max_ms: positiveInt.default(2000),
  replay_interval_ms: positiveInt.default(2000),
  concurrency: positiveInt.max(16).default(2),
  spool_max_bytes: positiveInt.default(1024 * 1024 * 1024),
});

export const forwardSchema = z.strictObject({
  endpoint: z.url({ error: 'must be an http(s) URL' }).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  max_queue_spans: positiveInt.default(20_000),
  batch_spans: positiveInt.default(1000),
  timeout_ms: positiveInt.default(5000),
});

export const configSchema = z
  .strictObject({
    data_dir: z.string().min(1).default('./.burnrate'),
    log_level: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    server: serverSchema.prefault({}),
    clickhouse: clickhouseSchema.prefault({}),
    writer: writerSchema.prefault({}),
    forward: forwardSchema.prefault({}),
    auth: z
      .strictObject({
        ingest_token: z.string().min(1).optional(),
        api_token: z.string().min(1).optional(),
      })
      .prefault({}),
    pricing: z.strictObject({ prices_file: z.string().min(1).optional() }).prefault({}),
    /** Savings advisor snapshots for the Savings dashboard (0 turns them off). */
    advice: z
      .strictObject({
        snapshot_interval_ms: z
          .number()
          .int()
          .min(0)
          .default(15 * 60_000),
        snapshot_window_days: z.number().positive().max(90).default(7),
      })
      .prefault({}),
    ...budgetSections,
  })
  .superRefine(refineBudgets);

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function formatIssue(origin: string, issue: z.core.$ZodIssue, raw?: unknown): string {
  if (issue.path[0] === 'budgets')
    return `${origin}: ${describeBudgetPath(issue.path, raw)}: ${issue.message}`;
  const path = issue.path.length
    ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.')
    : '(root)';
  return `${origin}: ${path.replace(/\.\[/g, '[')}: ${issue.message}`;
}

type Env = Record<string, string | undefined>;

function envInt(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new ConfigError(`environment ${name}: must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Environment overrides, as a partial config in the file's shape. */
function fromEnv(env: Env): Record<string, Record<string, unknown> | unknown> {
  const set = (o: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== undefined && v !== '') o[k] = v;
  };
  const server: Record<string, unknown> = {};
  set(server, 'port', envInt(env, 'BURNRATE_PORT'));
  const grpc = env['BURNRATE_GRPC_PORT'];
  if (grpc === 'off' || grpc === 'false') server['grpc_port'] = false;
  else set(server, 'grpc_port', envInt(env, 'BURNRATE_GRPC_PORT'));
  set(server, 'host', env['BURNRATE_HOST']);
  set(server, 'max_body_bytes', envInt(env, 'BURNRATE_MAX_BODY_BYTES'));
  const clickhouse: Record<string, unknown> = {};
  set(clickhouse, 'url', env['BURNRATE_CLICKHOUSE_URL']);
  set(clickhouse, 'user', env['BURNRATE_CLICKHOUSE_USER']);
  set(clickhouse, 'password', env['BURNRATE_CLICKHOUSE_PASSWORD']);
  set(clickhouse, 'database', env['BURNRATE_CLICKHOUSE_DATABASE']);
  set(clickhouse, 'cluster', env['BURNRATE_CLICKHOUSE_CLUSTER']);
  const forward: Record<string, unknown> = {};
  set(forward, 'endpoint', env['BURNRATE_FORWARD_OTLP_ENDPOINT']);
  const auth: Record<string, unknown> = {};
  set(auth, 'ingest_token', env['BURNRATE_INGEST_TOKEN']);
  set(auth, 'api_token', env['BURNRATE_API_TOKEN']);
  const pricing: Record<string, unknown> = {};
  set(pricing, 'prices_file', env['BURNRATE_PRICES_FILE']);
  const top: Record<string, unknown> = { server, clickhouse, forward, auth, pricing };
  set(top, 'data_dir', env['BURNRATE_DATA_DIR']);
  set(top, 'log_level', env['BURNRATE_LOG_LEVEL']);
  return top;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (isPlainObject(v) && isPlainObject(out[k])) out[k] = merge(out[k] as Record<string, unknown>, v);
    else if (isPlainObject(v) && Object.keys(v).length === 0 && out[k] !== undefined) continue;
    else out[k] = v;
  }
  return out;
}

export interface LoadedConfig {
  config: Config;
  /** The file read, if any. */
  file?: string | undefined;
  /** Paths of the secrets the file itself holds (not those set by environment variables). */
  secretsInFile?: string[] | undefined;
}

/** Paths of the secret values a config holds: tokens, passwords, webhook secrets, Slack URLs, headers. */
export function secretPaths(config: Config): string[] {
  const out: string[] = [];
  if (config.clickhouse.password) out.push('clickhouse.password');
  if (config.clickhouse.url && new URL(config.clickhouse.url).password) out.push('clickhouse.url');
  if (config.auth.ingest_token) out.push('auth.ingest_token');
  if (config.auth.api_token) out.push('auth.api_token');
  if (Object.keys(config.forward.headers).length) out.push('forward.headers');
  for (const [name, ch] of Object.entries(config.channels)) {
    if (ch.type === 'webhook' && ch.secret) out.push(`channels.${name}.secret`);
    if (ch.type === 'slack') out.push(`channels.${name}.url`);
  }
  return out;
}

/**
 * Warnings about the config file: one when it holds secrets but group or others may read it (the file
 * should be mode 0600, owned by the collector's user). Names the fields, never their values.
 */
export function configFileWarnings(loaded: LoadedConfig): string[] {
  if (!loaded.file || !loaded.secretsInFile?.length || process.platform === 'win32') return [];
  let mode: number;
  try {
    mode = statSync(loaded.file).mode & 0o777;
  } catch {
    return [];
  }
  if ((mode & 0o077) === 0) return [];
  return [
    `${loaded.file} contains secrets (${loaded.secretsInFile.join(', ')}) and is readable by group or others (mode 0${mode.toString(8)}); chmod 600 it`,
  ];
}

/** Parses and validates an already-read YAML document; `origin` names it in errors. */
export function parseConfig(text: string, origin: string, env: Env = {}): Config {
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`${origin}: not valid YAML: ${(err as Error).message}`);
  }
  if (!isPlainObject(data)) throw new ConfigError(`${origin}: (root): must be a mapping of sections`);
  const fileResult = configSchema.safeParse(data);
  if (!fileResult.success) throw new ConfigError(formatIssue(origin, fileResult.error.issues[0]!, data));
  const merged = configSchema.safeParse(merge(data, fromEnv(env) as Record<string, unknown>));
  if (!merged.success) throw new ConfigError(formatIssue('environment', merged.error.issues[0]!));
  return merged.data;
}

/**
 * Loads the configuration: `BURNRATE_CONFIG` (must exist), else `./burnrate.yaml` when present, else
 * defaults; then environment overrides.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): LoadedConfig {
  const explicit = env['BURNRATE_CONFIG'];
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, 'burnrate.yaml');
  if (explicit || existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`${file}: cannot read config file: ${(err as Error).message}`);
    }
    const config = parseConfig(text, file, env);
    return { config, file, secretsInFile: secretPaths(parseConfig(text, file)) };
  }
  return { config: parseConfig('{}', 'defaults', env) };
}
