import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEngine, createManualClock, createSqliteStore, cronInstanceId, defineWorkflow } from '@petrel/engine';
import { startEngine, waitUntil } from './harness.ts';

test('cron fires once per due time across engines sharing a store; after downtime only the latest firing runs', async (t) => {
  const clock = createManualClock(Date.UTC(2026, 0, 1, 0, 0, 0));
  const t0 = clock.now();
  const store = await createSqliteStore({ path: ':memory:' });
  t.after(() => store.close());
  const flow = defineWorkflow({ name: 'report', schedules: ['*/5 * * * *'], run: async (event) => event.schedule ?? null });
  const a = await createEngine({ store, clock, workflows: [flow], pollIntervalMs: 20 });
  const b = await createEngine({ store, clock, workflows: [flow], pollIntervalMs: 20 });
  t.after(() => Promise.all([a.close(), b.close()]));
  const tickBoth = async (): Promise<void> => {
    await a.tick();
    await b.tick();
  };
  await tickBoth();
  const info = await a.workflows.get({ workflow: 'report' });
  assert.deepEqual(info.schedules, [{ cron: '*/5 * * * *', nextInstance: new Date(t0 + 5 * 60_000) }]);

  for (const minutes of [5, 10]) {
    clock.set(t0 + minutes * 60_000);
    await tickBoth();
    await tickBoth();
  }
  clock.set(t0 + 42 * 60_000);
  await tickBoth();
  await tickBoth();

  const page = await a.instances.list({ workflow: 'report', direction: 'asc' });
  assert.deepEqual(
    page.instances.map((i) => i.id),
    [5, 10, 40].map((m) => cronInstanceId('*/5 * * * *', t0 + m * 60_000)),
    'one instance per due time; the missed 15..35 firings were skipped, 40 ran',
  );
  assert.ok(page.instances.every((i) => i.triggerSource === 'cron'));
  const first = await a.instances.waitForStatus({ workflow: 'report', id: page.instances[0]!.id });
  assert.deepEqual(first.output, { cron: '*/5 * * * *', scheduledTime: t0 + 5 * 60_000 });
  await assert.rejects(a.workflows.update({ workflow: 'report' }, { schedules: ['every minute'] }), { code: 'VALIDATION_FAILED', message: /cron "every minute" is invalid/ });
});

test('a workflow concurrency limit caps running instances; waiting ones stay queued', async (t) => {
  let active = 0;
  let peak = 0;
  const flow = defineWorkflow({
    name: 'limited',
    concurrency: 2,
    async run(_event, step) {
      await step.do('work', async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 60));
        active--;
      });
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], slots: 10 });
  for (let i = 0; i < 6; i++) await engine.instances.create({ workflow: 'limited', id: `l${i}` });
  const snapshot = await waitUntil(async () => {
    const info = await engine.workflows.get({ workflow: 'limited' });
    return (info.instances.running ?? 0) === 2 && (info.instances.queued ?? 0) >= 1 ? info : undefined;
  });
  assert.equal(snapshot.instances.running, 2);
  for (let i = 0; i < 6; i++) await engine.instances.waitForStatus({ workflow: 'limited', id: `l${i}` });
  assert.equal(peak, 2);
});

test('slots cap a worker; sleeping instances hold no slot', async (t) => {
  const clock = createManualClock();
  let active = 0;
  let peak = 0;
  const busy = defineWorkflow({
    name: 'busy',
    async run(_event, step) {
      await step.do('work', async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 25));
        active--;
      });
    },
  });
  const sleepy = defineWorkflow({
    name: 'sleepy',
    async run(_event, step) {
      await step.sleep('long nap', '1 hour');
      return 'rested';
    },
  });
  const { engine } = await startEngine(t, { workflows: [busy, sleepy], slots: 1, clock });
  await engine.instances.create({ workflow: 'sleepy', id: 'z' });
  await engine.instances.waitForStatus({ workflow: 'sleepy', id: 'z' }, { statuses: ['waiting'] });
  for (let i = 0; i < 4; i++) await engine.instances.create({ workflow: 'busy', id: `b${i}` });
  for (let i = 0; i < 4; i++) assert.equal((await engine.instances.waitForStatus({ workflow: 'busy', id: `b${i}` })).status, 'complete');
  assert.equal(peak, 1, 'one slot: one busy instance at a time');
  assert.equal((await engine.instances.get({ workflow: 'sleepy', id: 'z' })).status, 'waiting', 'the sleeper did not take the only slot');
  clock.advance(3_600_000);
  assert.equal((await engine.instances.waitForStatus({ workflow: 'sleepy', id: 'z' })).output, 'rested');
});

test('finished instances are purged after their retention', async (t) => {
  const clock = createManualClock();
  const flow = defineWorkflow({ name: 'short-lived', retention: { successRetention: '1 hour' }, run: async () => 'x' });
  const { engine } = await startEngine(t, { workflows: [flow], clock });
  await engine.instances.create({ workflow: 'short-lived', id: 'a' });
  await engine.instances.create({ workflow: 'short-lived', id: 'b', retention: { successRetention: '1 day' } });
  await engine.instances.waitForStatus({ workflow: 'short-lived', id: 'a' });
  await engine.instances.waitForStatus({ workflow: 'short-lived', id: 'b' });
  clock.advance(2 * 3_600_000);
  await engine.tick();
  assert.equal(await engine.instances.find({ workflow: 'short-lived', id: 'a' }), undefined);
  assert.ok(await engine.instances.find({ workflow: 'short-lived', id: 'b' }), 'the instance-level retention wins');
  await engine.instances.create({ workflow: 'short-lived', id: 'a' });
});

test('outbox events older than the outbox retention are pruned', async (t) => {
  const clock = createManualClock();
  const flow = defineWorkflow({ name: 'noisy', run: async (_e, step) => step.do('one', async () => 1) });
  const { engine } = await startEngine(t, { workflows: [flow], clock, outboxRetention: '1 day' });
  await engine.instances.create({ workflow: 'noisy', id: 'old' });
  await engine.instances.waitForStatus({ workflow: 'noisy', id: 'old' });
  const oldEvents = await engine.outbox.read({ afterSeq: 0 });
  clock.advance(2 * 86_400_000);
  await engine.instances.create({ workflow: 'noisy', id: 'new' });
  await engine.instances.waitForStatus({ workflow: 'noisy', id: 'new' });
  await engine.tick();
  const left = await engine.outbox.read({ afterSeq: 0 });
  assert.ok(left.length > 0 && left.every((e) => e.instanceId === 'new'), 'only the recent events are left');
  assert.ok(left[0]!.seq > oldEvents.at(-1)!.seq);
});
