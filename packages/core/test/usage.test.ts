import { describe, expect, it } from 'vitest';
import { normalizeUsage, UsageError } from '../src/usage.js';

describe('usage normalization', () => {
  it('OpenAI chat: prompt_tokens already include cached tokens; reasoning is part of completion', () => {
    const u = normalizeUsage('openai.chat', {
      prompt_tokens: 1200,
      completion_tokens: 300,
      total_tokens: 1500,
      prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 128 },
    });
    expect(u).toEqual({
      inputTokens: 1200,
      outputTokens: 300,
      cacheReadTokens: 1024,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      reasoningTokens: 128,
    });
  });

  it('OpenAI Responses API', () => {
    const u = normalizeUsage('openai.responses', {
      input_tokens: 2000,
      input_tokens_details: { cached_tokens: 1500 },
      output_tokens: 700,
      output_tokens_details: { reasoning_tokens: 400 },
      total_tokens: 2700,
    });
    expect(u).toMatchObject({
      inputTokens: 2000,
      cacheReadTokens: 1500,
      outputTokens: 700,
      reasoningTokens: 400,
    });
  });

  it('Anthropic: input_tokens excludes cache reads and writes, so they are summed in', () => {
    const u = normalizeUsage('anthropic', {
      input_tokens: 50,
      cache_read_input_tokens: 3000,
      cache_creation_input_tokens: 1500,
      cache_creation: { ephemeral_5m_input_tokens: 500, ephemeral_1h_input_tokens: 1000 },
      output_tokens: 200,
      service_tier: 'standard',
    });
    expect(u).toEqual({
      inputTokens: 4550,
      outputTokens: 200,
      cacheReadTokens: 3000,
      cacheWriteTokens: 1500,
      cacheWrite1hTokens: 1000,
      reasoningTokens: 0,
    });
  });

  it('Gemini: promptTokenCount includes cached content; thoughts add to output', () => {
    const u = normalizeUsage('gemini', {
      promptTokenCount: 900,
      cachedContentTokenCount: 600,
      candidatesTokenCount: 100,
      thoughtsTokenCount: 250,
      toolUsePromptTokenCount: 20,
      totalTokenCount: 1270,
    });
    expect(u).toMatchObject({
      inputTokens: 920,
      cacheReadTokens: 600,
      outputTokens: 350,
      reasoningTokens: 250,
    });
  });

  it('Bedrock Converse: cache reads and writes are outside inputTokens', () => {
    const u = normalizeUsage('bedrock.converse', {
      inputTokens: 10,
      outputTokens: 40,
      totalTokens: 2050,
      cacheReadInputTokens: 1500,
      cacheWriteInputTokens: 500,
    });
    expect(u).toMatchObject({
      inputTokens: 2010,
      cacheReadTokens: 1500,
      cacheWriteTokens: 500,
      outputTokens: 40,
    });
  });

  it('Mistral (snake_case wire and camelCase SDK shapes)', () => {
    expect(
      normalizeUsage('mistral', { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 }),
    ).toMatchObject({
      inputTokens: 12,
      outputTokens: 34,
    });
    expect(
      normalizeUsage('mistral', { promptTokens: 5, completionTokens: 6, totalTokens: 11 }),
    ).toMatchObject({
      inputTokens: 5,
      outputTokens: 6,
    });
  });

  it('Cohere v2: billed units are priced, raw tokens are the fallback', () => {
    expect(
      normalizeUsage('cohere', {
        billed_units: { input_tokens: 30, output_tokens: 9 },
        tokens: { input_tokens: 230, output_tokens: 9 },
      }),
    ).toMatchObject({ inputTokens: 30, outputTokens: 9 });
    expect(normalizeUsage('cohere', { billedUnits: { inputTokens: 7, outputTokens: 3 } })).toMatchObject({
      inputTokens: 7,
      outputTokens: 3,
    });
    expect(normalizeUsage('cohere', { tokens: { input_tokens: 11, output_tokens: 2 } })).toMatchObject({
      inputTokens: 11,
      outputTokens: 2,
    });
  });

  it('absent usage is undefined; missing fields count as 0', () => {
    expect(normalizeUsage('openai.chat', undefined)).toBeUndefined();
    expect(normalizeUsage('openai.chat', null)).toBeUndefined();
    expect(normalizeUsage('openai.chat', { prompt_tokens: 3, completion_tokens: null })).toMatchObject({
      inputTokens: 3,
      outputTokens: 0,
    });
  });

  it('rejects negative, non-numeric and inconsistent usage with the field name', () => {
    expect(() => normalizeUsage('openai.chat', { prompt_tokens: -1, completion_tokens: 2 })).toThrow(
      'usage field prompt_tokens must not be negative, got -1',
    );
    expect(() => normalizeUsage('anthropic', { input_tokens: '12', output_tokens: 2 })).toThrow(
      'usage field input_tokens must be a number, got "12"',
    );
    expect(() => normalizeUsage('openai.chat', { prompt_tokens: Number.POSITIVE_INFINITY })).toThrow(
      UsageError,
    );
    expect(() => normalizeUsage('openai.chat', 'lots')).toThrow(
      'openai.chat usage must be an object, got string',
    );
    expect(() =>
      normalizeUsage('openai.chat', { prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 20 } }),
    ).toThrow(/cache tokens .* exceed input tokens 10/);
  });
});
