import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createManualClock, defineWorkflow } from '@petrel/engine';
import { startEngine } from './harness.ts';

test('a sleep suspends the instance (no slot, status waiting) and wakes it at its due time', async (t) => {
  const clock = createManualClock();
  const t0 = clock.now();
  const flow = defineWorkflow({
    name: 'sleeper',
    async run(_event, step) {
      await step.sleep('nap', '10 minutes');
      return step.do('after', async () => clock.now());
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], clock, slots: 1 });
  await engine.instances.create({ workflow: 'sleeper', id: 's' });
  const waiting = await engine.instances.waitForStatus({ workflow: 'sleeper', id: 's' }, { statuses: ['waiting'] });
  assert.equal(waiting.steps[0]?.wakeAt?.getTime(), t0 + 600_000);
  clock.advance(599_000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal((await engine.instances.get({ workflow: 'sleeper', id: 's' })).status, 'waiting');
  clock.advance(1000);
  const done = await engine.instances.waitForStatus({ workflow: 'sleeper', id: 's' });
  assert.equal(done.output, t0 + 600_000);
});

test('sleepUntil a time already past completes at once; a future one waits until then', async (t) => {
  const clock = createManualClock();
  const t0 = clock.now();
  const flow = defineWorkflow({
    name: 'until',
    async run(_event, step) {
      await step.sleepUntil('past', new Date(t0 - 1000));
      await step.sleepUntil('future', t0 + 5000);
      return clock.now();
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], clock, inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'until', id: 'u' });
  const waiting = await engine.instances.waitForStatus({ workflow: 'until', id: 'u' }, { statuses: ['waiting'] });
  assert.deepEqual(waiting.steps.map((s) => [s.name, s.status]), [
    ['past', 'complete'],
    ['future', 'waiting'],
  ]);
  clock.advance(5000);
  const done = await engine.instances.waitForStatus({ workflow: 'until', id: 'u' });
  assert.equal(done.output, t0 + 5000);
});

test('paused time does not count against a sleep', async (t) => {
  const clock = createManualClock();
  const t0 = clock.now();
  const flow = defineWorkflow({
    name: 'pausable',
    async run(_event, step) {
      await step.sleep('nap', '10 minutes');
      return step.do('after', async () => clock.now());
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], clock });
  const ref = { workflow: 'pausable', id: 'p' };
  await engine.instances.create(ref);
  await engine.instances.waitForStatus(ref, { statuses: ['waiting'] });
  clock.advance(2 * 60_000);
  assert.equal((await engine.instances.pause(ref)).status, 'paused');
  clock.advance(60 * 60_000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal((await engine.instances.get(ref)).status, 'paused', 'nothing runs while paused, even past the wake time');
  await engine.instances.resume(ref);
  const again = await engine.instances.waitForStatus(ref, { statuses: ['waiting'] });
  assert.equal(again.steps[0]?.wakeAt?.getTime(), t0 + 70 * 60_000, 'the wake time moved by the 60 paused minutes');
  clock.advance(7 * 60_000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal((await engine.instances.get(ref)).status, 'waiting');
  clock.advance(60_000);
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.output, t0 + 70 * 60_000);
});

test('events sent before the wait are buffered FIFO per type; one event satisfies one waiter', async (t) => {
  const flow = defineWorkflow({
    name: 'events',
    async run(_event, step) {
      await step.sleep('let events arrive', 30);
      const a1 = await step.waitForEvent<number>('first a', { type: 'a' });
      const b = await step.waitForEvent<string>('the b', { type: 'b' });
      const a2 = await step.waitForEvent<number>('second a', { type: 'a' });
      return { a1: a1.payload, a2: a2.payload, b: b.payload, type: b.type, at: typeof a1.timestamp.getTime() };
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 0 });
  const ref = { workflow: 'events', id: 'e' };
  await engine.instances.create(ref);
  await engine.instances.sendEvent({ ...ref, type: 'a', payload: 1 });
  await engine.instances.sendEvent({ ...ref, type: 'b', payload: 'bee' });
  await engine.instances.sendEvent({ ...ref, type: 'a', payload: 2 });
  const done = await engine.instances.waitForStatus(ref);
  assert.deepEqual(done.output, { a1: 1, a2: 2, b: 'bee', type: 'b', at: 'number' });
});

test('an event sent while the instance waits wakes it; a timeout throws EVENT_TIMEOUT into run()', async (t) => {
  const flow = defineWorkflow({
    name: 'approval',
    async run(_event, step) {
      const approved = await step.waitForEvent<{ by: string }>('approval', { type: 'approved', timeout: '1 hour' });
      try {
        await step.waitForEvent('second', { type: 'never', timeout: 50 });
        return 'impossible';
      } catch (error) {
        return `${approved.payload.by}; then ${(error as { code?: string }).code}`;
      }
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'approval', id: 'a' };
  await engine.instances.create(ref);
  const waiting = await engine.instances.waitForStatus(ref, { statuses: ['waiting'] });
  assert.equal(waiting.steps[0]?.eventType, 'approved');
  await engine.instances.sendEvent({ ...ref, type: 'approved', payload: { by: 'ana' } });
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.output, 'ana; then EVENT_TIMEOUT');
  assert.equal(done.steps[1]?.status, 'errored');
});

test('an event arriving while the run is busy is not missed when it then waits', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const flow = defineWorkflow({
    name: 'race',
    async run(_event, step) {
      await step.do('busy', async () => {
        await gate;
      });
      return (await step.waitForEvent<string>('w', { type: 'go', timeout: '1 hour' })).payload;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'race', id: 'r' };
  await engine.instances.create(ref);
  await engine.instances.waitForStatus(ref, { statuses: ['running'] });
  await engine.instances.sendEvent({ ...ref, type: 'go', payload: 'now' });
  release();
  const done = await engine.instances.waitForStatus(ref, { timeoutMs: 5000 });
  assert.equal(done.output, 'now');
});

test('sendEvent refuses unknown instances, finished instances and bad types, and changes nothing', async (t) => {
  const flow = defineWorkflow({ name: 'quick', run: async () => 'done' });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'quick', id: 'q' });
  await engine.instances.waitForStatus({ workflow: 'quick', id: 'q' });
  const before = await engine.outbox.latestSeq();
  await assert.rejects(engine.instances.sendEvent({ workflow: 'quick', id: 'nope', type: 't' }), { code: 'INSTANCE_NOT_FOUND' });
  await assert.rejects(engine.instances.sendEvent({ workflow: 'quick', id: 'q', type: 't' }), { code: 'INVALID_TRANSITION', message: /is complete/ });
  await assert.rejects(engine.instances.sendEvent({ workflow: 'quick', id: 'q', type: 'bad type!' }), { code: 'INVALID_ID' });
  await assert.rejects(engine.instances.sendEvent({ workflow: 'quick', id: 'q', type: 't', payload: 'x'.repeat(1_100_000) }), { code: 'PAYLOAD_TOO_LARGE' });
  assert.equal(await engine.outbox.latestSeq(), before);
});
