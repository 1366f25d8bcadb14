import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import { latch, startEngine, waitUntil } from './harness.ts';

test('pause takes effect at the next step boundary; resume runs the rest', async (t) => {
  const gate = latch();
  const ran: string[] = [];
  const flow = defineWorkflow({
    name: 'pause-me',
    async run(_event, step) {
      await step.do('long', async () => {
        ran.push('long');
        await gate.promise;
      });
      await step.do('next', async () => {
        ran.push('next');
      });
      return ran.length;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'pause-me', id: 'p' };
  await engine.instances.create(ref);
  await waitUntil(() => ran.includes('long'));
  assert.equal((await engine.instances.pause(ref)).status, 'waitingForPause');
  assert.equal((await engine.instances.pause(ref)).status, 'waitingForPause', 'pausing again is a no-op');
  gate.release();
  const paused = await engine.instances.waitForStatus(ref, { statuses: ['paused'] });
  assert.deepEqual(
    paused.steps.map((s) => [s.name, s.status]),
    [['long', 'complete']],
    'the step in flight finished and was recorded; the next one did not start',
  );
  assert.deepEqual(ran, ['long']);
  await assert.rejects(engine.instances.pause({ ...ref, id: 'missing' }), { code: 'INSTANCE_NOT_FOUND' });
  assert.equal((await engine.instances.resume(ref)).status, 'queued');
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.status, 'complete');
  assert.deepEqual(ran, ['long', 'next']);
});

test('resume while waitingForPause cancels the pause', async (t) => {
  const gate = latch();
  let started = false;
  const flow = defineWorkflow({
    name: 'cancel-pause',
    async run(_event, step) {
      await step.do('a', async () => {
        started = true;
        await gate.promise;
      });
      return step.do('b', async () => 'b ran');
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'cancel-pause', id: 'c' };
  await engine.instances.create(ref);
  await waitUntil(() => started);
  await engine.instances.pause(ref);
  assert.equal((await engine.instances.resume(ref)).status, 'running');
  gate.release();
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.output, 'b ran');
});

test('terminate stops a running instance, aborts its step signal, and cannot be repeated', async (t) => {
  const gate = latch();
  const aborted = latch<unknown>();
  const flow = defineWorkflow({
    name: 'terminate-me',
    async run(_event, step) {
      await step.do('forever', async (ctx) => {
        ctx.signal.addEventListener('abort', () => aborted.release(ctx.signal.reason));
        gate.release();
        await new Promise(() => {});
      });
      return 'unreachable';
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'terminate-me', id: 't' };
  await engine.instances.create(ref);
  await gate.promise;
  assert.equal((await engine.instances.terminate(ref)).status, 'terminated');
  assert.ok(await aborted.promise, 'the step saw its signal abort');
  const after = await engine.instances.get(ref);
  assert.equal(after.status, 'terminated');
  assert.ok(after.endedAt);
  assert.equal(after.steps.at(-1)?.type, 'termination');
  await assert.rejects(engine.instances.terminate(ref), { code: 'INVALID_TRANSITION', message: /instances.terminate: instance "t" is terminated/ });
  await assert.rejects(engine.instances.resume(ref), { code: 'INVALID_TRANSITION' });
  const kinds = (await engine.outbox.read({ afterSeq: 0, limit: 100 })).map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'workflow_terminated').length, 1);
});

test('illegal transitions are refused with INVALID_TRANSITION and change nothing', async (t) => {
  const flow = defineWorkflow({ name: 'done-flow', run: async () => 1 });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'done-flow', id: 'd' };
  await engine.instances.create(ref);
  await engine.instances.waitForStatus(ref);
  const before = await engine.outbox.latestSeq();
  await assert.rejects(engine.instances.resume(ref), { code: 'INVALID_TRANSITION', message: /is complete; a finished instance cannot be resumed/ });
  await assert.rejects(engine.instances.pause(ref), { code: 'INVALID_TRANSITION' });
  await assert.rejects(engine.instances.terminate(ref), { code: 'INVALID_TRANSITION' });
  assert.equal(await engine.outbox.latestSeq(), before);
  assert.equal((await engine.instances.get(ref)).status, 'complete');
});

test('restart from the beginning re-runs every step; restart from a step keeps what came before', async (t) => {
  const runs: Record<string, number> = { a: 0, b: 0, c: 0 };
  const flow = defineWorkflow({
    name: 'restartable',
    async run(_event, step) {
      const a = await step.do('a', async () => ++runs.a!);
      const b = await step.do('b', async () => ++runs.b!);
      const c = await step.do('c', async () => ++runs.c!);
      return [a, b, c];
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'restartable', id: 'r' };
  await engine.instances.create(ref);
  assert.deepEqual((await engine.instances.waitForStatus(ref)).output, [1, 1, 1]);

  assert.equal((await engine.instances.restart(ref)).status, 'queued');
  assert.deepEqual((await engine.instances.waitForStatus(ref)).output, [2, 2, 2]);

  await engine.instances.restart(ref, { from: { name: 'b' } });
  const done = await engine.instances.waitForStatus(ref);
  assert.deepEqual(done.output, [2, 3, 3], 'a kept its result; b and c ran again');
  assert.deepEqual(runs, { a: 2, b: 3, c: 3 });

  await assert.rejects(engine.instances.restart(ref, { from: { name: 'zzz' } }), { code: 'STEP_NOT_FOUND', message: /"zzz"/ });
  assert.equal((await engine.instances.get(ref)).status, 'complete', 'a refused restart changed nothing');
});
