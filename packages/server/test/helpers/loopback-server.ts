// A tiny HTTP server on 127.0.0.1 for outbound and webhook tests; records every request.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the server received. */
export type ReceivedRequest = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

/** A running loopback server. */
export type LoopbackServer = {
  url: string;
  port: number;
  received: ReceivedRequest[];
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts a server whose `handler` answers each request (after its body is read). */
export async function startLoopbackServer(
  handler: (request: ReceivedRequest, response: ServerResponse) => unknown,
): Promise<LoopbackServer> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(request);
      Promise.resolve(handler(request, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
