/**
 * Worker thread that owns the tiktoken encoders. Building an encoder takes hundreds of milliseconds
 * of CPU; doing it here keeps that work off the application's event loop. Encoders are built lazily,
 * once per encoding, and cached for the life of the worker.
 */
import { parentPort } from 'node:worker_threads';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';

type Encoding = 'o200k_base' | 'cl100k_base';
interface Request {
  id: number;
  encoding: Encoding;
  texts: string[];
}

const encoders = new Map<Encoding, Tiktoken>();

async function encoderFor(encoding: Encoding): Promise<Tiktoken> {
  let encoder = encoders.get(encoding);
  if (!encoder) {
    const ranks: { default: TiktokenBPE } =
      encoding === 'o200k_base'
        ? await import('js-tiktoken/ranks/o200k_base')
        : await import('js-tiktoken/ranks/cl100k_base');
    encoder = new Tiktoken(ranks.default);
    encoders.set(encoding, encoder);
  }
  return encoder;
}

parentPort?.on('message', async (req: Request) => {
  try {
    const encoder = await encoderFor(req.encoding);
    let tokens = 0;
    for (const text of req.texts) tokens += encoder.encode(text, [], []).length;
    parentPort?.postMessage({ id: req.id, tokens });
  } catch (err) {
    parentPort?.postMessage({ id: req.id, error: (err as Error).message });
  }
});
