/** A prices file (BURNRATE_PRICES_FILE or `pricing.prices_file`) prices what the collector stores. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Collector } from '../src/collector.js';
import { parseConfig } from '../src/config.js';
import { rows, startTestCollector, tempDir } from './helpers.js';

const tmp = tempDir();
let collector: Collector | undefined;
afterAll(async () => {
  await collector?.close();
  tmp.cleanup();
});

describe('prices file in the collector', () => {
  it('BURNRATE_PRICES_FILE sets pricing.prices_file, over the config file', () => {
    const c = parseConfig('pricing:\n  prices_file: /etc/from-file.yaml\n', 'f.yaml', {
      BURNRATE_PRICES_FILE: '/etc/from-env.yaml',
    });
    expect(c.pricing.prices_file).toBe('/etc/from-env.yaml');
  });

  it('prices spans that carry tokens but no cost with the file, the rest with the bundled table', async () => {
    const prices = join(tmp.dir, 'prices.yaml');
    writeFileSync(prices, 'models:\n  - { model: house-model, input_mtok: 2, output_mtok: 8 }\n');
    collector = await startTestCollector(join(tmp.dir, 'data'), `pricing:\n  prices_file: ${prices}\n`);
    const now = (BigInt(Date.now()) * 1_000_000n).toString();
    const span = (id: string, model: string) => ({
      traceId: id.repeat(2),
      spanId: id,
      name: `chat ${model}`,
      kind: 3,
      startTimeUnixNano: now,
      endTimeUnixNano: now,
      attributes: [
        { key: 'gen_ai.provider.name', value: { stringValue: 'openai' } },
        { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
        { key: 'gen_ai.request.model', value: { stringValue: model } },
        { key: 'gen_ai.usage.input_tokens', value: { intValue: 1000 } },
        { key: 'gen_ai.usage.output_tokens', value: { intValue: 500 } },
      ],
    });
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'prices' } }] },
            scopeSpans: [
              { spans: [span('00000000000000a1', 'house-model'), span('00000000000000a2', 'gpt-4o')] },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const stored = await rows<{ model: string; cost_usd: number; unpriced: boolean }>(
      collector.store.client,
      'SELECT model, cost_usd, unpriced FROM burnrate.genai_spend ORDER BY model',
    );
    expect(stored).toHaveLength(2);
    // gpt-4o, bundled: 1000 x $2.50/M + 500 x $10/M; house-model, from the file: 1000 x $2/M + 500 x $8/M
    expect(stored[0]).toMatchObject({ model: 'gpt-4o', unpriced: false });
    expect(stored[0]!.cost_usd).toBeCloseTo(0.0075, 12);
    expect(stored[1]).toMatchObject({ model: 'house-model', unpriced: false });
    expect(stored[1]!.cost_usd).toBeCloseTo(0.006, 12);
  });
});
