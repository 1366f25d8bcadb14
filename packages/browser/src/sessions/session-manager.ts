// Persistent browser sessions: a Chromium started with a DevTools port on 127.0.0.1 and its own
// user-data-dir, kept alive between runs and reachable by any process over CDP at its
// `browserAddress`. A session expires at its timeout (5–1440 minutes) or after being idle; one run
// at a time may occupy it. Records live in memory; the server persists them from the events.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { PetrelError, newId, silentLogger, type Logger } from '@petrel/protocol';
import { getChromium } from '../chromium/discover-chromium.ts';
import { DEFAULT_CHROMIUM_ARGS, ownerMarkerArg } from '../chromium/launch-args.ts';
import { killMarkedProcesses } from '../chromium/process-tracker.ts';
import type { StorageState } from '../context/context-options.ts';

/** Session statuses, as Skyvern names them. */
export const BROWSER_SESSION_STATUSES = ['created', 'running', 'completed', 'timeout', 'failed'] as const;

/** A session status. */
export type BrowserSessionStatus = (typeof BROWSER_SESSION_STATUSES)[number];

/** A persistent browser session. */
export type BrowserSession = {
  /** `pbs_…` id. */
  browserSessionId: string;
  status: BrowserSessionStatus;
  /** CDP address other processes connect to (`http://127.0.0.1:<port>`); null until running and after it ends. */
  browserAddress: string | null;
  /** The browser's DevTools WebSocket URL; null when not running. */
  wsEndpoint: string | null;
  /** Lifetime in minutes (5–1440). */
  timeout: number;
  /** The run occupying the session, if any (Skyvern's `runnable_id`). */
  runnableId: string | null;
  /** The profile the session started from, if any. */
  browserProfileId: string | null;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  /** Last time a run occupied, released or touched the session. */
  lastActivityAt: string;
  /** When the lifetime ends. */
  expiresAt: string;
  /** Why the session failed or timed out. */
  reason?: string;
};

/** What happened to a session. */
export type BrowserSessionEvent = { type: 'created' | 'updated' | 'ended'; session: BrowserSession };

/** Options of `createSessionManager`. */
export type SessionManagerOptions = {
  /** Chromium to start; default discovered like the pool's. */
  executablePath?: string;
  /** Headless; default true. */
  headless?: boolean;
  /** Extra Chromium switches; default none. */
  args?: readonly string[];
  /** A session not occupied for this long times out; default 30 minutes. */
  idleTimeoutMs?: number;
  /** How often expiry is checked; default 5000 ms. */
  checkIntervalMs?: number;
  /** Time limit for Chromium to open its DevTools port; default 30000 ms. */
  startTimeoutMs?: number;
  /** Most sessions alive at once; default 16. */
  maxSessions?: number;
  logger?: Logger;
};

/** Options of `create`. */
export type CreateSessionOptions = {
  /** Lifetime in minutes, 5–1440; default 60. */
  timeoutMinutes?: number;
  /** State to start from (e.g. a profile's); default empty. */
  storageState?: StorageState;
  /** Recorded on the session when it starts from a profile. */
  browserProfileId?: string;
  /** A page to open first; default about:blank. */
  url?: string;
  /** Proxy for the whole browser; default none. */
  proxy?: { server: string; bypass?: string };
  signal?: AbortSignal;
};

/** Creates, finds, occupies and closes persistent sessions. */
export type SessionManager = AsyncDisposable & {
  /** Starts a Chromium and returns its session once it is reachable over CDP. */
  create(options?: CreateSessionOptions): Promise<BrowserSession>;
  /** The session; throws `BROWSER_SESSION_NOT_FOUND`. */
  get(browserSessionId: string): BrowserSession;
  /** The session, or undefined. */
  find(browserSessionId: string): BrowserSession | undefined;
  /** Sessions, newest first; by default only the live ones (`created`, `running`). */
  list(options?: { includeEnded?: boolean }): BrowserSession[];
  /** Marks the session as occupied by a run; throws `BROWSER_SESSION_BUSY` when another run holds it. */
  occupy(browserSessionId: string, runId: string): BrowserSession;
  /** Frees the session (only its occupant may); the idle clock starts again. */
  release(browserSessionId: string, runId: string): BrowserSession;
  /** Records activity, postponing idle expiry. */
  touch(browserSessionId: string): BrowserSession;
  /** Cookies, localStorage and IndexedDB of the session's default context (to save as a profile). */
  captureState(browserSessionId: string, options?: { signal?: AbortSignal }): Promise<StorageState>;
  /** Ends the session (status `completed`) and kills its Chromium. Idempotent for ended sessions. */
  close(browserSessionId: string): Promise<BrowserSession>;
  /** Listens to session events; returns the unsubscribe function. */
  subscribe(listener: (event: BrowserSessionEvent) => void): () => void;
  /** Ends every session and stops the expiry timer. */
  closeAll(): Promise<void>;
};

type Live = { session: BrowserSession; process: ChildProcess | undefined; userDataDir: string | undefined; marker: string; lastActivity: number; expiresAt: number };

const ENDED = new Set<BrowserSessionStatus>(['completed', 'timeout', 'failed']);

/** Creates a session manager. Its timer is unref'd; call `closeAll` (or dispose) to end every session. */
export function createSessionManager(options: SessionManagerOptions = {}): SessionManager {
  const logger = (options.logger ?? silentLogger).child({ component: 'browser-sessions' });
  const idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const maxSessions = options.maxSessions ?? 16;
  const sessions = new Map<string, Live>();
  const listeners = new Set<(event: BrowserSessionEvent) => void>();
  let disposed = false;

  const emit = (type: BrowserSessionEvent['type'], live: Live) => {
    const event = { type, session: { ...live.session } };
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        logger.warn({ err: error }, 'sessions: listener failed');
      }
    }
  };

  const expiryTimer = setInterval(() => {
    const now = Date.now();
    for (const live of sessions.values()) {
      if (live.session.status !== 'running') continue;
      if (now >= live.expiresAt) void end(live, 'timeout', 'the session reached its timeout');
      else if (live.session.runnableId === null && now - live.lastActivity >= idleTimeoutMs) void end(live, 'timeout', 'the session was idle too long');
    }
  }, options.checkIntervalMs ?? 5000);
  expiryTimer.unref();

  async function end(live: Live, status: BrowserSessionStatus, reason?: string): Promise<void> {
    if (ENDED.has(live.session.status)) return;
    live.session.status = status;
    live.session.completedAt = new Date().toISOString();
    live.session.browserAddress = null;
    live.session.wsEndpoint = null;
    live.session.runnableId = null;
    if (reason) live.session.reason = reason;
    const child = live.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), 3000);
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (giveUp = setTimeout(resolve, 5000)))]);
      clearTimeout(killTimer);
      clearTimeout(giveUp);
    }
    killMarkedProcesses(live.marker);
    if (live.userDataDir) await rm(live.userDataDir, { recursive: true, force: true }).catch(() => {});
    logger.info({ browserSessionId: live.session.browserSessionId, status, reason }, 'sessions: session ended');
    emit('ended', live);
  }

  function lookup(id: string, operation: string): Live {
    const live = sessions.get(id);
    if (!live) throw new PetrelError('BROWSER_SESSION_NOT_FOUND', `${operation}: no browser session ${id}`, { details: { browserSessionId: id } });
    return live;
  }

  function requireRunning(live: Live, operation: string): void {
    if (live.session.status !== 'running') {
      throw new PetrelError('INVALID_TRANSITION', `${operation}: browser session ${live.session.browserSessionId} is ${live.session.status}`, {
        details: { status: live.session.status },
      });
    }
  }

  async function withDefaultContext<T>(address: string, work: (context: BrowserContext) => Promise<T>): Promise<T> {
    const browser = await chromium.connectOverCDP(address, { timeout: startTimeoutMs });
    try {
      const context = browser.contexts()[0];
      if (!context) throw new PetrelError('BROWSER_ERROR', 'sessions: the session browser has no default context');
      return await work(context);
    } finally {
      // Only disconnects: the session's Chromium keeps running.
      await browser.close().catch(() => {});
    }
  }

  async function start(live: Live, createOptions: CreateSessionOptions): Promise<void> {
    const location = getChromium(options.executablePath === undefined ? {} : { executablePath: options.executablePath });
    live.userDataDir = await mkdtemp(join(tmpdir(), 'petrel-session-'));
    const args = [
      ...DEFAULT_CHROMIUM_ARGS,
      live.marker,
      ...(options.headless === false ? [] : ['--headless']),
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      `--user-data-dir=${live.userDataDir}`,
      ...(createOptions.proxy ? [`--proxy-server=${createOptions.proxy.server}`] : []),
      ...(createOptions.proxy?.bypass ? [`--proxy-bypass-list=${createOptions.proxy.bypass}`] : []),
      ...(options.args ?? []),
      'about:blank',
    ];
    const child = spawn(location.path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.process = child;
    const wsEndpoint = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      let found = false;
      const timer = setTimeout(() => reject(new PetrelError('BROWSER_ERROR', `sessions.create: Chromium did not open its DevTools port within ${startTimeoutMs} ms`)), startTimeoutMs);
      const onAbort = () => reject(new PetrelError('CANCELED', 'sessions.create: aborted'));
      createOptions.signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        createOptions.signal?.removeEventListener('abort', onAbort);
      };
      child.stderr?.on('data', (chunk: Buffer) => {
        // The pipe is drained for the whole life of the process so Chromium never blocks on it.
        if (found) return;
        buffer += chunk.toString('utf8');
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(buffer);
        if (match?.[1]) {
          found = true;
          done();
          buffer = '';
          resolve(match[1]);
        } else if (buffer.length > 64_000) {
          buffer = buffer.slice(-4000);
        }
      });
      child.once('error', (error) => {
        done();
        reject(new PetrelError('BROWSER_ERROR', 'sessions.create: could not start Chromium', { cause: error }));
      });
      child.once('exit', (code) => {
        done();
        reject(new PetrelError('BROWSER_ERROR', `sessions.create: Chromium exited during start (code ${code})`));
      });
    });
    child.once('exit', (code, signal) => {
      if (!ENDED.has(live.session.status)) void end(live, 'failed', `Chromium exited (code ${code ?? signal})`);
    });
    const port = new URL(wsEndpoint).port;
    live.session.wsEndpoint = wsEndpoint;
    live.session.browserAddress = `http://127.0.0.1:${port}`;
    if (createOptions.storageState || createOptions.url) {
      await withDefaultContext(live.session.browserAddress, async (context) => {
        if (createOptions.storageState) await context.setStorageState(createOptions.storageState);
        if (createOptions.url) {
          const page = context.pages()[0] ?? (await context.newPage());
          await page.goto(createOptions.url, { waitUntil: 'domcontentloaded', timeout: startTimeoutMs });
        }
      });
    }
  }

  const manager: SessionManager = {
    async create(createOptions = {}) {
      if (disposed) throw new PetrelError('UNAVAILABLE', 'sessions.create: the session manager is closed');
      const timeout = createOptions.timeoutMinutes ?? 60;
      if (!Number.isInteger(timeout) || timeout < 5 || timeout > 1440) {
        throw new PetrelError('VALIDATION_FAILED', 'sessions.create: timeout must be a whole number of minutes from 5 to 1440', { details: { field: 'timeout' } });
      }
      const live = [...sessions.values()].filter((l) => !ENDED.has(l.session.status));
      if (live.length >= maxSessions) {
        throw new PetrelError('RATE_LIMITED', `sessions.create: ${maxSessions} sessions are already open`, { retryAfterMs: 60_000 });
      }
      const id = newId('browserSession');
      const now = Date.now();
      const entry: Live = {
        session: {
          browserSessionId: id,
          status: 'created',
          browserAddress: null,
          wsEndpoint: null,
          timeout,
          runnableId: null,
          browserProfileId: createOptions.browserProfileId ?? null,
          createdAt: new Date(now).toISOString(),
          startedAt: null,
          completedAt: null,
          lastActivityAt: new Date(now).toISOString(),
          expiresAt: new Date(now + timeout * 60_000).toISOString(),
        },
        process: undefined,
        userDataDir: undefined,
        marker: ownerMarkerArg(`session-${id}`),
        lastActivity: now,
        expiresAt: now + timeout * 60_000,
      };
      sessions.set(id, entry);
      emit('created', entry);
      try {
        await start(entry, createOptions);
      } catch (error) {
        await end(entry, 'failed', error instanceof Error ? error.message : String(error));
        throw error instanceof PetrelError ? error : new PetrelError('BROWSER_ERROR', 'sessions.create: the session could not start', { cause: error });
      }
      entry.session.status = 'running';
      entry.session.startedAt = new Date().toISOString();
      // The idle clock starts when the session can be used, not while Chromium was starting.
      entry.lastActivity = Date.now();
      entry.session.lastActivityAt = entry.session.startedAt;
      logger.info({ browserSessionId: id, browserAddress: entry.session.browserAddress }, 'sessions: session running');
      emit('updated', entry);
      return { ...entry.session };
    },

    get(id) {
      return { ...lookup(id, 'sessions.get').session };
    },

    find(id) {
      const live = sessions.get(id);
      return live ? { ...live.session } : undefined;
    },

    list(listOptions = {}) {
      return [...sessions.values()]
        .map((l) => ({ ...l.session }))
        .filter((s) => listOptions.includeEnded || !ENDED.has(s.status))
        .sort((a, b) => (a.browserSessionId < b.browserSessionId ? 1 : -1));
    },

    occupy(id, runId) {
      const live = lookup(id, 'sessions.occupy');
      requireRunning(live, 'sessions.occupy');
      if (live.session.runnableId !== null && live.session.runnableId !== runId) {
        throw new PetrelError('BROWSER_SESSION_BUSY', `sessions.occupy: browser session ${id} is occupied by another run`, {
          details: { browserSessionId: id },
          retryAfterMs: 5000,
        });
      }
      live.session.runnableId = runId;
      live.lastActivity = Date.now();
      live.session.lastActivityAt = new Date(live.lastActivity).toISOString();
      emit('updated', live);
      return { ...live.session };
    },

    release(id, runId) {
      const live = lookup(id, 'sessions.release');
      if (live.session.runnableId !== null && live.session.runnableId !== runId) {
        throw new PetrelError('BROWSER_SESSION_BUSY', `sessions.release: browser session ${id} is occupied by another run`, { details: { browserSessionId: id } });
      }
      live.session.runnableId = null;
      live.lastActivity = Date.now();
      live.session.lastActivityAt = new Date(live.lastActivity).toISOString();
      emit('updated', live);
      return { ...live.session };
    },

    touch(id) {
      const live = lookup(id, 'sessions.touch');
      requireRunning(live, 'sessions.touch');
      live.lastActivity = Date.now();
      live.session.lastActivityAt = new Date(live.lastActivity).toISOString();
      return { ...live.session };
    },

    async captureState(id, captureOptions = {}) {
      const live = lookup(id, 'sessions.captureState');
      requireRunning(live, 'sessions.captureState');
      if (captureOptions.signal?.aborted) throw new PetrelError('CANCELED', 'sessions.captureState: aborted');
      return withDefaultContext(live.session.browserAddress as string, (context) => context.storageState({ indexedDB: true }));
    },

    async close(id) {
      const live = lookup(id, 'sessions.close');
      await end(live, 'completed');
      return { ...live.session };
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async closeAll() {
      disposed = true;
      clearInterval(expiryTimer);
      await Promise.allSettled([...sessions.values()].map((live) => end(live, 'completed')));
    },

    async [Symbol.asyncDispose]() {
      await manager.closeAll();
    },
  };
  return manager;
}
