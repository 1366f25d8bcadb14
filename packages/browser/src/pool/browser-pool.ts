// The browser pool: one local Chromium (headless by default) launched on first use, or a remote one
// attached over CDP (`browserAddress`); run contexts on it, at most `maxContexts` at once (callers
// queue, with a signal and a wait limit). Disposal closes every run context, closes the browser, and
// then kills any process that still carries the pool's marker switch, so nothing it started survives.
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { PetrelError, newId, silentLogger, type Logger } from '@petrel/protocol';
import { getChromium, type ChromiumLocation } from '../chromium/discover-chromium.ts';
import { DEFAULT_CHROMIUM_ARGS, ownerMarkerArg } from '../chromium/launch-args.ts';
import { findMarkedProcesses, killMarkedProcesses } from '../chromium/process-tracker.ts';
import { ensureVideoSupport } from '../chromium/video-support.ts';
import { playwrightContextOptions, resolveContextOptions, type RunContextOptions } from '../context/context-options.ts';
import { openRunContext, type RunContext } from '../context/run-context.ts';
import { createDiskBlobStore } from '../storage/disk-blob-store.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { safeKeySegment } from '../artifacts/artifact-recorder.ts';

/** Options of `createBrowserPool`. */
export type BrowserPoolOptions = {
  /** Chromium to launch; default: the Playwright-managed browser, then system locations (see `findChromium`). */
  executablePath?: string;
  /** Attach to this remote Chromium over CDP (`http://host:port` or `ws://…`) instead of launching one; default none. */
  browserAddress?: string;
  /** Launch headless; default true. */
  headless?: boolean;
  /** Most run contexts open at once; default 4. */
  maxContexts?: number;
  /** Extra Chromium switches; default none. */
  args?: readonly string[];
  /** Where artifacts go; default a disk store under `<tmpdir>/petrel/blobs`. */
  blobStore?: BlobStore;
  /** Folder under which each run gets its downloads folder; default `<tmpdir>/petrel/downloads`. */
  downloadsRoot?: string;
  /** A system ffmpeg for video; default searched in the usual places. */
  ffmpegPath?: string;
  /** Time limit for launching or attaching; default 30000 ms. */
  launchTimeoutMs?: number;
  /** Defaults under every `newContext` call's options; default none. */
  contextDefaults?: RunContextOptions;
  /** Structured logger; default silent. */
  logger?: Logger;
};

/** Options of one `newContext` call. */
export type NewContextOptions = RunContextOptions & {
  /** Give up waiting for a free slot; default none. */
  signal?: AbortSignal;
  /** Longest wait for a free slot; default 60000 ms. */
  waitTimeoutMs?: number;
};

/** Counters of a pool. */
export type PoolStats = { active: number; waiting: number; maxContexts: number; launched: boolean; remote: boolean };

/** Chromium contexts for runs, with a concurrency cap. */
export type BrowserPool = AsyncDisposable & {
  /** Where artifacts are written. */
  readonly blobStore: BlobStore;
  /** Opens a run context in a fresh browser context (waits for a free slot). */
  newContext(options?: NewContextOptions): Promise<RunContext>;
  /**
   * Opens a run context on the default (persistent) context of the Chromium at `browserAddress`,
   * e.g. a persistent session's; closing the run detaches and leaves that browser running.
   */
  attach(browserAddress: string, options?: NewContextOptions): Promise<RunContext>;
  stats(): PoolStats;
  /** The process marker of the Chromium this pool launched (for leak checks). */
  readonly marker: string;
  /** Closes every run context and the browser, and kills what is left of the processes it started. */
  close(): Promise<void>;
};

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

/** Creates a browser pool. Nothing is launched until the first context is asked for. */
export function createBrowserPool(options: BrowserPoolOptions = {}): BrowserPool {
  const maxContexts = options.maxContexts ?? 4;
  if (!Number.isInteger(maxContexts) || maxContexts < 1 || maxContexts > 256) {
    throw new PetrelError('VALIDATION_FAILED', 'createBrowserPool: maxContexts must be an integer from 1 to 256', { details: { field: 'maxContexts' } });
  }
  const logger = (options.logger ?? silentLogger).child({ component: 'browser-pool' });
  const launchTimeoutMs = options.launchTimeoutMs ?? 30_000;
  const blobStore = options.blobStore ?? createDiskBlobStore({ root: join(tmpdir(), 'petrel', 'blobs') });
  const downloadsRoot = options.downloadsRoot ?? join(tmpdir(), 'petrel', 'downloads');
  const marker = ownerMarkerArg(`pool-${randomUUID()}`);
  let location: ChromiumLocation | undefined;
  let browser: Promise<Browser> | undefined;
  let active = 0;
  let closed = false;
  const waiters: Waiter[] = [];
  const open = new Set<RunContext>();
  const attachedBrowsers = new Set<Browser>();

  function release(): void {
    active -= 1;
    const next = waiters.shift();
    if (next) {
      active += 1;
      next.resolve();
    }
  }

  async function acquire(signal: AbortSignal | undefined, waitTimeoutMs: number): Promise<void> {
    if (closed) throw new PetrelError('UNAVAILABLE', 'browser.newContext: the pool is closed');
    if (signal?.aborted) throw new PetrelError('CANCELED', 'browser.newContext: aborted');
    if (active < maxContexts) {
      active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const drop = (error: unknown) => {
        const index = waiters.indexOf(waiter);
        if (index >= 0) waiters.splice(index, 1);
        waiter.reject(error);
      };
      const onAbort = () => drop(new PetrelError('CANCELED', 'browser.newContext: aborted while waiting for a free context'));
      timer = setTimeout(
        () => drop(new PetrelError('UNAVAILABLE', `browser.newContext: no free context within ${waitTimeoutMs} ms (maxContexts ${maxContexts})`, { retryAfterMs: 1000 })),
        waitTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  async function launch(): Promise<Browser> {
    if (options.browserAddress) {
      try {
        const remote = await chromium.connectOverCDP(options.browserAddress, { timeout: launchTimeoutMs });
        logger.info({ browserAddress: options.browserAddress }, 'browser: attached to a remote Chromium');
        return remote;
      } catch (error) {
        throw new PetrelError('BROWSER_ERROR', 'browser.pool: could not attach to the remote Chromium over CDP', { cause: error, details: { browserAddress: options.browserAddress } });
      }
    }
    location ??= getChromium(options.executablePath === undefined ? {} : { executablePath: options.executablePath });
    try {
      const launched = await chromium.launch({
        executablePath: location.path,
        headless: options.headless ?? true,
        args: [...DEFAULT_CHROMIUM_ARGS, marker, ...(options.args ?? [])],
        timeout: launchTimeoutMs,
        // The process that owns the pool decides what a signal does (a server drains first); Playwright's
        // own SIGINT handler would close the browser and exit(130) in the middle of that. Chromium is
        // still killed when the process exits, and Ctrl-C reaches it through the process group.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      });
      logger.info({ executablePath: location.path, source: location.source, version: launched.version() }, 'browser: launched Chromium');
      return launched;
    } catch (error) {
      killMarkedProcesses(marker);
      throw new PetrelError('BROWSER_ERROR', `browser.pool: could not launch Chromium at ${location.path}`, { cause: error });
    }
  }

  async function getBrowser(): Promise<Browser> {
    if (browser) {
      const current = await browser.catch(() => undefined);
      if (current?.isConnected()) return current;
      browser = undefined;
    }
    browser = launch();
    browser.catch(() => {
      browser = undefined;
    });
    return browser;
  }

  async function track(context: Promise<RunContext>): Promise<RunContext> {
    const ctx = await context;
    open.add(ctx);
    return ctx;
  }

  const pool: BrowserPool = {
    blobStore,
    marker,

    async newContext(contextOptions: NewContextOptions = {}) {
      const { signal, waitTimeoutMs, ...rest } = contextOptions;
      const resolved = resolveContextOptions({ ...options.contextDefaults, ...rest }, () => newId('workflowRun'));
      await acquire(signal, waitTimeoutMs ?? 60_000);
      let context: BrowserContext | undefined;
      try {
        const b = await getBrowser();
        const playwrightOptions = playwrightContextOptions(resolved);
        let videoDir: string | undefined;
        if (resolved.video !== 'off') {
          const support = ensureVideoSupport(options.ffmpegPath ? { ffmpegPath: options.ffmpegPath } : {});
          if (support.ok) {
            videoDir = await mkdtemp(join(tmpdir(), 'petrel-video-'));
            playwrightOptions.recordVideo = { dir: videoDir, size: resolved.viewport };
          } else {
            logger[resolved.video === 'on' ? 'warn' : 'info']({ runId: resolved.runId, reason: support.reason }, 'browser: recording no video');
          }
        }
        context = await b.newContext(playwrightOptions);
        const ctx = await track(
          openRunContext({
            context,
            options: resolved,
            blobStore,
            logger,
            downloadsDir: resolved.raw.downloadsDir ?? join(downloadsRoot, safeKeySegment(resolved.runId)),
            ownsContext: true,
            video: videoDir !== undefined,
            ...(videoDir ? { videoDir } : {}),
            onClose: async () => {
              open.delete(ctx);
              release();
            },
          }),
        );
        return ctx;
      } catch (error) {
        await context?.close().catch(() => {});
        release();
        throw error;
      }
    },

    async attach(browserAddress: string, contextOptions: NewContextOptions = {}) {
      const { signal, waitTimeoutMs, ...rest } = contextOptions;
      const resolved = resolveContextOptions({ ...options.contextDefaults, ...rest }, () => newId('workflowRun'));
      await acquire(signal, waitTimeoutMs ?? 60_000);
      let remote: Browser | undefined;
      try {
        remote = await chromium.connectOverCDP(browserAddress, { timeout: launchTimeoutMs }).catch((error: unknown) => {
          throw new PetrelError('BROWSER_ERROR', 'browser.attach: could not connect to the browser over CDP', { cause: error, details: { browserAddress } });
        });
        attachedBrowsers.add(remote);
        const connected = remote;
        const context = connected.contexts()[0] ?? (await connected.newContext(playwrightContextOptions(resolved)));
        if (resolved.raw.storageState) await context.setStorageState(resolved.raw.storageState);
        if (resolved.raw.extraHttpHeaders) await context.setExtraHTTPHeaders(resolved.raw.extraHttpHeaders);
        if (resolved.video === 'on') logger.warn({ runId: resolved.runId }, 'browser: no video for a run attached to an existing browser context');
        const ctx = await track(
          openRunContext({
            context,
            options: resolved,
            blobStore,
            logger,
            downloadsDir: resolved.raw.downloadsDir ?? join(downloadsRoot, safeKeySegment(resolved.runId)),
            ownsContext: false,
            video: false,
            onClose: async () => {
              open.delete(ctx);
              attachedBrowsers.delete(connected);
              // On a CDP connection, close() only disconnects; the session's Chromium keeps running.
              await connected.close().catch(() => {});
              release();
            },
          }),
        );
        return ctx;
      } catch (error) {
        if (remote) {
          attachedBrowsers.delete(remote);
          await remote.close().catch(() => {});
        }
        release();
        throw error;
      }
    },

    stats() {
      return { active, waiting: waiters.length, maxContexts, launched: browser !== undefined, remote: options.browserAddress !== undefined };
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const waiter of waiters.splice(0)) waiter.reject(new PetrelError('UNAVAILABLE', 'browser.newContext: the pool closed'));
      await Promise.allSettled([...open].map((ctx) => ctx.close()));
      await Promise.allSettled([...attachedBrowsers].map((b) => b.close()));
      const current = browser ? await browser.catch(() => undefined) : undefined;
      if (current) {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([current.close().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
        } finally {
          clearTimeout(timer);
        }
      }
      browser = undefined;
      if (!options.browserAddress) {
        const left = findMarkedProcesses(marker);
        if (left.length > 0) {
          logger.warn({ pids: left }, 'browser: Chromium processes survived close; killing them');
          killMarkedProcesses(marker);
        }
      }
    },

    async [Symbol.asyncDispose]() {
      await pool.close();
    },
  };
  return pool;
}
