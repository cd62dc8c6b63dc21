import '@burnrate/auto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const openai = new OpenAI({ apiKey: 'sk-test', baseURL: process.env.FAKE_OPENAI_URL, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: process.env.FAKE_URL, maxRetries: 0 });
const messages = [{ role: 'user', content: 'Say hello' }];

const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
let streamed = '';
const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
const message = await anthropic.messages.create({
  model: 'claude-3-5-haiku-20241022',
  max_tokens: 50,
  messages,
});
console.log(
  JSON.stringify({
    completion: completion.choices[0].message.content,
    streamed,
    message: message.content[0].text,
  }),
);
