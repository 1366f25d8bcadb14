// The browsers of the runs in this process: one live `RunContext` per run id, shared by every step of
// the run (agent steps, `step.browser`, the blocks of a workflow run). A step asks for the context
// with the latest checkpoint it saw in its replayed history; the manager reuses the live context when
// it is at that checkpoint, and otherwise (first step, a replay in a new process after a crash, a
// context another task moved on) opens a fresh one restored from the checkpoint. Contexts unused for
// `idleMs` are closed (a run waiting an hour for a 2FA code holds no browser for long); the run
// restores from its checkpoint when it continues.
import { PetrelError, silentLogger } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import { checkpoint, restore } from '@petrel/browser';
import type { BlobStore, BrowserCheckpoint, BrowserPool, RunContext, RunContextOptions, RunSummary } from '@petrel/browser';

/** Options of `createRunBrowserManager`. */
export type RunBrowserManagerOptions = {
  /** Where contexts come from. */
  pool: BrowserPool;
  /** Where checkpoints over the inline limit are stored; default the pool's BlobStore. */
  blobStore?: BlobStore;
  /** Largest checkpoint kept inline in a step output, in bytes of JSON; default 64 KiB. */
  maxInlineCheckpointBytes?: number;
  /** Close a context unused this long, in ms; keep it above the agent's step timeout; default 900 000 (15 minutes). */
  idleMs?: number;
  /** Called before a context is closed at the end of its run (profile or persisted-session saving); errors are logged. Default none. */
  beforeRelease?: (runId: string, context: RunContext) => Promise<void>;
  /** Logger; default silent. */
  logger?: Logger;
};

/** How `ensure` finds or makes a run's context. */
export type EnsureRunContextOptions = {
  /** The latest checkpoint the run recorded; null or absent before its first one. */
  checkpoint?: BrowserCheckpoint | null;
  /** Options of a new context (headers, user agent, artifact hook, …). */
  contextOptions?: RunContextOptions;
  /** Attach to this browser (a persistent session's CDP address) instead of opening a context; its state lives there, so checkpoints are not restored. */
  browserAddress?: string;
  /** Gives up waiting for a browser slot. */
  signal?: AbortSignal;
};

/** The live browsers of this process's runs. */
export type RunBrowserManager = AsyncDisposable & {
  /** The run's live context, if this process has one. */
  find(runId: string): RunContext | undefined;
  /** The run's context at `checkpoint`: the live one when it is there, else a new one restored from it. */
  ensure(runId: string, options?: EnsureRunContextOptions): Promise<RunContext>;
  /** Captures the run's live context (and remembers it as the context's state); throws `BROWSER_ERROR` when there is none. */
  checkpoint(runId: string, options?: { signal?: AbortSignal }): Promise<BrowserCheckpoint>;
  /** Closes the run's context (final artifacts are stored); undefined when there was none. */
  release(runId: string, options?: { signal?: AbortSignal; skipHook?: boolean }): Promise<RunSummary | undefined>;
  /** How many contexts are live. */
  readonly size: number;
  /** Closes every context. */
  close(): Promise<void>;
};

type Entry = {
  context: RunContext;
  /** `takenAt` of the checkpoint the context is at (restored from or last taken); null before any. */
  at: string | null;
  attached: boolean;
  lastUsed: number;
};

function checkpointKey(value: BrowserCheckpoint | null | undefined): string | null {
  return value ? value.takenAt : null;
}

/** Creates the run browser manager of a process. */
export function createRunBrowserManager(options: RunBrowserManagerOptions): RunBrowserManager {
  const pool = options.pool;
  const blobStore = options.blobStore ?? pool.blobStore;
  const maxInline = options.maxInlineCheckpointBytes ?? 64 * 1024;
  const idleMs = options.idleMs ?? 900_000;
  const logger = (options.logger ?? silentLogger).child({ component: 'run-browsers' });
  const entries = new Map<string, Entry>();
  // One operation per run at a time: two steps of a run never open two contexts.
  const locks = new Map<string, Promise<unknown>>();
  let closed = false;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [runId, entry] of entries) {
      if (now - entry.lastUsed > idleMs && !locks.has(runId)) {
        logger.info({ runId }, 'run-browsers: closing an idle context');
        void manager.release(runId, { skipHook: true }).catch(() => {});
      }
    }
  }, Math.max(1000, Math.min(idleMs, 60_000)));
  sweep.unref();

  function locked<T>(runId: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(runId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => {});
    locks.set(runId, tail);
    void tail.then(() => {
      if (locks.get(runId) === tail) locks.delete(runId);
    });
    return next;
  }

  async function closeEntry(runId: string, entry: Entry, signal: AbortSignal | undefined, hook: boolean): Promise<RunSummary | undefined> {
    entries.delete(runId);
    if (hook && options.beforeRelease && !entry.context.closed) {
      try {
        await options.beforeRelease(runId, entry.context);
      } catch (error) {
        logger.warn({ runId, err: error }, 'run-browsers: beforeRelease hook failed');
      }
    }
    try {
      return await entry.context.close(signal ? { signal } : {});
    } catch (error) {
      logger.warn({ runId, err: error }, 'run-browsers: closing a context failed');
      return undefined;
    }
  }

  const manager: RunBrowserManager = {
    find(runId) {
      const entry = entries.get(runId);
      return entry && !entry.context.closed ? entry.context : undefined;
    },

    ensure(runId, ensureOptions = {}) {
      if (closed) return Promise.reject(new PetrelError('UNAVAILABLE', 'runBrowsers.ensure: the manager is closed'));
      return locked(runId, async () => {
        const wanted = checkpointKey(ensureOptions.checkpoint);
        const entry = entries.get(runId);
        if (entry && !entry.context.closed && (entry.attached || entry.at === wanted)) {
          entry.lastUsed = Date.now();
          return entry.context;
        }
        if (entry) {
          logger.info({ runId, at: entry.at, wanted }, 'run-browsers: the live context is not at the run\'s checkpoint; restoring');
          await closeEntry(runId, entry, ensureOptions.signal, false);
        }
        const contextOptions: RunContextOptions & { signal?: AbortSignal } = { ...ensureOptions.contextOptions, runId };
        if (ensureOptions.signal) contextOptions.signal = ensureOptions.signal;
        let context: RunContext;
        let attached = false;
        if (ensureOptions.browserAddress) {
          context = await pool.attach(ensureOptions.browserAddress, contextOptions);
          attached = true;
        } else if (ensureOptions.checkpoint) {
          context = await restore(pool, ensureOptions.checkpoint, { ...contextOptions, blobStore });
        } else {
          context = await pool.newContext(contextOptions);
        }
        entries.set(runId, { context, at: wanted, attached, lastUsed: Date.now() });
        return context;
      });
    },

    checkpoint(runId, checkpointOptions = {}) {
      return locked(runId, async () => {
        const entry = entries.get(runId);
        if (!entry || entry.context.closed) throw new PetrelError('BROWSER_ERROR', `runBrowsers.checkpoint: run ${runId} has no live browser in this process`);
        const value = await checkpoint(entry.context, { blobStore, maxInlineBytes: maxInline, ...(checkpointOptions.signal ? { signal: checkpointOptions.signal } : {}) });
        entry.at = value.takenAt;
        entry.lastUsed = Date.now();
        return value;
      });
    },

    release(runId, releaseOptions = {}) {
      return locked(runId, async () => {
        const entry = entries.get(runId);
        if (!entry) return undefined;
        return closeEntry(runId, entry, releaseOptions.signal, releaseOptions.skipHook !== true);
      });
    },

    get size() {
      return entries.size;
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      await Promise.allSettled([...entries.keys()].map((runId) => manager.release(runId, { skipHook: true })));
    },

    async [Symbol.asyncDispose]() {
      await manager.close();
    },
  };
  return manager;
}
