// Browser profiles for the API (`/v1/browser_profiles`): saved cookies and storage, made from a
// running session, from a finished run's saved browser state (through its run kind), or blank. The
// record is a `browser_profiles` row (scoped by organization); the state is stored by the browser
// package's profile store in the blob store under `orgs/<org>/profiles/<bp_id>/`. Deleting marks the
// row deleted (listed with `include_deleted`) and removes the stored state.
import { createProfileStore } from '@petrel/browser';
import type { BlobStore, ProfileStore, StorageState } from '@petrel/browser';
import { PetrelError } from '@petrel/protocol';
import type { BrowserProfileResponse, CreateBrowserProfileRequest, ListBrowserProfilesQuery, UpdateBrowserProfileRequest } from '@petrel/protocol';
import { organizationPrefix } from '../files/blob-setup.ts';
import type { RunService } from '../runs/run-service.ts';
import type { BrowserProfileRow } from '../store/browser-store.ts';
import type { ServerStore } from '../store/server-store.ts';
import type { BrowserSessionService } from './session-service.ts';

/** Options of `createBrowserProfileService`. */
export type BrowserProfileServiceOptions = {
  store: ServerStore;
  blobStore: BlobStore;
  /** Sessions to save from (`browser_session_id`). Default none. */
  sessions?: BrowserSessionService | undefined;
  /** Runs to save from (`workflow_run_id`), through their kind's `browserState`. Default none. */
  runs?: RunService | undefined;
  now?: () => Date;
};

/** The server's profile service. */
export type BrowserProfileService = {
  create(organizationId: string, request: CreateBrowserProfileRequest): Promise<BrowserProfileResponse>;
  get(organizationId: string, profileId: string): Promise<BrowserProfileResponse>;
  list(organizationId: string, query: ListBrowserProfilesQuery): Promise<BrowserProfileResponse[]>;
  update(organizationId: string, profileId: string, request: UpdateBrowserProfileRequest): Promise<BrowserProfileResponse>;
  delete(organizationId: string, profileId: string): Promise<void>;
  /** The saved state of a live profile, for new sessions and runs; throws `BROWSER_PROFILE_NOT_FOUND`. */
  loadState(organizationId: string, profileId: string): Promise<StorageState>;
};

function notFound(profileId: string, op: string): PetrelError {
  return new PetrelError('BROWSER_PROFILE_NOT_FOUND', `${op}: browser profile ${profileId.slice(0, 100)} not found`);
}

/** The API shape of a profile row. */
export function toBrowserProfileResponse(row: BrowserProfileRow): BrowserProfileResponse {
  return {
    browser_profile_id: row.browser_profile_id,
    organization_id: row.organization_id,
    name: row.name,
    description: row.description,
    source_browser_type: 'chromium',
    proxy_location: null,
    proxy_session_id: null,
    is_managed: false,
    workflow_permanent_id: null,
    browser_profile_key_digest: row.sha256,
    source_browser_session_id: row.source_browser_session_id,
    source_run_id: row.source_run_id,
    cookie_count: row.cookie_count,
    created_at: row.created_at,
    modified_at: row.modified_at,
    deleted_at: row.deleted_at,
  };
}

/** Creates the profile service. */
export function createBrowserProfileService(options: BrowserProfileServiceOptions): BrowserProfileService {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const profileStores = new Map<string, ProfileStore>();
  const profilesOf = (organizationId: string): ProfileStore => {
    let profiles = profileStores.get(organizationId);
    if (profiles === undefined) {
      profiles = createProfileStore({ blobStore: options.blobStore, prefix: `${organizationPrefix(organizationId)}/profiles` });
      profileStores.set(organizationId, profiles);
    }
    return profiles;
  };
  const findLive = async (organizationId: string, profileId: string, op: string): Promise<BrowserProfileRow> => {
    const row = await store.browserProfiles.find(organizationId, profileId);
    if (row === undefined || row.deleted_at !== null) throw notFound(profileId, op);
    return row;
  };

  return {
    async create(organizationId, request) {
      const op = 'browser_profiles.create';
      if (request.browser_session_id && request.workflow_run_id) {
        throw new PetrelError('INVALID_INPUT', `${op}: give browser_session_id or workflow_run_id, not both`, { details: { field: 'workflow_run_id' } });
      }
      if ((await store.browserProfiles.findByName(organizationId, request.name)) !== undefined) {
        throw new PetrelError('ALREADY_EXISTS', `${op}: a browser profile named "${request.name.slice(0, 100)}" already exists`, { details: { field: 'name' } });
      }
      let state: StorageState = { cookies: [], origins: [] };
      const source: { browserSessionId?: string; workflowRunId?: string } = {};
      if (request.browser_session_id) {
        if (options.sessions === undefined) throw new PetrelError('UNAVAILABLE', `${op}: browser sessions are not available in this process`);
        state = await options.sessions.captureState(organizationId, request.browser_session_id);
        source.browserSessionId = request.browser_session_id;
      } else if (request.workflow_run_id) {
        if (options.runs === undefined) throw new PetrelError('UNAVAILABLE', `${op}: runs are not available in this process`);
        const row = await options.runs.get(organizationId, request.workflow_run_id);
        const kind = options.runs.findKind(row.kind);
        const saved = await kind?.browserState?.(row, options.runs.context(organizationId));
        if (saved === undefined) {
          throw new PetrelError('INVALID_INPUT', `${op}: run ${row.run_id} has no saved browser state`, { details: { field: 'workflow_run_id' } });
        }
        state = saved;
        source.workflowRunId = row.run_id;
      }
      const profile = await profilesOf(organizationId).create({
        name: request.name,
        ...(request.description ? { description: request.description } : {}),
        state,
        source,
      });
      const at = now().toISOString();
      const row: BrowserProfileRow = {
        browser_profile_id: profile.browserProfileId,
        organization_id: organizationId,
        name: profile.name,
        description: profile.description,
        source_browser_session_id: source.browserSessionId ?? null,
        source_run_id: source.workflowRunId ?? null,
        cookie_count: profile.cookieCount,
        size: profile.size,
        sha256: profile.sha256,
        created_at: at,
        modified_at: at,
        deleted_at: null,
      };
      try {
        await store.browserProfiles.insert(row);
      } catch (error) {
        await profilesOf(organizationId).delete(profile.browserProfileId).catch(() => false);
        throw error;
      }
      return toBrowserProfileResponse(row);
    },
    async get(organizationId, profileId) {
      const row = await store.browserProfiles.find(organizationId, profileId);
      if (row === undefined) throw notFound(profileId, 'browser_profiles.get');
      return toBrowserProfileResponse(row);
    },
    async list(organizationId, query) {
      const rows = await store.browserProfiles.list(organizationId, {
        page: query.page,
        pageSize: query.page_size,
        includeDeleted: query.include_deleted,
        search: query.search_key,
      });
      return rows.map(toBrowserProfileResponse);
    },
    async update(organizationId, profileId, request) {
      const op = 'browser_profiles.update';
      const row = await findLive(organizationId, profileId, op);
      if (request.name && request.name !== row.name && (await store.browserProfiles.findByName(organizationId, request.name)) !== undefined) {
        throw new PetrelError('ALREADY_EXISTS', `${op}: a browser profile named "${request.name.slice(0, 100)}" already exists`, { details: { field: 'name' } });
      }
      await store.browserProfiles.update(organizationId, profileId, {
        ...(request.name ? { name: request.name } : {}),
        ...(request.description === undefined ? {} : { description: request.description }),
        modified_at: now().toISOString(),
      });
      return toBrowserProfileResponse(await findLive(organizationId, profileId, op));
    },
    async delete(organizationId, profileId) {
      const op = 'browser_profiles.delete';
      await findLive(organizationId, profileId, op);
      if (!(await store.browserProfiles.markDeleted(organizationId, profileId, now().toISOString()))) throw notFound(profileId, op);
      await profilesOf(organizationId).delete(profileId);
    },
    async loadState(organizationId, profileId) {
      await findLive(organizationId, profileId, 'browser_profiles.load');
      return profilesOf(organizationId).loadState(profileId);
    },
  };
}
