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
  /** Pass the request on and stream the answer back; with `cutAfterEvents`, close it after that many SSE events. */
  | { kind: 'forward'; cutAfterEvents?: number }
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
          if (action.kind === 'forward-then-drop') {
            await answer.body?.cancel();
            res.socket?.destroy();
            return;
          }
          const outHeaders: Record<string, string> = {};
          answer.headers.forEach((value, name) => {
            if (name !== 'content-encoding' && name !== 'transfer-encoding' && name !== 'content-length' && name !== 'connection') outHeaders[name] = value;
          });
          res.writeHead(answer.status, outHeaders);
          res.flushHeaders();
          let events = 0;
          let cut = false;
          if (answer.body !== null) {
            // Leaving the loop early cancels the upstream body.
            for await (const chunk of answer.body) {
              const limit = action.cutAfterEvents;
              if (limit !== undefined) {
                // Pass the text up to the end of the limit-th event (a frame with data, ended by a blank
                // line; comments do not count), then cut.
                const text = Buffer.from(chunk).toString('latin1');
                let at = 0;
                while (events < limit) {
                  const end = text.indexOf('\n\n', at);
                  if (end === -1) break;
                  if (text.slice(at, end).includes('data:')) events++;
                  at = end + 2;
                }
                if (events >= limit) {
                  // Cut once these bytes are out (destroying at once would drop them).
                  res.write(chunk.subarray(0, at), () => res.socket?.destroy());
                  cut = true;
                  break;
                }
              }
              res.write(chunk);
            }
          }
          if (!cut) res.end();
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
