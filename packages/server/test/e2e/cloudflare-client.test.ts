// End to end with the official `cloudflare` npm client (7.x) against a live `startServer` on a port,
// with the fixture workflows loaded by `--workflows`: create instances (one and in bulk), list them
// with the client's auto-pagination, read steps and one step's output, pause, resume, send an event a
// waiting instance receives, terminate with rollback, restart from a step, read versions and the graph,
// and the client's typed errors. The client is used unchanged, pointed at Petrel's base URL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Cloudflare, { ConflictError, NotFoundError, PermissionDeniedError } from 'cloudflare';
import { createServerLogger, loadServerConfig, startServer } from '@petrel/server';
import { FIXTURE_WORKFLOWS } from '../helpers/test-app.ts';

type Status = Cloudflare.Workflows.Instances.InstanceGetResponse['status'];

test('the cloudflare client drives Petrel\'s Workflows API unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-cf-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await using server = await startServer({
    config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_WORKFLOWS_DIR: FIXTURE_WORKFLOWS }),
    logger: createServerLogger({ level: 'silent' }),
  });
  const account_id = server.bootstrap!.organizationId;
  const client = new Cloudflare({ apiToken: server.bootstrap!.apiKey.api_key, baseURL: `${server.url}/client/v4`, maxRetries: 0 });
  const workflow_name = 'orders';

  const until = async (id: string, statuses: Status[]) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const instance = await client.workflows.instances.get(id, { account_id, workflow_name });
      if (statuses.includes(instance.status)) return instance;
      if (Date.now() > deadline) assert.fail(`instance ${id} is still ${instance.status}, wanted ${statuses.join('/')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // Accounts: the key's organization is the account.
  const accounts = [];
  for await (const account of client.accounts.list()) accounts.push(account.id);
  assert.deepEqual(accounts, [account_id]);

  // PUT binds the workflow to the loaded class.
  const workflow = await client.workflows.update(workflow_name, { account_id, class_name: 'OrderWorkflow', script_name: 'orders' });
  assert.equal(workflow.name, workflow_name);
  assert.equal(workflow.class_name, 'OrderWorkflow');
  const fetched = await client.workflows.get(workflow_name, { account_id });
  assert.equal(fetched.id, workflow.id);

  // Create: one (params as the JSON string the 7.x types ask for), then five in bulk (a bare array).
  const single = await client.workflows.instances.create(workflow_name, { account_id, instance_id: 'cf-single', params: JSON.stringify({ orderId: 'S1', items: 2 }) });
  assert.equal(single.id, 'cf-single');
  assert.equal(single.version_id, workflow.version_id);
  const bulkIds: string[] = [];
  for await (const created of client.workflows.instances.bulk(workflow_name, {
    account_id,
    body: Array.from({ length: 5 }, (_, i) => ({ instance_id: `cf-bulk-${i}`, params: JSON.stringify({ orderId: `B${i}` }) })),
  })) {
    bulkIds.push(created.id);
  }
  assert.deepEqual(bulkIds, ['cf-bulk-0', 'cf-bulk-1', 'cf-bulk-2', 'cf-bulk-3', 'cf-bulk-4']);

  // Auto-pagination: the client asks for page 2, 3, 4, and stops at the empty page.
  const listed: string[] = [];
  for await (const instance of client.workflows.instances.list(workflow_name, { account_id, per_page: 2 })) listed.push(instance.id);
  assert.deepEqual(listed.toSorted(), ['cf-bulk-0', 'cf-bulk-1', 'cf-bulk-2', 'cf-bulk-3', 'cf-bulk-4', 'cf-single']);

  // Steps of a finished instance, and one step's full output.
  const done = await until('cf-single', ['complete']);
  assert.deepEqual(done.output, { orderId: 'S1', total: 20, approvedBy: 'auto', tracking: 'TRK-S1' });
  const names = done.steps.map((step) => ('name' in step ? `${step.type}:${step.name}` : step.type));
  assert.deepEqual(names, ['step:price-1', 'step:reserve-1', 'step:charge-1', 'sleep:cool down-1', 'step:ship-1']);
  const reserve = done.steps[1];
  assert.ok(reserve?.type === 'step' && reserve.attempts.length === 2 && reserve.attempts[0]?.error?.message === 'warehouse busy');
  const price = await client.workflows.instances.step('cf-single', { account_id, workflow_name, name: 'price-1', type: 'step' });
  assert.equal(price.status, 'complete');
  assert.equal((price.output as { total: number }).total, 20);
  const charge = await client.workflows.instances.step('cf-single', { account_id, workflow_name, name: 'charge-1', type: 'step' });
  assert.equal(charge.output, '[REDACTED]');

  // Pause and resume a waiting instance, then send the event it waits for.
  await client.workflows.instances.create(workflow_name, { account_id, instance_id: 'cf-approve', params: JSON.stringify({ orderId: 'A1', approve: true }) });
  await until('cf-approve', ['waiting']);
  const paused = await client.workflows.instances.status.edit('cf-approve', { account_id, workflow_name, status: 'pause' });
  assert.equal(paused.status, 'paused');
  assert.equal((await client.workflows.instances.get('cf-approve', { account_id, workflow_name })).status, 'paused');
  await client.workflows.instances.status.edit('cf-approve', { account_id, workflow_name, status: 'resume' });
  await until('cf-approve', ['waiting']);
  await client.workflows.instances.events.create('approval', { account_id, workflow_name, instance_id: 'cf-approve', body: { by: 'cf-client' } });
  const approved = await until('cf-approve', ['complete']);
  assert.equal((approved.output as unknown as { approvedBy: string }).approvedBy, 'cf-client');

  // Terminate a waiting instance with rollback: the charge's handler runs, the instance ends terminated.
  await client.workflows.instances.create(workflow_name, { account_id, instance_id: 'cf-cancel', params: JSON.stringify({ orderId: 'C1', approve: true }) });
  await until('cf-cancel', ['waiting']);
  const terminating = await client.workflows.instances.status.edit('cf-cancel', { account_id, workflow_name, status: 'terminate', rollback: true });
  assert.equal(terminating.status, 'rollingBack');
  const cancelled = await until('cf-cancel', ['terminated']);
  assert.deepEqual(cancelled.rollback, { outcome: 'complete', error: null });
  assert.ok(cancelled.steps.some((step) => step.type === 'rollback' && step.name === 'charge-1'));

  // Restart from a step: the steps before it keep their results, the step and after run again.
  const before = await client.workflows.instances.step('cf-single', { account_id, workflow_name, name: 'ship-1', type: 'step' });
  await client.workflows.instances.status.edit('cf-single', { account_id, workflow_name, status: 'restart', from: { name: 'ship', type: 'do' } });
  await until('cf-single', ['complete']);
  const after = await client.workflows.instances.step('cf-single', { account_id, workflow_name, name: 'ship-1', type: 'step' });
  assert.notDeepEqual(after.output, before.output, 'ship ran again');
  assert.deepEqual(await client.workflows.instances.step('cf-single', { account_id, workflow_name, name: 'price-1', type: 'step' }), price, 'price kept its result');

  // Versions and the graph.
  const versions = [];
  for await (const version of client.workflows.versions.list(workflow_name, { account_id })) versions.push(version);
  assert.equal(versions.length, 1);
  assert.equal(versions[0]?.has_dag, true);
  const graph = await client.workflows.versions.graph(workflow.version_id, { account_id, workflow_name });
  assert.equal(graph.graph?.workflow.class_name, 'OrderWorkflow');
  assert.ok(graph.graph?.workflow.nodes.some((node) => node.type === 'step_do' && node.name === 'price'));

  // Workflows list with counts; typed errors carry the envelope's errors.
  const workflows = [];
  for await (const item of client.workflows.list({ account_id, per_page: 1 })) workflows.push(item.name);
  assert.deepEqual(workflows.toSorted(), ['OrderWorkflow', 'RefundWorkflow', 'greet', 'orders']);
  const orders = await client.workflows.get(workflow_name, { account_id });
  assert.equal(orders.instances.complete, 7);
  assert.equal(orders.instances.terminated, 1);
  await assert.rejects(client.workflows.instances.get('nobody', { account_id, workflow_name }), (error: unknown) => {
    assert.ok(error instanceof NotFoundError);
    assert.equal(error.errors[0]?.code, 10400);
    return true;
  });
  await assert.rejects(client.workflows.instances.create(workflow_name, { account_id, instance_id: 'cf-single' }), (error: unknown) => {
    assert.ok(error instanceof ConflictError);
    return true;
  });
  const stranger = new Cloudflare({ apiToken: 'pk_not_a_key', baseURL: `${server.url}/client/v4`, maxRetries: 0 });
  await assert.rejects(stranger.workflows.get(workflow_name, { account_id }), (error: unknown) => error instanceof PermissionDeniedError);
  const deleted = await client.workflows.delete(workflow_name, { account_id });
  assert.equal(deleted.status, 'ok');
});
