// Checkpoints: a run context's browser state as one JSON value — storage state (cookies,
// localStorage, IndexedDB), sessionStorage per origin, the open tabs' URLs and the active tab — so
// the engine can store it as a step output and restore it in a fresh context in any process after a
// crash. A checkpoint whose JSON would exceed 1 MiB (the step output limit) is written to the
// BlobStore and the returned value only references it.
import { PetrelError } from '@petrel/protocol';
import type { BrowserPool, NewContextOptions } from '../pool/browser-pool.ts';
import type { RunContext } from '../context/run-context.ts';
import type { StorageState } from '../context/context-options.ts';
import type { BlobStore } from '../storage/blob-store.ts';

/** The browser state of a run at one moment. */
export type BrowserCheckpointState = {
  version: 1;
  takenAt: string;
  storageState: StorageState;
  /** sessionStorage items by origin. */
  sessionStorage: Record<string, Record<string, string>>;
  /** Open tabs in order. */
  tabs: { url: string }[];
  /** Index of the active tab. */
  activeTab: number;
};

/** A checkpoint: the state itself, or a reference to it in the BlobStore when it is large. */
export type BrowserCheckpoint = BrowserCheckpointState | { version: 1; takenAt: string; blob: { key: string; size: number; sha256: string } };

/** Options of `checkpoint`. */
export type CheckpointOptions = {
  /** Where a checkpoint over the inline limit is stored; without one, such a checkpoint throws `PAYLOAD_TOO_LARGE`. */
  blobStore?: BlobStore;
  /** Inline size limit in bytes of JSON; default 1 MiB. */
  maxInlineBytes?: number;
  signal?: AbortSignal;
};

/** Captures the run context's browser state. */
export async function checkpoint(runContext: RunContext, options: CheckpointOptions = {}): Promise<BrowserCheckpoint> {
  if (options.signal?.aborted) throw new PetrelError('CANCELED', 'browser.checkpoint: aborted');
  const [storageState, sessionStorage] = await Promise.all([
    runContext.storageState(options.signal ? { signal: options.signal } : {}),
    runContext.sessionStorage(),
  ]);
  const tabs = runContext.tabs();
  const state: BrowserCheckpointState = {
    version: 1,
    takenAt: new Date().toISOString(),
    storageState,
    sessionStorage,
    tabs: tabs.map((tab) => ({ url: tab.url })),
    activeTab: Math.max(0, tabs.findIndex((tab) => tab.active)),
  };
  const json = JSON.stringify(state);
  const limit = options.maxInlineBytes ?? 1024 * 1024;
  if (Buffer.byteLength(json) <= limit) return state;
  if (!options.blobStore) {
    throw new PetrelError('PAYLOAD_TOO_LARGE', `browser.checkpoint: the state is ${Buffer.byteLength(json)} bytes; pass a blobStore to store it`);
  }
  const key = `checkpoints/${runContext.runId}/${state.takenAt.replace(/[:.]/g, '-')}.json`;
  const info = await options.blobStore.put(key, json, { contentType: 'application/json', ...(options.signal ? { signal: options.signal } : {}) });
  return { version: 1, takenAt: state.takenAt, blob: { key, size: info.size, sha256: info.sha256 } };
}

/** Reads a checkpoint's state, loading it from the BlobStore when it is a reference. */
export async function loadCheckpoint(value: BrowserCheckpoint, options: { blobStore?: BlobStore } = {}): Promise<BrowserCheckpointState> {
  if (!value || value.version !== 1) throw new PetrelError('VALIDATION_FAILED', 'browser.restore: not a checkpoint (version 1)', { details: { field: 'checkpoint' } });
  if (!('blob' in value)) return value;
  if (!options.blobStore) throw new PetrelError('VALIDATION_FAILED', 'browser.restore: this checkpoint is stored in a BlobStore; pass it', { details: { field: 'blobStore' } });
  const { body, info } = await options.blobStore.get(value.blob.key);
  if (info.sha256 && info.sha256 !== value.blob.sha256) throw new PetrelError('CONFLICT', 'browser.restore: the stored checkpoint does not match its digest');
  return JSON.parse(body.toString('utf8')) as BrowserCheckpointState;
}

/**
 * Opens a fresh run context (in this or any other process) with a checkpoint's state: cookies and
 * storage first, sessionStorage through an init script, then the tabs at their URLs with the active
 * tab selected.
 */
export async function restore(pool: BrowserPool, from: BrowserCheckpoint, options: NewContextOptions & { blobStore?: BlobStore } = {}): Promise<RunContext> {
  const { blobStore, ...contextOptions } = options;
  const state = await loadCheckpoint(from, { blobStore: blobStore ?? pool.blobStore });
  const runContext = await pool.newContext({ ...contextOptions, storageState: state.storageState });
  try {
    if (Object.keys(state.sessionStorage).length > 0) {
      await runContext.context.addInitScript((saved: Record<string, Record<string, string>>) => {
        const items = saved[location.origin];
        if (!items) return;
        try {
          // Only into an empty store: once the page has written its own values, later loads keep them.
          if (sessionStorage.length > 0) return;
          for (const [key, value] of Object.entries(items)) sessionStorage.setItem(key, value);
        } catch {
          // Storage can be blocked (sandboxed frames); nothing to restore then.
        }
      }, state.sessionStorage);
    }
    const tabs = state.tabs.length > 0 ? state.tabs : [{ url: 'about:blank' }];
    for (let i = 0; i < tabs.length; i++) {
      const url = tabs[i]?.url ?? 'about:blank';
      if (i > 0) {
        const result = await runContext.act({ type: 'new_tab' });
        if (!result.ok) throw new PetrelError('BROWSER_ERROR', `browser.restore: could not open tab ${i}: ${result.error?.message}`);
      }
      if (url !== 'about:blank') {
        await runContext.page.goto(url, { waitUntil: 'domcontentloaded' });
      }
    }
    const active = Math.min(state.activeTab, tabs.length - 1);
    if (active !== tabs.length - 1) await runContext.act({ type: 'switch_tab', index: active });
    return runContext;
  } catch (error) {
    await runContext.close().catch(() => {});
    throw error;
  }
}
