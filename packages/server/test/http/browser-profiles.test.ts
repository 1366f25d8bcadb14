// `/v1/browser_profiles` without a browser: blank profiles, profiles from a finished run's saved
// state (through its run kind), unique names, list with paging, search and deleted ones, rename,
// delete (state removed, record kept), organization scoping; and the session routes in a process
// without a session manager.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';
import { ECHO, registerTestRunKind, startTestRun, until } from '../helpers/test-runs.ts';

type Profile = { browser_profile_id: string; name: string; description: string | null; cookie_count: number; source_run_id: string | null; deleted_at: string | null; organization_id: string; browser_profile_key_digest: string };

const STATE = {
  cookies: [{ name: 'sid', value: 'abc', domain: 'shop.test', path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Lax' }],
  origins: [{ origin: 'http://shop.test', localStorage: [{ name: 'cart', value: '3' }] }],
};

test('profiles: blank, from a run\'s saved state, listed, renamed, deleted; names are unique', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const run = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { params: { state: STATE } });
  await until(async () => (await t.deps.runs.find(t.organizationId, run.run_id))?.status === 'completed', 'the run to complete');

  const blank = await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'blank one', description: 'nothing yet' } });
  assert.equal(blank.status, 200);
  const blankBody = (await blank.json()) as Profile;
  assert.match(blankBody.browser_profile_id, /^bp_[0-9A-Z]{26}$/);
  assert.equal(blankBody.cookie_count, 0);
  assert.equal(blankBody.organization_id, t.organizationId);

  const fromRun = (await (await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'shop login', workflow_run_id: run.run_id } })).json()) as Profile;
  assert.equal(fromRun.cookie_count, 1);
  assert.equal(fromRun.source_run_id, run.run_id);
  assert.match(fromRun.browser_profile_key_digest, /^[0-9a-f]{64}$/);
  assert.deepEqual(await t.deps.browserProfiles!.loadState(t.organizationId, fromRun.browser_profile_id), STATE);
  await assert.rejects(t.deps.browserProfiles!.loadState(t.otherOrganizationId, fromRun.browser_profile_id), { code: 'BROWSER_PROFILE_NOT_FOUND' });

  const dup = await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'shop login' } });
  assert.equal(dup.status, 409);
  const both = await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'x', workflow_run_id: run.run_id, browser_session_id: 'pbs_1' } });
  assert.equal(both.status, 400);
  assert.equal((await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'y', workflow_run_id: 'wr_01JNOSUCHRUN00000000000000' } })).status, 404);
  assert.equal((await t.call('/v1/browser_profiles', { method: 'POST', key: t.otherApiKey, json: { name: 'z', workflow_run_id: run.run_id } })).status, 404);
  assert.equal((await t.call('/v1/browser_profiles', { method: 'POST', json: { description: 'no name' } })).status, 422);
  assert.equal((await t.call('/v1/browser_profiles', { method: 'POST', json: { name: '   ' } })).status, 422);

  const list = (await (await t.call('/v1/browser_profiles')).json()) as Profile[];
  assert.deepEqual(list.map((p) => p.name), ['shop login', 'blank one']);
  assert.deepEqual(((await (await t.call('/v1/browser_profiles?page_size=1&page=2')).json()) as Profile[]).map((p) => p.name), ['blank one']);
  assert.deepEqual(((await (await t.call('/v1/browser_profiles?search_key=NOTHING')).json()) as Profile[]).map((p) => p.name), ['blank one']);
  assert.deepEqual(await (await t.call('/v1/browser_profiles', { key: t.otherApiKey })).json(), []);

  const renamed = await t.call(`/v1/browser_profiles/${blankBody.browser_profile_id}`, { method: 'PATCH', json: { name: 'renamed', description: null } });
  assert.equal(renamed.status, 200);
  assert.deepEqual(((await renamed.json()) as Profile).description, null);
  assert.equal((await t.call(`/v1/browser_profiles/${blankBody.browser_profile_id}`, { method: 'PATCH', json: { name: 'shop login' } })).status, 409);
  assert.equal((await t.call(`/v1/browser_profiles/${blankBody.browser_profile_id}`, { method: 'PATCH', key: t.otherApiKey, json: { name: 'theirs' } })).status, 404);

  assert.equal((await t.call(`/v1/browser_profiles/${fromRun.browser_profile_id}`, { method: 'DELETE', key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/browser_profiles/${fromRun.browser_profile_id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await t.call(`/v1/browser_profiles/${fromRun.browser_profile_id}`, { method: 'DELETE' })).status, 404);
  const deleted = (await (await t.call(`/v1/browser_profiles/${fromRun.browser_profile_id}`)).json()) as Profile;
  assert.ok(deleted.deleted_at !== null);
  assert.deepEqual(((await (await t.call('/v1/browser_profiles')).json()) as Profile[]).map((p) => p.name), ['renamed']);
  assert.deepEqual(((await (await t.call('/v1/browser_profiles?include_deleted=true')).json()) as Profile[]).map((p) => p.name), ['shop login', 'renamed']);
  await assert.rejects(t.deps.browserProfiles!.loadState(t.organizationId, fromRun.browser_profile_id), { code: 'BROWSER_PROFILE_NOT_FOUND' });
  assert.deepEqual((await t.blobStore.list(`orgs/${t.organizationId}/profiles/${fromRun.browser_profile_id}/`)).length, 0, 'the saved state is gone');
  assert.equal((await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'shop login' } })).status, 200, 'a deleted profile\'s name is free again');

  assert.equal((await t.call(`/v1/browser_profiles/${blankBody.browser_profile_id}`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call('/v1/browser_profiles', { key: null })).status, 403);
  assert.equal((await t.call('/v1/browser_profiles/bp_nope')).status, 404);
});

test('a run without saved browser state cannot make a profile; sessions need a session manager', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const run = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { params: {} });
  await until(async () => (await t.deps.runs.find(t.organizationId, run.run_id))?.status === 'completed', 'the run to complete');
  const res = await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'nothing', workflow_run_id: run.run_id } });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { detail: string }).detail, /no saved browser state/);

  const session = await t.call('/v1/browser_sessions', { method: 'POST', json: {} });
  assert.equal(session.status, 503);
  assert.deepEqual(await (await t.call('/v1/browser_sessions')).json(), []);
  assert.equal((await t.call('/v1/browser_sessions', { method: 'POST', json: { timeout: 3 } })).status, 422);
  assert.equal((await t.call('/v1/browser_sessions/pbs_01JNOSUCHSESSION000000000000')).status, 404);
  assert.equal((await t.call('/v1/browser_sessions', { key: null })).status, 403);
});
