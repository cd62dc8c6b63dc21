/** `BURNRATE_PRICES_FILE` reaches the process-wide pricer the instrumentations use (defaultPricer). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PricesFileError } from '../src/prices-file.js';
import { defaultPricer, setDefaultPricer } from '../src/pricing.js';
import { usageOf } from '../src/usage.js';

const dir = mkdtempSync(join(tmpdir(), 'burnrate-prices-env-'));
const million = usageOf({ inputTokens: 1e6, outputTokens: 1e6 });

afterEach(() => {
  delete process.env['BURNRATE_PRICES_FILE'];
  setDefaultPricer(undefined);
});

describe('BURNRATE_PRICES_FILE', () => {
  it('adds models and overrides bundled prices in the default pricer; other models keep bundled prices', () => {
    const path = join(dir, 'prices.yaml');
    writeFileSync(
      path,
      [
        'models:',
        '  - { model: house-model, input_mtok: 1, output_mtok: 4 }',
        '  - { provider: openai, model: gpt-4o, input_mtok: 10, output_mtok: 20 }',
        '',
      ].join('\n'),
    );
    const bundled = defaultPricer().price({ provider: 'openai', model: 'gpt-4o', usage: million });
    expect(bundled.priced && bundled.cost.total).toBe(12.5); // $2.50 + $10 per million, published
    setDefaultPricer(undefined);

    process.env['BURNRATE_PRICES_FILE'] = path;
    const p = defaultPricer();
    const house = p.price({ model: 'house-model', usage: million });
    expect(house.priced && house.cost.total).toBe(5);
    const over = p.price({ provider: 'openai', model: 'gpt-4o', usage: million });
    expect(over.priced && over.cost.total).toBe(30);
    const other = p.price({ provider: 'openai', model: 'gpt-4o-mini', usage: million });
    expect(other.priced && other.cost.total).toBeCloseTo(0.75, 10); // $0.15 + $0.60, bundled
    expect(defaultPricer()).toBe(p); // read once per process, not per call
  });

  it('a malformed file names the file, the entry and the field', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ models: [{ model: 'house-model', input_mtok: -1 }] }));
    process.env['BURNRATE_PRICES_FILE'] = path;
    expect(() => defaultPricer()).toThrow(PricesFileError);
    expect(() => defaultPricer()).toThrow(`${path}: models[0] (house-model), field input_mtok:`);
  });
});
