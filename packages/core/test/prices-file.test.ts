import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPricesFile, PricesFileError } from '../src/prices-file.js';
import { Pricer } from '../src/pricing.js';
import { usageOf } from '../src/usage.js';

const dir = mkdtempSync(join(tmpdir(), 'burnrate-prices-'));
function file(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('prices file', () => {
  it('loads YAML and JSON', () => {
    const yaml = file('p.yaml', 'models:\n  - model: house-model\n    input_mtok: 1\n    output_mtok: 4\n');
    const json = file(
      'p.json',
      JSON.stringify({ models: [{ model: 'house-model', input_mtok: 1, output_mtok: 4 }] }),
    );
    for (const path of [yaml, json]) {
      const r = Pricer.fromFile(path).price({
        model: 'house-model',
        usage: usageOf({ inputTokens: 1e6, outputTokens: 1e6 }),
      });
      expect(r.priced && r.cost.total).toBe(5);
    }
  });

  it('names the file, the entry and the field of a bad value', () => {
    const path = file(
      'bad.yaml',
      'models:\n  - model: ok-model\n    input_mtok: 1\n  - model: broken-model\n    input_mtok: 1\n    output_mtok: "cheap"\n',
    );
    expect(() => loadPricesFile(path)).toThrow(PricesFileError);
    expect(() => loadPricesFile(path)).toThrow(`${path}: models[1] (broken-model), field output_mtok:`);
  });

  it('rejects negative prices and unknown fields', () => {
    const negative = file('neg.yaml', 'models:\n  - model: m\n    input_mtok: -1\n');
    expect(() => loadPricesFile(negative)).toThrow(/models\[0\] \(m\), field input_mtok/);
    const typo = file('typo.yaml', 'models:\n  - model: m\n    input_mtok: 1\n    outptu_mtok: 2\n');
    expect(() => loadPricesFile(typo)).toThrow(/models\[0\] \(m\).*outptu_mtok/);
  });

  it('reports unreadable and unparsable files with their path', () => {
    expect(() => loadPricesFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read prices file/);
    const garbage = file('garbage.yaml', 'models: [unclosed');
    expect(() => loadPricesFile(garbage)).toThrow(/garbage\.yaml: not valid YAML or JSON/);
  });
});
