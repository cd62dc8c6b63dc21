// An Express API whose LLM spend is attributed per user, tenant and feature.
//
// No burnrate setup code here: start it with the one import,
//   node --import @burnrate/auto/register server.mjs        (that is `pnpm start`)
// The OpenAI SDK reads OPENAI_API_KEY and OPENAI_BASE_URL (point it at the demo's fake provider, or not).
import { withAttribution } from '@burnrate/core';
import express from 'express';
import OpenAI from 'openai';

const openai = new OpenAI();
const model = process.env.CHAT_MODEL ?? 'gpt-4o-mini';
const app = express();
app.use(express.json());

// Attribution middleware: every LLM call made while handling the request carries user.id,
// burnrate.tenant and session.id. In a real app these come from the session or the auth token.
app.use((req, _res, next) => {
  withAttribution(
    {
      userId: req.get('x-user-id') ?? 'anonymous',
      tenant: req.get('x-tenant') ?? undefined,
      sessionId: req.get('x-session-id') ?? undefined,
    },
    next,
  );
});

// One feature per route: burnrate.feature says what the spend was for.
app.post('/chat', async (req, res, next) => {
  try {
    const completion = await withAttribution({ feature: 'chat' }, () =>
      openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: String(req.body?.message ?? '') }],
      }),
    );
    res.json({ reply: completion.choices[0].message.content });
  } catch (err) {
    next(err);
  }
});

// Streaming: text is sent to the client as it arrives; burnrate still records the full usage.
app.post('/summarize', async (req, res, next) => {
  try {
    const stream = await withAttribution({ feature: 'summarize' }, () =>
      openai.chat.completions.create({
        model,
        stream: true,
        messages: [
          { role: 'system', content: 'Summarize the text in two sentences.' },
          { role: 'user', content: String(req.body?.text ?? '') },
        ],
      }),
    );
    res.type('text/plain');
    for await (const chunk of stream) res.write(chunk.choices[0]?.delta?.content ?? '');
    res.end();
  } catch (err) {
    next(err);
  }
});

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, () => {
  console.log(`express-api listening on http://localhost:${server.address().port}`);
});
