// Task routes in-process: run a task, the login and download helpers, get the run, its timeline,
// cancel, Idempotency-Key, x-max-steps-override, bad input, keys and organizations, and a TOTP push
// waking the runs that wait on its identifier. The engine runs no instances here (slots 0), so runs
// stay queued and no browser starts; runs that execute are in test/e2e.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TOTP_EVENT_TYPE } from '@petrel/agent';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const API_ONLY = { slots: 0 };

async function taskApp(options: Parameters<typeof createTestApp>[0] = {}): Promise<TestApp> {
  return createTestApp({ engine: API_ONLY, agent: {}, ...options });
}

async function body<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

describe('POST /v1/run/tasks', () => {
  it('starts a queued task run, indexes it, and shows it in GET /v1/runs/{id}, the list and the timeline', async () => {
    await using t = await taskApp();
    const created = await t.call('/v1/run/tasks', {
      method: 'POST',
      json: { prompt: 'Find the price', url: 'https://example.com/', title: 'price check', run_with: 'code', max_screenshot_scrolls: 5, webhook_url: 'https://hooks.example.com/x' },
    });
    assert.equal(created.status, 200);
    const run = await body(created);
    assert.match(String(run['run_id']), /^tsk_[0-9A-Z]{26}$/);
    assert.equal(run['status'], 'queued');
    assert.equal(run['run_type'], 'task_v1');
    assert.equal(run['run_with'], 'agent', 'the answer says what runs: the agent');
    assert.equal((run['run_request'] as Record<string, unknown>)['run_with'], 'code', 'the request is echoed as asked');
    assert.equal(run['max_screenshot_scrolls'], 5);

    const got = await body(await t.call(`/v1/runs/${String(run['run_id'])}`));
    assert.equal(got['run_id'], run['run_id']);
    assert.equal(got['status'], 'queued');

    const list = await body<Array<Record<string, unknown>>>(await t.call('/v1/runs?run_type=task_v1'));
    assert.equal(list.length, 1);
    assert.equal(list[0]?.['title'], 'price check');
    assert.equal(list[0]?.['trigger_type'], 'api');
    const row = await t.deps.runs.get(t.organizationId, String(run['run_id']));
    assert.equal(row.webhook_url, 'https://hooks.example.com/x');

    const timeline = await t.call(`/v1/runs/${String(run['run_id'])}/timeline`);
    assert.equal(timeline.status, 200);
    const nodes = await body<Array<{ type: string; block: { block_type: string; navigation_goal: string; status: string; actions: unknown[] } }>>(timeline);
    assert.equal(nodes.length, 1);
    assert.equal(nodes[0]?.block.block_type, 'task');
    assert.equal(nodes[0]?.block.navigation_goal, 'Find the price');
    assert.equal(nodes[0]?.block.status, 'running');
    assert.deepEqual(nodes[0]?.block.actions, []);
  });

  it('x-max-steps-override reaches the run; an invalid one is a 422', async () => {
    await using t = await taskApp();
    const run = await body(await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', url: 'https://example.com/' }, headers: { 'x-max-steps-override': '3' } }));
    const details = await t.host!.engine.instances.get({ namespace: t.organizationId, workflow: 'petrel_task', id: String(run['run_id']) });
    assert.equal((details.params as { maxStepsOverride?: number }).maxStepsOverride, 3);
    const bad = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p' }, headers: { 'x-max-steps-override': 'many' } });
    assert.equal(bad.status, 422);
    const detail = (await body<{ detail: Array<{ loc: string[] }> }>(bad)).detail;
    assert.deepEqual(detail[0]?.loc, ['header', 'x-max-steps-override']);
  });

  it('replays a create sent again with the same Idempotency-Key, and refuses another body with it', async () => {
    await using t = await taskApp();
    const send = (prompt: string) => t.call('/v1/run/tasks', { method: 'POST', json: { prompt, url: 'https://example.com/' }, headers: { 'idempotency-key': 'task-1' } });
    const first = await body(await send('one'));
    const again = await send('one');
    assert.equal(again.status, 200);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await body(again))['run_id'], first['run_id']);
    assert.equal((await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 10 })).length, 1);
    assert.equal((await send('two')).status, 409);
  });

  it('answers 4xx, never 500, for bad input', async () => {
    await using t = await taskApp();
    const missing = await t.call('/v1/run/tasks', { method: 'POST', json: { url: 'https://example.com/' } });
    assert.equal(missing.status, 422);
    assert.deepEqual((await body<{ detail: Array<{ loc: string[] }> }>(missing)).detail[0]?.loc, ['body', 'prompt']);
    const wrongType = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 42 } });
    assert.equal(wrongType.status, 422);
    const engine = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', engine: 'openai-cua' } });
    assert.equal(engine.status, 400);
    assert.equal((await body(engine))['code'], 'UNSUPPORTED_ENGINE');
    const malformed = await t.call('/v1/run/tasks', { method: 'POST', body: '{"prompt":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.status, 400);
    const schema = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', data_extraction_schema: { type: 'no-such-type' } } });
    assert.ok(schema.status >= 400 && schema.status < 500, `a bad schema is a 4xx (got ${schema.status})`);
    const big = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'x'.repeat(70 * 1024) } });
    assert.equal(big.status, 413);
    assert.equal((await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 10 })).length, 0, 'no run is left behind');
  });

  it('says LLM_NOT_CONFIGURED when no model is configured', async () => {
    await using t = await createTestApp({ engine: API_ONLY, agent: { model: null } });
    const response = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', url: 'https://example.com/' } });
    assert.equal(response.status, 400);
    assert.equal((await body(response))['code'], 'LLM_NOT_CONFIGURED');
  });

  it('keeps a run to its organization and its key', async () => {
    await using t = await taskApp();
    const run = await body(await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', url: 'https://example.com/' } }));
    const runId = String(run['run_id']);
    assert.equal((await t.call(`/v1/runs/${runId}`, { key: t.otherApiKey })).status, 404);
    assert.equal((await t.call(`/v1/runs/${runId}/timeline`, { key: t.otherApiKey })).status, 404);
    assert.equal((await t.call(`/v1/runs/${runId}/cancel`, { method: 'POST', key: t.otherApiKey })).status, 404);
    assert.equal((await t.call(`/v1/runs/${runId}`, { key: null })).status, 403);
    assert.equal((await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p' }, key: 'pk_wrong' })).status, 403);
    assert.equal((await t.call('/v1/runs/tsk_01J00000000000000000000000')).status, 404);
  });

  it('cancels a queued task (then 409 on a second cancel)', async () => {
    await using t = await taskApp();
    const run = await body(await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', url: 'https://example.com/' } }));
    const runId = String(run['run_id']);
    assert.equal((await t.call(`/v1/runs/${runId}/cancel`, { method: 'POST' })).status, 200);
    const got = await body(await t.call(`/v1/runs/${runId}`));
    assert.equal(got['status'], 'canceled');
    assert.equal((await t.deps.runs.get(t.organizationId, runId)).status, 'canceled');
    assert.equal((await t.call(`/v1/runs/${runId}/cancel`, { method: 'POST' })).status, 409);
  });
});

describe('helpers', () => {
  it('POST /v1/run/tasks/login runs with a stored credential; an unknown one is a 404', async () => {
    await using t = await taskApp();
    const credential = await body(
      await t.call('/v1/credentials', { method: 'POST', json: { name: 'portal', credential_type: 'password', credential: { username: 'u@example.com', password: 'pw-canary-9137' } } }),
    );
    const response = await t.call('/v1/run/tasks/login', { method: 'POST', json: { credential_id: credential['credential_id'], url: 'https://example.com/login' } });
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(!text.includes('pw-canary-9137'), 'the answer holds no secret');
    const run = JSON.parse(text) as Record<string, unknown>;
    assert.equal(run['status'], 'queued');
    assert.equal((await t.deps.runs.get(t.organizationId, String(run['run_id']))).title, 'Login');
    const unknown = await t.call('/v1/run/tasks/login', { method: 'POST', json: { credential_id: 'cred_01J00000000000000000000000', url: 'https://example.com/login' } });
    assert.equal(unknown.status, 404);
    const foreign = await t.call('/v1/run/tasks/login', { method: 'POST', json: { credential_id: credential['credential_id'], url: 'https://example.com/login' }, key: t.otherApiKey });
    assert.equal(foreign.status, 404, 'another organization\'s credential is not found');
    const vault = await t.call('/v1/run/tasks/login', { method: 'POST', json: { credential_type: 'bitwarden', url: 'https://example.com/login' } });
    assert.equal(vault.status, 400);
  });

  it('POST /v1/run/tasks/download_files starts a run; navigation_goal is required', async () => {
    await using t = await taskApp();
    const response = await t.call('/v1/run/tasks/download_files', { method: 'POST', json: { navigation_goal: 'Download the invoice', url: 'https://example.com/', download_suffix: 'invoice.pdf' } });
    assert.equal(response.status, 200);
    const run = await body(response);
    assert.equal((run['run_request'] as Record<string, unknown>)['download_suffix'], 'invoice.pdf');
    assert.equal((await t.call('/v1/run/tasks/download_files', { method: 'POST', json: { url: 'https://example.com/' } })).status, 422);
  });
});

describe('POST /v1/credentials/totp', () => {
  it('wakes the unfinished runs waiting on the identifier, and only those', async () => {
    await using t = await taskApp();
    const start = async (identifier: string) =>
      String((await body(await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'log in', url: 'https://example.com/', totp_identifier: identifier } })))['run_id']);
    const waiting = await start('me@example.com');
    const other = await start('someone@example.com');
    const pushed = await t.call('/v1/credentials/totp', { method: 'POST', json: { totp_identifier: 'me@example.com', content: 'Your code is 123456' } });
    assert.equal(pushed.status, 200);
    const events = async (runId: string) => {
      const row = await t.host!.engine.store.findInstance({ namespace: t.organizationId, workflowName: 'petrel_task', instanceId: runId });
      return t.host!.engine.store.listPendingEvents(row!.pk);
    };
    const mine = await events(waiting);
    assert.equal(mine.length, 1);
    assert.equal(mine[0]?.type, TOTP_EVENT_TYPE);
    assert.ok(!mine[0]?.payload.includes('123456'), 'the event does not carry the code');
    assert.equal((await events(other)).length, 0);
    // Another organization pushing for the same identifier wakes nothing here.
    await t.call('/v1/credentials/totp', { method: 'POST', json: { totp_identifier: 'me@example.com', content: '654321' }, key: t.otherApiKey });
    assert.equal((await events(waiting)).length, 1);
  });
});
