// The runs index over HTTP with a test run kind on code workflows: `GET /v1/runs` (paging, status
// filter, newest first, snapshots kept by the outbox consumer), cancel one and in bulk, 409 for a
// final run, `retry_webhook` against a loopback receiver that checks the signature, the delivery log,
// and organization scoping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getWebhookSecret, verifyWebhookSignature } from '@petrel/server';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { ECHO, WAIT_FOR_GO, registerTestRunKind, startTestRun, until } from '../helpers/test-runs.ts';

type ListItem = { run_id: string; task_run_id: string; status: string; title: string | null; task_run_type: string; finished_at: string | null; webhook_failure_reason: string | null };

test('GET /v1/runs lists runs newest first with paging and a status filter; snapshots follow the engine', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const host = t.host!;
  const a = await startTestRun(t.deps, host, t.organizationId, ECHO, { title: 'first', params: { n: 1 } });
  const b = await startTestRun(t.deps, host, t.organizationId, ECHO, { title: 'second', params: { n: 2 } });
  const c = await startTestRun(t.deps, host, t.organizationId, WAIT_FOR_GO, { title: 'waiting' });
  await startTestRun(t.deps, host, t.otherOrganizationId, ECHO, { title: 'elsewhere' });
  await until(async () => (await t.deps.runs.find(t.organizationId, b.run_id))?.status === 'completed', 'the echo runs to complete');
  await until(async () => (await t.deps.runs.find(t.organizationId, c.run_id))?.status === 'running', 'the waiting run to show running');

  const page1 = (await (await t.call('/v1/runs?page_size=2')).json()) as ListItem[];
  assert.deepEqual(page1.map((r) => r.run_id), [c.run_id, b.run_id]);
  assert.equal(page1[0]?.task_run_id, c.run_id);
  assert.equal(page1[0]?.task_run_type, 'workflow_run');
  const page2 = (await (await t.call('/v1/runs?page_size=2&page=2')).json()) as ListItem[];
  assert.deepEqual(page2.map((r) => r.run_id), [a.run_id]);
  const completed = (await (await t.call('/v1/runs?status=completed')).json()) as ListItem[];
  assert.deepEqual(completed.map((r) => r.run_id), [b.run_id, a.run_id]);
  assert.ok(completed.every((r) => r.finished_at !== null));
  const either = (await (await t.call('/v1/runs?status=completed&status=running')).json()) as ListItem[];
  assert.equal(either.length, 3);
  const searched = (await (await t.call('/v1/runs?search_key=WAIT')).json()) as ListItem[];
  assert.deepEqual(searched.map((r) => r.title), ['waiting']);

  assert.equal((await t.call('/v1/runs?status=finished')).status, 422);
  assert.equal((await t.call('/v1/runs?page_size=101')).status, 422);
  assert.equal((await t.call('/v1/runs', { key: null })).status, 403);
  const theirs = (await (await t.call('/v1/runs', { key: t.otherApiKey })).json()) as ListItem[];
  assert.deepEqual(theirs.map((r) => r.title), ['elsewhere']);
});

test('cancel stops a run (status canceled), 409 when final, 404 for unknown or foreign ids; bulk cancel reports each', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const host = t.host!;
  const waiting = await startTestRun(t.deps, host, t.organizationId, WAIT_FOR_GO);
  const other = await startTestRun(t.deps, host, t.organizationId, WAIT_FOR_GO);
  const done = await startTestRun(t.deps, host, t.organizationId, ECHO);
  await until(async () => (await host.engine.instances.get({ namespace: t.organizationId, workflow: WAIT_FOR_GO.name, id: waiting.run_id })).status === 'waiting', 'the run to wait');
  await until(async () => (await t.deps.runs.find(t.organizationId, done.run_id))?.status === 'completed', 'the echo run to complete');

  assert.equal((await t.call(`/v1/runs/${waiting.run_id}/cancel`, { method: 'POST', key: t.otherApiKey })).status, 404);
  const res = await t.call(`/v1/runs/${waiting.run_id}/cancel`, { method: 'POST' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'null');
  assert.equal((await t.deps.runs.find(t.organizationId, waiting.run_id))?.status, 'canceled');
  assert.equal((await host.engine.instances.get({ namespace: t.organizationId, workflow: WAIT_FOR_GO.name, id: waiting.run_id })).status, 'terminated');
  const again = await t.call(`/v1/runs/${waiting.run_id}/cancel`, { method: 'POST' });
  assert.equal(again.status, 409);
  assert.equal(((await again.json()) as { code: string }).code, 'INVALID_TRANSITION');
  assert.equal((await t.call('/v1/runs/wr_01JNOTARUN0000000000000000/cancel', { method: 'POST' })).status, 404);
  assert.equal((await t.call(`/v1/runs/${waiting.run_id}/cancel`, { method: 'POST', key: null })).status, 403);

  const bulk = await t.call('/v1/runs/cancel', { method: 'POST', json: { run_ids: [other.run_id, done.run_id, 'wr_missing', other.run_id] } });
  assert.equal(bulk.status, 200);
  assert.deepEqual(await bulk.json(), { cancelled: [other.run_id], failed: [done.run_id, 'wr_missing'] });
  assert.equal((await t.call('/v1/runs/cancel', { method: 'POST', json: { run_ids: [] } })).status, 422);
  assert.equal((await t.call('/v1/runs/cancel', { method: 'POST', json: { run_ids: Array.from({ length: 101 }, (_, i) => `wr_${i}`) } })).status, 422);
  const foreign = await t.call('/v1/runs/cancel', { method: 'POST', key: t.otherApiKey, json: { run_ids: [done.run_id] } });
  assert.deepEqual(await foreign.json(), { cancelled: [], failed: [done.run_id] });
});

test('retry_webhook sends the signed payload once, now, and answers what happened; the attempt is logged', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: {} });
  registerTestRunKind(t.deps);
  const { secret } = await getWebhookSecret(t.deps.store, t.deps.vault, t.organizationId, new Date());
  let answer = 200;
  await using receiver = await startLoopbackServer((request, response) => {
    const ok = verifyWebhookSignature(secret, String(request.headers['x-petrel-timestamp']), request.body, String(request.headers['x-petrel-signature']));
    response.writeHead(ok ? answer : 401, { 'content-type': 'text/plain' }).end(ok ? 'thanks' : 'bad signature');
  });
  const run = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { params: { order: 7 } });
  await until(async () => (await t.deps.runs.find(t.organizationId, run.run_id))?.status === 'completed', 'the run to complete');

  const missing = await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST' });
  assert.equal(missing.status, 400, 'no URL on the run and none in the body');

  const res = await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST', json: { webhook_url: `${receiver.url}/hook` } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { run_id: string; target_webhook_url: string; default_webhook_url: string | null; payload: string; headers: Record<string, string>; status_code: number; response_body: string; error: string | null; latency_ms: number };
  assert.equal(body.status_code, 200);
  assert.equal(body.response_body, 'thanks');
  assert.equal(body.error, null);
  assert.equal(body.target_webhook_url, `${receiver.url}/hook`);
  assert.equal(body.default_webhook_url, null);
  const payload = JSON.parse(body.payload) as { run_id: string; status: string; output: { order: number } };
  assert.equal(payload.run_id, run.run_id);
  assert.equal(payload.status, 'completed');
  assert.equal(payload.output.order, 7);
  assert.equal(receiver.received.length, 1);
  assert.equal(receiver.received[0]?.body, body.payload, 'the answer shows the exact bytes that were signed and sent');
  assert.equal(body.headers['x-petrel-signature'], receiver.received[0]?.headers['x-petrel-signature']);
  assert.equal((await t.deps.runs.find(t.organizationId, run.run_id))?.webhook_failure_reason, '');

  // A registered response builder shapes the payload (the run services merge Skyvern's legacy fields this way).
  const removeBuilder = t.deps.runs.registerRunResponseBuilder('test_run', async (row) => ({ run_id: row.run_id, legacy_status: row.status, builder: true }));
  const built = (await (await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST', json: { webhook_url: `${receiver.url}/hook` } })).json()) as { payload: string };
  assert.deepEqual(JSON.parse(built.payload), { run_id: run.run_id, legacy_status: 'completed', builder: true });
  assert.equal(receiver.received.at(-1)?.body, built.payload);
  removeBuilder();

  answer = 503;
  const failing = (await (await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST', json: { webhook_url: `${receiver.url}/hook` } })).json()) as { status_code: number; error: string };
  assert.equal(failing.status_code, 503);
  assert.match(failing.error, /503/);
  assert.match(String((await t.deps.runs.find(t.organizationId, run.run_id))?.webhook_failure_reason), /503/);

  const log = (await (await t.call(`/v1/runs/${run.run_id}/webhook_deliveries`)).json()) as Array<{ attempt: number; status_code: number; source: string; url: string }>;
  assert.deepEqual(log.map((d) => [d.attempt, d.status_code, d.source]), [[1, 200, 'retry_webhook'], [2, 200, 'retry_webhook'], [3, 503, 'retry_webhook']]);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/webhook_deliveries`, { key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST', key: t.otherApiKey, json: {} })).status, 404);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST', json: { webhook_url: 'ftp://example.com' } })).status, 422);
  assert.equal((await t.call(`/v1/runs/${run.run_id}/retry_webhook`, { method: 'POST', key: null })).status, 403);
});
