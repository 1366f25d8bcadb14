import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import { startEngine } from './harness.ts';

test('the outbox records every transition in order, with a monotonic seq', async (t) => {
  const flow = defineWorkflow({ name: 'tiny', run: async (_e, step) => step.do('one', async () => 1) });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const waiter = engine.outbox.wait({ afterSeq: 0, timeoutMs: 5000 });
  await engine.instances.create({ workflow: 'tiny', id: 't' });
  assert.equal(await waiter, true);
  await engine.instances.waitForStatus({ workflow: 'tiny', id: 't' });
  const events = await engine.outbox.read({ afterSeq: 0, limit: 100 });
  assert.deepEqual(
    events.map((e) => e.kind),
    ['workflow_queued', 'workflow_started', 'step_completed', 'workflow_completed'],
    'a step that completes at once is announced by one step_completed event',
  );
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.seq > events[i - 1]!.seq);
  assert.deepEqual({ ...events[2]?.payload, startedAt: typeof events[2]?.payload.startedAt }, { step: { name: 'one', count: 1 }, attempt: 1, output: 1, startedAt: 'number' });
  assert.deepEqual(events[3]?.payload, { output: 1 });
  assert.ok(events.every((e) => e.namespace === 'default' && e.workflowName === 'tiny' && e.instanceId === 't' && e.timestamp > 0));
  const last = events.at(-1)!.seq;
  assert.equal(await engine.outbox.wait({ afterSeq: last, timeoutMs: 50 }), false);

  await engine.outbox.ack('webhooks', 3);
  await engine.outbox.ack('webhooks', 2);
  assert.equal(await engine.outbox.cursor('webhooks'), 3, 'a cursor never moves back');
  assert.equal(await engine.outbox.cursor('nobody'), undefined);
  assert.equal(await engine.outbox.prune({ throughSeq: events[2]!.seq }), 3);
  assert.deepEqual((await engine.outbox.read({ afterSeq: 0 })).map((e) => e.seq), [last]);
  assert.equal(await engine.outbox.latestSeq(), last);
});

test('a parent starts a child and waits for it durably', async (t) => {
  const child = defineWorkflow<{ n: number }>({
    name: 'child',
    async run(event, step) {
      if (event.payload.n < 0) throw new Error('negative');
      return step.do('square', async () => event.payload.n ** 2);
    },
  });
  const parent = defineWorkflow<{ n: number }>({
    name: 'parent',
    async run(event, step) {
      const handle = await step.startChild('start child', { workflow: 'child', params: { n: event.payload.n } });
      const result = await step.waitForChild('child done', handle, { timeout: '1 minute' });
      return { handle: handle.instanceId.length > 0, ...result };
    },
  });
  const { engine } = await startEngine(t, { workflows: [child, parent], inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'parent', id: 'p1', params: { n: 7 } });
  await engine.instances.create({ workflow: 'parent', id: 'p2', params: { n: -1 } });
  const p1 = await engine.instances.waitForStatus({ workflow: 'parent', id: 'p1' });
  assert.deepEqual(p1.output, { handle: true, status: 'complete', output: 49, error: null });
  const p2 = await engine.instances.waitForStatus({ workflow: 'parent', id: 'p2' });
  assert.deepEqual(p2.output, { handle: true, status: 'errored', error: { name: 'Error', message: 'negative' } }, 'an undefined output is left out of JSON');
  assert.equal((await engine.instances.list({ workflow: 'child' })).total, 2);
});
