/** The built package loads with `import` and `require()`, and its hooks patch the SDK either way. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runFixture } from '../../../test/fakes/child-process.js';
import { type FakeGemini, startFakeGemini } from './fake-gemini.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
let fake: FakeGemini;
beforeAll(async () => {
  assertBuilt(here('../dist/index.js'));
  assertBuilt(here('../dist/index.cjs'));
  fake = await startFakeGemini();
});
afterAll(async () => {
  await fake.close();
});

describe.each(['esm.mjs', 'cjs.cjs'])('%s', (fixture) => {
  it('a real app process gets a priced generate_content span', async () => {
    const out = await runFixture(here(`./fixtures/${fixture}`), { FAKE_URL: fake.url });
    expect(out.text).toBe('Hello world');
    expect(out.spans).toHaveLength(1);
    expect(out.spans[0]!.name).toBe('generate_content gemini-2.5-flash');
    expect(out.spans[0]!.attributes['gen_ai.usage.input_tokens']).toBe(11);
    expect(out.spans[0]!.attributes['gen_ai.usage.cost']).toBeCloseTo((11 * 0.3 + 4 * 2.5) / 1e6, 12);
  });
});
