// A live Petrel server for the SDK's tests: `startServer` on 127.0.0.1, a free port, SQLite in a
// temporary data directory (deleted on dispose), logs off. Also a loopback proxy in front of it that
// can fail requests on purpose, to test retries against real answers.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerLogger, loadServerConfig, startServer } from '@petrel/server';
import type { RunningServer } from '@petrel/server';

/** A started server with its bootstrap key. */
export type LiveServer = {
  server: RunningServer;
  url: string;
  apiKey: string;
  organizationId: string;
  dataDir: string;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts a server; `env` adds `PETREL_*` settings. */
export async function startLiveServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'petrel-sdk-test-'));
  try {
    const server = await startServer({
      config: loadServerConfig({ PETREL_DATA_DIR: dataDir, PETREL_PORT: '0', PETREL_WORKER_SLOTS: '2', ...env }),
      logger: createServerLogger({ level: 'silent' }),
    });
    const bootstrap = server.bootstrap!;
    return {
      server,
      url: server.url,
      apiKey: bootstrap.apiKey.api_key,
      organizationId: bootstrap.organizationId,
      dataDir,
      async [Symbol.asyncDispose]() {
        try {
          await server.close();
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** What the proxy does with one request. */
export type ProxyAction =
  | { kind: 'forward' }
  /** Answer this status (and headers) without forwarding. */
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  /** Close the connection without answering. */
  | { kind: 'drop' }
  /** Forward, let the server process it, then close the connection instead of passing the answer on. */
  | { kind: 'forward-then-drop' }
  /** Never answer. */
  | { kind: 'hang' };

/** A request the proxy saw. */
export type ProxiedRequest = { method: string; url: string; headers: IncomingMessage['headers'] };

/** A loopback proxy: `decide(n, request)` picks the action for the n-th request (from 1). */
export type FaultyProxy = {
  url: string;
  seen: ProxiedRequest[];
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts a proxy to `target` that applies `decide` to each request. */
export async function startFaultyProxy(target: string, decide: (n: number, request: ProxiedRequest) => ProxyAction): Promise<FaultyProxy> {
  const seen: ProxiedRequest[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
      seen.push(request);
      const action = decide(seen.length, request);
      if (action.kind === 'answer') {
        res.writeHead(action.status, { 'content-type': 'application/json', ...action.headers });
        res.end(action.body ?? JSON.stringify({ detail: 'proxy: injected failure', code: 'UNAVAILABLE' }));
        return;
      }
      if (action.kind === 'drop') {
        res.socket?.destroy();
        return;
      }
      if (action.kind === 'hang') {
        hanging.push(res);
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection' && name !== 'content-length') headers[name] = value;
      }
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      void (async () => {
        try {
          const answer = await fetch(`${target}${request.url}`, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
          const bytes = Buffer.from(await answer.arrayBuffer());
          if (action.kind === 'forward-then-drop') {
            res.socket?.destroy();
            return;
          }
          const outHeaders: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'content-length' && name !== 'connection') outHeaders[name] = value;
          });
          res.writeHead(answer.status, outHeaders);
          res.end(bytes);
        } catch {
          res.socket?.destroy();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    async [Symbol.asyncDispose]() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
