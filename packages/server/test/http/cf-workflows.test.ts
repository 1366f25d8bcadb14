// The Workflows API's workflow and version routes, in-process: PUT binding a loaded class or one no
// worker has, GET/list with counts and paging, delete, versions and graphs, auth (Bearer, X-Auth-Key,
// another organization's account), bad input, unknown routes, and an app without an engine.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import {
  CfAccountSchema,
  CfInstanceDetailsSchema,
  CfInstanceSummarySchema,
  CfVersionGraphSchema,
  CfVersionSchema,
  CfWorkflowPutResponseSchema,
  CfWorkflowSchema,
} from '@petrel/protocol';
import { assertCfError, cf, workflowsPath } from '../helpers/cf-calls.ts';
import { createTestApp, LATE_WORKFLOWS, startTestEngineHost } from '../helpers/test-app.ts';

const put = (className: string, extra: Record<string, unknown> = {}) => ({ method: 'PUT', json: { class_name: className, script_name: 'orders', ...extra } });

describe('Workflows API: workflows', () => {
  test('code from --workflows is registered in the default organization; PUT binds another name to a loaded class', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const listed = await cf(t, workflowsPath(t), {}, z.array(CfWorkflowSchema));
    assert.deepEqual(listed.result.map((w) => w.name).sort(), ['OrderWorkflow', 'RefundWorkflow', 'greet']);
    const greet = listed.result.find((w) => w.name === 'greet');
    assert.equal(greet?.class_name, 'greet');
    assert.equal(greet?.script_name, 'greet');
    assert.equal(greet?.class_loaded, true);

    const created = await cf(t, `${workflowsPath(t)}/order-flow`, put('OrderWorkflow', { limits: { steps: 50 }, default_retention: { success_retention: '2 days' }, concurrency: { limit: 3 } }), CfWorkflowPutResponseSchema);
    assert.equal(created.status, 200);
    assert.deepEqual(created.messages, [], 'the class is loaded here');
    assert.equal(created.result.name, 'order-flow');
    assert.equal(created.result.class_name, 'OrderWorkflow');
    assert.equal(created.result.script_name, 'orders');
    assert.equal(created.result.is_deleted, 0);
    assert.match(created.result.version_id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    const got = await cf(t, `${workflowsPath(t)}/order-flow`, {}, CfWorkflowSchema);
    assert.equal(got.result.id, created.result.id);
    assert.equal(got.result.class_loaded, true);
    assert.deepEqual(got.result.instances, { queued: 0, running: 0, paused: 0, errored: 0, terminated: 0, complete: 0, waiting: 0, waiting_for_pause: 0, rolling_back: 0 });

    const versions = await cf(t, `${workflowsPath(t)}/order-flow/versions`, {}, z.array(CfVersionSchema));
    assert.equal(versions.result.length, 1);
    assert.equal(versions.result[0]?.id, created.result.version_id);
    assert.equal(versions.result[0]?.has_dag, true);
    assert.equal(versions.result[0]?.class_name, 'OrderWorkflow');
    assert.deepEqual(versions.result[0]?.limits, { steps: 50 });
    assert.deepEqual(versions.result[0]?.concurrency, { limit: 3 });
    assert.deepEqual(versions.result[0]?.default_retention, { success_retention: 2 * 86_400_000 });

    // The same code PUT again is the same version; the instance counts follow the instances.
    const again = await cf(t, `${workflowsPath(t)}/order-flow`, put('OrderWorkflow'), CfWorkflowPutResponseSchema);
    assert.equal(again.result.version_id, created.result.version_id);
    const instance = await cf(t, `${workflowsPath(t)}/order-flow/instances`, { method: 'POST', json: { params: { orderId: 'o1' } } }, CfInstanceSummarySchema);
    await t.host!.engine.instances.waitForStatus({ namespace: t.organizationId, workflow: 'order-flow', id: instance.result.id }, { timeoutMs: 20_000 });
    const counted = await cf(t, `${workflowsPath(t)}/order-flow`, {}, CfWorkflowSchema);
    assert.equal(counted.result.instances.complete, 1);
    assert.ok(counted.result.triggered_on !== null);
  });

  test('the graph of a version is parsed from the code, in Cloudflare\'s node kinds', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const created = await cf(t, `${workflowsPath(t)}/order-flow`, put('OrderWorkflow'), CfWorkflowPutResponseSchema);
    const graph = await cf(t, `${workflowsPath(t)}/order-flow/versions/${created.result.version_id}/graph`, {}, CfVersionGraphSchema);
    assert.equal(graph.result.class_name, 'OrderWorkflow');
    const text = JSON.stringify(graph.result.graph);
    for (const name of ['price', 'reserve', 'charge', 'ship']) assert.ok(text.includes(`"type":"step_do","name":"${name}"`), `step_do ${name} in ${text.slice(0, 400)}`);
    assert.ok(text.includes('"type":"step_sleep","name":"cool down"'));
    assert.ok(text.includes('"type":"step_wait_for_event","name":"approval"'));
    assert.ok(text.includes('"type":"if"'), 'the approval branch');
    const version = await cf(t, `${workflowsPath(t)}/order-flow/versions/${created.result.version_id}`, {}, CfVersionSchema);
    assert.equal(version.result.language, 'javascript');
    assertCfError(await cf(t, `${workflowsPath(t)}/order-flow/versions/00000000-0000-5000-8000-000000000000`), 404, 10101, 'NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/nope/versions`), 404, 10501, 'WORKFLOW_NOT_FOUND');
  });

  test('PUT of a class no worker has is accepted and reported; its instances stay queued with the reason until a worker that has it starts', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const created = await cf(t, `${workflowsPath(t)}/late`, put('LateWorkflow', { script_name: 'late' }), CfWorkflowPutResponseSchema);
    assert.equal(created.status, 200);
    assert.equal(created.messages.length, 1);
    assert.equal(created.messages[0]?.code, 10200);
    assert.match(created.messages[0]?.message ?? '', /class "LateWorkflow" is not loaded by any running worker/);
    const got = await cf(t, `${workflowsPath(t)}/late`, {}, CfWorkflowSchema);
    assert.equal(got.result.class_loaded, false);
    assert.equal(got.messages[0]?.code, 10200);
    const placeholder = await cf(t, `${workflowsPath(t)}/late/versions/${created.result.version_id}/graph`, {}, CfVersionGraphSchema);
    assert.equal(placeholder.result.graph, null, 'a placeholder version has no graph');

    const instance = await cf(t, `${workflowsPath(t)}/late/instances`, { method: 'POST', json: { instance_id: 'late-1', params: { n: 21 } } }, CfInstanceSummarySchema);
    assert.equal(instance.result.status, 'queued');
    assert.equal(instance.result.version_id, created.result.version_id);
    // The worker of this app looks for the code, finds none, and records why the instance waits.
    let details = await cf(t, `${workflowsPath(t)}/late/instances/late-1`, {}, CfInstanceDetailsSchema);
    for (let i = 0; i < 200 && details.result.status_reason === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      details = await cf(t, `${workflowsPath(t)}/late/instances/late-1`, {}, CfInstanceDetailsSchema);
    }
    assert.equal(details.result.status, 'queued');
    assert.equal(details.result.status_reason?.code, 'WORKFLOW_CODE_MISSING');
    assert.match(details.messages[0]?.message ?? '', /WORKFLOW_CODE_MISSING/);

    // A second worker sharing the database, started with the class: it registers the binding and runs the instance.
    await using late = await startTestEngineHost(t.database, t.deps, { workflows: LATE_WORKFLOWS, syncIntervalMs: 100 });
    const done = await late.engine.instances.waitForStatus({ namespace: t.organizationId, workflow: 'late', id: 'late-1' }, { timeoutMs: 20_000 });
    assert.equal(done.status, 'complete');
    assert.deepEqual(done.output, { doubled: 42 });
    const now = await cf(t, `${workflowsPath(t)}/late`, {}, CfWorkflowSchema);
    assert.equal(now.result.class_loaded, true, 'the second worker advertises the class');
    assert.deepEqual(now.messages, []);
    const versions = await cf(t, `${workflowsPath(t)}/late/versions`, {}, z.array(CfVersionSchema));
    assert.equal(versions.result.length, 2, 'the placeholder and the code\'s version');
    assert.ok(versions.result.some((v) => v.has_dag && v.id !== created.result.version_id), 'the worker registered a real version');
    const next = await cf(t, `${workflowsPath(t)}/late/instances`, { method: 'POST', json: { params: { n: 1 } } }, CfInstanceSummarySchema);
    assert.notEqual(next.result.version_id, created.result.version_id, 'new instances pin the registered code');
  });

  test('list pages by page/per_page with an empty page past the end, and filters by search', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    for (const name of ['alpha', 'beta', 'gamma']) await cf(t, `${workflowsPath(t)}/${name}`, put('greet'));
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const answer = await cf(t, `${workflowsPath(t)}?per_page=2&page=${page}`, {}, z.array(CfWorkflowSchema));
      assert.equal(answer.resultInfo?.page, page);
      assert.equal(answer.resultInfo?.per_page, 2);
      assert.equal(answer.resultInfo?.total_count, 6);
      assert.equal(answer.resultInfo?.total_pages, 3);
      if (answer.result.length === 0) break;
      seen.push(...answer.result.map((w) => w.name));
    }
    assert.deepEqual(seen.sort(), ['OrderWorkflow', 'RefundWorkflow', 'alpha', 'beta', 'gamma', 'greet']);
    const searched = await cf(t, `${workflowsPath(t)}?search=amm`, {}, z.array(CfWorkflowSchema));
    assert.deepEqual(searched.result.map((w) => w.name), ['gamma']);
  });

  test('DELETE removes the workflow with its instances; a second DELETE is a 404', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    await cf(t, `${workflowsPath(t)}/to-delete`, put('greet'));
    await cf(t, `${workflowsPath(t)}/to-delete/instances`, { method: 'POST', json: { instance_id: 'keep-me' } });
    const deleted = await cf(t, `${workflowsPath(t)}/to-delete`, { method: 'DELETE' });
    assert.deepEqual(deleted.result, { status: 'ok', success: true });
    assertCfError(await cf(t, `${workflowsPath(t)}/to-delete`), 404, 10501, 'WORKFLOW_NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/to-delete/instances/keep-me`), 404, 10400, 'INSTANCE_NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/to-delete`, { method: 'DELETE' }), 404, 10501);
  });

  test('bad input answers 400 in the envelope, naming the field; unknown paths 404 (7000)', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const missing = await cf(t, `${workflowsPath(t)}/x`, { method: 'PUT', json: { script_name: 's' } });
    assertCfError(missing, 400, 10100, 'VALIDATION_FAILED');
    assert.deepEqual(missing.errors[0]?.source, { pointer: '/body/class_name' });
    assert.equal(missing.headers.get('x-should-retry'), 'false');
    assertCfError(await cf(t, `${workflowsPath(t)}/x`, put('greet', { schedules: [{ cron: 'not a cron' }] })), 400, 10100, 'VALIDATION_FAILED');
    assertCfError(await cf(t, `${workflowsPath(t)}/x`, put('greet', { default_retention: { success_retention: 'soon' } })), 400, 10100, 'INVALID_DURATION');
    assertCfError(await cf(t, `${workflowsPath(t)}/bad%20name`, put('greet')), 400, 10100, 'INVALID_ID');
    assertCfError(await cf(t, `${workflowsPath(t)}?per_page=0`), 400, 10100, 'VALIDATION_FAILED');
    const badJson = await t.call(`${workflowsPath(t)}/x`, { method: 'PUT', body: '{"class_name":', headers: { 'content-type': 'application/json' } });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { errors: Array<{ petrel_code: string }> }).errors[0]?.petrel_code, 'INVALID_INPUT');
    const form = await t.call(`${workflowsPath(t)}/x`, { method: 'PUT', body: 'class_name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    assertCfError(await cf(t, `${workflowsPath(t)}/x/nothing-here`), 404, 7000, 'NOT_FOUND');
    assertCfError(await cf(t, '/client/v4/zones', { key: null }), 404, 7000);
    assertCfError(await cf(t, `${workflowsPath(t)}/x`, { method: 'POST', json: {} }), 404, 7000);
    const huge = await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { params: 'x'.repeat(70 * 1024) } });
    assertCfError(huge, 413, 10100, 'PAYLOAD_TOO_LARGE');
  });

  test('schedules: PUT sets cron expressions; GET shows when each fires next', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    await cf(t, `${workflowsPath(t)}/hourly`, put('greet', { schedules: [{ cron: '0 * * * *' }, { cron: '30 2 * * 1' }] }));
    const got = await cf(t, `${workflowsPath(t)}/hourly`, {}, CfWorkflowSchema);
    assert.deepEqual(got.result.schedules.map((s) => s.cron), ['0 * * * *', '30 2 * * 1']);
    const next = new Date(got.result.schedules[0]?.next_instance ?? '');
    assert.equal(next.getUTCMinutes(), 0);
    assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 3_600_000);
    await cf(t, `${workflowsPath(t)}/hourly`, put('greet', { schedules: [] }));
    assert.deepEqual((await cf(t, `${workflowsPath(t)}/hourly`, {}, CfWorkflowSchema)).result.schedules, []);
  });

  test('authentication: Bearer, X-Auth-Key and x-api-key; another organization\'s account or workflows are out of reach', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    await cf(t, `${workflowsPath(t)}/mine`, put('greet'));
    for (const headers of [{ authorization: `Bearer ${t.apiKey}` }, { 'x-auth-key': t.apiKey, 'x-auth-email': 'me@example.com' }, { 'x-api-key': t.apiKey }]) {
      const answer = await cf(t, `${workflowsPath(t)}/mine`, { key: null, headers: { ...headers, 'api-version': '2026-11-21', 'x-stainless-retry-count': '0' } }, CfWorkflowSchema);
      assert.equal(answer.status, 200, JSON.stringify(Object.keys(headers)));
    }
    assertCfError(await cf(t, `${workflowsPath(t)}/mine`, { key: null }), 403, 10000, 'UNAUTHENTICATED');
    assertCfError(await cf(t, `${workflowsPath(t)}/mine`, { key: null, headers: { authorization: 'Bearer pk_nope' } }), 403, 10000);
    // The other organization's key on this account: refused, the same way for an account that does not exist.
    const foreign = await cf(t, `${workflowsPath(t)}/mine`, { key: t.otherApiKey });
    assertCfError(foreign, 403, 10000, 'FORBIDDEN');
    assertCfError(await cf(t, `${workflowsPath(t, 'o_01JZZZZZZZZZZZZZZZZZZZZZZZ')}/mine`, { key: t.otherApiKey }), 403, 10000, 'FORBIDDEN');
    // On its own account the other organization does not see this one's workflow.
    assertCfError(await cf(t, `${workflowsPath(t, t.otherOrganizationId)}/mine`, { key: t.otherApiKey }), 404, 10501);
    const theirs = await cf(t, workflowsPath(t, t.otherOrganizationId), { key: t.otherApiKey }, z.array(CfWorkflowSchema));
    assert.deepEqual(theirs.result, [], 'code registers in the default organization only');
    // Accounts: the key's organization only.
    const accounts = await cf(t, '/client/v4/accounts', { key: t.otherApiKey }, z.array(CfAccountSchema));
    assert.deepEqual(accounts.result, [{ id: t.otherOrganizationId, name: 'other', type: 'standard' }]);
    assert.deepEqual((await cf(t, '/client/v4/accounts?page=2', { key: t.otherApiKey })).result, []);
  });

  test('without an engine the routes answer 503 in the envelope', async () => {
    await using t = await createTestApp();
    assertCfError(await cf(t, workflowsPath(t)), 503, 10001, 'UNAVAILABLE');
  });
});
