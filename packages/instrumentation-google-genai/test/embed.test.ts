import { ATTR } from '@burnrate/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, PRICE, perM, startHarness } from './setup.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.fake.close();
});
afterEach(() => {
  h.otel.reset();
  h.fake.reset();
});

const P = PRICE['gemini-embedding-001'];

describe('models.embedContent', () => {
  it('Gemini API (no usage in the response): input counted locally, marked estimated', async () => {
    const res = await h.client().models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['Say hello', 'Hello world'],
    });
    expect(res.embeddings).toHaveLength(2);
    expect(h.fake.requests[0]!.url).toContain(':batchEmbedContents');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.name).toBe('embeddings gemini-embedding-001');
    expect(span!.attributes).toMatchObject({
      [ATTR.OPERATION_NAME]: 'embeddings',
      [ATTR.PROVIDER_NAME]: 'gcp.gemini',
      [ATTR.USAGE_INPUT_TOKENS]: 4,
      [ATTR.USAGE_OUTPUT_TOKENS]: 0,
      [ATTR.USAGE_ESTIMATED]: true,
      [ATTR.COST_SOURCE]: 'estimated',
    });
    expect(span!.attributes[ATTR.REQUEST_STREAM]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(4, P.input), 14);
  });

  it('usageMetadata in the response wins over the local count', async () => {
    h.fake.enqueue({ raw: { embeddings: [{ values: [1] }], usageMetadata: { promptTokenCount: 9 } } });
    await h.client().models.embedContent({ model: 'gemini-embedding-001', contents: 'Say hello' });
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(9);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(9, P.input), 14);
  });

  it('Vertex predict: token counts from embedding statistics', async () => {
    const client = h.client({ vertexai: true, apiKey: 'fake-key' });
    await client.models.embedContent({ model: 'gemini-embedding-001', contents: ['a', 'b'] });
    expect(h.fake.requests[0]!.url).toContain(':predict');
    const [span] = await h.otel.waitForSpans(1, 20_000);
    expect(span!.attributes[ATTR.PROVIDER_NAME]).toBe('gcp.vertex_ai');
    expect(span!.attributes[ATTR.USAGE_INPUT_TOKENS]).toBe(6);
    expect(span!.attributes[ATTR.USAGE_ESTIMATED]).toBeUndefined();
    expect(span!.attributes[ATTR.USAGE_COST]).toBeCloseTo(perM(6, P.input), 14);
  });
});
