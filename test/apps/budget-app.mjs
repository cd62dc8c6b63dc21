// A small app for the budgets end-to-end test: CALLS chat calls as USER, optionally behind the budget guard.
// Started with `node --import @burnrate/auto/register budget-app.mjs` (the one import, no code change).
import { installBudgetGuard, withAttribution } from '@burnrate/core';
import OpenAI from 'openai';

const { USER, CALLS = '1', MODEL = 'gpt-4o-mini', GUARD_POLICIES, COLLECTOR_URL } = process.env;
if (GUARD_POLICIES)
  await installBudgetGuard({ collectorUrl: COLLECTOR_URL, policies: JSON.parse(GUARD_POLICIES) });

const openai = new OpenAI({ apiKey: 'sk-test', baseURL: process.env.FAKE_OPENAI_URL, maxRetries: 0 });
const results = [];
for (let i = 0; i < Number(CALLS); i++) {
  try {
    const r = await withAttribution({ userId: USER, feature: 'chat' }, () =>
      openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Say hello' }] }),
    );
    results.push({ ok: r.choices[0].message.content });
  } catch (err) {
    results.push({ error: err.name, message: err.message });
  }
}
console.log(JSON.stringify(results));
