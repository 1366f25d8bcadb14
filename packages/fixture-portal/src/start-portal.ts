// Starts the portal: the main app on `http://127.0.0.1:<port>` and the second origin for the
// cross-site iframe on `http://localhost:<port2>` (another site, so Chromium isolates the frame in a
// process of its own), served by node:http through Hono's request listener.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { PortalOptions } from './portal-options.ts';
import { resolvePortalOptions } from './portal-options.ts';
import type { PortalData } from './portal-data.ts';
import { DEMO_USER, createPortalData } from './portal-data.ts';
import { SESSION_COOKIE, createPortalState, createSession } from './portal-state.ts';
import type { PortalSubmissions } from './submissions.ts';
import { totpCode } from './totp.ts';
import { createCrossOriginApp, createPortalApp } from './portal-app.ts';

/** A cookie that signs a browser in without the login form (Playwright's `addCookies` shape). */
export type PortalSessionCookie = { name: string; value: string; url: string };

/** A running portal. */
export type Portal = {
  /** The main origin, `http://127.0.0.1:<port>`. */
  url: string;
  /**
   * The second origin that serves the embedded payment form, `http://localhost:<port2>` by default:
   * cross-site to `url`, so Chromium runs that iframe out of process.
   */
  crossOriginUrl: string;
  /** The seeded data the pages show. */
  data: PortalData;
  /** What browsers submitted, oldest first. */
  submissions: PortalSubmissions;
  /** The current RFC 6238 code of a user (default the demo user). */
  totp: (email?: string) => string;
  /** A signed-in session for a user (default the demo user), to skip the login form in tests. */
  sessionCookie: (email?: string) => PortalSessionCookie;
  /** Stops the servers, dropping open connections and pending slow responses. */
  close: () => Promise<void>;
  [Symbol.asyncDispose]: () => Promise<void>;
};

async function listen(app: Hono, host: string, port: number): Promise<Server> {
  // overrideGlobalObjects: false keeps Hono from replacing the process-wide Request/Response.
  const listener = getRequestListener(app.fetch, { overrideGlobalObjects: false });
  const server = createServer((request, response) => {
    listener(request, response).catch(() => response.destroy());
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function stop(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

function originOf(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Listens on both loopback addresses with one port, for the `localhost` origin: Chromium resolves
 * `localhost` itself to `::1` and `127.0.0.1` and tries `::1` first. Without IPv6 only `127.0.0.1` is
 * bound; when the port is taken on `::1` by someone else, another free port is tried.
 */
async function listenLoopbacks(app: Hono, port: number): Promise<Server[]> {
  for (let attempt = 1; ; attempt++) {
    const v4 = await listen(app, '127.0.0.1', port);
    const chosen = (v4.address() as AddressInfo).port;
    try {
      return [v4, await listen(app, '::1', chosen)];
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') return [v4];
      await stop(v4);
      if (code !== 'EADDRINUSE' || port !== 0 || attempt >= 5) throw error;
    }
  }
}

/** Starts the fixture portal on loopback; dispose it (or call `close`) when done. */
export async function startPortal(options: PortalOptions = {}): Promise<Portal> {
  const settings = resolvePortalOptions(options);
  const data = createPortalData(settings.seed);
  const abort = new AbortController();
  const state = createPortalState(settings, data, abort.signal);

  const crossApp = createCrossOriginApp(state);
  const crossServers =
    settings.crossOriginHost === 'localhost'
      ? await listenLoopbacks(crossApp, settings.crossOriginPort)
      : [await listen(crossApp, settings.crossOriginHost, settings.crossOriginPort)];
  state.crossOriginUrl = originOf(crossServers[0] as Server, settings.crossOriginHost);
  let mainServer: Server;
  try {
    mainServer = await listen(createPortalApp(state), settings.host, settings.port);
  } catch (error) {
    await Promise.all(crossServers.map(stop));
    throw error;
  }
  const url = originOf(mainServer, settings.host);

  const userOf = (operation: string, email: string) => {
    const user = data.users.find((u) => u.email === email);
    if (!user) throw new Error(`portal.${operation}: no such user`);
    return user;
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      abort.abort();
      await Promise.all([mainServer, ...crossServers].map(stop));
    })();
    return closing;
  };
  return {
    url,
    crossOriginUrl: state.crossOriginUrl,
    data,
    submissions: state.submissions,
    totp: (email = DEMO_USER.email) => totpCode(userOf('totp', email).totpSecret),
    sessionCookie: (email = DEMO_USER.email) => {
      userOf('sessionCookie', email);
      const value = createSession(state, { email, stage: 'signed-in', next: '/dashboard' });
      return { name: SESSION_COOKIE, value, url };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
