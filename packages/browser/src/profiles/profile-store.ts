// Browser profiles: saved browser state (cookies, localStorage, IndexedDB where Playwright captures
// it) that new contexts and sessions start from. Each profile is two blobs in the BlobStore:
// `profiles/<bp_id>/profile.json` (the record) and `profiles/<bp_id>/state.json` (the state), so any
// process sharing the store sees the same profiles.
//
// Unlike Skyvern, which zips a whole Chromium user-data-dir, a profile here is Playwright's storage
// state: portable across Chromium versions and small, but without caches, history or saved passwords.
import { PetrelError, newId } from '@petrel/protocol';
import type { StorageState } from '../context/context-options.ts';
import type { BlobStore } from '../storage/blob-store.ts';

/** A saved profile's record. */
export type BrowserProfile = {
  /** `bp_…` id. */
  browserProfileId: string;
  name: string;
  description: string | null;
  /** Where the state came from. */
  source: { browserSessionId?: string; workflowRunId?: string };
  /** Cookies and origins in the state (a quick summary for lists). */
  cookieCount: number;
  origins: string[];
  /** Size and digest of the stored state. */
  size: number;
  sha256: string;
  createdAt: string;
};

/** Saves, loads and lists profiles in a BlobStore. */
export type ProfileStore = {
  /** Saves a state as a new profile. */
  create(input: { name: string; description?: string; state: StorageState; source?: BrowserProfile['source'] }, options?: { signal?: AbortSignal }): Promise<BrowserProfile>;
  /** The profile; throws `BROWSER_PROFILE_NOT_FOUND`. */
  get(browserProfileId: string): Promise<BrowserProfile>;
  /** The profile, or undefined. */
  find(browserProfileId: string): Promise<BrowserProfile | undefined>;
  /** The state to pass as `storageState` to a new context or session; throws `BROWSER_PROFILE_NOT_FOUND`. */
  loadState(browserProfileId: string): Promise<StorageState>;
  /** All profiles, newest first. */
  list(): Promise<BrowserProfile[]>;
  /** Deletes a profile; returns false when there was none. */
  delete(browserProfileId: string): Promise<boolean>;
};

const ID = /^bp_[0-9A-HJKMNP-TV-Z]{26}$/;

/** A profile store on a BlobStore. */
export function createProfileStore(options: { blobStore: BlobStore; prefix?: string }): ProfileStore {
  const store = options.blobStore;
  const prefix = options.prefix ?? 'profiles';
  const recordKey = (id: string) => `${prefix}/${id}/profile.json`;
  const stateKey = (id: string) => `${prefix}/${id}/state.json`;

  async function find(id: string): Promise<BrowserProfile | undefined> {
    if (!ID.test(id)) return undefined;
    if (!(await store.head(recordKey(id)))) return undefined;
    try {
      return JSON.parse((await store.get(recordKey(id))).body.toString('utf8')) as BrowserProfile;
    } catch (error) {
      if ((error as { code?: string }).code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  const profiles: ProfileStore = {
    async create(input, createOptions = {}) {
      if (typeof input.name !== 'string' || input.name.trim().length === 0 || input.name.length > 200) {
        throw new PetrelError('VALIDATION_FAILED', 'profiles.create: name must be 1–200 characters', { details: { field: 'name' } });
      }
      if (!input.state || !Array.isArray(input.state.cookies) || !Array.isArray(input.state.origins)) {
        throw new PetrelError('VALIDATION_FAILED', 'profiles.create: state must be a storage state ({ cookies, origins })', { details: { field: 'state' } });
      }
      const id = newId('browserProfile');
      const signal = createOptions.signal;
      const info = await store.put(stateKey(id), JSON.stringify(input.state), { contentType: 'application/json', ...(signal ? { signal } : {}) });
      const profile: BrowserProfile = {
        browserProfileId: id,
        name: input.name.trim(),
        description: input.description ?? null,
        source: input.source ?? {},
        cookieCount: input.state.cookies.length,
        origins: input.state.origins.map((o) => o.origin),
        size: info.size,
        sha256: info.sha256,
        createdAt: new Date().toISOString(),
      };
      await store.put(recordKey(id), JSON.stringify(profile), { contentType: 'application/json', ...(signal ? { signal } : {}) });
      return profile;
    },

    find,

    async get(id) {
      const profile = await find(id);
      if (!profile) throw new PetrelError('BROWSER_PROFILE_NOT_FOUND', `profiles.get: no browser profile ${id}`, { details: { browserProfileId: id } });
      return profile;
    },

    async loadState(id) {
      await profiles.get(id);
      return JSON.parse((await store.get(stateKey(id))).body.toString('utf8')) as StorageState;
    },

    async list() {
      const records = (await store.list(`${prefix}/`)).filter((info) => info.key.endsWith('/profile.json'));
      const all = await Promise.all(records.map(async (info) => JSON.parse((await store.get(info.key)).body.toString('utf8')) as BrowserProfile));
      return all.sort((a, b) => (a.browserProfileId < b.browserProfileId ? 1 : -1));
    },

    async delete(id) {
      if (!(await find(id))) return false;
      await store.delete(stateKey(id));
      await store.delete(recordKey(id));
      return true;
    },
  };
  return profiles;
}
