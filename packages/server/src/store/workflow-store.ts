// Block workflows on the server's database, over Kysely (SQLite or PostgreSQL alike): the blocks
// package's `WorkflowRepository` port (saved versions and run rows), plus what only the server has
// — moving a workflow into a folder, folders, and cron schedules. Every method takes the organization
// id (the port's namespace) first and filters on it; the exception is the scheduler's look-up of due
// schedules across organizations, named as such.
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { PetrelError } from '@petrel/protocol';
import type { BlockWorkflowStatus } from '@petrel/protocol';
import type { DefinitionWarning, WorkflowRepository, WorkflowRunRow, WorkflowVersionRow } from '@petrel/blocks';
import type { ServerTables, WorkflowFoldersTable, WorkflowSchedulesTable, WorkflowVersionsTable } from './schema.ts';

/** A folder row. */
export type WorkflowFolderRow = Selectable<WorkflowFoldersTable>;
/** A schedule row. */
export type WorkflowScheduleRow = Selectable<WorkflowSchedulesTable>;

function escapeLike(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_');
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

function toVersionRow(row: Selectable<WorkflowVersionsTable>): WorkflowVersionRow {
  return {
    namespace: row.organization_id,
    workflowId: row.workflow_id,
    workflowPermanentId: row.workflow_permanent_id,
    version: row.version,
    title: row.title,
    description: row.description,
    status: row.status as BlockWorkflowStatus,
    isSavedTask: row.is_saved_task === 1,
    isTemplate: row.is_template === 1,
    folderId: row.folder_id,
    definition: JSON.parse(row.definition) as Record<string, unknown>,
    warnings: JSON.parse(row.warnings) as DefinitionWarning[],
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    deletedAt: row.deleted_at,
  };
}

function toRunRow(row: Selectable<ServerTables['workflow_runs']>): WorkflowRunRow {
  return {
    namespace: row.organization_id,
    runId: row.run_id,
    workflowPermanentId: row.workflow_permanent_id,
    workflowId: row.workflow_id,
    version: row.version,
    developerUserId: row.developer_user_id,
    parentRunId: row.parent_run_id,
    title: row.title,
    createdAt: row.created_at,
  };
}

/** The server's block workflow repository: the port, and moving a workflow to a folder. */
export type ServerWorkflowRepository = WorkflowRepository & {
  /** Puts every version of a workflow in a folder (null: none); false when there is no such workflow. */
  setFolder(organizationId: string, workflowPermanentId: string, folderId: string | null, modifiedAt: string): Promise<boolean>;
  /** How many live workflows a folder holds. */
  countInFolder(organizationId: string, folderId: string): Promise<number>;
  /** Takes a deleted folder's workflows out of it. */
  clearFolder(organizationId: string, folderId: string): Promise<void>;
};

/** The `WorkflowRepository` port on Kysely. */
export function createWorkflowRepository(db: Kysely<ServerTables>): ServerWorkflowRepository {
  const latestOf = (organizationId: string) =>
    db
      .selectFrom('workflow_versions as v')
      .selectAll('v')
      .where('v.organization_id', '=', organizationId)
      .where('v.deleted_at', 'is', null)
      .where((eb) =>
        eb(
          'v.version',
          '=',
          eb
            .selectFrom('workflow_versions as m')
            .select((m) => m.fn.max('m.version').as('latest'))
            .whereRef('m.organization_id', '=', 'v.organization_id')
            .whereRef('m.workflow_permanent_id', '=', 'v.workflow_permanent_id')
            .where('m.deleted_at', 'is', null),
        ),
      );

  return {
    async insertVersion(row) {
      try {
        await db
          .insertInto('workflow_versions')
          .values({
            workflow_id: row.workflowId,
            organization_id: row.namespace,
            workflow_permanent_id: row.workflowPermanentId,
            version: row.version,
            title: row.title,
            description: row.description,
            status: row.status,
            is_saved_task: row.isSavedTask ? 1 : 0,
            is_template: row.isTemplate ? 1 : 0,
            folder_id: row.folderId,
            definition: JSON.stringify(row.definition),
            warnings: JSON.stringify(row.warnings),
            created_at: row.createdAt,
            modified_at: row.modifiedAt,
            deleted_at: row.deletedAt,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new PetrelError('ALREADY_EXISTS', `workflows.insert: ${row.workflowPermanentId} already has version ${row.version}`, { cause: error });
        throw error;
      }
    },
    async findVersion(organizationId, workflowPermanentId, version) {
      let query = db
        .selectFrom('workflow_versions')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('workflow_permanent_id', '=', workflowPermanentId)
        .where('deleted_at', 'is', null);
      query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
      const row = await query.executeTakeFirst();
      return row === undefined ? undefined : toVersionRow(row);
    },
    async findVersionById(organizationId, workflowId) {
      const row = await db.selectFrom('workflow_versions').selectAll().where('organization_id', '=', organizationId).where('workflow_id', '=', workflowId).executeTakeFirst();
      return row === undefined ? undefined : toVersionRow(row);
    },
    async listVersions(organizationId, workflowPermanentId) {
      const rows = await db
        .selectFrom('workflow_versions')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('workflow_permanent_id', '=', workflowPermanentId)
        .where('deleted_at', 'is', null)
        .orderBy('version')
        .execute();
      return rows.map(toVersionRow);
    },
    async listLatest(organizationId, filter) {
      let query = latestOf(organizationId);
      if (filter.search !== undefined && filter.search !== '') {
        query = query.where(sql<string>`lower(v.title)`, 'like', sql<string>`${`%${escapeLike(filter.search.toLowerCase())}%`} escape '\\'`);
      }
      if (filter.title !== undefined) query = query.where('v.title', '=', filter.title);
      if (filter.folderId !== undefined) query = query.where('v.folder_id', '=', filter.folderId);
      if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('v.status', 'in', [...filter.statuses]);
      if (filter.savedTasks !== undefined) query = query.where('v.is_saved_task', '=', filter.savedTasks === 'only' ? 1 : 0);
      if (filter.templates !== undefined) query = query.where('v.is_template', '=', filter.templates ? 1 : 0);
      const rows = await query
        // Newest workflows first, by their first version's creation.
        .orderBy(
          (eb) =>
            eb
              .selectFrom('workflow_versions as f')
              .select((f) => f.fn.min('f.created_at').as('first'))
              .whereRef('f.organization_id', '=', 'v.organization_id')
              .whereRef('f.workflow_permanent_id', '=', 'v.workflow_permanent_id'),
          'desc',
        )
        .orderBy('v.workflow_permanent_id', 'desc')
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize)
        .execute();
      return rows.map(toVersionRow);
    },
    async softDelete(organizationId, workflowPermanentId, deletedAt) {
      const result = await db
        .updateTable('workflow_versions')
        .set({ deleted_at: deletedAt })
        .where('organization_id', '=', organizationId)
        .where('workflow_permanent_id', '=', workflowPermanentId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async insertRun(row) {
      try {
        await db
          .insertInto('workflow_runs')
          .values({
            run_id: row.runId,
            organization_id: row.namespace,
            workflow_permanent_id: row.workflowPermanentId,
            workflow_id: row.workflowId,
            version: row.version,
            developer_user_id: row.developerUserId,
            parent_run_id: row.parentRunId,
            title: row.title,
            created_at: row.createdAt,
          })
          .execute();
      } catch (error) {
        if (isUniqueViolation(error)) throw new PetrelError('ALREADY_EXISTS', `workflows.runs: run ${row.runId} already exists`, { cause: error });
        throw error;
      }
    },
    async findRun(organizationId, runId) {
      const row = await db.selectFrom('workflow_runs').selectAll().where('organization_id', '=', organizationId).where('run_id', '=', runId).executeTakeFirst();
      return row === undefined ? undefined : toRunRow(row);
    },
    async listRuns(organizationId, filter) {
      let query = db.selectFrom('workflow_runs').selectAll().where('organization_id', '=', organizationId);
      if (filter.workflowPermanentId !== undefined) query = query.where('workflow_permanent_id', '=', filter.workflowPermanentId);
      if (filter.developerUserId !== undefined) query = query.where('developer_user_id', '=', filter.developerUserId);
      if (filter.parentRunId !== undefined) query = query.where('parent_run_id', '=', filter.parentRunId);
      const rows = await query
        .orderBy('created_at', 'desc')
        .orderBy('run_id', 'desc')
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize)
        .execute();
      return rows.map(toRunRow);
    },
    async setFolder(organizationId, workflowPermanentId, folderId, modifiedAt) {
      const result = await db
        .updateTable('workflow_versions')
        .set({ folder_id: folderId, modified_at: modifiedAt })
        .where('organization_id', '=', organizationId)
        .where('workflow_permanent_id', '=', workflowPermanentId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async countInFolder(organizationId, folderId) {
      const row = await latestOf(organizationId)
        .clearSelect()
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('count'))
        .where('v.folder_id', '=', folderId)
        .executeTakeFirst();
      return Number(row?.count ?? 0);
    },
    async clearFolder(organizationId, folderId) {
      await db.updateTable('workflow_versions').set({ folder_id: null }).where('organization_id', '=', organizationId).where('folder_id', '=', folderId).execute();
    },
  };
}

/** Workflow folders. */
export function createFoldersRepository(db: Kysely<ServerTables>) {
  return {
    /** Inserts a folder. */
    async insert(row: WorkflowFolderRow): Promise<void> {
      await db.insertInto('workflow_folders').values(row).execute();
    },
    /** One folder of the organization, or undefined. */
    async find(organizationId: string, folderId: string): Promise<WorkflowFolderRow | undefined> {
      return db.selectFrom('workflow_folders').selectAll().where('organization_id', '=', organizationId).where('folder_id', '=', folderId).executeTakeFirst();
    },
    /** The organization's folders, newest first. */
    async list(organizationId: string, page: { page: number; pageSize: number; search?: string | undefined }): Promise<WorkflowFolderRow[]> {
      let query = db.selectFrom('workflow_folders').selectAll().where('organization_id', '=', organizationId);
      if (page.search !== undefined && page.search !== '') {
        query = query.where(sql<string>`lower(title)`, 'like', sql<string>`${`%${escapeLike(page.search.toLowerCase())}%`} escape '\\'`);
      }
      return query
        .orderBy('created_at', 'desc')
        .orderBy('folder_id', 'desc')
        .limit(page.pageSize)
        .offset((page.page - 1) * page.pageSize)
        .execute();
    },
    /** Changes a folder's title or description; false when it does not exist. */
    async update(organizationId: string, folderId: string, patch: { title?: string; description?: string | null; modifiedAt: string }): Promise<boolean> {
      const result = await db
        .updateTable('workflow_folders')
        .set({ ...(patch.title === undefined ? {} : { title: patch.title }), ...(patch.description === undefined ? {} : { description: patch.description }), modified_at: patch.modifiedAt })
        .where('organization_id', '=', organizationId)
        .where('folder_id', '=', folderId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Deletes a folder; false when it does not exist. */
    async delete(organizationId: string, folderId: string): Promise<boolean> {
      const result = await db.deleteFrom('workflow_folders').where('organization_id', '=', organizationId).where('folder_id', '=', folderId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

/** Cron schedules of block workflows. */
export function createSchedulesRepository(db: Kysely<ServerTables>) {
  return {
    /** Inserts a schedule. */
    async insert(row: WorkflowScheduleRow): Promise<void> {
      await db.insertInto('workflow_schedules').values(row).execute();
    },
    /** One schedule of the organization, or undefined. */
    async find(organizationId: string, scheduleId: string): Promise<WorkflowScheduleRow | undefined> {
      return db.selectFrom('workflow_schedules').selectAll().where('organization_id', '=', organizationId).where('workflow_schedule_id', '=', scheduleId).executeTakeFirst();
    },
    /** The organization's schedules (of one workflow, when given), oldest first. */
    async list(organizationId: string, filter: { workflowPermanentId?: string | undefined; page: number; pageSize: number }): Promise<WorkflowScheduleRow[]> {
      let query = db.selectFrom('workflow_schedules').selectAll().where('organization_id', '=', organizationId);
      if (filter.workflowPermanentId !== undefined) query = query.where('workflow_permanent_id', '=', filter.workflowPermanentId);
      return query
        .orderBy('created_at')
        .orderBy('workflow_schedule_id')
        .limit(filter.pageSize)
        .offset((filter.page - 1) * filter.pageSize)
        .execute();
    },
    /** Replaces a schedule's settings; false when it does not exist. */
    async update(organizationId: string, scheduleId: string, patch: Partial<Omit<WorkflowScheduleRow, 'workflow_schedule_id' | 'organization_id' | 'workflow_permanent_id' | 'created_at'>>): Promise<boolean> {
      const result = await db
        .updateTable('workflow_schedules')
        .set(patch)
        .where('organization_id', '=', organizationId)
        .where('workflow_schedule_id', '=', scheduleId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Deletes a schedule; false when it does not exist. */
    async delete(organizationId: string, scheduleId: string): Promise<boolean> {
      const result = await db.deleteFrom('workflow_schedules').where('organization_id', '=', organizationId).where('workflow_schedule_id', '=', scheduleId).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    /** Deletes a workflow's schedules (the workflow was deleted); returns how many. */
    async deleteForWorkflow(organizationId: string, workflowPermanentId: string): Promise<number> {
      const result = await db.deleteFrom('workflow_schedules').where('organization_id', '=', organizationId).where('workflow_permanent_id', '=', workflowPermanentId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    /** Enabled schedules due at `now` (all organizations; the scheduler), soonest first. */
    async listDue(now: string, limit: number): Promise<WorkflowScheduleRow[]> {
      return db
        .selectFrom('workflow_schedules')
        .selectAll()
        .where('enabled', '=', 1)
        .where('next_run_at', 'is not', null)
        .where('next_run_at', '<=', now)
        .orderBy('next_run_at')
        .limit(limit)
        .execute();
    },
    /** The soonest `next_run_at` of an enabled schedule (all organizations; the scheduler's sleep). */
    async nextDue(): Promise<string | undefined> {
      const row = await db
        .selectFrom('workflow_schedules')
        .select((eb) => eb.fn.min('next_run_at').as('next'))
        .where('enabled', '=', 1)
        .executeTakeFirst();
      return row?.next ?? undefined;
    },
    /**
     * Claims one firing: moves `next_run_at` from `expected` to `next` (compare-and-set), so exactly
     * one process starts the run of that firing. True when this call claimed it.
     */
    async claimFiring(scheduleId: string, expected: string, next: string | null, firedAt: string): Promise<boolean> {
      const result = await db
        .updateTable('workflow_schedules')
        .set({ next_run_at: next, last_run_at: firedAt, modified_at: firedAt })
        .where('workflow_schedule_id', '=', scheduleId)
        .where('enabled', '=', 1)
        .where('next_run_at', '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Records the outcome of a firing (the run started, or why it could not). */
    async recordFiring(scheduleId: string, outcome: { runId: string | null; error: string | null }): Promise<void> {
      await db.updateTable('workflow_schedules').set({ last_run_id: outcome.runId, last_error: outcome.error }).where('workflow_schedule_id', '=', scheduleId).execute();
    },
  };
}
