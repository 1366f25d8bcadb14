// Persistent browser sessions for the API (`/v1/browser_sessions`), on the browser package's session
// manager (one Chromium per session, reachable over CDP) with a `browser_sessions` table so every
// process — and a restart — reports them. The process that runs a session's Chromium is its owner:
// it persists the manager's events and refreshes a heartbeat on its live sessions. Any process
// reconciles sessions of other owners: a session whose Chromium no longer answers is marked
// `failed`; one whose owner stopped its heartbeat is closed over CDP (`Browser.close`) and marked
// `failed`, so no orphaned Chromium keeps running. Occupying a session for a run is a
// compare-and-set in the table, so one run at a time holds it whichever process asks.
import type { BrowserSession, SessionManager, StorageState } from '@petrel/browser';
import { PetrelError } from '@petrel/protocol';
import type { BrowserSessionResponse, CreateBrowserSessionRequest, Logger } from '@petrel/protocol';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { BrowserSessionRow } from '../store/browser-store.ts';
import type { ServerStore } from '../store/server-store.ts';

/** A session's CDP address for a run (the agent's `BrowserSessionResolver`). */
export type BrowserSessionInfo = { browserSessionId: string; browserAddress: string };

/** Options of `createBrowserSessionService`. */
export type BrowserSessionServiceOptions = {
  store: ServerStore;
  /** The manager that starts Chromium in this process; without one, this process serves reads and closes only. */
  manager?: SessionManager | undefined;
  /** Loads a profile's state for `browser_profile_id` (the profile service). */
  loadProfileState?: (organizationId: string, browserProfileId: string) => Promise<StorageState>;
  /** This process's owner id (stable across restarts when the worker id is). */
  owner: string;
  logger: Logger;
  metrics?: ServerMetrics | undefined;
  /** Heartbeat interval, in ms. Default 10 000. */
  heartbeatMs?: number;
  /** A session whose owner's heartbeat is older than this is an orphan, in ms. Default 60 000. */
  staleMs?: number;
  now?: () => Date;
};

/** The server's session service. */
export type BrowserSessionService = AsyncDisposable & {
  readonly owner: string;
  /** Starts a session (Chromium) for the organization. */
  create(organizationId: string, request: CreateBrowserSessionRequest): Promise<BrowserSessionResponse>;
  /** A session; throws `BROWSER_SESSION_NOT_FOUND` (also for another organization's). */
  get(organizationId: string, sessionId: string): Promise<BrowserSessionResponse>;
  /** The organization's live sessions, newest first. */
  list(organizationId: string, options?: { includeEnded?: boolean }): Promise<BrowserSessionResponse[]>;
  /** Ends a session (status `completed`) and kills its Chromium; idempotent for ended sessions. */
  close(organizationId: string, sessionId: string): Promise<BrowserSessionResponse>;
  /** Lets a run hold the session; `BROWSER_SESSION_BUSY` when another run holds it, `INVALID_TRANSITION` when it is not running. */
  occupy(organizationId: string, sessionId: string, runnable: { id: string; type?: string | null }): Promise<BrowserSessionInfo>;
  /** Frees the session held by `runId` (a no-op when it does not hold it). */
  release(organizationId: string, sessionId: string, runId: string): Promise<void>;
  /** The CDP address of a running session (the agent's `BrowserSessionResolver.get`). */
  resolve(organizationId: string, sessionId: string): Promise<BrowserSessionInfo>;
  /** Cookies and storage of a running session hosted by this process (for profiles). */
  captureState(organizationId: string, sessionId: string, options?: { signal?: AbortSignal }): Promise<StorageState>;
  /** Marks or closes sessions whose Chromium or owner is gone; returns how many it ended. */
  reconcile(): Promise<number>;
  /** Ends every session this process runs and stops the timers (shutdown). */
  shutdown(): Promise<void>;
};

const LIVE = new Set(['created', 'running']);

function notFound(sessionId: string, op: string): PetrelError {
  return new PetrelError('BROWSER_SESSION_NOT_FOUND', `${op}: browser session ${sessionId.slice(0, 100)} not found`);
}

/** The API shape of a session row. */
export function toBrowserSessionResponse(row: BrowserSessionRow): BrowserSessionResponse {
  return {
    browser_session_id: row.browser_session_id,
    organization_id: row.organization_id,
    status: row.status as BrowserSessionResponse['status'],
    runnable_type: row.runnable_type,
    runnable_id: row.runnable_id,
    timeout: row.timeout_minutes,
    browser_address: row.browser_address,
    app_url: null,
    extensions: [],
    browser_type: 'chromium',
    browser_profile_id: row.browser_profile_id,
    generate_browser_profile: false,
    vnc_streaming_supported: false,
    download_path: null,
    downloaded_files: [],
    recordings: [],
    started_at: row.started_at,
    completed_at: row.completed_at,
    created_at: row.created_at,
    modified_at: row.modified_at,
    deleted_at: null,
    expires_at: row.expires_at,
    failure_reason: row.failure_reason,
  };
}

/** True when a CDP endpoint answers `/json/version`. */
async function cdpAnswers(address: string | null): Promise<boolean> {
  if (address === null) return false;
  try {
    const response = await fetch(`${address.replace(/\/+$/, '')}/json/version`, { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** Asks a Chromium to exit over its DevTools WebSocket (`Browser.close`); best effort, 3 s at most. */
async function closeOverCdp(wsEndpoint: string | null): Promise<void> {
  if (wsEndpoint === null) return;
  await new Promise<void>((resolve) => {
    let socket: WebSocket;
    const timer = setTimeout(() => {
      try {
        socket.close();
      } catch {
        // Already closed.
      }
      resolve();
    }, 3000);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    try {
      socket = new WebSocket(wsEndpoint);
    } catch {
      finish();
      return;
    }
    socket.addEventListener('open', () => socket.send(JSON.stringify({ id: 1, method: 'Browser.close' })));
    socket.addEventListener('message', () => {
      socket.close();
      finish();
    });
    socket.addEventListener('close', finish);
    socket.addEventListener('error', finish);
  });
}

/** Creates the session service; starts its heartbeat (unref'd) and one reconciliation pass. */
export function createBrowserSessionService(options: BrowserSessionServiceOptions): BrowserSessionService {
  const { store, manager, owner, logger } = options;
  const now = options.now ?? (() => new Date());
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const staleMs = options.staleMs ?? 60_000;

  const patchOf = (session: BrowserSession): Parameters<ServerStore['browserSessions']['updateLive']>[1] => {
    const at = now().toISOString();
    const ended = !LIVE.has(session.status);
    return {
      status: session.status,
      browser_address: session.browserAddress,
      ws_endpoint: session.wsEndpoint,
      started_at: session.startedAt,
      completed_at: session.completedAt,
      expires_at: session.expiresAt,
      failure_reason: session.reason ?? null,
      modified_at: at,
      heartbeat_at: at,
      ...(ended ? { runnable_id: null, runnable_type: null } : {}),
    };
  };
  // The manager's 'created' event comes before the row exists; the row is inserted after `create` returns.
  const unsubscribe = manager?.subscribe((event) => {
    if (event.type === 'created') return;
    store.browserSessions
      .updateLive(event.session.browserSessionId, patchOf(event.session))
      .catch((error: unknown) => logger.warn({ err: error, browser_session_id: event.session.browserSessionId }, 'sessions: could not persist a session change'));
  });

  const findRow = async (organizationId: string, sessionId: string, op: string): Promise<BrowserSessionRow> => {
    const row = await store.browserSessions.find(organizationId, sessionId);
    if (row === undefined) throw notFound(sessionId, op);
    return row;
  };

  const endRow = async (row: BrowserSessionRow, status: 'completed' | 'failed', reason: string | null): Promise<void> => {
    const at = now().toISOString();
    await store.browserSessions.updateLive(row.browser_session_id, {
      status,
      failure_reason: reason,
      completed_at: at,
      modified_at: at,
      browser_address: null,
      ws_endpoint: null,
      runnable_id: null,
      runnable_type: null,
    });
  };

  /** Decides about one live session this process does not run; returns true when it ended it. */
  const reconcileRow = async (row: BrowserSessionRow): Promise<boolean> => {
    if (!LIVE.has(row.status)) return false;
    if (row.owner === owner && manager?.find(row.browser_session_id) !== undefined) return false;
    const orphan = row.owner === owner || Date.parse(row.heartbeat_at) < now().getTime() - staleMs;
    const answers = await cdpAnswers(row.browser_address);
    if (!answers) {
      if (row.status === 'created' && !orphan) return false;
      await endRow(row, 'failed', 'Chromium is no longer running');
      logger.warn({ browser_session_id: row.browser_session_id }, 'sessions: marked a session whose Chromium is gone as failed');
      return true;
    }
    if (!orphan) return false;
    await closeOverCdp(row.ws_endpoint);
    await endRow(row, 'failed', 'the server process that ran it stopped; its browser was closed');
    logger.warn({ browser_session_id: row.browser_session_id }, 'sessions: closed the browser of a session whose process stopped');
    return true;
  };

  const fresh = async (row: BrowserSessionRow, op: string): Promise<BrowserSessionRow> => {
    if (LIVE.has(row.status) && row.owner !== owner && Date.parse(row.heartbeat_at) < now().getTime() - staleMs) {
      if (await reconcileRow(row)) return findRow(row.organization_id, row.browser_session_id, op);
    }
    return row;
  };

  let reconciling: Promise<number> | undefined;
  const reconcile = (): Promise<number> => {
    reconciling ??= (async () => {
      try {
        let ended = 0;
        const rows = await store.browserSessions.listLive(500);
        for (const row of rows) if (await reconcileRow(row).catch(() => false)) ended++;
        return ended;
      } finally {
        reconciling = undefined;
      }
    })();
    return reconciling;
  };

  let beats = 0;
  const timer = setInterval(() => {
    void (async () => {
      try {
        await store.browserSessions.heartbeat(owner, now().toISOString());
        // Keep sessions held by runs in other processes from idling out here.
        if (manager !== undefined) {
          for (const session of manager.list()) {
            const row = await store.browserSessions.findById(session.browserSessionId);
            if (row?.runnable_id !== null && row?.runnable_id !== undefined && session.status === 'running') manager.touch(session.browserSessionId);
          }
        }
        if (++beats % 6 === 0) await reconcile();
      } catch (error) {
        logger.warn({ err: error }, 'sessions: heartbeat failed');
      }
    })();
  }, heartbeatMs);
  timer.unref();
  const initial = reconcile().catch((error: unknown) => {
    logger.warn({ err: error }, 'sessions: reconciliation at start failed');
    return 0;
  });

  const removeCollector = options.metrics?.addCollector(async () => {
    const counts = await store.browserSessions.countLive();
    for (const status of LIVE) options.metrics?.browserSessions.set({ status }, counts.find((c) => c.status === status)?.n ?? 0);
  });

  const requireManager = (op: string): SessionManager => {
    if (manager === undefined) throw new PetrelError('UNAVAILABLE', `${op}: this process does not run browser sessions`);
    return manager;
  };

  let closed = false;
  const closeAll = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    removeCollector?.();
    await initial;
    await reconciling?.catch(() => 0);
    if (manager !== undefined) {
      await manager.closeAll();
      // The manager's 'ended' events were persisted asynchronously; make sure every row says so.
      for (const session of manager.list({ includeEnded: true })) {
        await store.browserSessions.updateLive(session.browserSessionId, patchOf(session)).catch(() => false);
      }
    }
    unsubscribe?.();
  };

  const service: BrowserSessionService = {
    owner,
    async create(organizationId, request) {
      const op = 'browser_sessions.create';
      if (request.extensions && request.extensions.length > 0) {
        throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${op}: browser extensions are not available in Petrel`, { details: { field: 'extensions' } });
      }
      const sessions = requireManager(op);
      let storageState: StorageState | undefined;
      if (request.browser_profile_id) {
        if (options.loadProfileState === undefined) throw new PetrelError('UNAVAILABLE', `${op}: browser profiles are not available in this process`);
        storageState = await options.loadProfileState(organizationId, request.browser_profile_id);
      }
      const session = await sessions.create({
        timeoutMinutes: request.timeout,
        ...(storageState === undefined ? {} : { storageState }),
        ...(request.browser_profile_id ? { browserProfileId: request.browser_profile_id } : {}),
        ...(request.url ? { url: request.url } : {}),
      });
      const at = now().toISOString();
      const row: BrowserSessionRow = {
        browser_session_id: session.browserSessionId,
        organization_id: organizationId,
        status: session.status,
        timeout_minutes: session.timeout,
        browser_address: session.browserAddress,
        ws_endpoint: session.wsEndpoint,
        runnable_type: null,
        runnable_id: null,
        browser_profile_id: session.browserProfileId,
        owner,
        failure_reason: session.reason ?? null,
        created_at: session.createdAt,
        started_at: session.startedAt,
        completed_at: session.completedAt,
        modified_at: at,
        expires_at: session.expiresAt,
        heartbeat_at: at,
      };
      try {
        await store.browserSessions.insert(row);
      } catch (error) {
        await sessions.close(session.browserSessionId).catch(() => undefined);
        throw error;
      }
      // It may have ended between `create` and the insert (its event found no row).
      const latest = sessions.find(session.browserSessionId);
      if (latest !== undefined && latest.status !== session.status) await store.browserSessions.updateLive(session.browserSessionId, patchOf(latest));
      return toBrowserSessionResponse(await findRow(organizationId, session.browserSessionId, op));
    },
    async get(organizationId, sessionId) {
      return toBrowserSessionResponse(await fresh(await findRow(organizationId, sessionId, 'browser_sessions.get'), 'browser_sessions.get'));
    },
    async list(organizationId, listOptions = {}) {
      const rows = await store.browserSessions.list(organizationId, { includeEnded: listOptions.includeEnded ?? false, limit: 1000 });
      const out: BrowserSessionResponse[] = [];
      for (const row of rows) {
        const current = await fresh(row, 'browser_sessions.list');
        if (listOptions.includeEnded === true || LIVE.has(current.status)) out.push(toBrowserSessionResponse(current));
      }
      return out;
    },
    async close(organizationId, sessionId) {
      const op = 'browser_sessions.close';
      const row = await findRow(organizationId, sessionId, op);
      if (LIVE.has(row.status)) {
        if (manager?.find(sessionId) !== undefined) {
          const ended = await manager.close(sessionId);
          await store.browserSessions.updateLive(sessionId, patchOf(ended));
        } else {
          await closeOverCdp(row.ws_endpoint);
          await endRow(row, 'completed', null);
        }
      }
      return toBrowserSessionResponse(await findRow(organizationId, sessionId, op));
    },
    async occupy(organizationId, sessionId, runnable) {
      const op = 'browser_sessions.occupy';
      const row = await fresh(await findRow(organizationId, sessionId, op), op);
      if (row.status !== 'running' || row.browser_address === null) {
        throw new PetrelError('INVALID_TRANSITION', `${op}: browser session ${sessionId} is ${row.status}`, { details: { status: row.status } });
      }
      if (!(await store.browserSessions.occupy(organizationId, sessionId, { id: runnable.id, type: runnable.type ?? null }, now().toISOString()))) {
        throw new PetrelError('BROWSER_SESSION_BUSY', `${op}: browser session ${sessionId} is occupied by another run`, { retryAfterMs: 5000 });
      }
      if (manager?.find(sessionId) !== undefined) {
        try {
          manager.occupy(sessionId, runnable.id);
        } catch {
          // The table is the truth; the manager only needs to know the session is in use.
        }
      }
      return { browserSessionId: sessionId, browserAddress: row.browser_address };
    },
    async release(organizationId, sessionId, runId) {
      await store.browserSessions.release(organizationId, sessionId, runId, now().toISOString());
      if (manager?.find(sessionId) !== undefined) {
        try {
          manager.release(sessionId, runId);
        } catch {
          // Held by another run in the manager's view: nothing to free here.
        }
      }
    },
    async resolve(organizationId, sessionId) {
      const op = 'browser_sessions.resolve';
      const row = await fresh(await findRow(organizationId, sessionId, op), op);
      if (row.status !== 'running' || row.browser_address === null) {
        throw new PetrelError('INVALID_TRANSITION', `${op}: browser session ${sessionId} is ${row.status}`, { details: { status: row.status } });
      }
      return { browserSessionId: sessionId, browserAddress: row.browser_address };
    },
    async captureState(organizationId, sessionId, captureOptions = {}) {
      const op = 'browser_sessions.captureState';
      const row = await findRow(organizationId, sessionId, op);
      if (row.status !== 'running') throw new PetrelError('INVALID_TRANSITION', `${op}: browser session ${sessionId} is ${row.status}`, { details: { status: row.status } });
      if (manager?.find(sessionId) === undefined) {
        throw new PetrelError('CONFLICT', `${op}: browser session ${sessionId} runs in another server process; ask that process`);
      }
      return manager.captureState(sessionId, captureOptions);
    },
    reconcile,
    shutdown: closeAll,
    [Symbol.asyncDispose]: closeAll,
  };
  return service;
}
