// A Next.js App Router route handler (app/api/chat/route.ts): POST /api/chat streams the answer.
// Attribution comes from the request (in a real app: from the session); the feature names the route.
import { withAttribution } from '@burnrate/core';
import OpenAI from 'openai';

const openai = new OpenAI();

export async function POST(request: Request): Promise<Response> {
  const { message } = (await request.json()) as { message?: string };
  const attribution = {
    feature: 'assistant',
    userId: request.headers.get('x-user-id') ?? 'anonymous',
    tenant: request.headers.get('x-tenant') ?? undefined,
  };
  const stream = await withAttribution(attribution, () =>
    openai.chat.completions.create({
      model: process.env['CHAT_MODEL'] ?? 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: String(message ?? '') }],
    }),
  );
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for await (const chunk of stream)
        controller.enqueue(encoder.encode(chunk.choices[0]?.delta?.content ?? ''));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
