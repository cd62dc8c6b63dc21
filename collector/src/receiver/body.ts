/**
 * Reads a request body under a byte limit, before and after decompression. gzip is decompressed as a
 * stream and stopped as soon as the output passes the limit, so a gzip bomb costs at most `limit` bytes.
 */
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`, {
      connection: 'close',
    });
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').toString().trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate' && encoding !== '') {
    throw new HttpError(415, `unsupported Content-Encoding ${JSON.stringify(encoding)} (use gzip or none)`);
  }
  const decompress =
    encoding === 'gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : undefined;

  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let out = 0;
    let done = false;
    const fail = (err: HttpError) => {
      if (done) return;
      done = true;
      decompress?.destroy();
      req.unpipe();
      // Discard the rest of the upload without buffering it; the response closes the connection.
      req.resume();
      reject(err);
    };
    const tooLarge = (what: string) =>
      new HttpError(413, `request body ${what} exceeds the limit of ${limit} bytes`, { connection: 'close' });

    req.on('data', (chunk: Buffer) => {
      raw += chunk.length;
      if (raw > limit) fail(tooLarge('size'));
    });
    req.on('error', (err) => fail(new HttpError(400, `error reading request body: ${err.message}`)));
    req.on('aborted', () => fail(new HttpError(400, 'request aborted')));

    const sink = decompress ?? req;
    if (decompress) {
      decompress.on('error', (err) => fail(new HttpError(400, `invalid ${encoding} body: ${err.message}`)));
      req.pipe(decompress);
    }
    sink.on('data', (chunk: Buffer) => {
      if (done) return;
      out += chunk.length;
      if (out > limit) {
        fail(tooLarge(decompress ? 'after decompression' : 'size'));
        return;
      }
      chunks.push(chunk);
    });
    sink.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, out));
    });
  });
}
