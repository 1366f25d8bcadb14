// Webhook delivery as a durable engine workflow: a run reaching a final state (completed, or
// canceled) gets its payload delivered by a `petrel-webhook-delivery` instance started by the outbox
// consumer; receivers on loopback verify the signature; one fails twice with 503 + Retry-After before
// accepting (the wait honours Retry-After), one never succeeds (attempts run out, the reason is
// stored on the run), one refuses with a 4xx (not retried). Every attempt is in the delivery log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { WEBHOOK_DELIVERY_WORKFLOW, createDeliveryWiring, deliveryInstanceId, getWebhookSecret, startRunEventsConsumer, verifyWebhookSignature } from '@petrel/server';
import type { WebhookRetryPolicy } from '@petrel/server';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import type { ReceivedRequest } from '../helpers/loopback-server.ts';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { ECHO, WAIT_FOR_GO, registerTestRunKind, startTestRun, until } from '../helpers/test-runs.ts';

const FAST: WebhookRetryPolicy = { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: 5000 };

type Delivery = { attempt: number; status_code: number | null; source: string; error: string | null };

async function deliveries(t: TestApp, runId: string): Promise<Delivery[]> {
  return (await (await t.call(`/v1/runs/${runId}/webhook_deliveries`)).json()) as Delivery[];
}

async function receiverFor(t: TestApp, answer: (request: ReceivedRequest, index: number) => { status: number; headers?: Record<string, string> }) {
  const { secret } = await getWebhookSecret(t.deps.store, t.deps.vault, t.organizationId, new Date());
  const times: number[] = [];
  const verified: boolean[] = [];
  let index = 0;
  const server = await startLoopbackServer((request, response) => {
    times.push(Date.now());
    verified.push(verifyWebhookSignature(secret, String(request.headers['x-petrel-timestamp']), request.body, String(request.headers['x-petrel-signature'])));
    const { status, headers } = answer(request, index++);
    response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(`answer ${status}`);
  });
  return Object.assign(server, { times, verified });
}

test('a completed run\'s webhook is delivered once, signed, with the run response as payload', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: { policy: FAST } });
  registerTestRunKind(t.deps);
  await using receiver = await receiverFor(t, () => ({ status: 200 }));
  const run = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { params: { invoice: 'INV-1' }, webhookUrl: `${receiver.url}/petrel` });
  await until(async () => (await deliveries(t, run.run_id)).length === 1, 'one delivery attempt');
  await until(async () => (await t.deps.runs.find(t.organizationId, run.run_id))?.webhook_failure_reason === '', 'the outcome to be recorded');

  assert.equal(receiver.received.length, 1);
  assert.deepEqual(receiver.verified, [true]);
  assert.equal(receiver.received[0]?.headers['x-skyvern-signature'], receiver.received[0]?.headers['x-petrel-signature']);
  const payload = JSON.parse(receiver.received[0]!.body) as { run_id: string; status: string; output: { invoice: string } };
  assert.equal(payload.run_id, run.run_id);
  assert.equal(payload.status, 'completed');
  assert.equal(payload.output.invoice, 'INV-1');
  assert.deepEqual((await deliveries(t, run.run_id)).map((d) => [d.attempt, d.status_code, d.source]), [[1, 200, 'delivery']]);

  // The delivery is an engine instance in the run's organization, with a deterministic id.
  const seq = (await t.host!.engine.instances.list({ namespace: t.organizationId, workflow: WEBHOOK_DELIVERY_WORKFLOW })).instances;
  assert.equal(seq.length, 1);
  assert.match(seq[0]!.id, new RegExp(`^${deliveryInstanceId(run.run_id, 0).replace(/-0$/, '')}-\\d+$`));
  const done = await t.host!.engine.instances.waitForStatus({ namespace: t.organizationId, workflow: WEBHOOK_DELIVERY_WORKFLOW, id: seq[0]!.id }, { timeoutMs: 10_000 });
  assert.deepEqual(done.output, { delivered: true, attempts: 1, status_code: 200, url: `${receiver.url}/petrel` });

  // Another process handling the same events again (from an empty cursor) starts nothing new.
  await t.consumer!.stop();
  await sql`delete from engine_outbox_cursors`.execute(t.database.db);
  await using again = startRunEventsConsumer({ host: t.host!, store: t.deps.store, runs: t.deps.runs, delivery: createDeliveryWiring(t.deps).definition, logger: t.deps.logger });
  await again.drain();
  assert.equal((await t.host!.engine.instances.list({ namespace: t.organizationId, workflow: WEBHOOK_DELIVERY_WORKFLOW })).instances.length, 1);
  assert.equal(receiver.received.length, 1);
});

test('503 with Retry-After twice, then 200: three attempts, the waits honour Retry-After', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: { policy: { ...FAST, maxAttempts: 5 } } });
  registerTestRunKind(t.deps);
  await using receiver = await receiverFor(t, (_request, index) => (index < 2 ? { status: 503, headers: { 'retry-after': '1' } } : { status: 200 }));
  const run = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { webhookUrl: receiver.url });
  await until(async () => (await t.deps.runs.find(t.organizationId, run.run_id))?.webhook_failure_reason === '', 'the delivery to succeed', 30_000);

  assert.deepEqual((await deliveries(t, run.run_id)).map((d) => d.status_code), [503, 503, 200]);
  assert.deepEqual(receiver.verified, [true, true, true]);
  assert.equal(new Set(receiver.received.map((r) => r.body)).size, 1, 'every attempt carries the same payload');
  assert.ok(receiver.times[1]! - receiver.times[0]! >= 950, `waited ${receiver.times[1]! - receiver.times[0]!} ms, not the 1 s Retry-After`);
  assert.ok(receiver.times[2]! - receiver.times[1]! >= 950);
  const metrics = await (await t.call('/metrics', { key: null })).text();
  assert.match(metrics, /petrel_webhook_failures_total\{reason="http_status"\} 2/);
  assert.match(metrics, /petrel_webhook_deliveries_total\{outcome="delivered"\} 1/);
});

test('a receiver that never succeeds: attempts run out with backoff, the reason is stored on the run; a 4xx is not retried', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: { policy: FAST } });
  registerTestRunKind(t.deps);
  await using broken = await receiverFor(t, () => ({ status: 500 }));
  await using refusing = await receiverFor(t, () => ({ status: 410 }));
  const run = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { webhookUrl: broken.url });
  const gone = await startTestRun(t.deps, t.host!, t.organizationId, ECHO, { webhookUrl: refusing.url });
  await until(async () => /attempt 3 of at most 3/.test(String((await t.deps.runs.find(t.organizationId, run.run_id))?.webhook_failure_reason)), 'the last attempt to fail', 30_000);
  await until(async () => /HTTP 410/.test(String((await t.deps.runs.find(t.organizationId, gone.run_id))?.webhook_failure_reason)), 'the 410 to be recorded', 30_000);

  assert.equal(broken.received.length, 3);
  assert.deepEqual((await deliveries(t, run.run_id)).map((d) => [d.attempt, d.status_code]), [[1, 500], [2, 500], [3, 500]]);
  assert.equal(refusing.received.length, 1, 'a 4xx other than 403/408/425/429 is final');
  const listed = (await (await t.call('/v1/runs?status=completed')).json()) as Array<{ run_id: string; webhook_failure_reason: string }>;
  assert.match(listed.find((r) => r.run_id === run.run_id)!.webhook_failure_reason, /HTTP 500/);
  const metrics = await (await t.call('/metrics', { key: null })).text();
  assert.match(metrics, /petrel_webhook_deliveries_total\{outcome="failed"\} 2/);
});

test('canceling a run delivers its webhook with status canceled', async () => {
  await using t = await createTestApp({ engine: { slots: 2 }, runs: { policy: FAST } });
  registerTestRunKind(t.deps);
  await using receiver = await receiverFor(t, () => ({ status: 204 }));
  const run = await startTestRun(t.deps, t.host!, t.organizationId, WAIT_FOR_GO, { webhookUrl: receiver.url });
  await until(async () => (await t.host!.engine.instances.get({ namespace: t.organizationId, workflow: WAIT_FOR_GO.name, id: run.run_id })).status === 'waiting', 'the run to wait');
  assert.equal((await t.call(`/v1/runs/${run.run_id}/cancel`, { method: 'POST' })).status, 200);
  await until(() => receiver.received.length === 1, 'the webhook of the canceled run');
  assert.equal((JSON.parse(receiver.received[0]!.body) as { status: string }).status, 'canceled');
});
