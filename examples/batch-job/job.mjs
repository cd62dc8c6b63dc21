// A nightly batch job: labels yesterday's support tickets. Nobody waits for it, so its spend is tagged
// non-interactive (burnrate.tag.interactive=false): dashboards and budgets can tell it from user traffic,
// and it is the first candidate for a batch or flex tier.
//
// Run it with the one import (that is `pnpm start`):
//   node --import @burnrate/auto/register job.mjs
// The process exits when the job is done; burnrate flushes its spans before that.
import { readFileSync } from 'node:fs';
import { withAttribution } from '@burnrate/core';
import OpenAI from 'openai';

const openai = new OpenAI();
const model = process.env.JOB_MODEL ?? 'gpt-4o-mini';
const concurrency = Number(process.env.JOB_CONCURRENCY ?? 4);
const tickets = JSON.parse(readFileSync(new URL('./tickets.json', import.meta.url), 'utf8'));

async function label(ticket) {
  const r = await openai.chat.completions.create({
    model,
    max_tokens: 5,
    messages: [
      { role: 'system', content: 'Answer with one label: account, billing, bug, shipping, other.' },
      { role: 'user', content: ticket.text },
    ],
  });
  return { id: ticket.id, label: r.choices[0].message.content.trim() };
}

const attribution = {
  feature: 'ticket-labeling',
  tags: { interactive: 'false', job: 'nightly-ticket-labeling' },
};
const results = await withAttribution(attribution, async () => {
  const out = [];
  const queue = [...tickets];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) out.push(await label(t));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
});
console.log(JSON.stringify({ labeled: results.length, results }));
