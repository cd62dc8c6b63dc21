/** The built package loads with `import` and `require()`, and its hooks patch the SDK either way. */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runFixture } from '../../../test/fakes/child-process.js';
import { type FakeMistral, startFakeMistral } from './fake-mistral.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
let fake: FakeMistral;
beforeAll(async () => {
  assertBuilt(here('../dist/index.js'));
  assertBuilt(here('../dist/index.cjs'));
  fake = await startFakeMistral();
});
afterAll(async () => {
  await fake.close();
});

describe.each(['esm.mjs', 'cjs.cjs'])('%s', (fixture) => {
  it('a real app process gets a priced Mistral chat span', async () => {
    const out = await runFixture(here(`./fixtures/${fixture}`), { FAKE_URL: fake.url });
    expect(out.text).toBe('Hello world');
    expect(out.spans).toHaveLength(1);
    expect(out.spans[0]!.name).toBe('chat mistral-small-latest');
    expect(out.spans[0]!.attributes['gen_ai.usage.cost']).toBeCloseTo((12 * 0.1 + 5 * 0.3) / 1e6, 14);
  });
});
