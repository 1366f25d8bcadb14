// The runs index, artifacts and uploaded files, over Kysely (SQLite or PostgreSQL alike). Like the
// rest of the store, every method that reads or writes an organization's rows takes its id first and
// filters on it. The exceptions are housekeeping across organizations (the retention purge and the
// outbox consumer's look-up of runs by engine instance), named as such.
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import type { ArtifactsTable, FilesTable, RunsTable, ServerTables } from './schema.ts';

/** A runs index row. */
export type RunRow = Selectable<RunsTable>;
/** An artifact row. */
export type ArtifactRow = Selectable<ArtifactsTable>;
/** An uploaded file row. */
export type FileRow = Selectable<FilesTable>;

/** Filters of `runs.list`. */
export type RunListFilter = {
  page: number;
  pageSize: number;
  statuses?: readonly string[] | undefined;
  runTypes?: readonly string[] | undefined;
  search?: string | undefined;
  /** Only runs started for this end user. */
  developerUserId?: string | undefined;
  /** Only runs of this workflow (`wpid_…`). */
  workflowPermanentId?: string | undefined;
  /** Only runs of these kinds. */
  kinds?: readonly string[] | undefined;
};

/** What `runs.updateStatus` may change. */
export type RunStatusPatch = {
  status: string;
  modifiedAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
};

function escapeLike(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_');
}

/** The runs repository. */
export function createRunsRepository(db: Kysely<ServerTables>) {
  return {
    /**
     * Inserts a run; when the row is there already (the outbox consumer indexed the instance first),
     * the descriptive columns are set from `row` and the status snapshot and times are kept.
     */
    async insert(row: RunRow): Promise<void> {
      await db
        .insertInto('runs')
        .values(row)
        .onConflict((oc) =>
          oc
            .column('run_id')
            .doUpdateSet({
              title: row.title,
              webhook_url: row.webhook_url,
              developer_user_id: row.developer_user_id,
              browser_session_id: row.browser_session_id,
              trigger_type: row.trigger_type,
              workflow_permanent_id: row.workflow_permanent_id,
              workflow_id: row.workflow_id,
            })
            .where('runs.organization_id', '=', row.organization_id),
        )
        .execute();
    },
    /** Inserts a run unless its id is indexed already; true when this call inserted it. */
    async insertIfAbsent(row: RunRow): Promise<boolean> {
      const result = await db.insertInto('runs').values(row).onConflict((oc) => oc.column('run_id').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
    /** Records the `totp_identifier`s a run may wait on (repeats are ignored). */
    async addTotpIdentifiers(organizationId: string, runId: string, identifiers: readonly string[], at: string): Promise<void> {
      const unique = [...new Set(identifiers.filter((id) => id !== ''))];
      if (unique.length === 0) return;
      await db
        .insertInto('run_totp_identifiers')
        .values(unique.map((totp_identifier) => ({ organization_id: organizationId, totp_identifier, run_id: runId, created_at: at })))
        .onConflict((oc) => oc.columns(['organization_id', 'totp_identifier', 'run_id']).doNothing())
        .execute();
    },
    /** The organization's runs not in a final status that may wait on `identifier`, newest first (at most `limit`). */
    async listWaitingForTotp(organizationId: string, identifier: string, finalStatuses: readonly string[], limit: number): Promise<RunRow[]> {
      return db
        .selectFrom('run_totp_identifiers as t')
        .innerJoin('runs as r', (join) => join.onRef('r.run_id', '=', 't.run_id').onRef('r.organization_id', '=', 't.organization_id'))
        .selectAll('r')
        .where('t.organization_id', '=', organizationId)
        .where('t.totp_identifier', '=', identifier)
        .where('r.status', 'not in', [...finalStatuses])
        .orderBy('r.created_at', 'desc')
        .limit(limit)
        .execute();
    },
    /** One run of the organization, or undefined. */
    async find(organizationId: string, runId: string): Promise<RunRow | undefined> {
      return db.selectFrom('runs').selectAll().where('organization_id', '=', organizationId).where('run_id', '=', runId).executeTakeFirst();
    },
    /** The organization's runs, newest first, filtered. */
    async list(organizationId: string, filter: RunListFilter): Promise<RunRow[]> {
      let query = db.selectFrom('runs').selectAll().where('organization_id', '=', organizationId);
      if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses]);
      if (filter.runTypes !== undefined && filter.runTypes.length > 0) query = query.where('run_type', 'in', [...filter.runTypes]);
      if (filter.kinds !== undefined && filter.kinds.length > 0) query = query.where('kind', 'in', [...filter.kinds]);
      if (filter.developerUserId !== undefined) query = query.where('developer_user_id', '=', filter.developerUserId);
      if (filter.workflowPermanentId !== undefined) query = query.where('workflow_permanent_id', '=', filter.workflowPermanentId);
      if (filter.search !== undefined && filter.search !== '') {
        const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
        query = query.where((eb) =>
          eb.or([eb(sql<string>`lower(run_id)`, 'like', sql<string>`${pattern} escape '\\'`), eb(sql<string>`lower(coalesce(title, ''))`, 'like', sql<string>`${pattern} escape '\\'`)]),
        );
      }
      return query
        .orderBy('created_at', 'desc')
        .orderBy('run_id', 'desc')
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize)
        .execute();
    },
    /** Records the run's status snapshot; false when the run does not exist in the organization. */
    async updateStatus(organizationId: string, runId: string, patch: RunStatusPatch): Promise<boolean> {
      const result = await db
        .updateTable('runs')
        .set({
          status: patch.status,
          modified_at: patch.modifiedAt,
          ...(patch.startedAt === undefined ? {} : { started_at: patch.startedAt }),
          ...(patch.finishedAt === undefined ? {} : { finished_at: patch.finishedAt }),
        })
        .where('organization_id', '=', organizationId)
        .where('run_id', '=', runId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Records the outcome of the run's last webhook delivery: `''` after a success, else why it failed. */
    async setWebhookFailure(organizationId: string, runId: string, reason: string): Promise<void> {
      await db.updateTable('runs').set({ webhook_failure_reason: reason }).where('organization_id', '=', organizationId).where('run_id', '=', runId).execute();
    },
    /**
     * The runs backed by these engine instances of one organization (the outbox consumer maps
     * lifecycle events to runs with it).
     */
    async findByInstances(organizationId: string, instances: ReadonlyArray<{ workflow: string; instanceId: string }>): Promise<RunRow[]> {
      if (instances.length === 0) return [];
      return db
        .selectFrom('runs')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('engine_instance_id', 'in', [...new Set(instances.map((i) => i.instanceId))])
        .execute()
        .then((rows) => rows.filter((row) => instances.some((i) => i.workflow === row.engine_workflow && i.instanceId === row.engine_instance_id)));
    },
  };
}

/** The artifacts repository. */
export function createArtifactsRepository(db: Kysely<ServerTables>) {
  return {
    /** Inserts an artifact record (its bytes are already stored). */
    async insert(row: ArtifactRow): Promise<void> {
      await db.insertInto('artifacts').values(row).onConflict((oc) => oc.column('artifact_id').doNothing()).execute();
    },
    /** One artifact of the organization, or undefined. */
    async find(organizationId: string, artifactId: string): Promise<ArtifactRow | undefined> {
      return db.selectFrom('artifacts').selectAll().where('organization_id', '=', organizationId).where('artifact_id', '=', artifactId).executeTakeFirst();
    },
    /** An artifact by id alone: only for signed URLs, whose signature names the artifact. */
    async findSigned(artifactId: string): Promise<ArtifactRow | undefined> {
      return db.selectFrom('artifacts').selectAll().where('artifact_id', '=', artifactId).executeTakeFirst();
    },
    /** A run's artifacts, oldest first, optionally of some types. */
    async listForRun(organizationId: string, runId: string, types?: readonly string[]): Promise<ArtifactRow[]> {
      let query = db.selectFrom('artifacts').selectAll().where('organization_id', '=', organizationId).where('run_id', '=', runId);
      if (types !== undefined && types.length > 0) query = query.where('artifact_type', 'in', [...types]);
      return query.orderBy('created_at').orderBy('artifact_id').limit(10_000).execute();
    },
    /** True when the organization has an artifact of the run. */
    async hasRun(organizationId: string, runId: string): Promise<boolean> {
      const row = await db.selectFrom('artifacts').select('artifact_id').where('organization_id', '=', organizationId).where('run_id', '=', runId).limit(1).executeTakeFirst();
      return row !== undefined;
    },
    /** Artifacts created before `before` (all organizations; retention housekeeping). */
    async listExpired(before: string, limit: number): Promise<ArtifactRow[]> {
      return db.selectFrom('artifacts').selectAll().where('created_at', '<', before).orderBy('created_at').limit(limit).execute();
    },
    /** Deletes artifact rows by id (retention housekeeping). */
    async deleteMany(artifactIds: readonly string[]): Promise<number> {
      if (artifactIds.length === 0) return 0;
      const result = await db.deleteFrom('artifacts').where('artifact_id', 'in', [...artifactIds]).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** The uploaded files repository. */
export function createFilesRepository(db: Kysely<ServerTables>) {
  return {
    /** Inserts a file record (its bytes are already stored). */
    async insert(row: FileRow): Promise<void> {
      await db.insertInto('files').values(row).execute();
    },
    /** One file of the organization, or undefined. */
    async find(organizationId: string, fileId: string): Promise<FileRow | undefined> {
      return db.selectFrom('files').selectAll().where('organization_id', '=', organizationId).where('file_id', '=', fileId).executeTakeFirst();
    },
    /** A file by id alone: only for signed URLs, whose signature names the file. */
    async findSigned(fileId: string): Promise<FileRow | undefined> {
      return db.selectFrom('files').selectAll().where('file_id', '=', fileId).executeTakeFirst();
    },
    /** Deletes a file record; false when it does not exist in the organization. */
    async delete(organizationId: string, fileId: string): Promise<boolean> {
      const result = await db.deleteFrom('files').where('organization_id', '=', organizationId).where('file_id', '=', fileId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Files whose retention ended at `now` (all organizations; housekeeping). */
    async listExpired(now: string, limit: number): Promise<FileRow[]> {
      return db.selectFrom('files').selectAll().where('expires_at', 'is not', null).where('expires_at', '<=', now).orderBy('expires_at').limit(limit).execute();
    },
    /** Deletes file rows by id (retention housekeeping). */
    async deleteMany(fileIds: readonly string[]): Promise<number> {
      if (fileIds.length === 0) return 0;
      const result = await db.deleteFrom('files').where('file_id', 'in', [...fileIds]).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
