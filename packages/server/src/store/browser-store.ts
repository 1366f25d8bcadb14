// Persistent browser sessions and browser profiles, over Kysely. Every method that touches an
// organization's rows takes its id first and filters on it; the exceptions are the heartbeat and
// reconciliation of sessions across organizations (a process's own sessions, and sessions whose
// process stopped), named as such.
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { BrowserProfilesTable, BrowserSessionsTable, ServerTables } from './schema.ts';

/** A browser session row. */
export type BrowserSessionRow = Selectable<BrowserSessionsTable>;
/** A browser profile row. */
export type BrowserProfileRow = Selectable<BrowserProfilesTable>;

/** Session statuses that are not final. */
export const LIVE_SESSION_STATUSES = ['created', 'running'] as const;

function escapeLike(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_');
}

/** The browser sessions repository. */
export function createBrowserSessionsRepository(db: Kysely<ServerTables>) {
  return {
    /** Inserts a session row. */
    async insert(row: BrowserSessionRow): Promise<void> {
      await db.insertInto('browser_sessions').values(row).execute();
    },
    /** One session of the organization, or undefined. */
    async find(organizationId: string, sessionId: string): Promise<BrowserSessionRow | undefined> {
      return db
        .selectFrom('browser_sessions')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('browser_session_id', '=', sessionId)
        .executeTakeFirst();
    },
    /** The organization's sessions, newest first; only live ones unless `includeEnded`. */
    async list(organizationId: string, options: { includeEnded: boolean; limit: number }): Promise<BrowserSessionRow[]> {
      let query = db.selectFrom('browser_sessions').selectAll().where('organization_id', '=', organizationId);
      if (!options.includeEnded) query = query.where('status', 'in', [...LIVE_SESSION_STATUSES]);
      return query.orderBy('created_at', 'desc').orderBy('browser_session_id', 'desc').limit(options.limit).execute();
    },
    /**
     * Applies a change to a session that is not final yet (a final status is never overwritten,
     * so a late event of another process cannot revive or relabel an ended session). Returns true
     * when a row changed. Scoped by the session id alone: events come from the process that owns it.
     */
    async updateLive(sessionId: string, patch: Partial<Omit<BrowserSessionRow, 'browser_session_id' | 'organization_id' | 'owner' | 'created_at'>>): Promise<boolean> {
      const result = await db
        .updateTable('browser_sessions')
        .set(patch)
        .where('browser_session_id', '=', sessionId)
        .where('status', 'in', [...LIVE_SESSION_STATUSES])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /**
     * Takes the session for a run if it is running and free (or already the run's): a compare-and-set,
     * so two processes cannot hand one session to two runs. Returns true when the run holds it.
     */
    async occupy(organizationId: string, sessionId: string, runnable: { id: string; type: string | null }, at: string): Promise<boolean> {
      const result = await db
        .updateTable('browser_sessions')
        .set({ runnable_id: runnable.id, runnable_type: runnable.type, modified_at: at })
        .where('organization_id', '=', organizationId)
        .where('browser_session_id', '=', sessionId)
        .where('status', '=', 'running')
        .where((eb) => eb.or([eb('runnable_id', 'is', null), eb('runnable_id', '=', runnable.id)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Frees the session if `runId` holds it; returns true when it did. */
    async release(organizationId: string, sessionId: string, runId: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('browser_sessions')
        .set({ runnable_id: null, runnable_type: null, modified_at: at })
        .where('organization_id', '=', organizationId)
        .where('browser_session_id', '=', sessionId)
        .where('runnable_id', '=', runId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Refreshes the heartbeat of every live session `owner` runs (across organizations: the owner's own sessions). */
    async heartbeat(owner: string, at: string): Promise<void> {
      await db.updateTable('browser_sessions').set({ heartbeat_at: at }).where('owner', '=', owner).where('status', 'in', [...LIVE_SESSION_STATUSES]).execute();
    },
    /** Live sessions of every organization (reconciliation after a process stopped). */
    async listLive(limit: number): Promise<BrowserSessionRow[]> {
      return db.selectFrom('browser_sessions').selectAll().where('status', 'in', [...LIVE_SESSION_STATUSES]).orderBy('heartbeat_at').limit(limit).execute();
    },
    /** A session by id alone (its owner process keeping its own sessions alive). */
    async findById(sessionId: string): Promise<BrowserSessionRow | undefined> {
      return db.selectFrom('browser_sessions').selectAll().where('browser_session_id', '=', sessionId).executeTakeFirst();
    },
    /** Live sessions by status count, all organizations (metrics). */
    async countLive(): Promise<Array<{ status: string; n: number }>> {
      const rows = await db
        .selectFrom('browser_sessions')
        .select(['status', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('status', 'in', [...LIVE_SESSION_STATUSES])
        .groupBy('status')
        .execute();
      return rows.map((row) => ({ status: row.status, n: Number(row.n) }));
    },
  };
}

/** Filters of `browserProfiles.list`. */
export type ProfileListFilter = { page: number; pageSize: number; includeDeleted: boolean; search?: string | undefined };

/** The browser profiles repository. */
export function createBrowserProfilesRepository(db: Kysely<ServerTables>) {
  return {
    /** Inserts a profile row. */
    async insert(row: BrowserProfileRow): Promise<void> {
      await db.insertInto('browser_profiles').values(row).execute();
    },
    /** One profile of the organization (deleted ones too), or undefined. */
    async find(organizationId: string, profileId: string): Promise<BrowserProfileRow | undefined> {
      return db
        .selectFrom('browser_profiles')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('browser_profile_id', '=', profileId)
        .executeTakeFirst();
    },
    /** A live profile of the organization with this name, or undefined. */
    async findByName(organizationId: string, name: string): Promise<BrowserProfileRow | undefined> {
      return db
        .selectFrom('browser_profiles')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
    },
    /** The organization's profiles, newest first. */
    async list(organizationId: string, filter: ProfileListFilter): Promise<BrowserProfileRow[]> {
      let query = db.selectFrom('browser_profiles').selectAll().where('organization_id', '=', organizationId);
      if (!filter.includeDeleted) query = query.where('deleted_at', 'is', null);
      if (filter.search !== undefined && filter.search !== '') {
        const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
        query = query.where((eb) =>
          eb.or([eb(sql<string>`lower(name)`, 'like', sql<string>`${pattern} escape '\\'`), eb(sql<string>`lower(coalesce(description, ''))`, 'like', sql<string>`${pattern} escape '\\'`)]),
        );
      }
      return query
        .orderBy('created_at', 'desc')
        .orderBy('browser_profile_id', 'desc')
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize)
        .execute();
    },
    /** Changes the name or description of a live profile; false when there is none. */
    async update(organizationId: string, profileId: string, patch: { name?: string; description?: string | null; modified_at: string }): Promise<boolean> {
      const result = await db
        .updateTable('browser_profiles')
        .set(patch)
        .where('organization_id', '=', organizationId)
        .where('browser_profile_id', '=', profileId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Marks a live profile deleted; false when there is none. */
    async markDeleted(organizationId: string, profileId: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('browser_profiles')
        .set({ deleted_at: at, modified_at: at })
        .where('organization_id', '=', organizationId)
        .where('browser_profile_id', '=', profileId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
