// The demo's workload: a day of a support product's LLM traffic, in three waves.
//
// The demo app (app.mjs) sends these calls; the fake provider answers each with the usage written here,
// as OpenAI or Anthropic report it (with a real API key the provider's own usage counts instead).
// `usage` is normalized: `input` counts ALL input tokens (cached ones included), `cacheRead` the
// provider prompt-cache reads, `cacheWrite` the prompt-cache writes.
//
// kinds:
//   chat    a plain call (streamed when `stream`)
//   kb      a knowledge-base answer behind the app's semantic cache: a question close enough to one
//           answered before is served from the cache (recordCacheHit), otherwise the model is called
//   triage  a routed call: the app's router sends short tickets to gpt-4o-mini instead of gpt-4o (withRoute)
//   batch   the nightly digest: Anthropic Message Batches, priced on the batch tier, tagged non-interactive

export const SERVICE = 'acme-support';
export const TENANTS = { alice: 'acme', bob: 'acme', carol: 'globex', dave: 'globex' };

const SUPPORT = { feature: 'support-chat', provider: 'openai', model: 'gpt-4o', stream: true };
const SUMMARY = { feature: 'ticket-summary', provider: 'anthropic', model: 'claude-sonnet-4-5' };
const KB = { kind: 'kb', feature: 'kb-answer', provider: 'openai', model: 'gpt-4o-mini' };
const TRIAGE = { kind: 'triage', feature: 'triage', provider: 'openai' };
const DIGEST = { kind: 'batch', feature: 'nightly-digest', provider: 'anthropic', model: 'claude-haiku-4-5' };

/** @type {Array<{ name: string, calls: Array<Record<string, any>> }>} */
export const WAVES = [
  {
    name: 'morning traffic',
    calls: [
      {
        ...SUPPORT,
        user: 'alice',
        session: 's-101',
        prompt: 'Where is my order #1042? It was due on Monday.',
        usage: { input: 1712, output: 286 },
      },
      {
        ...SUPPORT,
        user: 'alice',
        session: 's-101',
        prompt: 'Can you send it to my office address instead?',
        usage: { input: 1804, output: 198, cacheRead: 1536 },
      },
      {
        ...SUPPORT,
        user: 'bob',
        session: 's-102',
        prompt: 'My March invoice shows the same charge twice.',
        usage: { input: 1766, output: 341, cacheRead: 1536 },
      },
      {
        ...SUMMARY,
        user: 'carol',
        prompt: 'Summarize ticket #5521 (warehouse scanner outage) for the on-call lead.',
        usage: { input: 2480, output: 220, cacheWrite: 2048 },
      },
      {
        ...KB,
        user: 'alice',
        prompt: 'How do I reset my password?',
        usage: { input: 420, output: 160 },
      },
      {
        ...KB,
        user: 'bob',
        prompt: 'How can I reset my password?', // close to alice's question: a semantic cache hit
      },
    ],
  },
  {
    name: 'afternoon traffic',
    calls: [
      {
        ...SUPPORT,
        user: 'carol',
        session: 's-103',
        prompt: 'The tracking page says delivered but nothing arrived.',
        usage: { input: 1890, output: 402, cacheRead: 1536 },
      },
      {
        ...SUMMARY,
        user: 'dave',
        prompt: 'Summarize ticket #5530 (refund request, damaged parcel) for finance.',
        usage: { input: 2610, output: 245, cacheRead: 2048 },
      },
      {
        ...TRIAGE,
        user: 'alice',
        prompt: 'Label this ticket: "password reset email never arrives"',
        usage: { input: 640, output: 12 },
      },
      {
        ...TRIAGE,
        user: 'bob',
        prompt: 'Label this ticket: "please update my billing email"',
        usage: { input: 636, output: 10 },
      },
      {
        ...TRIAGE,
        user: 'carol',
        prompt: 'Label this ticket: "app crashes when I open settings"',
        usage: { input: 644, output: 11 },
      },
      {
        ...TRIAGE,
        user: 'dave',
        prompt:
          'Label this ticket: "since the migration last week our SSO users in two regions get logged out every few minutes, audit logs show token refresh errors, and the admin console times out when we try to change the session policy"',
        usage: { input: 905, output: 14 },
      },
      {
        ...KB,
        user: 'dave',
        prompt: 'How do I reset my password?', // alice's question again: an exact cache hit
      },
    ],
  },
  {
    name: 'evening traffic and the nightly batch job',
    calls: [
      {
        ...SUPPORT,
        user: 'dave',
        session: 's-104',
        prompt: 'I need all invoices from last year as one PDF for our auditors.',
        usage: { input: 2050, output: 512, cacheRead: 1536 },
      },
      {
        ...SUPPORT,
        user: 'dave',
        session: 's-104',
        prompt: 'And the VAT numbers on them need to show our new company name.',
        usage: { input: 2390, output: 468, cacheRead: 1536 },
      },
      {
        ...SUMMARY,
        user: 'carol',
        prompt: 'Summarize ticket #5544 (bulk order, custom engraving) for sales.',
        usage: { input: 2395, output: 230, cacheRead: 2048 },
      },
      ...[
        'orders',
        'billing',
        'shipping',
        'returns',
        'accounts',
        'integrations',
        'mobile-app',
        'enterprise',
      ].map((queue, i) => ({
        ...DIGEST,
        prompt: `Write the daily digest of the ${queue} queue for the support leads.`,
        usage: { input: 3200 + 150 * i, output: 420 + 10 * i },
      })),
    ],
  },
];

/** Routing rule of the triage feature: short tickets go to the small model. */
export function triageModel(prompt) {
  return prompt.length <= 120 ? 'gpt-4o-mini' : 'gpt-4o';
}

/** Similarity the app's semantic cache uses (Dice coefficient over lower-cased words). */
export function similarity(a, b) {
  const words = (s) => new Set(s.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const x = words(a);
  const y = words(b);
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return x.size + y.size === 0 ? 0 : (2 * common) / (x.size + y.size);
}

export const SEMANTIC_THRESHOLD = 0.8;

/** Every call with the wave it belongs to. */
export function allCalls() {
  return WAVES.flatMap((wave, w) => wave.calls.map((call) => ({ ...call, wave: w })));
}
