import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import type { WorkflowStep } from '@petrel/engine';
import { latch, startEngine, waitUntil } from './harness.ts';

function saga(name: string, log: string[], options: { failAt?: string; rollbackFails?: string; gate?: Promise<void> }) {
  return defineWorkflow({
    name,
    async run(_event, step: WorkflowStep) {
      for (const item of ['reserve', 'charge', 'ship']) {
        await step.do(
          item,
          { retries: { limit: 0 } },
          async () => {
            if (item === options.failAt) throw new Error(`${item} failed`);
            if (item === 'ship' && options.gate) await options.gate;
            return `${item}-ok`;
          },
          {
            rollback: async ({ output, error, stepName }) => {
              log.push(`undo ${stepName} (output ${String(output)}; because ${error.message})`);
              if (stepName === options.rollbackFails) throw new Error(`cannot undo ${stepName}`);
            },
            rollbackConfig: { retries: { limit: 1, delay: 1 } },
          },
        );
      }
      return 'shipped';
    },
  });
}

test('an uncaught failure runs rollbacks in reverse start order, including the failing step; the instance errors', async (t) => {
  const log: string[] = [];
  const { engine } = await startEngine(t, { workflows: [saga('saga', log, { failAt: 'ship' })] });
  const ref = { workflow: 'saga', id: 's' };
  await engine.instances.create(ref);
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.status, 'errored');
  assert.deepEqual(done.error, { name: 'Error', message: 'ship failed' });
  assert.deepEqual(done.rollback, { outcome: 'complete', error: null });
  assert.deepEqual(log, [
    'undo ship (output undefined; because ship failed)',
    'undo charge (output charge-ok; because ship failed)',
    'undo reserve (output reserve-ok; because ship failed)',
  ]);
  assert.deepEqual(
    done.steps.filter((s) => s.type === 'rollback').map((s) => [s.name, s.status]),
    [
      ['ship', 'complete'],
      ['charge', 'complete'],
      ['reserve', 'complete'],
    ],
  );
  const kinds = (await engine.outbox.read({ afterSeq: 0, limit: 200 })).map((e) => e.kind);
  assert.ok(kinds.indexOf('rollback_started') < kinds.indexOf('rollback_completed'));
  assert.ok(kinds.indexOf('rollback_completed') < kinds.indexOf('workflow_errored'));
});

test('rollbacks stop at the first handler that fails (after its retries)', async (t) => {
  const log: string[] = [];
  const { engine } = await startEngine(t, { workflows: [saga('saga2', log, { failAt: 'ship', rollbackFails: 'charge' })] });
  const ref = { workflow: 'saga2', id: 's' };
  await engine.instances.create(ref);
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.status, 'errored');
  assert.deepEqual(done.rollback, { outcome: 'failed', error: { name: 'Error', message: 'cannot undo charge' } });
  assert.equal(log.filter((l) => l.startsWith('undo charge')).length, 2, 'the failing handler was retried once');
  assert.ok(!log.some((l) => l.startsWith('undo reserve')), 'handlers after the failed one did not run');
});

test('a caught failure runs no rollback', async (t) => {
  const log: string[] = [];
  const flow = defineWorkflow({
    name: 'caught-saga',
    async run(_event, step) {
      await step.do('a', async () => 1, { rollback: () => void log.push('undo a') });
      try {
        await step.do('b', { retries: { limit: 0 } }, async () => {
          throw new Error('b failed');
        });
      } catch {
        // handled by the workflow
      }
      return 'fine';
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'caught-saga', id: 'c' });
  const done = await engine.instances.waitForStatus({ workflow: 'caught-saga', id: 'c' });
  assert.equal(done.output, 'fine');
  assert.equal(done.rollback, null);
  assert.deepEqual(log, []);
});

test('terminate with rollback undoes the started steps and ends terminated', async (t) => {
  const log: string[] = [];
  const gate = latch();
  // startedMarkerMs 0: the start of the step in flight is recorded at once, which makes it eligible for rollback.
  const { engine } = await startEngine(t, { workflows: [saga('saga3', log, { gate: gate.promise })], startedMarkerMs: 0 });
  const ref = { workflow: 'saga3', id: 's' };
  await engine.instances.create(ref);
  await waitUntil(async () => (await engine.instances.get(ref)).steps.some((s) => s.name === 'ship'), 10_000, 'ship to start');
  const change = await engine.instances.terminate(ref, { rollback: true });
  assert.equal(change.status, 'rollingBack');
  const done = await engine.instances.waitForStatus(ref);
  gate.release();
  assert.equal(done.status, 'terminated');
  assert.equal(done.error, null);
  assert.deepEqual(done.rollback, { outcome: 'complete', error: null });
  assert.deepEqual(
    log.map((l) => l.split(' (')[0]),
    ['undo ship', 'undo charge', 'undo reserve'],
    'the step in flight (ship) had started, so it is rolled back too',
  );
});
