// Block workflow runs that execute (no browser: wait, code and human_interaction blocks) on SQLite
// with the engine's worker, the outbox consumer and webhook delivery: the run response, the runs
// index snapshot, the timeline, live `block` events, the signed webhook in seed 001's shape, a
// human_interaction answered through the emailed link, a run indexed by the consumer when its row
// is missing, and schedules firing once per firing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createMemoryMailer } from '@petrel/blocks';
import { createSessionManager, findChromium } from '@petrel/browser';
import { silentLogger } from '@petrel/protocol';
import type { WorkflowSchedule } from '@petrel/protocol';
import { startWorkflowScheduler } from '@petrel/server';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import { readSse } from '../helpers/sse-reader.ts';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { until } from '../helpers/test-runs.ts';

type Json = Record<string, unknown>;

/** The receiver's check, as docs/server.md shows it. */
function verify(secret: string, rawBody: string, headers: Record<string, string | undefined>): boolean {
  const timestamp = Number(headers['x-petrel-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(headers['x-petrel-signature'] ?? '');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const CODE_WORKFLOW = `title: Add numbers
workflow_definition:
  parameters:
    - {key: a, parameter_type: workflow, workflow_parameter_type: integer}
    - {key: b, parameter_type: workflow, workflow_parameter_type: integer, default_value: 2}
  blocks:
    - block_type: code
      label: add
      code: |
        const sum = a + b;
    - block_type: wait
      label: breathe
      wait_sec: 0
`;

const APPROVAL_WORKFLOW = readFileSync(new URL('../fixtures/block-workflows/approval.yaml', import.meta.url), 'utf8');

async function body<T = Json>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

async function create(t: TestApp, yaml: string): Promise<string> {
  const response = await t.call('/v1/workflows', { method: 'POST', body: yaml, headers: { 'content-type': 'application/x-yaml' } });
  assert.equal(response.status, 200, await response.clone().text());
  return String((await body(response))['workflow_permanent_id']);
}

async function finished(t: TestApp, runId: string): Promise<Json> {
  let last: Json = {};
  await until(async () => {
    last = await body(await t.call(`/v1/runs/${runId}`));
    return ['completed', 'failed', 'terminated', 'canceled', 'timed_out'].includes(String(last['status']));
  }, `run ${runId} to finish`, 60_000);
  return last;
}

describe('block workflow runs that execute', () => {
  it('completes a code + wait workflow: response, snapshot, timeline, live block events, and a signed webhook in seed 001\'s shape', async () => {
    await using receiver = await startLoopbackServer((_request, response) => {
      response.writeHead(200).end('ok');
    });
    await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, agent: { model: null, requireModel: false } });
    const id = await create(t, CODE_WORKFLOW);
    const started = await body(await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, parameters: { a: 40 }, webhook_url: `${receiver.url}/hook`, title: 'adding' } }));
    const runId = String(started['run_id']);
    const events = await t.call(`/v1/runs/${runId}/events?last_event_id=0`);
    assert.equal(events.status, 200);
    const reader = readSse(events);

    const run = await finished(t, runId);
    assert.equal(run['status'], 'completed', String(run['failure_reason']));
    const output = run['output'] as Json;
    assert.equal((output['add_output'] as Json)['sum'], 42);
    assert.ok('breathe_output' in output);
    assert.equal(run['workflow_title'], 'adding', 'the run\'s title');

    const frames = await reader.until((frame) => frame.event === 'done', 30_000);
    await reader.cancel();
    const blocks = frames.filter((frame) => frame.event === 'block').map((frame) => JSON.parse(frame.data) as Json);
    assert.deepEqual(blocks.map((b) => [b['label'], b['status']]), [['add', 'completed'], ['breathe', 'completed']]);
    assert.equal((blocks[0]?.['output'] as Json | undefined)?.['sum'], 42);
    assert.ok(!frames.some((frame) => frame.data.includes('storageState')), 'no browser state in live events');

    const timeline = await body<Array<{ type: string; block: Json }>>(await t.call(`/v1/runs/${runId}/timeline`));
    assert.deepEqual(timeline.map((node) => [node.type, node.block['label'], node.block['block_type'], node.block['status']]), [
      ['block', 'add', 'code', 'completed'],
      ['block', 'breathe', 'wait', 'completed'],
    ]);

    await until(() => receiver.received.length > 0, 'the webhook', 30_000);
    const delivery = receiver.received[0]!;
    const secret = String((await body(await t.call('/v1/webhooks/secret')))['secret']);
    const headers = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k, String(v)]));
    assert.equal(verify(secret, delivery.body, headers), true, 'the signature verifies');
    assert.equal(verify(secret, delivery.body.replace('42', '43'), headers), false, 'a changed body does not');
    const payload = JSON.parse(delivery.body) as Json;
    assert.equal(payload['workflow_id'], id, 'seed 001: workflow_id is the wpid');
    assert.equal(payload['workflow_run_id'], runId);
    assert.equal(payload['run_id'], runId);
    assert.equal(payload['status'], 'completed');
    assert.equal(((payload['outputs'] as Json)['add_output'] as Json)['sum'], 42);
    assert.equal(payload['webhook_callback_url'], `${receiver.url}/hook`);
    assert.deepEqual(payload['parameters'], { a: 40 }, 'the parameters as sent');

    await t.consumer!.drain();
    // The delivery records its outcome after the receiver has answered.
    await until(async () => (await t.deps.runs.get(t.organizationId, runId)).webhook_failure_reason !== null, 'the delivery to be recorded', 30_000);
    const row = await t.deps.runs.get(t.organizationId, runId);
    assert.equal(row.status, 'completed');
    assert.equal(row.webhook_failure_reason, '');
    const legacy = await body(await t.call(`/api/v1/workflows/runs/${runId}`));
    assert.equal(legacy['status'], 'completed');
    assert.equal(((legacy['outputs'] as Json)['add_output'] as Json)['sum'], 42);
  });

  it('pauses on a human_interaction block and goes on when the emailed link is followed (no key, the token)', async () => {
    const mailer = createMemoryMailer();
    await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, agent: { model: null, requireModel: false, mailer, publicBaseUrl: 'http://petrel.test' } });
    const id = await create(t, APPROVAL_WORKFLOW);
    const runId = String((await body(await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id } })))['run_id']);
    await until(async () => (await body(await t.call(`/v1/runs/${runId}`)))['status'] === 'paused', 'the run to wait for a reviewer', 30_000);
    assert.equal(mailer.sent.length, 1);
    const text = mailer.sent[0]?.text ?? '';
    const approve = /(http:\/\/petrel\.test\/v1\/runs\/\S+decision=approve\S*)/.exec(text)?.[1];
    assert.ok(approve, text);
    const path = approve.replace('http://petrel.test', '');
    const forged = path.replace(/token=[^&]+/, 'token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal((await t.call(forged, { key: null })).status, 403, 'a forged token is refused');
    assert.equal((await t.call(path.replace(/ns=[^&]+/, `ns=${t.otherOrganizationId}`), { key: null })).status, 403, 'the link names its organization');
    const followed = await t.call(path, { key: null, headers: { accept: 'text/html' } });
    assert.equal(followed.status, 200);
    assert.match(await followed.text(), /approve/);
    const run = await finished(t, runId);
    assert.equal(run['status'], 'completed');
    assert.equal(((run['output'] as Json)['review_output'] as Json)['decision'], 'approve');
    assert.equal((await t.call(path, { key: null })).status, 409, 'the block no longer waits');
  });

  it('indexes a run whose row is missing (a create cut short) through the outbox consumer', async () => {
    await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, agent: { model: null, requireModel: false } });
    const id = await create(t, CODE_WORKFLOW);
    // The service starts the instance; no route indexes it, as if the process died right after.
    const started = await t.deps.workflows!.runWorkflow(t.organizationId, { workflow_id: id, parameters: { a: 1 }, developer_user_id: 'u-1' });
    await until(async () => (await t.deps.runs.find(t.organizationId, started.run_id)) !== undefined, 'the consumer to index the run', 30_000);
    const row = await t.deps.runs.get(t.organizationId, started.run_id);
    assert.equal(row.kind, 'workflow_run');
    assert.equal(row.workflow_permanent_id, id);
    assert.equal(row.developer_user_id, 'u-1');
    assert.equal((await finished(t, started.run_id))['status'], 'completed');
  });

  it('fires a schedule once per firing, starting runs with trigger cron', async () => {
    await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, agent: { model: null, requireModel: false, scheduler: true } });
    const id = await create(t, CODE_WORKFLOW);
    const schedule = await body(await t.call(`/v1/workflows/${id}/schedules`, { method: 'POST', json: { cron_expression: '* * * * * *', parameters: { a: 5 }, name: 'every second' } }));
    await until(async () => (await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 10 })).length >= 2, 'two scheduled runs', 30_000);
    await t.call(`/v1/workflows/${id}/schedules/${String(schedule['workflow_schedule_id'])}/disable`, { method: 'POST' });
    const rows = await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 100 });
    assert.ok(rows.every((row) => row.trigger_type === 'cron' && row.title === 'every second'));
    // One run per firing second: no two runs were created for the same firing.
    const seconds = rows.map((row) => row.created_at.slice(0, 19));
    assert.equal(new Set(seconds).size, seconds.length, seconds.join(', '));
    const after = await body(await t.call(`/v1/workflows/${id}/schedules/${String(schedule['workflow_schedule_id'])}`));
    assert.match(String(after['last_run_id']), /^wr_/);
    assert.equal(after['last_error'], null);
    assert.equal((await finished(t, rows[0]!.run_id))['status'], 'completed');
  });

  it('a firing is one run when two processes race for it, or when a process died before claiming it', async () => {
    await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, agent: { model: null, requireModel: false } });
    const id = await create(t, CODE_WORKFLOW);
    const schedule = await body(await t.call(`/v1/workflows/${id}/schedules`, { method: 'POST', json: { cron_expression: '0 * * * *', parameters: { a: 5 } } }));
    const scheduleId = String(schedule['workflow_schedule_id']);
    const due = Date.parse(String(schedule['next_run_at']));
    const workflows = t.deps.workflows!;
    const runsOf = async () => (await workflows.listWorkflowRuns(t.organizationId, { workflowPermanentId: id })).map((run) => run.run_id);
    const fire = async (s: WorkflowSchedule, runId: string): Promise<string> => {
      await new Promise((resolve) => setTimeout(resolve, 50)); // both processes are in here before either claims
      return (await workflows.runWorkflow(s.organization_id, { workflow_id: s.workflow_permanent_id, parameters: s.parameters }, { runId })).run_id;
    };
    const scheduler = (store: typeof t.deps.store, now: Date) => startWorkflowScheduler({ store, fire, logger: silentLogger, now: () => now, maxSleepMs: 60_000 });

    const scheduleNow = async () => body(await t.call(`/v1/workflows/${id}/schedules/${scheduleId}`));
    // (A scheduler looks at the table as it starts, and again on each tick().)

    // A process dies between starting the run of the first firing and claiming it.
    {
      await using dying = scheduler({ ...t.deps.store, schedules: { ...t.deps.store.schedules, claimFiring: () => Promise.reject(new Error('killed')) } }, new Date(due + 1000));
      await assert.rejects(dying.tick(), /killed/);
    }
    const [orphan, ...others] = await runsOf();
    assert.ok(orphan, 'the dying process started the run');
    assert.deepEqual(others, []);
    assert.equal(Date.parse(String((await scheduleNow())['next_run_at'])), due, 'the firing is still due');
    // The next process starts the same run, not a second one, and claims the firing.
    {
      await using survivor = scheduler(t.deps.store, new Date(due + 2000));
      await survivor.tick();
    }
    assert.deepEqual(await runsOf(), [orphan]);
    let state = await scheduleNow();
    assert.equal(state['last_run_id'], orphan);
    assert.equal(Date.parse(String(state['next_run_at'])), due + 3_600_000);

    // The next firing: two processes at once (each looks twice); one run, claimed once.
    {
      const next = new Date(due + 3_600_000 + 1000);
      await using a = scheduler(t.deps.store, next);
      await using b = scheduler(t.deps.store, next);
      await Promise.all([a.tick(), b.tick()]);
    }
    const runs = await runsOf();
    assert.equal(runs.length, 2, runs.join(', '));
    const second = runs.find((runId) => runId !== orphan);
    state = await scheduleNow();
    assert.equal(state['last_run_id'], second);
    assert.equal(Date.parse(String(state['next_run_at'])), due + 2 * 3_600_000);
    for (const runId of runs) assert.equal((await finished(t, runId))['status'], 'completed');
  });

  it('holds a browser session for one run at a time and frees it when the run ends', { skip: findChromium() || process.env['CI'] === 'true' ? false : 'Chromium is not installed' }, async () => {
    const chromium = findChromium();
    const manager = createSessionManager({ ...(chromium ? { executablePath: chromium.path } : {}), logger: silentLogger });
    try {
      await using t = await createTestApp({ engine: { slots: 2 }, runs: {}, agent: { model: null, requireModel: false }, sessionManager: manager });
      const id = await create(t, 'title: Hold\nworkflow_definition:\n  parameters: []\n  blocks:\n    - {block_type: wait, label: hold, wait_sec: 2}\n');
      const session = await body(await t.call('/v1/browser_sessions', { method: 'POST', json: {} }));
      const sessionId = String(session['browser_session_id']);
      const first = await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, browser_session_id: sessionId } });
      assert.equal(first.status, 200);
      const runId = String((await body(first))['run_id']);
      assert.equal((await body(await t.call(`/v1/browser_sessions/${sessionId}`)))['runnable_id'], runId);
      const busy = await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, browser_session_id: sessionId } });
      assert.equal(busy.status, 409);
      assert.equal((await body(busy))['code'], 'BROWSER_SESSION_BUSY');
      const task = await t.call('/v1/run/tasks', { method: 'POST', json: { prompt: 'p', browser_session_id: sessionId } });
      assert.equal(task.status, 409, 'tasks too');
      assert.equal((await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, browser_session_id: 'pbs_01J00000000000000000000000' } })).status, 404);
      assert.equal((await finished(t, runId))['status'], 'completed');
      await until(async () => (await body(await t.call(`/v1/browser_sessions/${sessionId}`)))['runnable_id'] === null, 'the session to be freed', 20_000);
      assert.equal((await t.call('/v1/run/workflows', { method: 'POST', json: { workflow_id: id, browser_session_id: sessionId } })).status, 200);
      assert.equal((await t.deps.runs.list(t.organizationId, { page: 1, pageSize: 10 })).length, 2, 'refused creates left no run');
    } finally {
      await manager.closeAll();
    }
  });
});
