// The persistence port of block workflows: saved versions (`w_…` rows under a `wpid_…`) and the run
// rows that tie a run (`wr_…`) to its workflow, version and end user. Plain rows, the namespace
// (organization id) on every call, no engine types, JSON columns as plain values, times as ISO
// strings, so a SQL adapter (the server's, on Kysely) is a table per type and a query per method.
// The in-memory adapter below is the twin for tests and standalone use.
import { PetrelError } from '@petrel/protocol';
import type { BlockWorkflowStatus } from '@petrel/protocol';
import type { DefinitionWarning } from '../definition/definition-issue.ts';

/** One saved version of a workflow. Unique: (namespace, workflowPermanentId, version) and (namespace, workflowId). */
export type WorkflowVersionRow = {
  namespace: string;
  /** `w_…`: this version. */
  workflowId: string;
  /** `wpid_…`: the workflow across versions. */
  workflowPermanentId: string;
  /** 1, 2, … per workflow. */
  version: number;
  title: string;
  description: string | null;
  status: BlockWorkflowStatus;
  /** A saved task (seed 000's `task_id` names one). */
  isSavedTask: boolean;
  isTemplate: boolean;
  folderId: string | null;
  /** The parsed definition (`ParsedBlockWorkflow`) as JSON. */
  definition: Record<string, unknown>;
  /** What parsing dropped or rewrote. */
  warnings: DefinitionWarning[];
  createdAt: string;
  modifiedAt: string;
  /** Set on every version when the workflow is deleted (soft). */
  deletedAt: string | null;
};

/** One run of a workflow. Unique: (namespace, runId). */
export type WorkflowRunRow = {
  namespace: string;
  /** `wr_…`, also the engine instance id. */
  runId: string;
  workflowPermanentId: string;
  /** The version the run was started on. */
  workflowId: string;
  version: number;
  /** The end user the run is for (seed 000). */
  developerUserId: string | null;
  /** The run whose workflow_trigger block started this one. */
  parentRunId: string | null;
  title: string | null;
  createdAt: string;
};

/** Filters of `listLatest`. */
export type WorkflowListFilter = {
  /** From 1. */
  page: number;
  pageSize: number;
  /** Title contains this text (case-insensitive). */
  search?: string;
  /** Title equals this text. */
  title?: string;
  folderId?: string;
  statuses?: readonly BlockWorkflowStatus[];
  /** `only`: saved tasks only; `exclude`: workflows only. */
  savedTasks?: 'only' | 'exclude';
  /** Only templates (true) or no templates (false). */
  templates?: boolean;
};

/** Filters of `listRuns`. */
export type WorkflowRunListFilter = {
  page: number;
  pageSize: number;
  workflowPermanentId?: string;
  developerUserId?: string;
  parentRunId?: string;
};

/** Where block workflows and their run rows are kept. */
export type WorkflowRepository = {
  /** Inserts a version; throws `ALREADY_EXISTS` when the workflow already has that version number (a concurrent update). */
  insertVersion(row: WorkflowVersionRow): Promise<void>;
  /** A version of a workflow that is not deleted: `version`, or the latest. */
  findVersion(namespace: string, workflowPermanentId: string, version?: number): Promise<WorkflowVersionRow | undefined>;
  /** A version by its `w_…` id, deleted or not (runs stay pinned to theirs). */
  findVersionById(namespace: string, workflowId: string): Promise<WorkflowVersionRow | undefined>;
  /** Every version of a workflow that is not deleted, oldest first. */
  listVersions(namespace: string, workflowPermanentId: string): Promise<WorkflowVersionRow[]>;
  /** The latest version of each workflow that is not deleted, newest workflows first (by the first version's creation). */
  listLatest(namespace: string, filter: WorkflowListFilter): Promise<WorkflowVersionRow[]>;
  /** Marks every version of a workflow deleted; returns how many were. */
  softDelete(namespace: string, workflowPermanentId: string, deletedAt: string): Promise<number>;
  /** Inserts a run row. */
  insertRun(row: WorkflowRunRow): Promise<void>;
  findRun(namespace: string, runId: string): Promise<WorkflowRunRow | undefined>;
  /** Runs, newest first. */
  listRuns(namespace: string, filter: WorkflowRunListFilter): Promise<WorkflowRunRow[]>;
};

function copy<T>(value: T): T {
  return structuredClone(value);
}

function page<T>(rows: T[], filter: { page: number; pageSize: number }): T[] {
  return rows.slice((filter.page - 1) * filter.pageSize, filter.page * filter.pageSize);
}

/** An in-memory `WorkflowRepository` (tests, examples, `Petrel.local()` without a database). */
export function createMemoryWorkflowRepository(): WorkflowRepository {
  const versions: WorkflowVersionRow[] = [];
  const runs: WorkflowRunRow[] = [];
  const live = (namespace: string, workflowPermanentId: string) =>
    versions.filter((row) => row.namespace === namespace && row.workflowPermanentId === workflowPermanentId && row.deletedAt === null).sort((a, b) => a.version - b.version);
  return {
    async insertVersion(row) {
      if (versions.some((v) => v.namespace === row.namespace && v.workflowPermanentId === row.workflowPermanentId && v.version === row.version)) {
        throw new PetrelError('ALREADY_EXISTS', `workflows.insert: ${row.workflowPermanentId} already has version ${row.version}`);
      }
      if (versions.some((v) => v.namespace === row.namespace && v.workflowId === row.workflowId)) {
        throw new PetrelError('ALREADY_EXISTS', `workflows.insert: version ${row.workflowId} already exists`);
      }
      versions.push(copy(row));
    },
    async findVersion(namespace, workflowPermanentId, version) {
      const rows = live(namespace, workflowPermanentId);
      const found = version === undefined ? rows.at(-1) : rows.find((row) => row.version === version);
      return found ? copy(found) : undefined;
    },
    async findVersionById(namespace, workflowId) {
      const found = versions.find((row) => row.namespace === namespace && row.workflowId === workflowId);
      return found ? copy(found) : undefined;
    },
    async listVersions(namespace, workflowPermanentId) {
      return live(namespace, workflowPermanentId).map(copy);
    },
    async listLatest(namespace, filter) {
      const latest = new Map<string, WorkflowVersionRow>();
      const first = new Map<string, string>();
      for (const row of versions) {
        if (row.namespace !== namespace || row.deletedAt !== null) continue;
        const current = latest.get(row.workflowPermanentId);
        if (!current || row.version > current.version) latest.set(row.workflowPermanentId, row);
        const created = first.get(row.workflowPermanentId);
        if (!created || row.createdAt < created) first.set(row.workflowPermanentId, row.createdAt);
      }
      const search = filter.search?.toLowerCase();
      const rows = [...latest.values()].filter(
        (row) =>
          (search === undefined || row.title.toLowerCase().includes(search)) &&
          (filter.title === undefined || row.title === filter.title) &&
          (filter.folderId === undefined || row.folderId === filter.folderId) &&
          (filter.statuses === undefined || filter.statuses.length === 0 || filter.statuses.includes(row.status)) &&
          (filter.savedTasks === undefined || (filter.savedTasks === 'only') === row.isSavedTask) &&
          (filter.templates === undefined || filter.templates === row.isTemplate),
      );
      // Newest workflow first; ids are time-ordered, so they break ties within a millisecond.
      const key = (row: WorkflowVersionRow): string => `${first.get(row.workflowPermanentId) ?? ''}\u0000${row.workflowPermanentId}`;
      rows.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
      return page(rows, filter).map(copy);
    },
    async softDelete(namespace, workflowPermanentId, deletedAt) {
      let count = 0;
      for (const row of versions) {
        if (row.namespace === namespace && row.workflowPermanentId === workflowPermanentId && row.deletedAt === null) {
          row.deletedAt = deletedAt;
          count++;
        }
      }
      return count;
    },
    async insertRun(row) {
      if (runs.some((r) => r.namespace === row.namespace && r.runId === row.runId)) throw new PetrelError('ALREADY_EXISTS', `workflows.runs: run ${row.runId} already exists`);
      runs.push(copy(row));
    },
    async findRun(namespace, runId) {
      const found = runs.find((row) => row.namespace === namespace && row.runId === runId);
      return found ? copy(found) : undefined;
    },
    async listRuns(namespace, filter) {
      const rows = runs
        .filter(
          (row) =>
            row.namespace === namespace &&
            (filter.workflowPermanentId === undefined || row.workflowPermanentId === filter.workflowPermanentId) &&
            (filter.developerUserId === undefined || row.developerUserId === filter.developerUserId) &&
            (filter.parentRunId === undefined || row.parentRunId === filter.parentRunId),
        )
        .sort((a, b) => (a.createdAt === b.createdAt ? (a.runId < b.runId ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
      return page(rows, filter).map(copy);
    },
  };
}
