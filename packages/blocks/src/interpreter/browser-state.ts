// Where a run's browser starts from, and what it leaves for the next run:
// - `persist_browser_session`: after a run, its last browser state (cookies, storage, sessionStorage)
//   is saved in the BlobStore under the workflow and the run's end user (`developer_user_id`), and
//   the next run of that workflow for that user starts from it (Skyvern's issue #4390, fixed);
// - `browser_profile_id` (the run's, else the workflow's) seeds a run that has no saved state;
// - a child run of `workflow_trigger` with `use_parent_browser_session` starts from its parent's.
// A seed is a checkpoint with no tabs: the first block with a `url` opens its page.
import { createHash } from 'node:crypto';
import { PetrelError } from '@petrel/protocol';
import type { BlobStore, BrowserCheckpoint, BrowserCheckpointState, StorageState } from '@petrel/browser';
import { loadCheckpoint } from '@petrel/browser';

/** Where a run's browser state came from (`browser_seed_source`). */
export type BrowserSeedSource = 'fresh' | 'own_memory' | 'profile' | 'session';

/** The state a workflow keeps between runs. */
type SavedBrowserState = { version: 1; savedAt: string; runId: string; storageState: StorageState; sessionStorage: Record<string, Record<string, string>> };

/** Largest seed kept inline in the setup step's output; larger ones go to the BlobStore. */
const MAX_INLINE_SEED = 256 * 1024;

function keySegment(value: string): string {
  return /^[A-Za-z0-9_-]{1,100}$/.test(value) ? value : `h-${createHash('sha256').update(value).digest('hex').slice(0, 40)}`;
}

/** The BlobStore key of a workflow's persisted browser state for one end user (or for runs without one). */
export function persistedStateKey(namespace: string, workflowPermanentId: string, developerUserId: string | null): string {
  return `browser-state/${keySegment(namespace)}/${keySegment(workflowPermanentId)}/${developerUserId === null ? '_default' : keySegment(developerUserId)}.json`;
}

/** A checkpoint that opens a context with this state and no tabs. */
export async function seedCheckpoint(
  blobStore: BlobStore,
  runId: string,
  state: { storageState: StorageState; sessionStorage?: Record<string, Record<string, string>> },
  takenAt: string,
): Promise<BrowserCheckpoint> {
  const checkpoint: BrowserCheckpointState = { version: 1, takenAt, storageState: state.storageState, sessionStorage: state.sessionStorage ?? {}, tabs: [], activeTab: 0 };
  const json = JSON.stringify(checkpoint);
  if (Buffer.byteLength(json) <= MAX_INLINE_SEED) return checkpoint;
  const key = `checkpoints/${keySegment(runId)}/seed.json`;
  const info = await blobStore.put(key, json, { contentType: 'application/json' });
  return { version: 1, takenAt, blob: { key, size: info.size, sha256: info.sha256 } };
}

/** Reads a workflow's persisted state for an end user; undefined when there is none. */
export async function loadPersistedState(blobStore: BlobStore, key: string, signal?: AbortSignal): Promise<SavedBrowserState | undefined> {
  const info = await blobStore.head(key, signal ? { signal } : {});
  if (!info) return undefined;
  const { body } = await blobStore.get(key, signal ? { signal } : {});
  try {
    const saved = JSON.parse(body.toString('utf8')) as SavedBrowserState;
    return saved?.version === 1 && saved.storageState ? saved : undefined;
  } catch {
    return undefined;
  }
}

/** Saves a run's last browser state as its workflow's persisted state for the run's end user. */
export async function savePersistedState(blobStore: BlobStore, key: string, runId: string, checkpoint: BrowserCheckpoint, now: number): Promise<void> {
  const state = await loadCheckpoint(checkpoint, { blobStore });
  const saved: SavedBrowserState = { version: 1, savedAt: new Date(now).toISOString(), runId, storageState: state.storageState, sessionStorage: state.sessionStorage };
  await blobStore.put(key, JSON.stringify(saved), { contentType: 'application/json' });
}

/** Deletes a workflow's persisted state for an end user (Skyvern's reset_profile); false when there was none. */
export async function deletePersistedState(blobStore: BlobStore, key: string): Promise<boolean> {
  return blobStore.delete(key);
}

/** The browser state a run starts from, and where it came from. */
export async function resolveBrowserSeed(input: {
  blobStore: BlobStore;
  namespace: string;
  runId: string;
  workflowPermanentId: string;
  developerUserId: string | null;
  persist: boolean;
  startFresh: boolean;
  attached: boolean;
  profileId: string | null;
  parentCheckpoint: BrowserCheckpoint | null;
  loadProfile: ((namespace: string, id: string) => Promise<StorageState>) | undefined;
  takenAt: string;
  signal?: AbortSignal;
}): Promise<{ checkpoint: BrowserCheckpoint | null; source: BrowserSeedSource }> {
  if (input.attached) return { checkpoint: null, source: 'session' };
  if (input.parentCheckpoint) return { checkpoint: input.parentCheckpoint, source: 'session' };
  if (input.persist && !input.startFresh) {
    const saved = await loadPersistedState(input.blobStore, persistedStateKey(input.namespace, input.workflowPermanentId, input.developerUserId), input.signal);
    if (saved) return { checkpoint: await seedCheckpoint(input.blobStore, input.runId, saved, input.takenAt), source: 'own_memory' };
  }
  if (input.profileId && !input.startFresh) {
    if (!input.loadProfile) {
      throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'runs.workflow: this server cannot load browser profiles, so browser_profile_id cannot be used', {
        details: { field: 'browser_profile_id' },
        nonRetryable: true,
      });
    }
    const storageState = await input.loadProfile(input.namespace, input.profileId);
    return { checkpoint: await seedCheckpoint(input.blobStore, input.runId, { storageState }, input.takenAt), source: 'profile' };
  }
  return { checkpoint: null, source: 'fresh' };
}
