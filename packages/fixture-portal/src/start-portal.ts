// Starts the portal: the main app and the second origin for the cross-origin iframe, each on its own
// loopback port, served by node:http through Hono's request listener.
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
  /** The second origin (another loopback port) that serves the cross-origin iframe's content. */
  crossOriginUrl: string;
  /** The seeded data the pages show. */
  data: PortalData;
  /** What browsers submitted, oldest first. */
  submissions: PortalSubmissions;
  /** The current RFC 6238 code of a user (default the demo user). */
  totp: (email?: string) => string;
  /** A signed-in session for a user (default the demo user), to skip the login form in tests. */
  sessionCookie: (email?: string) => PortalSessionCookie;
  /** Stops both servers, dropping open connections and pending slow responses. */
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

/** Starts the fixture portal on loopback; dispose it (or call `close`) when done. */
export async function startPortal(options: PortalOptions = {}): Promise<Portal> {
  const settings = resolvePortalOptions(options);
  const data = createPortalData(settings.seed);
  const abort = new AbortController();
  const state = createPortalState(settings, data, abort.signal);

  const crossServer = await listen(createCrossOriginApp(state), settings.host, settings.crossOriginPort);
  state.crossOriginUrl = originOf(crossServer, settings.host);
  let mainServer: Server;
  try {
    mainServer = await listen(createPortalApp(state), settings.host, settings.port);
  } catch (error) {
    await stop(crossServer);
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
      await Promise.all([stop(mainServer), stop(crossServer)]);
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
