// The store contract of the runs index, artifacts, files, browser sessions and profiles, on SQLite
// and PostgreSQL alike: scoping by organization, filters and order, the status snapshot, the
// expiry queries of the retention purge, the occupancy compare-and-set and the final-status guard.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createOrganization, createRunService, createServerStore, createVault, generateMasterKey } from '@petrel/server';
import type { ArtifactRow, BrowserSessionRow, ServerStore } from '@petrel/server';
import { DIALECTS } from '../helpers/databases.ts';
import type { TestDatabase } from '../helpers/databases.ts';

const T0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms).toISOString();

async function twoOrganizations(store: ServerStore): Promise<[string, string]> {
  const vault = createVault({ key: generateMasterKey() });
  const a = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: T0 });
  const b = await createOrganization(store, vault, { name: 'b', keyName: 'k', now: T0 });
  return [a.organizationId, b.organizationId];
}

function artifact(organizationId: string, runId: string, id: string, type: string, createdAt: string): ArtifactRow {
  return { artifact_id: id, organization_id: organizationId, run_id: runId, step_ref: null, block_ref: null, browser_session_id: null, artifact_type: type, blob_key: `runs/${runId}/${id}`, content_type: 'image/png', size: 10, sha256: '0'.repeat(64), name: null, created_at: createdAt };
}

function session(organizationId: string, id: string, owner: string, status = 'running'): BrowserSessionRow {
  return { browser_session_id: id, organization_id: organizationId, status, timeout_minutes: 60, browser_address: 'http://127.0.0.1:1', ws_endpoint: null, runnable_type: null, runnable_id: null, browser_profile_id: null, owner, failure_reason: null, created_at: at(0), started_at: at(0), completed_at: null, modified_at: at(0), expires_at: at(3_600_000), heartbeat_at: at(0) };
}

for (const dialect of DIALECTS) {
  const skip = await dialect.skip();
  const withStore = async (body: (store: ServerStore) => Promise<void>) => {
    await using database: TestDatabase = await dialect.open();
    await body(createServerStore(database));
  };
  describe(`runs, artifacts, files, sessions and profiles on ${dialect.name}`, { skip }, () => {
    test('runs: insert, find, list with filters newest first, status snapshot, webhook outcome, look-up by instance', () =>
      withStore(async (store) => {
        const [a, b] = await twoOrganizations(store);
        const runs = createRunService({ store, now: () => new Date(T0) });
        for (const [i, title] of ['alpha', 'beta', 'gamma'].entries()) {
          await runs.insert({ runId: `wr_${i}`, organizationId: a, kind: 'k', runType: i === 2 ? 'task_v1' : 'workflow_run', engineWorkflow: 'wf', engineInstanceId: `i${i}`, title, createdAt: new Date(T0.getTime() + i * 1000) });
        }
        await runs.insert({ runId: 'wr_b', organizationId: b, kind: 'k', runType: 'workflow_run', engineWorkflow: 'wf', engineInstanceId: 'i0' });
        assert.equal((await runs.find(a, 'wr_b')), undefined);
        await assert.rejects(runs.get(a, 'wr_b'), { code: 'RUN_NOT_FOUND' });
        assert.deepEqual((await runs.list(a, { page: 1, pageSize: 10 })).map((r) => r.run_id), ['wr_2', 'wr_1', 'wr_0']);
        assert.deepEqual((await runs.list(a, { page: 2, pageSize: 2 })).map((r) => r.run_id), ['wr_0']);
        assert.deepEqual((await runs.list(a, { page: 1, pageSize: 10, runTypes: ['task_v1'] })).map((r) => r.run_id), ['wr_2']);
        assert.deepEqual((await runs.list(a, { page: 1, pageSize: 10, search: 'ET' })).map((r) => r.run_id), ['wr_1']);
        assert.deepEqual((await runs.list(a, { page: 1, pageSize: 10, search: '%' })).map((r) => r.run_id), [], 'LIKE wildcards are literal');

        await runs.updateStatus(a, 'wr_1', { status: 'completed', startedAt: new Date(at(5)), finishedAt: new Date(at(9)) });
        const done = await runs.get(a, 'wr_1');
        assert.equal(done.status, 'completed');
        assert.equal(done.finished_at, at(9));
        assert.deepEqual((await runs.list(a, { page: 1, pageSize: 10, statuses: ['completed', 'failed'] })).map((r) => r.run_id), ['wr_1']);
        await runs.updateStatus(b, 'wr_1', { status: 'failed' });
        assert.equal((await runs.get(a, 'wr_1')).status, 'completed', 'another organization cannot change it');

        await store.runs.setWebhookFailure(a, 'wr_1', 'HTTP 500');
        assert.equal((await runs.get(a, 'wr_1')).webhook_failure_reason, 'HTTP 500');
        const found = await store.runs.findByInstances(a, [{ workflow: 'wf', instanceId: 'i0' }, { workflow: 'other', instanceId: 'i1' }]);
        assert.deepEqual(found.map((r) => r.run_id), ['wr_0']);
        assert.deepEqual((await store.runs.findByInstances(b, [{ workflow: 'wf', instanceId: 'i0' }])).map((r) => r.run_id), ['wr_b']);
      }));

    test('artifacts and files: scoping, type filter, expiry queries, deletes', () =>
      withStore(async (store) => {
        const [a, b] = await twoOrganizations(store);
        await store.artifacts.insert(artifact(a, 'wr_1', 'a_1', 'screenshot_action', at(0)));
        await store.artifacts.insert(artifact(a, 'wr_1', 'a_2', 'html', at(1000)));
        await store.artifacts.insert(artifact(a, 'wr_1', 'a_2', 'html', at(1000)));
        await store.artifacts.insert(artifact(b, 'wr_9', 'a_3', 'trace', at(2000)));
        assert.deepEqual((await store.artifacts.listForRun(a, 'wr_1')).map((r) => r.artifact_id), ['a_1', 'a_2'], 'a repeated insert is ignored');
        assert.deepEqual((await store.artifacts.listForRun(a, 'wr_1', ['html'])).map((r) => r.artifact_id), ['a_2']);
        assert.equal(await store.artifacts.find(b, 'a_1'), undefined);
        assert.equal((await store.artifacts.findSigned('a_1'))?.organization_id, a);
        assert.equal(await store.artifacts.hasRun(a, 'wr_1'), true);
        assert.equal(await store.artifacts.hasRun(b, 'wr_1'), false);
        assert.deepEqual((await store.artifacts.listExpired(at(1500), 10)).map((r) => r.artifact_id), ['a_1', 'a_2']);
        assert.equal(await store.artifacts.deleteMany(['a_1']), 1);
        assert.deepEqual((await store.artifacts.listForRun(a, 'wr_1')).map((r) => r.artifact_id), ['a_2']);

        const file = { organization_id: a, blob_key: 'k', filename: 'f.csv', content_type: 'text/csv', size: 3, sha256: '0'.repeat(64), created_at: at(0) };
        await store.files.insert({ ...file, file_id: 'file_1', expires_at: at(1000) });
        await store.files.insert({ ...file, file_id: 'file_2', expires_at: null });
        assert.equal(await store.files.find(b, 'file_1'), undefined);
        assert.deepEqual((await store.files.listExpired(at(5000), 10)).map((r) => r.file_id), ['file_1'], 'files without expiry are kept');
        assert.equal(await store.files.delete(b, 'file_2'), false);
        assert.equal(await store.files.delete(a, 'file_2'), true);
      }));

    test('browser sessions: occupancy is a compare-and-set; final statuses are never overwritten; heartbeat by owner', () =>
      withStore(async (store) => {
        const [a, b] = await twoOrganizations(store);
        await store.browserSessions.insert(session(a, 'pbs_1', 'w1'));
        await store.browserSessions.insert(session(a, 'pbs_2', 'w2', 'completed'));
        assert.equal(await store.browserSessions.occupy(b, 'pbs_1', { id: 'wr_x', type: null }, at(1)), false, 'not across organizations');
        assert.equal(await store.browserSessions.occupy(a, 'pbs_1', { id: 'wr_1', type: 'workflow_run' }, at(1)), true);
        assert.equal(await store.browserSessions.occupy(a, 'pbs_1', { id: 'wr_1', type: 'workflow_run' }, at(2)), true, 'the holder may ask again');
        assert.equal(await store.browserSessions.occupy(a, 'pbs_1', { id: 'wr_2', type: null }, at(2)), false);
        assert.equal(await store.browserSessions.release(a, 'pbs_1', 'wr_2', at(3)), false);
        assert.equal(await store.browserSessions.release(a, 'pbs_1', 'wr_1', at(3)), true);
        assert.equal(await store.browserSessions.occupy(a, 'pbs_2', { id: 'wr_1', type: null }, at(3)), false, 'an ended session is not occupied');

        assert.equal(await store.browserSessions.updateLive('pbs_2', { status: 'failed' }), false);
        assert.equal((await store.browserSessions.find(a, 'pbs_2'))?.status, 'completed');
        await store.browserSessions.heartbeat('w1', at(60_000));
        assert.equal((await store.browserSessions.find(a, 'pbs_1'))?.heartbeat_at, at(60_000));
        assert.deepEqual((await store.browserSessions.listLive(10)).map((r) => r.browser_session_id), ['pbs_1']);
        assert.deepEqual((await store.browserSessions.list(a, { includeEnded: false, limit: 10 })).map((r) => r.browser_session_id), ['pbs_1']);
        assert.equal((await store.browserSessions.list(a, { includeEnded: true, limit: 10 })).length, 2);
        assert.deepEqual(await store.browserSessions.list(b, { includeEnded: true, limit: 10 }), []);
        assert.deepEqual(await store.browserSessions.countLive(), [{ status: 'running', n: 1 }]);
      }));

    test('browser profiles: names unique among live ones, search, soft delete', () =>
      withStore(async (store) => {
        const [a, b] = await twoOrganizations(store);
        const base = { organization_id: a, description: null, source_browser_session_id: null, source_run_id: null, cookie_count: 0, size: 2, sha256: '0'.repeat(64), deleted_at: null };
        await store.browserProfiles.insert({ ...base, browser_profile_id: 'bp_1', name: 'Shop', created_at: at(0), modified_at: at(0) });
        await store.browserProfiles.insert({ ...base, browser_profile_id: 'bp_2', name: 'Bank', description: 'savings', created_at: at(1000), modified_at: at(1000) });
        assert.equal((await store.browserProfiles.findByName(a, 'Shop'))?.browser_profile_id, 'bp_1');
        assert.equal(await store.browserProfiles.findByName(b, 'Shop'), undefined);
        assert.deepEqual((await store.browserProfiles.list(a, { page: 1, pageSize: 10, includeDeleted: false })).map((r) => r.name), ['Bank', 'Shop']);
        assert.deepEqual((await store.browserProfiles.list(a, { page: 1, pageSize: 10, includeDeleted: false, search: 'SAV' })).map((r) => r.name), ['Bank']);
        assert.equal(await store.browserProfiles.markDeleted(b, 'bp_1', at(5)), false);
        assert.equal(await store.browserProfiles.markDeleted(a, 'bp_1', at(5)), true);
        assert.equal(await store.browserProfiles.findByName(a, 'Shop'), undefined);
        assert.equal(await store.browserProfiles.update(a, 'bp_1', { name: 'x', modified_at: at(6) }), false, 'a deleted profile is not renamed');
        assert.deepEqual((await store.browserProfiles.list(a, { page: 1, pageSize: 10, includeDeleted: true })).map((r) => r.name), ['Bank', 'Shop']);
      }));
  });
}
