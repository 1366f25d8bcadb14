// A `WorkflowRepository` in one JSON file, for tests that restart processes (the crash test): every
// call reads the file, every write replaces it atomically. It shows how little the port asks of an
// adapter; the server's adapter is SQL.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createMemoryWorkflowRepository } from '@petrel/blocks';
import type { WorkflowRepository, WorkflowRunRow, WorkflowVersionRow } from '@petrel/blocks';

type Snapshot = { versions: WorkflowVersionRow[]; runs: WorkflowRunRow[] };

/** A repository kept in `path` (created on the first write). */
export function createFileWorkflowRepository(path: string): WorkflowRepository {
  const read = (): Snapshot => (existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Snapshot) : { versions: [], runs: [] });
  const write = (snapshot: Snapshot): void => {
    writeFileSync(`${path}.tmp`, JSON.stringify(snapshot));
    renameSync(`${path}.tmp`, path);
  };
  // The memory adapter does the querying over what the file holds.
  const load = async (): Promise<WorkflowRepository> => {
    const snapshot = read();
    const memory = createMemoryWorkflowRepository();
    for (const row of snapshot.versions) await memory.insertVersion(row);
    for (const row of snapshot.runs) await memory.insertRun(row);
    return memory;
  };
  return {
    async insertVersion(row) {
      await (await load()).insertVersion(row);
      const snapshot = read();
      write({ ...snapshot, versions: [...snapshot.versions, row] });
    },
    findVersion: async (namespace, workflowPermanentId, version) => (await load()).findVersion(namespace, workflowPermanentId, version),
    findVersionById: async (namespace, workflowId) => (await load()).findVersionById(namespace, workflowId),
    listVersions: async (namespace, workflowPermanentId) => (await load()).listVersions(namespace, workflowPermanentId),
    listLatest: async (namespace, filter) => (await load()).listLatest(namespace, filter),
    async softDelete(namespace, workflowPermanentId, deletedAt) {
      const snapshot = read();
      let count = 0;
      for (const row of snapshot.versions) {
        if (row.namespace === namespace && row.workflowPermanentId === workflowPermanentId && row.deletedAt === null) {
          row.deletedAt = deletedAt;
          count++;
        }
      }
      write(snapshot);
      return count;
    },
    async insertRun(row) {
      await (await load()).insertRun(row);
      const snapshot = read();
      write({ ...snapshot, runs: [...snapshot.runs, row] });
    },
    findRun: async (namespace, runId) => (await load()).findRun(namespace, runId),
    listRuns: async (namespace, filter) => (await load()).listRuns(namespace, filter),
  };
}
