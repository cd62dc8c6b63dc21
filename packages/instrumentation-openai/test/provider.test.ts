import { describe, expect, it } from 'vitest';
import { serverInfo } from '../src/provider.js';

describe('serverInfo', () => {
  it.each([
    ['https://api.openai.com/v1', 'openai', 'api.openai.com', 443],
    ['https://my-res.openai.azure.com/openai', 'azure.ai.openai', 'my-res.openai.azure.com', 443],
    ['https://x.cognitiveservices.azure.com/openai', 'azure.ai.openai', 'x.cognitiveservices.azure.com', 443],
    ['https://api.groq.com/openai/v1', 'groq', 'api.groq.com', 443],
    ['https://api.together.xyz/v1', 'together_ai', 'api.together.xyz', 443],
    ['https://api.deepseek.com', 'deepseek', 'api.deepseek.com', 443],
    ['https://openrouter.ai/api/v1', 'openrouter', 'openrouter.ai', 443],
    ['https://api.x.ai/v1', 'x_ai', 'api.x.ai', 443],
    ['https://api.fireworks.ai/inference/v1', 'fireworks', 'api.fireworks.ai', 443],
    ['https://api.mistral.ai/v1', 'mistral_ai', 'api.mistral.ai', 443],
    ['http://localhost:11434/v1', 'ollama', 'localhost', 11434],
    ['http://127.0.0.1:8000/v1', 'vllm', '127.0.0.1', 8000],
    ['http://litellm.internal:4000/v1', 'openai', 'litellm.internal', 4000],
    ['http://proxy.example.com/v1', 'openai', 'proxy.example.com', 80],
  ])('%s -> %s', (url, provider, address, port) => {
    expect(serverInfo(url)).toEqual({ provider, serverAddress: address, serverPort: port });
  });

  it('a providerFor override wins; a throwing one is ignored', () => {
    expect(serverInfo('http://gw.local/v1', () => 'groq').provider).toBe('groq');
    expect(
      serverInfo('https://api.groq.com/v1', () => {
        throw new Error('boom');
      }).provider,
    ).toBe('groq');
  });

  it('garbage base URL: openai, no server attributes', () => {
    expect(serverInfo(undefined)).toEqual({ provider: 'openai' });
    expect(serverInfo('not a url')).toEqual({ provider: 'openai' });
  });
});
