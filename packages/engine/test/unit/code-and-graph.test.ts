import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildWorkflowGraph, createEngine, createSqliteStore, defineWorkflow, WorkflowEntrypoint } from '@petrel/engine';
import type { GraphNode, WorkflowDefinition, WorkflowEvent, WorkflowStep } from '@petrel/engine';
import { waitUntil } from './harness.ts';

test('an instance whose code no worker has stays queued with WORKFLOW_CODE_MISSING, and runs once a worker has it', async (t) => {
  const store = await createSqliteStore({ path: ':memory:' });
  t.after(() => store.close());
  const v1 = defineWorkflow({ name: 'dynamic', versionKey: 'def-hash-1', run: async (event) => ({ ran: 'v1', payload: event.payload }) });
  const api = await createEngine({ store, slots: 0, workflows: [v1] });
  const created = await api.instances.create({ workflow: 'dynamic', id: 'd1', params: { x: 1 } });
  await api.close();

  const asked: unknown[] = [];
  const blind = await createEngine({ store, pollIntervalMs: 20, resolveWorkflow: async (ref) => void asked.push(ref) });
  t.after(() => blind.close());
  const stuck = await waitUntil(async () => {
    const details = await blind.instances.get({ workflow: 'dynamic', id: 'd1' });
    return details.statusReason ? details : undefined;
  });
  assert.equal(stuck.status, 'queued');
  assert.equal(stuck.statusReason?.code, 'WORKFLOW_CODE_MISSING');
  assert.deepEqual(asked[0], { namespace: 'default', workflowName: 'dynamic', versionId: created.versionId });

  const resolving = await createEngine({
    store,
    pollIntervalMs: 20,
    resolveWorkflow: async ({ versionId }) => (versionId === created.versionId ? v1 : undefined),
  });
  t.after(() => resolving.close());
  const done = await resolving.instances.waitForStatus({ workflow: 'dynamic', id: 'd1' });
  assert.deepEqual(done.output, { ran: 'v1', payload: { x: 1 } });
  assert.equal(done.statusReason, null);
});

function make(tag: string): WorkflowDefinition {
  return defineWorkflow({ name: 'pinned', versionKey: tag, run: async (_e, step) => step.do('which', async () => tag) });
}

function types(nodes: GraphNode[]): string[] {
  return nodes.map((n) => n.type);
}

test('instances stay pinned to their version; a new version applies to new instances and to restarts', async (t) => {
  const store = await createSqliteStore({ path: ':memory:' });
  t.after(() => store.close());
  const engine = await createEngine({ store, slots: 0, workflows: [make('v1')] });
  t.after(() => engine.close());
  const first = await engine.instances.create({ workflow: 'pinned', id: 'old' });
  const v2 = await engine.register(make('v2'));
  const second = await engine.instances.create({ workflow: 'pinned', id: 'new' });
  assert.notEqual(first.versionId, second.versionId);
  assert.equal(second.versionId, v2.id);
  const worker = await createEngine({ store, workflows: [make('v1'), make('v2')], pollIntervalMs: 20 });
  t.after(() => worker.close());
  assert.equal((await worker.instances.waitForStatus({ workflow: 'pinned', id: 'old' })).output, 'v1');
  assert.equal((await worker.instances.waitForStatus({ workflow: 'pinned', id: 'new' })).output, 'v2');
  await worker.instances.restart({ workflow: 'pinned', id: 'old' });
  const restarted = await worker.instances.waitForStatus({ workflow: 'pinned', id: 'old' });
  assert.equal(restarted.output, 'v2');
  const versions = await engine.workflows.listVersions({ workflow: 'pinned' });
  assert.equal(versions.total, 2);
  assert.ok(versions.versions.every((v) => v.hasGraph));
});

class OrderWorkflow extends WorkflowEntrypoint<unknown, { items: string[]; express: boolean }> {
  async run(event: WorkflowEvent<{ items: string[]; express: boolean }>, step: WorkflowStep): Promise<unknown> {
    const order = await step.do('create order', { retries: { limit: 3, delay: '5 seconds', backoff: 'linear' }, timeout: '2 minutes' }, async () => ({ id: 1 }));
    for (const item of event.payload.items) {
      await step.do(`reserve ${item}`, async () => item);
    }
    if (event.payload.express) {
      await step.sleep('express wait', '1 minute');
    } else {
      await step.sleep('standard wait', 3_600_000);
    }
    try {
      await Promise.all([step.do('email', async () => 1), step.do('sms', async () => 2)]);
    } catch {
      await step.do('notify failed', async () => 0);
    }
    const approval = await step.waitForEvent('approval', { type: 'approved', timeout: '2 days' });
    await this.ship(step, order.id);
    await step.sleepUntil('follow up', Date.now() + 86_400_000);
    return approval;
  }

  async ship(step: WorkflowStep, id: number): Promise<void> {
    await step.do('ship', async () => id);
  }
}

test('the step graph of a class maps onto Cloudflare node kinds', () => {
  const graph = buildWorkflowGraph({ source: OrderWorkflow.toString(), className: 'OrderWorkflow' });
  assert.ok(graph);
  assert.equal(graph.version, 1);
  assert.equal(graph.workflow.class_name, 'OrderWorkflow');
  const nodes = graph.workflow.nodes;
  assert.deepEqual(types(nodes), ['step_do', 'loop', 'if', 'try', 'step_wait_for_event', 'function_call', 'step_sleep_until']);
  assert.deepEqual(nodes[0], {
    type: 'step_do',
    name: 'create order',
    config: { retries: { limit: 3, delay: '5 seconds', backoff: 'linear' }, timeout: '2 minutes' },
    nodes: [],
  });
  assert.deepEqual(nodes[1], {
    type: 'loop',
    nodes: [{ type: 'step_do', name: '`reserve ${item}`', config: { retries: { limit: 5, delay: 10_000, backoff: 'exponential' }, timeout: 600_000 }, nodes: [] }],
  });
  assert.deepEqual(nodes[2], {
    type: 'if',
    branches: [
      { condition: 'event.payload.express', nodes: [{ type: 'step_sleep', name: 'express wait', duration: '1 minute' }] },
      { condition: null, nodes: [{ type: 'step_sleep', name: 'standard wait', duration: 3_600_000 }] },
    ],
  });
  const tryNode = nodes[3] as Extract<GraphNode, { type: 'try' }>;
  assert.deepEqual(types(tryNode.try_block?.nodes ?? []), ['parallel']);
  assert.deepEqual(tryNode.try_block?.nodes[0], {
    type: 'parallel',
    kind: 'all',
    nodes: ['email', 'sms'].map((name) => ({ type: 'step_do', name, config: { retries: { limit: 5, delay: 10_000, backoff: 'exponential' }, timeout: 600_000 }, nodes: [] })),
  });
  assert.deepEqual(types(tryNode.catch_block?.nodes ?? []), ['step_do']);
  assert.equal(tryNode.finally_block, null);
  assert.deepEqual(nodes[4], { type: 'step_wait_for_event', name: 'approval', options: { event_type: 'approved', timeout: '2 days' } });
  assert.deepEqual(nodes[5], { type: 'function_call', name: 'ship' });
  assert.deepEqual(types(graph.workflow.functions.ship?.nodes ?? []), ['step_do']);
});

test('the graph of a run function uses its step parameter name; unparseable source gives no graph', () => {
  const flow = defineWorkflow({
    name: 'arrow',
    run: async (_event, s) => {
      const results = await Promise.race([s.do('a', async () => 1), s.sleep('b', 10)]);
      return results;
    },
  });
  const graph = buildWorkflowGraph({ source: flow.source ?? '', className: flow.className });
  assert.deepEqual(types(graph?.workflow.nodes ?? []), ['parallel']);
  assert.equal(graph?.workflow.nodes[0]?.type === 'parallel' ? graph.workflow.nodes[0].kind : undefined, 'race');
  assert.equal(buildWorkflowGraph({ source: 'this is not code {', className: 'X' }), undefined);
});
