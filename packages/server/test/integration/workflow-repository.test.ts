// The `WorkflowRepository` contract, run against the blocks package's in-memory adapter and the
// server's Kysely adapter on SQLite and PostgreSQL: the same calls give the same rows. Plus the
// server's own workflow tables (folders, schedules' compare-and-set firing).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryWorkflowRepository } from '@petrel/blocks';
import type { WorkflowRepository, WorkflowRunRow, WorkflowVersionRow } from '@petrel/blocks';
import { createServerStore } from '@petrel/server';
import { DIALECTS } from '../helpers/databases.ts';
import type { TestDatabase } from '../helpers/databases.ts';

async function organization(database: TestDatabase, id: string): Promise<void> {
  await createServerStore(database).organizations.insert({ organization_id: id, name: id, created_at: new Date().toISOString() });
}

function version(namespace: string, wpid: string, n: number, fields: Partial<WorkflowVersionRow> = {}): WorkflowVersionRow {
  return {
    namespace,
    workflowId: `w_${wpid.slice(5)}${String(n).padStart(2, '0')}`,
    workflowPermanentId: wpid,
    version: n,
    title: `Workflow ${wpid.slice(-2)} v${n}`,
    description: null,
    status: 'published',
    isSavedTask: false,
    isTemplate: false,
    folderId: null,
    definition: { title: 't', workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'w', wait_sec: 1 }] }, nested: { a: [1, 'two', null] } },
    warnings: [{ path: 'workflow_definition.blocks[0].extra', message: 'unknown field', code: 'UNKNOWN_FIELD' } as never],
    createdAt: `2026-01-0${n}T00:00:00.000Z`,
    modifiedAt: `2026-01-0${n}T00:00:00.000Z`,
    deletedAt: null,
    ...fields,
  };
}

function run(namespace: string, runId: string, wpid: string, fields: Partial<WorkflowRunRow> = {}): WorkflowRunRow {
  return { namespace, runId, workflowPermanentId: wpid, workflowId: 'w_x', version: 1, developerUserId: null, parentRunId: null, title: null, createdAt: '2026-02-01T00:00:00.000Z', ...fields };
}

function page(rows: WorkflowVersionRow[]): string[] {
  return rows.map((r) => `${r.workflowPermanentId.slice(-1)}${r.version}`);
}

function ids(rows: WorkflowRunRow[]): string[] {
  return rows.map((r) => r.runId);
}

/** The contract: every adapter must pass it. */
async function contract(repo: WorkflowRepository, ns: string, other: string): Promise<void> {
  const A = 'wpid_01JAAAAAAAAAAAAAAAAAAAAAAA';
  const B = 'wpid_01JBBBBBBBBBBBBBBBBBBBBBBB';
  const C = 'wpid_01JCCCCCCCCCCCCCCCCCCCCCCC';
  await repo.insertVersion(version(ns, A, 1, { createdAt: '2026-01-01T00:00:00.000Z' }));
  await repo.insertVersion(version(ns, A, 2, { createdAt: '2026-01-05T00:00:00.000Z', title: 'Invoices' }));
  await repo.insertVersion(version(ns, B, 1, { createdAt: '2026-01-03T00:00:00.000Z', isSavedTask: true, folderId: 'fld_1', status: 'draft' }));
  await repo.insertVersion(version(ns, C, 1, { createdAt: '2026-01-02T00:00:00.000Z', isTemplate: true }));
  await repo.insertVersion(version(other, 'wpid_01JOOOOOOOOOOOOOOOOOOOOOOO', 1));
  await assert.rejects(repo.insertVersion(version(ns, A, 2, { workflowId: 'w_other' })), { code: 'ALREADY_EXISTS' });

  const latestA = await repo.findVersion(ns, A);
  assert.equal(latestA?.version, 2);
  assert.equal(latestA?.title, 'Invoices');
  assert.deepEqual(latestA?.definition, version(ns, A, 2).definition, 'JSON columns round-trip');
  assert.deepEqual(latestA?.warnings, version(ns, A, 2).warnings);
  assert.equal(latestA?.isSavedTask, false);
  assert.equal((await repo.findVersion(ns, A, 1))?.version, 1);
  assert.equal(await repo.findVersion(ns, A, 7), undefined);
  assert.equal(await repo.findVersion(other, A), undefined, 'scoped by namespace');
  assert.equal((await repo.findVersionById(ns, latestA?.workflowId ?? ''))?.version, 2);
  assert.equal(await repo.findVersionById(other, latestA?.workflowId ?? ''), undefined);
  assert.deepEqual((await repo.listVersions(ns, A)).map((v) => v.version), [1, 2]);

  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10 })), ['B1', 'C1', 'A2'], 'latest of each, newest workflow (first version) first');
  assert.deepEqual(page(await repo.listLatest(ns, { page: 2, pageSize: 2 })), ['A2']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, search: 'invo' })), ['A2']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, search: 'v1' })), ['B1', 'C1'], 'the search looks at the latest title only');
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, title: 'Invoices' })), ['A2']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, folderId: 'fld_1' })), ['B1']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, statuses: ['draft'] })), ['B1']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, savedTasks: 'only' })), ['B1']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, savedTasks: 'exclude' })), ['C1', 'A2']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, templates: true })), ['C1']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, templates: false })), ['B1', 'A2']);
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10, search: '50%_' })), [], 'LIKE wildcards are literal');

  assert.equal(await repo.softDelete(ns, A, '2026-03-01T00:00:00.000Z'), 2);
  assert.equal(await repo.softDelete(ns, A, '2026-03-01T00:00:00.000Z'), 0);
  assert.equal(await repo.findVersion(ns, A), undefined);
  assert.deepEqual(await repo.listVersions(ns, A), []);
  assert.equal((await repo.findVersionById(ns, latestA?.workflowId ?? ''))?.deletedAt, '2026-03-01T00:00:00.000Z', 'runs keep reading their version');
  assert.deepEqual(page(await repo.listLatest(ns, { page: 1, pageSize: 10 })), ['B1', 'C1']);

  await repo.insertRun(run(ns, 'wr_01', B, { createdAt: '2026-02-01T00:00:00.000Z', developerUserId: 'user-1' }));
  await repo.insertRun(run(ns, 'wr_02', B, { createdAt: '2026-02-02T00:00:00.000Z', parentRunId: 'wr_01', title: 'child' }));
  await repo.insertRun(run(ns, 'wr_03', C, { createdAt: '2026-02-03T00:00:00.000Z', developerUserId: 'user-1' }));
  await repo.insertRun(run(other, 'wr_04', B));
  await assert.rejects(repo.insertRun(run(ns, 'wr_01', B)), { code: 'ALREADY_EXISTS' });
  assert.deepEqual(await repo.findRun(ns, 'wr_02'), run(ns, 'wr_02', B, { createdAt: '2026-02-02T00:00:00.000Z', parentRunId: 'wr_01', title: 'child' }));
  assert.equal(await repo.findRun(other, 'wr_01'), undefined);
  assert.deepEqual(ids(await repo.listRuns(ns, { page: 1, pageSize: 10 })), ['wr_03', 'wr_02', 'wr_01']);
  assert.deepEqual(ids(await repo.listRuns(ns, { page: 2, pageSize: 2 })), ['wr_01']);
  assert.deepEqual(ids(await repo.listRuns(ns, { page: 1, pageSize: 10, workflowPermanentId: B })), ['wr_02', 'wr_01']);
  assert.deepEqual(ids(await repo.listRuns(ns, { page: 1, pageSize: 10, developerUserId: 'user-1' })), ['wr_03', 'wr_01']);
  assert.deepEqual(ids(await repo.listRuns(ns, { page: 1, pageSize: 10, parentRunId: 'wr_01' })), ['wr_02']);
}

describe('WorkflowRepository contract', () => {
  it('in memory (the blocks package twin)', async () => {
    await contract(createMemoryWorkflowRepository(), 'o_1', 'o_2');
  });

  for (const dialect of DIALECTS) {
    it(`on ${dialect.name}`, async (t) => {
      const skip = await dialect.skip();
      if (skip !== undefined) return t.skip(skip);
      await using database = await dialect.open();
      await organization(database, 'o_1');
      await organization(database, 'o_2');
      await contract(createServerStore(database).workflows, 'o_1', 'o_2');
    });

    it(`folders and schedules on ${dialect.name}`, async (t) => {
      const skip = await dialect.skip();
      if (skip !== undefined) return t.skip(skip);
      await using database = await dialect.open();
      await organization(database, 'o_1');
      await organization(database, 'o_2');
      const store = createServerStore(database);
      const at = '2026-01-01T00:00:00.000Z';
      await store.folders.insert({ folder_id: 'fld_1', organization_id: 'o_1', title: 'Finance', description: null, created_at: at, modified_at: at });
      assert.equal((await store.folders.find('o_2', 'fld_1')), undefined);
      await store.workflows.insertVersion(version('o_1', 'wpid_01JAAAAAAAAAAAAAAAAAAAAAAA', 1));
      assert.equal(await store.workflows.setFolder('o_1', 'wpid_01JAAAAAAAAAAAAAAAAAAAAAAA', 'fld_1', at), true);
      assert.equal(await store.workflows.setFolder('o_2', 'wpid_01JAAAAAAAAAAAAAAAAAAAAAAA', 'fld_1', at), false);
      assert.equal(await store.workflows.countInFolder('o_1', 'fld_1'), 1);
      await store.workflows.clearFolder('o_1', 'fld_1');
      assert.equal(await store.workflows.countInFolder('o_1', 'fld_1'), 0);

      const schedule = {
        workflow_schedule_id: 'wfs_1',
        organization_id: 'o_1',
        workflow_permanent_id: 'wpid_01JAAAAAAAAAAAAAAAAAAAAAAA',
        name: null,
        cron_expression: '*/5 * * * *',
        timezone: 'UTC',
        parameters: '{}',
        webhook_url: null,
        enabled: 1,
        next_run_at: '2026-01-01T00:05:00.000Z',
        last_run_at: null,
        last_run_id: null,
        last_error: null,
        created_at: at,
        modified_at: at,
      };
      await store.schedules.insert(schedule);
      assert.deepEqual((await store.schedules.listDue('2026-01-01T00:04:59.000Z', 10)).length, 0);
      assert.deepEqual((await store.schedules.listDue('2026-01-01T00:05:00.000Z', 10)).map((s) => s.workflow_schedule_id), ['wfs_1']);
      assert.equal(await store.schedules.nextDue(), '2026-01-01T00:05:00.000Z');
      // Two processes race for one firing: exactly one wins.
      const claims = await Promise.all([
        store.schedules.claimFiring('wfs_1', '2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z', '2026-01-01T00:05:01.000Z'),
        store.schedules.claimFiring('wfs_1', '2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z', '2026-01-01T00:05:01.000Z'),
      ]);
      assert.deepEqual(claims.map(Number).toSorted((a, b) => a - b), [0, 1]);
      assert.equal((await store.schedules.find('o_1', 'wfs_1'))?.next_run_at, '2026-01-01T00:10:00.000Z');
      assert.equal(await store.schedules.find('o_2', 'wfs_1'), undefined);
      assert.equal(await store.schedules.deleteForWorkflow('o_1', 'wpid_01JAAAAAAAAAAAAAAAAAAAAAAA'), 1);
    });
  }
});
