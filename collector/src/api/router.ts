/** A small router over node:http: exact paths per method; later features register their own routes. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export class Router {
  private readonly routes = new Map<string, Map<string, Handler>>();

  add(method: string, path: string, handler: Handler): this {
    let byMethod = this.routes.get(path);
    if (!byMethod) {
      byMethod = new Map();
      this.routes.set(path, byMethod);
    }
    byMethod.set(method.toUpperCase(), handler);
    return this;
  }

  /** The handler for a request, or the status to answer (404 unknown path, 405 wrong method). */
  match(method: string, path: string): { handler: Handler } | { status: 404 | 405; allow?: string } {
    const byMethod = this.routes.get(path);
    if (!byMethod) return { status: 404 };
    const handler =
      byMethod.get(method.toUpperCase()) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined);
    if (!handler) return { status: 405, allow: [...byMethod.keys()].join(', ') };
    return { handler };
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
