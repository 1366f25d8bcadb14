// The Workflows API's instance routes, in-process: create (params as JSON or a JSON string), bulk,
// list (page past the end, cursor, direction, status and dates), get (steps, attempts, config,
// sensitive output, order, simple), one step's output, pause/resume/terminate (rollback)/restart
// (from a step), events, retention purge, percent-encoded ids and other organizations' instances.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import {
  CfDoStepSchema,
  CfInstanceDetailsSchema,
  CfInstanceSummarySchema,
  CfStatusEditResponseSchema,
  CfStepOutputSchema,
  CfWaitStepSchema,
} from '@petrel/protocol';
import type { CfInstanceDetails } from '@petrel/protocol';
import { assertCfError, cf, workflowsPath } from '../helpers/cf-calls.ts';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';

const ORDERS = 'OrderWorkflow';

async function settle(t: TestApp, workflow: string, id: string, statuses?: Array<CfInstanceDetails['status']>): Promise<CfInstanceDetails> {
  await t.host!.engine.instances.waitForStatus({ namespace: t.organizationId, workflow, id }, { timeoutMs: 20_000, ...(statuses === undefined ? {} : { statuses }) });
  return (await cf(t, `${workflowsPath(t)}/${workflow}/instances/${encodeURIComponent(id)}`, {}, CfInstanceDetailsSchema)).result;
}

function doStep(details: CfInstanceDetails, name: string): z.infer<typeof CfDoStepSchema> {
  const step = details.steps.find((s) => 'name' in s && s.name === name);
  assert.ok(step && (step.type === 'step' || step.type === 'rollback'), `step ${name} in ${JSON.stringify(details.steps.map((s) => ('name' in s ? s.name : s.type)))}`);
  return CfDoStepSchema.parse(step);
}

describe('Workflows API: instances', () => {
  test('create runs the code; get shows steps with attempts, config, sleeps, and redacts the sensitive output', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const created = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances`, { method: 'POST', json: { instance_id: 'order-1', params: { orderId: 'A1', items: 3 } } }, CfInstanceSummarySchema);
    assert.equal(created.status, 201);
    assert.equal(created.result.id, 'order-1');
    assert.equal(created.result.status, 'queued');
    assert.equal(created.result.trigger_source, 'api');
    const details = await settle(t, ORDERS, 'order-1');
    assert.equal(details.status, 'complete');
    assert.equal(details.success, true);
    assert.deepEqual(details.params, { orderId: 'A1', items: 3 });
    assert.deepEqual(details.output, { orderId: 'A1', total: 30, approvedBy: 'auto', tracking: 'TRK-A1' });
    assert.equal(details.versionId, created.result.version_id);
    assert.deepEqual(details.trigger, { source: 'api' });
    assert.equal(details.rollback, null);
    assert.ok(details.start !== null && details.end !== null);
    assert.equal(details.step_count, details.steps.length);

    const reserve = doStep(details, 'reserve-1');
    assert.equal(reserve.success, true);
    assert.equal(reserve.attempts.length, 2, 'one failed attempt, one that succeeded');
    assert.deepEqual(reserve.attempts[0]?.error, { name: 'Error', message: 'warehouse busy' });
    assert.equal(reserve.attempts[0]?.success, false);
    assert.equal(reserve.attempts[1]?.success, true);
    assert.deepEqual(reserve.config.retries, { limit: 2, delay: 10, backoff: 'constant' });
    const price = doStep(details, 'price-1');
    assert.deepEqual(price.config, { retries: { limit: 5, delay: '10 seconds', backoff: 'exponential' }, timeout: '10 minutes' });
    assert.match(price.output ?? '', /^\{"orderId":"A1","total":30,"nonce":"/);
    const charge = doStep(details, 'charge-1');
    assert.equal(charge.output, '[REDACTED]');
    assert.equal(charge.config.sensitive, 'output');
    assert.ok(!JSON.stringify(details).includes('tok_secret'), 'the sensitive output appears nowhere');
    const sleep = details.steps.find((s) => s.type === 'sleep');
    assert.ok(sleep?.type === 'sleep' && sleep.name === 'cool down-1' && sleep.finished);

    // One step's full output; sensitive ones stay redacted; bare names mean the first occurrence.
    const full = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step?name=price-1&type=step`, {}, CfStepOutputSchema);
    assert.equal(full.result.status, 'complete');
    assert.equal((full.result.output as { total: number }).total, 30);
    const bare = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step?name=price`, {}, CfStepOutputSchema);
    assert.deepEqual(bare.result.output, full.result.output);
    const secret = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step?name=charge-1`, {}, CfStepOutputSchema);
    assert.equal(secret.result.output, '[REDACTED]');
    const attempt = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step?name=reserve-1&attempt=1`, {}, CfStepOutputSchema);
    assert.equal(attempt.result.status, 'errored');
    assert.deepEqual(attempt.result.error, { name: 'Error', message: 'warehouse busy' });
    assertCfError(await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step?name=reserve-1&attempt=9`), 404, 10101, 'STEP_NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step?name=nothing-1`), 404, 10101, 'STEP_NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1/step`), 400, 10100, 'VALIDATION_FAILED');

    // order and simple.
    const desc = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1?order=desc`, {}, CfInstanceDetailsSchema);
    assert.deepEqual(desc.result.steps, details.steps.toReversed());
    const simple = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances/order-1?simple=true`, {}, CfInstanceDetailsSchema);
    assert.deepEqual(simple.result.steps, []);
    assert.equal(simple.result.step_count, details.steps.length);

    // An id that exists is a conflict the client must not retry.
    const duplicate = await cf(t, `${workflowsPath(t)}/${ORDERS}/instances`, { method: 'POST', json: { instance_id: 'order-1' } });
    assertCfError(duplicate, 409, 10102, 'ALREADY_EXISTS');
    assert.equal(duplicate.headers.get('x-should-retry'), 'false');
  });

  test('params as an object, a JSON string, a non-JSON string, or absent', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const cases: Array<[string, unknown, unknown]> = [
      ['p-object', { name: 'ada' }, { name: 'ada' }],
      ['p-json-string', JSON.stringify({ name: 'grace' }), { name: 'grace' }],
      ['p-plain-string', 'not json', 'not json'],
      ['p-array', [1, 2], [1, 2]],
    ];
    for (const [id, params] of cases) await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: id, params } });
    await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'p-absent' } });
    for (const [id, , expected] of cases) assert.deepEqual((await settle(t, 'greet', id)).params, expected, id);
    assert.deepEqual((await settle(t, 'greet', 'p-absent')).params, {});
    assert.deepEqual((await settle(t, 'greet', 'p-json-string')).output, { text: 'hello grace', payload: { name: 'grace' } });
    // No body at all creates an instance with a generated id.
    const bare = await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST' }, CfInstanceSummarySchema);
    assert.match(bare.result.id, /^wfi_/);
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'has space' } }), 400, 10100, 'INVALID_ID');
    assertCfError(await cf(t, `${workflowsPath(t)}/nope/instances`, { method: 'POST', json: {} }), 404, 10501, 'WORKFLOW_NOT_FOUND');
  });

  test('bulk create: a bare array; existing ids are skipped; one bad item fails the whole call', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'b-2' } });
    const bulk = await cf(
      t,
      `${workflowsPath(t)}/greet/instances/batch`,
      { method: 'POST', json: [{ instance_id: 'b-1', params: { name: 'one' } }, { instance_id: 'b-2' }, { instance_id: 'b-3', params: '{"name":"three"}' }] },
      z.array(CfInstanceSummarySchema),
    );
    assert.deepEqual(bulk.result.map((i) => i.id), ['b-1', 'b-3']);
    assert.equal(bulk.messages.length, 1);
    assert.match(bulk.messages[0]?.message ?? '', /"b-2" already exists/);
    assert.deepEqual((await settle(t, 'greet', 'b-3')).params, { name: 'three' });

    const bad = await cf(t, `${workflowsPath(t)}/greet/instances/batch`, { method: 'POST', json: [{ instance_id: 'b-4' }, { instance_id: 'bad id' }] });
    assertCfError(bad, 400, 10100, 'INVALID_ID');
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances/b-4`), 404, 10400, 'INSTANCE_NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances/batch`, { method: 'POST', json: { instance_id: 'x' } }), 400, 10100, 'VALIDATION_FAILED');
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ instance_id: `m-${i}` }));
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances/batch`, { method: 'POST', json: tooMany }), 400, 10100);
  });

  test('list: newest first, pages with an empty page past the end, a cursor in both directions, status and date filters', async () => {
    await using t = await createTestApp({ engine: { workflows: true, slots: 0 } });
    const ids = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
    for (const id of ids) {
      await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: id } });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const paged: string[] = [];
    for (let page = 1; ; page++) {
      const answer = await cf(t, `${workflowsPath(t)}/greet/instances?per_page=2&page=${page}`, {}, z.array(CfInstanceSummarySchema));
      assert.equal(answer.resultInfo?.total_count, 5);
      assert.equal(answer.resultInfo?.page, page);
      if (answer.result.length === 0) break;
      paged.push(...answer.result.map((i) => i.id));
    }
    assert.deepEqual(paged, ids.toReversed());

    const ascending: string[] = [];
    let cursor: string | undefined;
    do {
      const answer = await cf(t, `${workflowsPath(t)}/greet/instances?per_page=2&direction=asc${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, {}, z.array(CfInstanceSummarySchema));
      ascending.push(...answer.result.map((i) => i.id));
      cursor = answer.resultInfo?.cursor;
    } while (cursor !== undefined);
    assert.deepEqual(ascending, ids);

    const queued = await cf(t, `${workflowsPath(t)}/greet/instances?status=queued`, {}, z.array(CfInstanceSummarySchema));
    assert.equal(queued.result.length, 5, 'no worker here: all queued');
    assert.equal((await cf(t, `${workflowsPath(t)}/greet/instances?status=complete`, {}, z.array(CfInstanceSummarySchema))).result.length, 0);
    const all = await cf(t, `${workflowsPath(t)}/greet/instances?direction=asc`, {}, z.array(CfInstanceSummarySchema));
    const third = all.result[2]!;
    const fromThird = await cf(t, `${workflowsPath(t)}/greet/instances?date_start=${encodeURIComponent(third.created_on.replace('Z', ''))}`, {}, z.array(CfInstanceSummarySchema));
    assert.deepEqual(fromThird.result.map((i) => i.id).sort(), ['i-3', 'i-4', 'i-5'], 'a date without offset is UTC');
    const untilThird = await cf(t, `${workflowsPath(t)}/greet/instances?date_end=${encodeURIComponent(third.created_on)}`, {}, z.array(CfInstanceSummarySchema));
    assert.deepEqual(untilThird.result.map((i) => i.id).sort(), ['i-1', 'i-2', 'i-3']);

    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances?page=1&cursor=abc`), 400, 10100);
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances?cursor=not-ours`), 400, 10100, 'VALIDATION_FAILED');
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances?status=done`), 400, 10100);
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances?date_start=yesterday`), 400, 10100);
    assertCfError(await cf(t, `${workflowsPath(t)}/nope/instances`), 404, 10501);
  });

  test('pause, resume, an event the waiting instance receives, and a finished instance refuses both', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const path = `${workflowsPath(t)}/${ORDERS}/instances`;
    await cf(t, path, { method: 'POST', json: { instance_id: 'wait-1', params: { orderId: 'W1', approve: true } } });
    await settle(t, ORDERS, 'wait-1', ['waiting']);
    const paused = await cf(t, `${path}/wait-1/status`, { method: 'PATCH', json: { status: 'pause' } }, CfStatusEditResponseSchema);
    assert.equal(paused.result.status, 'paused');
    assert.ok(!Number.isNaN(Date.parse(paused.result.timestamp)));
    assert.equal((await cf(t, `${path}/wait-1`, {}, CfInstanceDetailsSchema)).result.status, 'paused');
    // wrangler's local API names the field `action`.
    const resumed = await cf(t, `${path}/wait-1/status`, { method: 'PATCH', json: { action: 'resume' } }, CfStatusEditResponseSchema);
    assert.equal(resumed.result.status, 'queued');
    await settle(t, ORDERS, 'wait-1', ['waiting']);

    const sent = await cf(t, `${path}/wait-1/events/approval`, { method: 'POST', json: { by: 'dana' } });
    assert.equal(sent.status, 200);
    assert.deepEqual(sent.result, {});
    const done = await settle(t, ORDERS, 'wait-1');
    assert.equal(done.status, 'complete');
    assert.equal((done.output as { approvedBy: string }).approvedBy, 'dana');
    const wait = CfWaitStepSchema.parse(done.steps.find((s) => s.type === 'waitForEvent'));
    assert.equal(wait.name, 'approval-1');
    assert.equal(wait.event_type, 'approval');
    assert.equal(wait.finished, true);
    assert.deepEqual((JSON.parse(wait.output ?? 'null') as { payload: unknown }).payload, { by: 'dana' });
    const payload = await cf(t, `${path}/wait-1/step?name=approval-1&type=waitForEvent`, {}, CfStepOutputSchema);
    assert.deepEqual(payload.result.output, { by: 'dana' });
    assert.equal(payload.result.event_type, 'approval');

    assertCfError(await cf(t, `${path}/wait-1/status`, { method: 'PATCH', json: { status: 'resume' } }), 409, 10102, 'INVALID_TRANSITION');
    assertCfError(await cf(t, `${path}/wait-1/events/approval`, { method: 'POST', json: {} }), 409, 10102, 'INVALID_TRANSITION');
    assertCfError(await cf(t, `${path}/nobody/events/approval`, { method: 'POST', json: {} }), 404, 10400, 'INSTANCE_NOT_FOUND');
    assertCfError(await cf(t, `${path}/wait-1/status`, { method: 'PATCH', json: { status: 'explode' } }), 400, 10100);
    assertCfError(await cf(t, `${path}/wait-1/status`, { method: 'PATCH', json: {} }), 400, 10100);
  });

  test('an event sent before the wait is buffered; terminate with rollback runs the handlers', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const path = `${workflowsPath(t)}/${ORDERS}/instances`;
    await cf(t, path, { method: 'POST', json: { instance_id: 'early', params: { orderId: 'E1', approve: true } } });
    await cf(t, `${path}/early/events/approval`, { method: 'POST', json: { by: 'early bird' } });
    assert.equal(((await settle(t, ORDERS, 'early')).output as { approvedBy: string }).approvedBy, 'early bird');

    await cf(t, path, { method: 'POST', json: { instance_id: 'doomed', params: { orderId: 'D1', approve: true } } });
    await settle(t, ORDERS, 'doomed', ['waiting']);
    const terminated = await cf(t, `${path}/doomed/status`, { method: 'PATCH', json: { status: 'terminate', rollback: true } }, CfStatusEditResponseSchema);
    assert.equal(terminated.result.status, 'rollingBack');
    const details = await settle(t, ORDERS, 'doomed', ['terminated']);
    assert.equal(details.success, false);
    assert.deepEqual(details.rollback, { outcome: 'complete', error: null });
    const rollback = details.steps.find((s) => s.type === 'rollback');
    assert.ok(rollback?.type === 'rollback' && rollback.name === 'charge-1' && rollback.success === true, JSON.stringify(details.steps));
    assert.ok(details.steps.some((s) => s.type === 'termination' && s.trigger.source === 'api'));
    assertCfError(await cf(t, `${path}/doomed/status`, { method: 'PATCH', json: { status: 'terminate' } }), 409, 10102);
  });

  test('restart from a step keeps the steps before it; restart from the start runs everything again', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const path = `${workflowsPath(t)}/${ORDERS}/instances`;
    await cf(t, path, { method: 'POST', json: { instance_id: 'again', params: { orderId: 'R1' } } });
    const first = await settle(t, ORDERS, 'again');
    const restarted = await cf(t, `${path}/again/status`, { method: 'PATCH', json: { status: 'restart', from: { name: 'ship', type: 'do' } } }, CfStatusEditResponseSchema);
    assert.equal(restarted.result.status, 'queued');
    const second = await settle(t, ORDERS, 'again');
    assert.equal(second.status, 'complete');
    assert.equal(doStep(second, 'price-1').output, doStep(first, 'price-1').output, 'price was not run again');
    assert.equal(doStep(second, 'price-1').start, doStep(first, 'price-1').start);
    assert.notEqual(doStep(second, 'ship-1').output, doStep(first, 'ship-1').output, 'ship ran again (a new nonce)');
    await cf(t, `${path}/again/status`, { method: 'PATCH', json: { status: 'restart' } });
    const third = await settle(t, ORDERS, 'again');
    assert.notEqual(doStep(third, 'price-1').output, doStep(first, 'price-1').output, 'a full restart runs price again');
    assertCfError(await cf(t, `${path}/again/status`, { method: 'PATCH', json: { status: 'restart', from: { name: 'nope' } } }), 404, 10101, 'STEP_NOT_FOUND');
  });

  test('a failing Cloudflare-style workflow: errored with its rollback; step.browser without a runtime says why', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    const path = `${workflowsPath(t)}/RefundWorkflow/instances`;
    await cf(t, path, { method: 'POST', json: { instance_id: 'declined' } });
    const failed = await settle(t, 'RefundWorkflow', 'declined');
    assert.equal(failed.status, 'errored');
    assert.deepEqual(failed.error, { name: 'NonRetryableError', message: 'card declined' });
    assert.deepEqual(failed.rollback, { outcome: 'complete', error: null });
    const charge = doStep(failed, 'charge-1');
    assert.equal(charge.attempts.length, 1, 'NonRetryableError is not retried');

    await cf(t, path, { method: 'POST', json: { instance_id: 'browser', params: { useBrowser: true } } });
    const browser = await settle(t, 'RefundWorkflow', 'browser');
    assert.equal(browser.status, 'errored');
    assert.match(browser.error?.message ?? '', /step\.browser: browser steps are not available/);
    assert.equal(doStep(browser, 'open portal-1').attempts.length, 1);
  });

  test('percent-encoded ids; another organization cannot reach the instance even with a workflow of the same name', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'enc_o-1' } });
    const encoded = await cf(t, `${workflowsPath(t)}/greet/instances/enc%5Fo%2D1`, {}, CfInstanceDetailsSchema);
    assert.equal(encoded.status, 200);
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances/a%2Fb`), 400, 10100, 'INVALID_ID');
    await cf(t, `${workflowsPath(t, t.otherOrganizationId)}/greet`, { method: 'PUT', key: t.otherApiKey, json: { class_name: 'greet', script_name: 'greet' } });
    assertCfError(await cf(t, `${workflowsPath(t, t.otherOrganizationId)}/greet/instances/enc_o-1`, { key: t.otherApiKey }), 404, 10400, 'INSTANCE_NOT_FOUND');
    assertCfError(await cf(t, `${workflowsPath(t)}/greet/instances/enc_o-1`, { key: t.otherApiKey }), 403, 10000);
    // The other organization's own instance of the same name runs on its own.
    await cf(t, `${workflowsPath(t, t.otherOrganizationId)}/greet/instances`, { method: 'POST', key: t.otherApiKey, json: { instance_id: 'enc_o-1', params: { name: 'other' } } });
    await t.host!.engine.instances.waitForStatus({ namespace: t.otherOrganizationId, workflow: 'greet', id: 'enc_o-1' }, { timeoutMs: 20_000 });
    const theirs = await cf(t, `${workflowsPath(t, t.otherOrganizationId)}/greet/instances/enc_o-1`, { key: t.otherApiKey }, CfInstanceDetailsSchema);
    assert.deepEqual(theirs.result.params, { name: 'other' });
  });

  test('retention: a finished instance is purged after its instance_retention', async () => {
    await using t = await createTestApp({ engine: { workflows: true, purgeIntervalMs: 100 } });
    await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'short', instance_retention: { success_retention: 50 } } });
    await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'kept', instance_retention: { success_retention: '1 day' } } });
    await settle(t, 'greet', 'short');
    await settle(t, 'greet', 'kept');
    let gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      gone = (await cf(t, `${workflowsPath(t)}/greet/instances/short`)).status === 404;
    }
    assert.ok(gone, 'the short-lived instance was purged');
    assert.equal((await cf(t, `${workflowsPath(t)}/greet/instances/kept`)).status, 200);
    // The id is free again once purged.
    assert.equal((await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'short' } })).status, 201);
    // A workflow's default_retention applies to instances that set none.
    await cf(t, `${workflowsPath(t)}/brief`, { method: 'PUT', json: { class_name: 'greet', script_name: 'greet', default_retention: { success_retention: 50 } } });
    await cf(t, `${workflowsPath(t)}/brief/instances`, { method: 'POST', json: { instance_id: 'b' } });
    await settle(t, 'brief', 'b');
    gone = false;
    for (let i = 0; i < 200 && !gone; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      gone = (await cf(t, `${workflowsPath(t)}/brief/instances/b`)).status === 404;
    }
    assert.ok(gone, 'the workflow default retention purged it');
  });

  test('metrics: instances by status, queue depth and step durations', async () => {
    await using t = await createTestApp({ engine: { workflows: true } });
    await cf(t, `${workflowsPath(t)}/greet/instances`, { method: 'POST', json: { instance_id: 'm1' } });
    await settle(t, 'greet', 'm1');
    const text = await (await t.call('/metrics', { key: null })).text();
    assert.match(text, /petrel_workflow_instances\{status="complete"\} 1/);
    assert.match(text, /petrel_queue_depth 0/);
    const count = /petrel_step_duration_seconds_count\{step_type="do"\} (\d+)/.exec(text);
    assert.ok(count && Number(count[1]) >= 1, 'the hello step was timed');
  });
});
