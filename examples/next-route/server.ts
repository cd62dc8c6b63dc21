// Stands in for `next start` so the example runs without installing Next.js: it calls `register()` from
// instrumentation.ts first, as Next.js does, then serves app/**/route.ts handlers with Web Request/Response.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from './instrumentation.ts';

await register();
// Route modules are imported after register(), as Next.js does: the SDKs they import are patched.
const routes: Record<string, Record<string, (request: Request) => Promise<Response>>> = {
  '/api/chat': await import('./app/api/chat/route.ts'),
};

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const handler = routes[url.pathname]?.[req.method ?? 'GET'];
  if (!handler) {
    res.writeHead(404).end('not found\n');
    return;
  }
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = new Request(url, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      body: chunks.length ? Buffer.concat(chunks) : undefined,
    });
    const response = await handler(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) for await (const chunk of response.body) res.write(chunk);
    res.end();
  } catch (err) {
    console.error(err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  }
});
server.listen(Number(process.env['PORT'] ?? 3000), () => {
  console.log(`next-route listening on http://localhost:${(server.address() as AddressInfo).port}`);
});
