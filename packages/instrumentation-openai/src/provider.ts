import { PROVIDER } from '@burnrate/core';

export interface ServerInfo {
  provider: string;
  serverAddress?: string | undefined;
  serverPort?: number | undefined;
}

/** Hosts of OpenAI-compatible APIs: exact host or a dot-suffix. */
const HOSTS: Array<[suffix: string, provider: string]> = [
  ['api.openai.com', PROVIDER.OPENAI],
  ['.openai.azure.com', PROVIDER.AZURE_OPENAI],
  ['.cognitiveservices.azure.com', PROVIDER.AZURE_OPENAI],
  ['.services.ai.azure.com', PROVIDER.AZURE_OPENAI],
  ['api.groq.com', PROVIDER.GROQ],
  ['api.together.xyz', PROVIDER.TOGETHER],
  ['api.together.ai', PROVIDER.TOGETHER],
  ['api.deepseek.com', PROVIDER.DEEPSEEK],
  ['openrouter.ai', PROVIDER.OPENROUTER],
  ['api.x.ai', PROVIDER.XAI],
  ['api.fireworks.ai', PROVIDER.FIREWORKS],
  ['api.mistral.ai', PROVIDER.MISTRAL],
];

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1', '0.0.0.0']);

function matches(host: string, suffix: string): boolean {
  return suffix.startsWith('.') ? host.endsWith(suffix) : host === suffix || host.endsWith(`.${suffix}`);
}

/**
 * `gen_ai.provider.name`, `server.address` and `server.port` from a client's base URL.
 * Ollama is recognised by its default port 11434, vLLM by its default port 8000 on a local host.
 * Unknown hosts are reported as `openai`: they speak OpenAI's API, and models are priced by name
 * (an unknown model is `unpriced`, never $0); `server.address` still names the real host.
 */
export function serverInfo(baseURL: unknown, providerFor?: (url: URL) => string | undefined): ServerInfo {
  let url: URL;
  try {
    url = new URL(String(baseURL));
  } catch {
    return { provider: PROVIDER.OPENAI };
  }
  const host = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  const info = (provider: string): ServerInfo => ({ provider, serverAddress: host, serverPort: port });
  let custom: string | undefined;
  try {
    custom = providerFor?.(url);
  } catch {
    custom = undefined;
  }
  if (custom) return info(custom);
  for (const [suffix, provider] of HOSTS) if (matches(host, suffix)) return info(provider);
  if (port === 11434) return info(PROVIDER.OLLAMA);
  if (port === 8000 && LOCAL_HOSTS.has(host)) return info(PROVIDER.VLLM);
  return info(PROVIDER.OPENAI);
}
