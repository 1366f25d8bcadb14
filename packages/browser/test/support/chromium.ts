// Test helpers: whether Chromium is here (skip with a reason if not, fail in CI), a shared pool per
// test file, and small pages served by the tests themselves for cases the portal does not cover.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findChromium, createDiskBlobStore, createBrowserPool, type BrowserPool, type BrowserPoolOptions, type Observation, type ObservedElement } from '@petrel/browser';

const found = findChromium();

/** The Chromium the tests drive (undefined when none is installed). */
export const chromiumPath = found?.path;

/** `{ skip }` option for node:test: a reason when Chromium is missing (never in CI, where the tests must run and fail). */
export const skipWithoutChromium: { skip: string | false } = {
  skip: found || process.env['CI'] === 'true' ? false : 'Chromium is not installed (run npm run setup)',
};

/** A pool with its own temporary blob and download folders, for one test file. */
export async function createTestPool(options: BrowserPoolOptions = {}): Promise<{ pool: BrowserPool; root: string; close: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'petrel-browser-test-'));
  const pool = createBrowserPool({
    blobStore: createDiskBlobStore({ root: join(root, 'blobs') }),
    downloadsRoot: join(root, 'downloads'),
    maxContexts: 8,
    contextDefaults: { trace: false, video: 'off', screenshots: 'off', html: false },
    ...options,
  });
  return {
    pool,
    root,
    close: async () => {
      await pool.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The first element whose role matches and whose name contains `name`; throws when there is none. */
export function element(observation: Observation, role: string, name: string | RegExp): ObservedElement {
  const match = observation.elements.find((e) => e.role === role && (typeof name === 'string' ? e.name.includes(name) : name.test(e.name)));
  if (!match) throw new Error(`no ${role} named ${String(name)} in:\n${observation.text}`);
  return match;
}

/** A loopback HTTP server answering with `handler`; for pages the portal does not have. */
export async function serve(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; close: () => Promise<void>; [Symbol.asyncDispose]: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    if (!server.listening) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
