// Block workflow routes in-process: create (JSON, YAML, yaml_definition, seed 000), list with filters
// and pages, get, versions, update, delete, the /v1/agents aliases, folders, schedules, runs (queued:
// the engine runs nothing here), seed 001's legacy routes, bad input, keys and organizations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const YAML = `title: Wait a little
description: one block, no browser
workflow_definition:
  parameters:
    - key: seconds
      parameter_type: workflow
      workflow_parameter_type: integer
      default_value: 0
    - key: who
      parameter_type: workflow
      workflow_parameter_type: string
  blocks:
    - block_type: wait
      label: pause
      wait_sec: 0
`;

const DEFINITION = {
  title: 'JSON workflow',
  workflow_definition: { parameters: [], blocks: [{ block_type: 'wait', label: 'pause', wait_sec: 0 }] },
};

type Json = Record<string, unknown>;

async function body<T = Json>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function workflowApp(): Promise<TestApp> {
  return createTestApp({ engine: { slots: 0 }, agent: {} });
}

function yaml(t: TestApp, text: string, init: { path?: string; key?: string | null } = {}): Promise<Response> {
  return t.call(init.path ?? '/v1/workflows', { method: 'POST', body: text, headers: { 'content-type': 'application/x-yaml' }, ...(init.key === undefined ? {} : { key: init.key }) });
}

describe('workflows', () => {
  it('creates from raw YAML, yaml_definition, json_definition, a definition object and a seed-000 task list', async () => {
    await using t = await workflowApp();
    const fromYaml = await yaml(t, YAML);
    assert.equal(fromYaml.status, 200);
    const created = await body(fromYaml);
    assert.match(String(created['workflow_permanent_id']), /^wpid_/);
    assert.match(String(created['workflow_id']), /^w_/);
    assert.equal(created['version'], 1);
    assert.equal(created['title'], 'Wait a little');
    assert.equal(created['agent_id'], created['workflow_permanent_id']);

    for (const payload of [{ yaml_definition: YAML }, { json_definition: DEFINITION }, DEFINITION, { name: 'Simple', tasks: [{ instructions: 'Open the page', target_url: 'https://example.com/' }] }]) {
      const response = await t.call('/v1/workflows', { method: 'POST', json: payload });
      assert.equal(response.status, 200, JSON.stringify(payload).slice(0, 60));
    }
    const seed000 = (await body<Json[]>(await t.call('/v1/workflows?title=Simple')))[0];
    assert.equal(((seed000?.['workflow_definition'] as Json | undefined)?.['blocks'] as Json[] | undefined)?.length, 1);
    assert.equal((await body<Json[]>(await t.call('/v1/workflows?page_size=100'))).length, 5);
  });

  it('says where a definition is wrong (422 with path, line and column) and never 500s', async () => {
    await using t = await workflowApp();
    const bad = await yaml(t, 'title: x\nworkflow_definition:\n  parameters: []\n  blocks:\n    - block_type: wait\n      label: 9-bad label\n      wait_sec: nope\n');
    assert.equal(bad.status, 422);
    const error = await body<{ code: string; detail: string; details: Array<{ path: string; line?: number }> }>(bad);
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.ok(error.details.some((d) => d.path.includes('wait_sec') && typeof d.line === 'number'), JSON.stringify(error.details));
    assert.equal((await yaml(t, 'title: [unclosed\n')).status, 422);
    assert.equal((await t.call('/v1/workflows', { method: 'POST', json: { json_definition: DEFINITION, yaml_definition: YAML } })).status, 422);
    assert.equal((await t.call('/v1/workflows', { method: 'POST', json: [1, 2] })).status, 422);
    assert.equal((await t.call('/v1/workflows', { method: 'POST', body: '{"title":', headers: { 'content-type': 'application/json' } })).status, 400);
    assert.equal((await t.call('/v1/workflows', { method: 'POST', body: 'x', headers: { 'content-type': 'image/png' } })).status, 415);
    assert.equal((await t.call('/v1/workflows', { method: 'POST', body: '', headers: { 'content-type': 'application/x-yaml' } })).status, 422);
    assert.equal((await body<Json[]>(await t.call('/v1/workflows'))).length, 0, 'nothing was saved');
  });

  it('lists with filters and pages, gets versions, updates, and deletes (also under /v1/agents)', async () => {
    await using t = await workflowApp();
    const ids: string[] = [];
    for (const title of ['Alpha invoices', 'Beta orders', 'Gamma invoices']) {
      ids.push(String((await body(await t.call('/v1/workflows', { method: 'POST', json: { ...DEFINITION, title } })))['workflow_permanent_id']));
    }
    const titles = async (query: string) => (await body<Json[]>(await t.call(`/v1/workflows${query}`))).map((w) => w['title']);
    assert.deepEqual(await titles(''), ['Gamma invoices', 'Beta orders', 'Alpha invoices']);
    assert.deepEqual(await titles('?page=2&page_size=2'), ['Alpha invoices']);
    assert.deepEqual(await titles('?search_key=INVOICES'), ['Gamma invoices', 'Alpha invoices']);
    assert.deepEqual(await titles('?title=Beta%20orders'), ['Beta orders']);
    assert.equal((await t.call('/v1/workflows?page_size=1000')).status, 422);

    const alpha = ids[0] ?? '';
    const updated = await t.call(`/v1/workflows/${alpha}`, { method: 'POST', body: YAML.replace('Wait a little', 'Alpha v2'), headers: { 'content-type': 'text/yaml' } });
    assert.equal(updated.status, 200);
    assert.equal((await body(updated))['version'], 2);
    assert.equal((await body(await t.call(`/v1/workflows/${alpha}`)))['title'], 'Alpha v2');
    assert.equal((await body(await t.call(`/v1/workflows/${alpha}?version=1`)))['title'], 'Alpha invoices');
    assert.deepEqual((await body<Json[]>(await t.call(`/v1/agents/${alpha}/versions`))).map((v) => v['version']), [1, 2]);
    assert.equal((await t.call(`/v1/workflows/${alpha}?version=9`)).status, 404);

    const graph = await t.call(`/v1/workflows/${alpha}/graph`);
    assert.equal(graph.status, 200);

    assert.equal((await t.call(`/v1/agents/${alpha}/delete`, { method: 'POST' })).status, 200);
    assert.equal((await t.call(`/v1/workflows/${alpha}`)).status, 404);
    assert.equal((await t.call(`/v1/workflows/${alpha}/delete`, { method: 'POST' })).status, 404);
    assert.deepEqual(await titles(''), ['Gamma invoices', 'Beta orders']);
    assert.equal((await t.call(`/v1/workflows/${ids[1] ?? ''}`, { method: 'DELETE' })).status, 200);
  });

  it('keeps workflows to their organization and key', async () => {
    await using t = await workflowApp();
    const id = String((await body(await t.call('/v1/workflows', { method: 'POST', json: DEFINITION })))['workflow_permanent_id']);
    for (const [path, method] of [[`/v1/workflows/${id}`, 'GET'], [`/v1/workflows/${id}/versions`, 'GET'], [`/v1/workflows/${id}/delete`, 'POST'], [`/v1/workflows/${id}/runs`, 'GET']] as const) {
      assert.equal((await t.call(path, { method, key: t.otherApiKey })).status, 404, `${method} ${path}`);
      assert.equal((await t.call(path, { method, key: null })).status, 403);
    }
    assert.equal((await t.call(`/v1/workflows/${id}`, { method: 'POST', json: DEFINITION, key: t.otherApiKey })).status, 404);
    assert.equal((await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id }, key: t.otherApiKey })).status, 404);
    assert.deepEqual(await body(await t.call('/v1/workflows', { key: t.otherApiKey })), []);
    assert.equal((await t.call('/v1/workflows', { key: 'pk_nope' })).status, 403);
  });
});

describe('folders', () => {
  it('creates folders, files workflows in them on create or later, filters by folder, and empties a deleted one', async () => {
    await using t = await workflowApp();
    const folder = await body(await t.call('/v1/folders', { method: 'POST', json: { title: 'Finance' } }));
    const folderId = String(folder['folder_id']);
    assert.match(folderId, /^fld_/);
    const inFolder = await body(await t.call(`/v1/workflows?folder_id=${folderId}`, { method: 'POST', json: DEFINITION }));
    assert.equal(inFolder['folder_id'], folderId);
    const loose = String((await body(await t.call('/v1/workflows', { method: 'POST', json: { ...DEFINITION, title: 'Loose' } })))['workflow_permanent_id']);
    assert.equal((await t.call('/v1/workflows?folder_id=fld_01J00000000000000000000000', { method: 'POST', json: DEFINITION })).status, 404);
    assert.deepEqual((await body<Json[]>(await t.call(`/v1/workflows?folder_id=${folderId}`))).map((w) => w['title']), ['JSON workflow']);
    const moved = await t.call(`/v1/workflows/${loose}/folder`, { method: 'PUT', json: { folder_id: folderId } });
    assert.equal((await body(moved))['folder_id'], folderId);
    assert.equal((await body(await t.call(`/v1/folders/${folderId}`)))['workflow_count'], 2);
    assert.equal((await t.call(`/v1/folders/${folderId}`, { method: 'PUT', json: { title: 'Money', color: 'red' } })).status, 422, 'folders are strict');
    assert.equal((await body(await t.call(`/v1/folders/${folderId}`, { method: 'PUT', json: { title: 'Money' } })))['title'], 'Money');
    assert.equal((await t.call(`/v1/folders/${folderId}`, { key: t.otherApiKey })).status, 404);
    assert.equal((await t.call(`/v1/folders/${folderId}`, { method: 'DELETE' })).status, 204);
    assert.equal((await body(await t.call(`/v1/workflows/${loose}`)))['folder_id'], null);
    assert.deepEqual(await body(await t.call('/v1/folders')), []);
  });
});

describe('workflow runs', () => {
  it('starts a queued run (also /v1/run/agents with agent_id), indexes it with its end user, and lists it', async () => {
    await using t = await workflowApp();
    const id = String((await body(await yaml(t, YAML)))['workflow_permanent_id']);
    const started = await t.call('/v1/run/workflows', {
      method: 'POST',
      json: { workflow_id: id, parameters: { seconds: 0, who: 'Ada' }, developer_user_id: 'user-42', run_with: 'code', ai_fallback: true, webhook_url: 'https://hooks.example.com/w' },
      headers: { 'x-max-steps-override': '7' },
    });
    assert.equal(started.status, 200);
    const run = await body(started);
    assert.match(String(run['run_id']), /^wr_/);
    assert.equal(run['status'], 'queued');
    assert.equal(run['run_with'], 'agent', 'the answer says what runs');
    assert.equal(run['ai_fallback'], true);
    assert.equal((run['run_request'] as Json)['run_with'], 'code');
    assert.equal(run['developer_user_id'], 'user-42');
    const runId = String(run['run_id']);
    const details = await t.host!.engine.instances.get({ namespace: t.organizationId, workflow: id, id: runId });
    assert.equal((details.params as { maxStepsOverride?: number }).maxStepsOverride, 7);

    const got = await body(await t.call(`/v1/runs/${runId}`));
    assert.equal(got['run_type'], 'workflow_run');
    assert.equal(got['workflow_title'], 'Wait a little');
    const row = await t.deps.runs.get(t.organizationId, runId);
    assert.equal(row.developer_user_id, 'user-42');
    assert.equal(row.webhook_url, 'https://hooks.example.com/w');
    assert.equal(row.title, 'Wait a little');

    const alias = await t.call('/v1/run/agents', { method: 'POST', json: { agent_id: id, parameters: { who: 'Bob' } } });
    assert.equal(alias.status, 200);
    const listed = await body<Json[]>(await t.call(`/v1/workflows/${id}/runs`));
    assert.equal(listed.length, 2);
    assert.deepEqual((await body<Json[]>(await t.call('/v1/workflows/runs?developer_user_id=user-42'))).map((r) => r['run_id']), [runId]);
    assert.deepEqual((await body<Json[]>(await t.call('/v1/runs?developer_user_id=user-42'))).map((r) => r['run_id']), [runId]);
    assert.equal((await body<Json[]>(await t.call('/v1/agents/runs?status=completed'))).length, 0);

    const timeline = await t.call(`/v1/runs/${runId}/timeline`);
    assert.equal(timeline.status, 200);
    assert.deepEqual(await body(timeline), []);
    assert.equal((await t.call(`/v1/runs/${runId}/cancel`, { method: 'POST' })).status, 200);
    assert.equal((await body(await t.call(`/v1/runs/${runId}`)))['status'], 'canceled');
  });

  it('refuses bad run requests with 4xx and starts nothing', async () => {
    await using t = await workflowApp();
    const id = String((await body(await yaml(t, YAML)))['workflow_permanent_id']);
    const cases: Array<[Json, number]> = [
      [{}, 422],
      [{ workflow_id: id, parameters: { seconds: 'many', who: 'x' } }, 422],
      [{ workflow_id: id, parameters: {} }, 422],
      [{ workflow_id: 'wpid_01J00000000000000000000000', parameters: {} }, 404],
      [{ workflow_id: id, agent_id: 'wpid_other' }, 422],
      [{ workflow_id: id, parameters: { who: 'x' }, max_elapsed_time_minutes: 10_000 }, 422],
    ];
    for (const [json, status] of cases) {
      const response = await t.call('/v1/run/workflows', { method: 'POST', json });
      assert.equal(response.status, status, JSON.stringify(json));
    }
    assert.equal((await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, parameters: { who: 'x' } }, headers: { 'x-max-steps-override': '0' } })).status, 422);
    assert.equal((await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 10 })).length, 0);
  });

  it('replays a run create with the same Idempotency-Key', async () => {
    await using t = await workflowApp();
    const id = String((await body(await yaml(t, YAML)))['workflow_permanent_id']);
    const send = () => t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, parameters: { who: 'x' } }, headers: { 'idempotency-key': 'run-1' } });
    const first = await body(await send());
    const second = await send();
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.equal((await body(second))['run_id'], first['run_id']);
    assert.equal((await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 10 })).length, 1);
  });
});

describe('seed 001 legacy routes', () => {
  it('creates from raw YAML, runs with { data, webhook_callback_url } and reads the run in seed 001\'s shape', async () => {
    await using t = await workflowApp();
    const created = await body(await yaml(t, YAML, { path: '/api/v1/workflows' }));
    const id = String(created['workflow_permanent_id']);
    const started = await t.call(`/api/v1/workflows/${id}/run`, { method: 'POST', json: { data: { who: 'Ada' }, webhook_callback_url: 'https://hooks.example.com/legacy', proxy_location: 'RESIDENTIAL' } });
    assert.equal(started.status, 200);
    const ids = await body(started);
    assert.deepEqual(Object.keys(ids).toSorted(), ['workflow_permanent_id', 'workflow_run_id']);
    assert.equal(ids['workflow_permanent_id'], id);
    const run = await body(await t.call(`/api/v1/workflows/runs/${String(ids['workflow_run_id'])}`));
    assert.equal(run['workflow_id'], id, 'seed 001 calls the wpid the workflow id');
    assert.equal(run['workflow_run_id'], ids['workflow_run_id']);
    assert.equal(run['status'], 'queued');
    assert.equal(run['webhook_callback_url'], 'https://hooks.example.com/legacy');
    assert.equal(run['proxy_location'], 'RESIDENTIAL');
    assert.deepEqual((run['parameters'] as Json)['who'], 'Ada');
    assert.deepEqual(run['outputs'], {});
    assert.ok(Array.isArray(run['screenshot_urls']));
    assert.equal((await t.call(`/api/v1/workflows/runs/${String(ids['workflow_run_id'])}`, { key: t.otherApiKey })).status, 404);
    assert.equal((await t.call(`/api/v1/workflows/${id}/run`, { method: 'POST', json: { data: 'nope' } })).status, 422);
    assert.equal((await t.call(`/api/v1/workflows/${id}`, { method: 'PUT', body: YAML, headers: { 'content-type': 'application/x-yaml' } })).status, 200);
    assert.equal((await t.call(`/api/v1/workflows/${id}`, { method: 'DELETE' })).status, 200);
    assert.equal((await t.call(`/v1/workflows/${id}`)).status, 404);
  });
});

describe('schedules', () => {
  it('creates, lists, replaces, disables, enables and deletes a schedule; bad cron, zone or parameters are 422', async () => {
    await using t = await workflowApp();
    const id = String((await body(await yaml(t, YAML)))['workflow_permanent_id']);
    const created = await t.call(`/v1/workflows/${id}/schedules`, { method: 'POST', json: { cron_expression: '0 9 * * 1-5', timezone: 'Europe/Paris', parameters: { who: 'cron' } } });
    assert.equal(created.status, 200);
    const schedule = await body(created);
    const scheduleId = String(schedule['workflow_schedule_id']);
    assert.match(scheduleId, /^wfs_/);
    assert.equal(schedule['enabled'], true);
    const next = new Date(String(schedule['next_run_at']));
    assert.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(next), '09:00', 'read in the schedule\'s time zone');

    const base = `/v1/workflows/${id}/schedules`;
    assert.equal((await body<Json[]>(await t.call(base))).length, 1);
    assert.equal((await body<Json[]>(await t.call('/v1/schedules'))).length, 1);
    assert.equal((await body(await t.call(`${base}/${scheduleId}/disable`, { method: 'POST' })))['next_run_at'], null);
    assert.notEqual((await body(await t.call(`/v1/agents/${id}/schedules/${scheduleId}/enable`, { method: 'POST' })))['next_run_at'], null);
    const replaced = await body(await t.call(`${base}/${scheduleId}`, { method: 'PUT', json: { cron_expression: '*/5 * * * *', parameters: { who: 'often' } } }));
    assert.equal(replaced['cron_expression'], '*/5 * * * *');
    assert.equal(replaced['timezone'], 'UTC');

    for (const json of [{ cron_expression: 'every tuesday' }, { cron_expression: '* * * * *', timezone: 'Mars/Olympus' }, { cron_expression: '* * * * *', parameters: { who: 'x', nope: 1, seconds: 'x' } }, { cron_expression: '* * * * *', surprise: true }]) {
      assert.equal((await t.call(base, { method: 'POST', json })).status, 422, JSON.stringify(json));
    }
    assert.equal((await t.call(`${base}/${scheduleId}`, { key: t.otherApiKey })).status, 404);
    assert.equal((await t.call('/v1/workflows/wpid_01J00000000000000000000000/schedules', { method: 'POST', json: { cron_expression: '* * * * *' } })).status, 404);
    assert.equal((await t.call(`${base}/${scheduleId}`, { method: 'DELETE' })).status, 204);
    assert.equal((await t.call(`${base}/${scheduleId}`)).status, 404);

    // Deleting the workflow deletes its schedules.
    await t.call(base, { method: 'POST', json: { cron_expression: '* * * * *', parameters: { who: 'x' } } });
    await t.call(`/v1/workflows/${id}/delete`, { method: 'POST' });
    assert.deepEqual(await body(await t.call('/v1/schedules')), []);
  });
});

describe('another organization', () => {
  it('gets 404 from every route that names a workflow, run, schedule or folder of this one', async () => {
    await using t = await workflowApp();
    const id = String((await body(await yaml(t, YAML)))['workflow_permanent_id']);
    const runId = String((await body(await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, parameters: { who: 'x' } } })))['run_id']);
    const scheduleId = String((await body(await t.call(`/v1/workflows/${id}/schedules`, { method: 'POST', json: { cron_expression: '0 0 * * *', parameters: { who: 'x' } } })))['workflow_schedule_id']);
    const folderId = String((await body(await t.call('/v1/folders', { method: 'POST', json: { title: 'F' } })))['folder_id']);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/v1/workflows/${id}`],
      ['GET', `/v1/agents/${id}/versions`],
      ['POST', `/v1/workflows/${id}`, DEFINITION],
      ['GET', `/v1/workflows/${id}/graph`],
      ['GET', `/v1/workflows/${id}/runs`],
      ['PUT', `/v1/workflows/${id}/folder`, { folder_id: null }],
      ['POST', `/v1/workflows/${id}/browser_session/reset_profile`],
      ['POST', `/v1/workflows/${id}/delete`],
      ['GET', `/v1/workflows/${id}/schedules`],
      ['GET', `/v1/workflows/${id}/schedules/${scheduleId}`],
      ['PUT', `/v1/workflows/${id}/schedules/${scheduleId}`, { cron_expression: '* * * * *' }],
      ['POST', `/v1/workflows/${id}/schedules/${scheduleId}/disable`],
      ['DELETE', `/v1/workflows/${id}/schedules/${scheduleId}`],
      ['POST', '/v1/run/workflows', { workflow_id: id }],
      ['POST', `/api/v1/workflows/${id}/run`, { data: {} }],
      ['GET', `/api/v1/workflows/runs/${runId}`],
      ['PUT', `/api/v1/workflows/${id}`, DEFINITION],
      ['DELETE', `/api/v1/workflows/${id}`],
      ['GET', `/v1/runs/${runId}`],
      ['GET', `/v1/runs/${runId}/timeline`],
      ['POST', `/v1/runs/${runId}/cancel`],
      ['POST', `/v1/runs/${runId}/human_interaction/review`, { decision: 'approve', token: 'x'.repeat(43) }],
      ['GET', `/v1/folders/${folderId}`],
      ['PUT', `/v1/folders/${folderId}`, { title: 'G' }],
      ['DELETE', `/v1/folders/${folderId}`],
    ];
    for (const [method, path, json] of routes) {
      const response = await t.call(path, { method, key: t.otherApiKey, ...(json === undefined ? {} : { json }) });
      assert.equal(response.status, 404, `${method} ${path} answered ${response.status}`);
    }
    // Nothing of this organization changed.
    assert.equal((await body(await t.call(`/v1/workflows/${id}`)))['version'], 1);
    assert.equal((await body(await t.call(`/v1/workflows/${id}/schedules/${scheduleId}`)))['enabled'], true);
    assert.equal((await body(await t.call(`/v1/runs/${runId}`)))['status'], 'queued');
    assert.equal((await t.call(`/v1/folders/${folderId}`)).status, 200);
  });
});
