// Shared pieces of the executor tests: an ExecutorContext over in-memory run files and the global
// fetch, and a loopback HTTP server that records what it received.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecretRedactor } from '@petrel/agent';
import { createMemoryRunFiles } from '@petrel/blocks';
import type { ExecutorContext } from '@petrel/blocks';

/** A context for one block run; `files` is the in-memory twin so tests can look inside. */
export function testContext(
  overrides: Partial<Omit<ExecutorContext, 'files'>> & { files?: ReturnType<typeof createMemoryRunFiles> } = {},
): ExecutorContext & { files: ReturnType<typeof createMemoryRunFiles> } {
  const { files, ...rest } = overrides;
  return {
    runId: 'wr_01JTESTRUN00000000000000',
    label: 'block',
    signal: new AbortController().signal,
    redactor: createSecretRedactor(),
    parameters: {},
    fetch,
    ...rest,
    files: files ?? createMemoryRunFiles(),
  };
}

/** One request the loopback server received. */
export type ReceivedRequest = { method: string; path: string; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** A loopback HTTP server with routes; every request is recorded. */
export type TestHttpServer = AsyncDisposable & { url: string; requests: ReceivedRequest[]; close(): Promise<void> };

/** Starts an HTTP server on 127.0.0.1 answering with `handler` (after the body is read). */
export async function startTestHttpServer(handler: (request: ReceivedRequest, response: ServerResponse) => void | Promise<void>): Promise<TestHttpServer> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(received);
      Promise.resolve(handler(received, res)).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}`, requests, close, [Symbol.asyncDispose]: close };
}

/** Writes a JSON answer. */
export function sendJson(response: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(value));
}
