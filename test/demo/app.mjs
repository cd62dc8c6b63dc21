// The demo's example app: a customer-support product that calls OpenAI and Anthropic.
//
// It has no burnrate setup code: the demo starts it with `node --import @burnrate/auto/register app.mjs`.
// It only uses @burnrate/core's helpers to say who and what each call is for (withAttribution), to
// record its semantic cache's hits (recordCacheHit) and its router's decisions (withRoute).
// The SDKs read OPENAI_API_KEY / OPENAI_BASE_URL and ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL as usual.
//
// DEMO_WAVE picks the slice of traffic to send (scenario.mjs); DEMO_CACHE_FILE is where the semantic
// cache keeps its entries between runs (a real app would use Redis or a vector store).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { recordCacheHit, withAttribution, withRoute } from '@burnrate/core';
import OpenAI from 'openai';
import { SEMANTIC_THRESHOLD, similarity, TENANTS, triageModel, WAVES } from './scenario.mjs';

const wave = WAVES[Number(process.env.DEMO_WAVE ?? 0)];
const cacheFile = process.env.DEMO_CACHE_FILE;
const openai = new OpenAI({ maxRetries: 1 });
const anthropic = new Anthropic({ maxRetries: 1 });

// Long, stable system prompts: providers cache them (OpenAI automatically, Anthropic with cache_control).
const SUPPORT_POLICY = Array.from(
  { length: 48 },
  (_, i) =>
    `Policy ${i + 1}: be precise and friendly, quote the order or invoice number, never promise a refund ` +
    `before checking the order state, and escalate to a human when the customer asks twice.`,
).join('\n');
const SUMMARY_GUIDE = Array.from(
  { length: 56 },
  (_, i) =>
    `Rule ${i + 1}: a ticket summary has a one-line headline, the customer's impact, what was tried, ` +
    `the next step and its owner; leave out greetings and signatures.`,
).join('\n');

function attributionFor(call) {
  return {
    feature: call.feature,
    userId: call.user,
    sessionId: call.session,
    tenant: TENANTS[call.user],
    tags: call.kind === 'batch' ? { interactive: 'false', job: 'nightly-digest' } : undefined,
  };
}

async function supportChat(call) {
  const messages = [
    { role: 'system', content: SUPPORT_POLICY },
    { role: 'user', content: call.prompt },
  ];
  if (!call.stream) {
    const r = await openai.chat.completions.create({ model: call.model, messages, max_tokens: 600 });
    return r.choices[0].message.content;
  }
  const stream = await openai.chat.completions.create({
    model: call.model,
    messages,
    max_tokens: 600,
    stream: true,
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

async function ticketSummary(call) {
  const message = await anthropic.messages.create({
    model: call.model,
    max_tokens: 400,
    system: [{ type: 'text', text: SUMMARY_GUIDE, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: call.prompt }],
  });
  return message.content.find((b) => b.type === 'text')?.text ?? '';
}

/** Knowledge-base answers behind a semantic cache: close questions reuse an earlier answer. */
async function kbAnswer(call, stats) {
  const cache = cacheFile && existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : [];
  let best;
  for (const entry of cache) {
    const score = similarity(entry.question, call.prompt);
    if (score >= SEMANTIC_THRESHOLD && (!best || score > best.score)) best = { entry, score };
  }
  if (best) {
    // The call we did not make: priced at list price, it is what the cache saved.
    const exact = best.score === 1;
    recordCacheHit({
      kind: exact ? 'exact' : 'semantic',
      similarity: exact ? undefined : best.score,
      provider: 'openai',
      model: best.entry.model,
      usage: best.entry.usage,
    });
    stats.cacheHits++;
    return best.entry.answer;
  }
  const r = await openai.chat.completions.create({
    model: call.model,
    max_tokens: 300,
    messages: [
      { role: 'system', content: 'Answer from the Acme help center in at most three sentences.' },
      { role: 'user', content: call.prompt },
    ],
  });
  const answer = r.choices[0].message.content;
  cache.push({
    question: call.prompt,
    answer,
    model: r.model,
    usage: {
      inputTokens: r.usage?.prompt_tokens ?? 0,
      outputTokens: r.usage?.completion_tokens ?? 0,
    },
  });
  if (cacheFile) writeFileSync(cacheFile, JSON.stringify(cache));
  return answer;
}

/** Triage goes through the router: short tickets to the small model, the rest to gpt-4o. */
async function triage(call, stats) {
  const model = triageModel(call.prompt);
  if (model !== 'gpt-4o') stats.routedDown++;
  const route = {
    name: 'triage-router',
    tier: model === 'gpt-4o' ? 'large' : 'small',
    reason: 'complexity',
    baselineModel: 'gpt-4o',
  };
  const r = await withRoute(route, () =>
    openai.chat.completions.create({
      model,
      max_tokens: 20,
      messages: [
        { role: 'system', content: 'Answer with one label: account, billing, bug, shipping, other.' },
        { role: 'user', content: call.prompt },
      ],
    }),
  );
  return r.choices[0].message.content;
}

/** The nightly digest: one Message Batch (half price), read back when it has ended. */
async function nightlyDigest(calls, stats) {
  let batch = await anthropic.messages.batches.create({
    requests: calls.map((call, i) => ({
      custom_id: `digest-${i}`,
      params: { model: call.model, max_tokens: 800, messages: [{ role: 'user', content: call.prompt }] },
    })),
  });
  const deadline = Date.now() + Number(process.env.DEMO_BATCH_WAIT_MS ?? 60_000);
  while (batch.processing_status !== 'ended') {
    if (Date.now() > deadline) throw new Error(`batch ${batch.id} still ${batch.processing_status}`);
    await new Promise((r) => setTimeout(r, 200));
    batch = await anthropic.messages.batches.retrieve(batch.id);
  }
  await withAttribution(attributionFor(calls[0]), async () => {
    for await (const item of await anthropic.messages.batches.results(batch.id)) {
      if (item.result.type === 'succeeded') stats.batchResults++;
    }
  });
}

const stats = { calls: 0, cacheHits: 0, routedDown: 0, batchResults: 0, errors: [] };
const batchCalls = [];
for (const call of wave.calls) {
  if (call.kind === 'batch') {
    batchCalls.push(call);
    continue;
  }
  const handler =
    { kb: kbAnswer, triage }[call.kind] ?? (call.provider === 'anthropic' ? ticketSummary : supportChat);
  try {
    await withAttribution(attributionFor(call), () => handler(call, stats));
    stats.calls++;
  } catch (err) {
    stats.errors.push(`${call.feature}: ${err.message}`);
  }
}
if (batchCalls.length && process.env.DEMO_SKIP_BATCH !== '1') {
  try {
    await nightlyDigest(batchCalls, stats);
  } catch (err) {
    stats.errors.push(`nightly-digest: ${err.message}`);
  }
}
console.log(JSON.stringify(stats));
