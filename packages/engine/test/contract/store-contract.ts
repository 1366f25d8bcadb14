// The Store contract: every adapter (SQLite and PostgreSQL) runs this same suite. Each test
// gets a fresh, empty store from `makeStore` and closes it at the end.
import assert from 'node:assert/strict';
import { suite, test } from 'node:test';
import type { TestContext } from 'node:test';
import type { InstanceRow, Lease, NewInstance, StepRow, Store, StoreNotification } from '@petrel/engine';

const NS = 'org_1';
const WF = 'flow';
const V1 = 'version-1';

function item(id: string, extra: Partial<NewInstance> = {}): NewInstance {
  return { namespace: NS, workflowName: WF, id, versionId: V1, params: '{"n":1}', triggerSource: 'api', ...extra };
}

function step(key: string, extra: Partial<StepRow> = {}): StepRow {
  const [type = 'do', name = key, count = '1'] = key.split(':');
  return {
    key,
    type: type as StepRow['type'],
    name,
    count: Number(count),
    seq: 1,
    status: 'complete',
    startedAt: 1000,
    endedAt: 1001,
    output: '42',
    error: null,
    config: { retries: { limit: 5, delay: 10_000, backoff: 'exponential' }, timeout: 600_000 },
    attempts: [{ attempt: 1, startedAt: 1000, endedAt: 1001, success: true, error: null }],
    wakeAt: null,
    eventType: null,
    sensitive: false,
    ...extra,
  };
}

async function create(store: Store, id: string, now = 1000, extra: Partial<NewInstance> = {}): Promise<InstanceRow> {
  const [outcome] = await store.createInstances([item(id, extra)], { now });
  assert.ok(outcome?.ok, `created ${id}`);
  return outcome.instance;
}

async function claimOne(store: Store, now: number, owner = 'w1', leaseMs = 1000): Promise<{ instance: InstanceRow; lease: Lease }> {
  const [claimed] = await store.claim({ owner, now, leaseMs, limit: 1, versionIds: [V1] });
  assert.ok(claimed, 'claimed an instance');
  return claimed;
}

/** Runs the Store contract against an adapter. `makeStore` returns a fresh, empty store; `skip` gives why the adapter cannot run here. */
export function runStoreContract(name: string, makeStore: () => Promise<Store>, options: { skip?: string } = {}): void {
  const open = async (t: TestContext): Promise<Store> => {
    const store = await makeStore();
    t.after(() => store.close());
    return store;
  };

  suite(`Store contract: ${name}`, options.skip === undefined ? {} : { skip: options.skip }, () => {
    test('workflows: create, update only the given fields, find, list with search, versions', async (t) => {
      const store = await open(t);
      const created = await store.upsertWorkflow({ namespace: NS, name: WF, id: 'w-id', now: 10, concurrency: 3, schedules: ['* * * * *'] });
      assert.equal(created.concurrency, 3);
      const updated = await store.upsertWorkflow({ namespace: NS, name: WF, id: 'ignored', now: 20, currentVersionId: V1 });
      assert.deepEqual(
        { id: updated.id, concurrency: updated.concurrency, schedules: updated.schedules, currentVersionId: updated.currentVersionId, createdAt: updated.createdAt, modifiedAt: updated.modifiedAt },
        { id: 'w-id', concurrency: 3, schedules: ['* * * * *'], currentVersionId: V1, createdAt: 10, modifiedAt: 20 },
      );
      await store.upsertWorkflow({ namespace: NS, name: 'other_flow', id: 'w2', now: 30 });
      await store.upsertWorkflow({ namespace: 'org_2', name: WF, id: 'w3', now: 30 });
      const list = await store.listWorkflows({ namespace: NS, search: 'other', offset: 0, limit: 10 });
      assert.deepEqual(list.rows.map((w) => w.name), ['other_flow']);
      assert.equal((await store.listWorkflows({ namespace: NS, offset: 0, limit: 1 })).total, 2);
      assert.equal(await store.findWorkflow('org_3', WF), undefined);

      const version = { id: V1, namespace: NS, workflowName: WF, versionKey: 'k1', className: 'Flow', createdAt: 5, graph: null };
      assert.deepEqual(await store.upsertVersion(version), version);
      assert.deepEqual(await store.upsertVersion({ ...version, createdAt: 99 }), version, 'an existing version is kept');
      assert.equal((await store.listVersions({ namespace: NS, workflowName: WF, offset: 0, limit: 10 })).total, 1);
      assert.equal(await store.findVersion('org_2', WF, V1), undefined, 'versions are namespaced');
      assert.equal(await store.deleteWorkflow(NS, 'other_flow'), true);
      assert.equal(await store.findWorkflow(NS, 'other_flow'), undefined);
    });

    test('create: queued and due now with a workflow_queued event; a taken id is a per-item conflict', async (t) => {
      const store = await open(t);
      const outcomes = await store.createInstances([item('a'), item('a'), item('b'), item('a', { namespace: 'org_2' })], { now: 500 });
      assert.deepEqual(
        outcomes.map((o) => (o.ok ? o.instance.status : o.code)),
        ['queued', 'ALREADY_EXISTS', 'queued', 'queued'],
      );
      const a = await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'a' });
      assert.equal(a?.dueAt, 500);
      assert.equal(a?.params, '{"n":1}');
      assert.equal(a?.epoch, 0);
      const events = await store.readOutbox({ afterSeq: 0, limit: 10 });
      assert.deepEqual(events.map((e) => [e.kind, e.instanceId, e.namespace]), [
        ['workflow_queued', 'a', NS],
        ['workflow_queued', 'b', NS],
        ['workflow_queued', 'a', 'org_2'],
      ]);
    });

    test('claim: due instances of known versions, oldest due first, one lease at a time', async (t) => {
      const store = await open(t);
      await create(store, 'late', 300);
      await create(store, 'early', 100);
      await create(store, 'other-version', 50, { versionId: 'v-unknown' });
      await create(store, 'future', 5000);
      const claimed = await store.claim({ owner: 'w1', now: 1000, leaseMs: 1000, limit: 10, versionIds: [V1] });
      assert.deepEqual(claimed.map((c) => c.instance.id), ['early', 'late']);
      for (const c of claimed) {
        assert.equal(c.instance.status, 'running');
        assert.equal(c.previousStatus, 'queued');
        assert.equal(c.instance.leaseOwner, 'w1');
        assert.equal(c.instance.dueAt, 2000);
        assert.equal(c.instance.startedAt, 1000);
        assert.equal(c.lease.epoch, 1);
      }
      assert.deepEqual(await store.claim({ owner: 'w2', now: 1500, leaseMs: 1000, limit: 10, versionIds: [V1] }), [], 'leased instances are not claimed again');
      const again = await store.claim({ owner: 'w2', now: 2001, leaseMs: 1000, limit: 10, versionIds: [V1] });
      assert.deepEqual(again.map((c) => c.instance.id).sort(), ['early', 'late'], 'lapsed leases let another worker claim the instances');
      assert.deepEqual(again.map((c) => [c.lease.epoch, c.previousStatus, c.instance.leaseOwner]), [[2, 'running', 'w2'], [2, 'running', 'w2']]);
      const kinds = (await store.readOutbox({ afterSeq: 0, limit: 20 })).map((e) => e.kind);
      assert.equal(kinds.filter((k) => k === 'workflow_started').length, 2, 'started once per instance');
    });

    test('fencing: a write under a lost lease is refused and leaves no trace', async (t) => {
      const store = await open(t);
      await create(store, 'i');
      const first = await claimOne(store, 1000);
      const second = await claimOne(store, 3000, 'w2');
      const before = await store.latestOutboxSeq();
      await assert.rejects(store.recordSteps(first.lease, [{ row: step('do:a:1'), events: [{ kind: 'step_completed' }] }], 3001), { code: 'LEASE_LOST' });
      await assert.rejects(store.finish(first.lease, { now: 3001, status: 'complete', output: '1', purgeAt: 9999, events: [] }), { code: 'LEASE_LOST' });
      await assert.rejects(store.suspend(first.lease, { now: 3001, dueAt: 5000, waitingFor: [], pausing: false }), { code: 'LEASE_LOST' });
      assert.equal(await store.latestOutboxSeq(), before);
      assert.deepEqual(await store.listSteps(second.instance.pk), []);
      assert.equal(await store.recordSteps(second.lease, [{ row: step('do:a:1'), events: [{ kind: 'step_completed' }] }], 3002), 'running');
      assert.equal((await store.listSteps(second.instance.pk)).length, 1);
    });

    test('steps: upserted until final, then never rewritten; outbox events only with a write', async (t) => {
      const store = await open(t);
      await create(store, 'i');
      const { instance, lease } = await claimOne(store, 1000);
      const running = step('do:a:1', { status: 'waiting', output: null, endedAt: null, wakeAt: 5000, attempts: [{ attempt: 1, startedAt: 1000, endedAt: 1001, success: false, error: { name: 'Error', message: 'x' }, retryDelayMs: 10 }] });
      await store.recordSteps(lease, [{ row: running, events: [{ kind: 'attempt_errored' }] }], 1001);
      const done = step('do:a:1', { attempts: [...running.attempts, { attempt: 2, startedAt: 1100, endedAt: 1101, success: true, error: null }] });
      await store.recordSteps(lease, [{ row: done, events: [{ kind: 'step_completed', payload: { output: 42 } }] }], 1101);
      assert.deepEqual(await store.findStep(instance.pk, 'do:a:1'), done);
      await assert.rejects(store.recordSteps(lease, [{ row: { ...done, output: '43' }, events: [{ kind: 'step_completed' }] }], 1200), { code: 'INTERNAL' });
      assert.equal((await store.findStep(instance.pk, 'do:a:1'))?.output, '42');
      const completed = (await store.readOutbox({ afterSeq: 0, limit: 50 })).filter((e) => e.kind === 'step_completed');
      assert.equal(completed.length, 1, 'exactly one step_completed for the step');
      assert.deepEqual(completed[0]?.payload, { output: 42 });
      assert.equal(await store.countSteps(instance.pk), 1);
    });

    test('events: buffered FIFO, consumed once; a waiting instance wakes only for a type it waits for', async (t) => {
      const store = await open(t);
      await create(store, 'i');
      const key = { namespace: NS, workflowName: WF, instanceId: 'i' };
      const { instance, lease } = await claimOne(store, 1000);
      assert.deepEqual(await store.suspend(lease, { now: 1100, dueAt: 90_000, waitingFor: ['approve'], pausing: false }), 'waiting');
      const waiting = await store.findInstance(key);
      assert.equal(waiting?.status, 'waiting');
      assert.equal(waiting?.dueAt, 90_000);
      assert.deepEqual(waiting?.waitingFor, ['approve']);
      assert.deepEqual(await store.sendEvent(key, { type: 'other', payload: '1', now: 1200 }), { status: 'waiting', woke: false });
      assert.equal((await store.findInstance(key))?.dueAt, 90_000);
      assert.deepEqual(await store.sendEvent(key, { type: 'approve', payload: '"yes"', now: 1300 }), { status: 'waiting', woke: true });
      assert.equal((await store.findInstance(key))?.dueAt, 1300);
      await store.sendEvent(key, { type: 'approve', payload: '"again"', now: 1400 });
      const pending = await store.listPendingEvents(instance.pk);
      assert.deepEqual(pending.map((e) => [e.type, e.payload]), [
        ['other', '1'],
        ['approve', '"yes"'],
        ['approve', '"again"'],
      ]);
      const { lease: lease2 } = await claimOne(store, 1500);
      const approve = pending[1]!;
      await store.recordSteps(lease2, [{ row: step('waitForEvent:w:1', { output: '{"payload":"yes"}' }), events: [], consumeEventId: approve.id }], 1501);
      assert.deepEqual((await store.listPendingEvents(instance.pk)).map((e) => e.payload), ['1', '"again"']);
      await assert.rejects(store.recordSteps(lease2, [{ row: step('waitForEvent:w:2'), events: [], consumeEventId: approve.id }], 1502), { code: 'INTERNAL' });
      await assert.rejects(store.sendEvent({ ...key, instanceId: 'nope' }, { type: 'x', payload: '1', now: 1 }), { code: 'INSTANCE_NOT_FOUND' });
    });

    test('suspend: an awaited event that already arrived makes the instance due at once; a pending pause pauses it', async (t) => {
      const store = await open(t);
      await create(store, 'i');
      const key = { namespace: NS, workflowName: WF, instanceId: 'i' };
      const first = await claimOne(store, 1000);
      await store.sendEvent(key, { type: 'go', payload: '1', now: 1001 });
      assert.equal(await store.suspend(first.lease, { now: 1002, dueAt: 99_999, waitingFor: ['go'], pausing: false }), 'due');
      assert.equal((await store.findInstance(key))?.dueAt, 1002);
      const second = await claimOne(store, 1003);
      const row = (await store.findInstance(key))!;
      assert.equal(await store.applyTransition({ pk: row.pk, expect: { status: 'running', epoch: row.epoch }, now: 1004, set: { status: 'waitingForPause' }, events: [] }), true);
      assert.equal(await store.suspend(second.lease, { now: 1005, dueAt: 99_999, waitingFor: [], pausing: true }), 'paused');
      const paused = await store.findInstance(key);
      assert.equal(paused?.status, 'paused');
      assert.equal(paused?.pausedAt, 1005);
      assert.equal(paused?.dueAt, null);
      assert.equal(paused?.leaseOwner, null);
    });

    test('transitions are compare-and-set; revoking a lease fences its holder; restart deletes steps from a point', async (t) => {
      const store = await open(t);
      await create(store, 'i');
      const { instance, lease } = await claimOne(store, 1000);
      await store.recordSteps(
        lease,
        [1, 2, 3].map((n) => ({ row: step(`do:s${n}:1`, { seq: n, status: n === 3 ? 'waiting' : 'complete', wakeAt: n === 3 ? 5000 : null }), events: [] })),
        1001,
      );
      const stale = { pk: instance.pk, expect: { status: 'queued' as const, epoch: 0 }, now: 1100, set: { status: 'paused' as const }, events: [] };
      assert.equal(await store.applyTransition(stale), false);
      assert.equal(
        await store.applyTransition({
          pk: instance.pk,
          expect: { status: 'running', epoch: lease.epoch },
          now: 1200,
          set: { status: 'queued', dueAt: 1200 },
          revokeLease: true,
          deleteSteps: { fromSeq: 2 },
          events: [{ kind: 'workflow_restarted' }],
        }),
        true,
      );
      assert.deepEqual((await store.listSteps(instance.pk)).map((s) => s.key), ['do:s1:1']);
      await assert.rejects(store.recordSteps(lease, [{ row: step('do:x:1'), events: [] }], 1300), { code: 'LEASE_LOST' });
      const row = (await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'i' }))!;
      assert.equal(row.leaseOwner, null);
      assert.equal(row.epoch, lease.epoch + 1);
      const { lease: l2 } = await claimOne(store, 1300);
      await store.recordSteps(l2, [{ row: step('sleep:nap:1', { seq: 2, status: 'waiting', wakeAt: 5000, output: null }), events: [] }], 1301);
      await store.suspend(l2, { now: 1302, dueAt: 5000, waitingFor: [], pausing: false });
      const waiting = (await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'i' }))!;
      await store.applyTransition({ pk: waiting.pk, expect: { status: 'waiting', epoch: waiting.epoch }, now: 1400, set: { status: 'paused', pausedAt: 1400, dueAt: null }, events: [] });
      const paused = (await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'i' }))!;
      await store.applyTransition({ pk: paused.pk, expect: { status: 'paused', epoch: paused.epoch }, now: 2400, set: { status: 'queued', dueAt: 2400, pausedAt: null }, shiftWaitsMs: 1000, events: [] });
      assert.equal((await store.findStep(instance.pk, 'sleep:nap:1'))?.wakeAt, 6000, 'waiting steps moved by the paused time');
    });

    test('finish: final status, lease released, retention set; a parent instance gets the child event and wakes', async (t) => {
      const store = await open(t);
      await create(store, 'parent');
      const parentClaim = await claimOne(store, 1000);
      await store.suspend(parentClaim.lease, { now: 1001, dueAt: 99_000, waitingFor: ['child-x'], pausing: false });
      await create(store, 'child', 1002, { parent: { namespace: NS, workflowName: WF, instanceId: 'parent', eventType: 'child-x' } });
      const child = await claimOne(store, 1003);
      assert.equal(child.instance.id, 'child');
      await store.finish(child.lease, { now: 1004, status: 'complete', output: '{"v":1}', error: null, purgeAt: 50_000, events: [{ kind: 'workflow_completed' }] });
      const done = await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'child' });
      assert.deepEqual([done?.status, done?.output, done?.endedAt, done?.purgeAt, done?.leaseOwner, done?.dueAt], ['complete', '{"v":1}', 1004, 50_000, null, null]);
      const parent = await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'parent' });
      assert.ok(parent);
      assert.equal(parent.dueAt, 1004, 'the parent woke');
      const [event] = await store.listPendingEvents(parent.pk);
      assert.ok(event);
      assert.equal(event.type, 'child-x');
      assert.deepEqual(JSON.parse(event.payload), { workflowName: WF, instanceId: 'child', status: 'complete', output: { v: 1 }, error: null });
      await assert.rejects(store.sendEvent({ namespace: NS, workflowName: WF, instanceId: 'child' }, { type: 't', payload: '1', now: 1 }), { code: 'INVALID_TRANSITION' });
    });

    test('claim honours per-workflow concurrency, counting only live leases', async (t) => {
      const store = await open(t);
      await store.upsertWorkflow({ namespace: NS, name: WF, id: 'w', now: 1, concurrency: 2 });
      for (const id of ['a', 'b', 'c']) await create(store, id, 100);
      await create(store, 'free', 200, { workflowName: 'unlimited' });
      const claimed = await store.claim({ owner: 'w1', now: 1000, leaseMs: 1000, limit: 10, versionIds: [V1] });
      assert.deepEqual(claimed.map((c) => c.instance.id).sort(), ['a', 'b', 'free']);
      assert.deepEqual(await store.claim({ owner: 'w1', now: 1500, leaseMs: 1000, limit: 10, versionIds: [V1] }), []);
      await store.suspend(claimed[0]!.lease, { now: 1600, dueAt: 90_000, waitingFor: [], pausing: false });
      assert.deepEqual((await store.claim({ owner: 'w1', now: 1700, leaseMs: 1000, limit: 10, versionIds: [V1] })).map((c) => c.instance.id), ['c'], 'a waiting instance frees its slot');
      const recovered = await store.claim({ owner: 'w2', now: 5000, leaseMs: 1000, limit: 10, versionIds: [V1] });
      assert.equal(recovered.length, 3, 'instances whose leases lapsed are claimed again despite the limit they were counted in');
    });

    test('leases: renew extends live leases and reports lost ones; releaseOwner frees a restarted worker’s instances', async (t) => {
      const store = await open(t);
      await create(store, 'a');
      await create(store, 'b');
      const [a, b] = await store.claim({ owner: 'w1', now: 1000, leaseMs: 1000, limit: 2, versionIds: [V1] });
      const row = (await store.findInstance({ namespace: NS, workflowName: WF, instanceId: b!.instance.id }))!;
      await store.applyTransition({ pk: row.pk, expect: { status: 'running', epoch: row.epoch }, now: 1100, set: { status: 'terminated' }, revokeLease: true, events: [] });
      const lost = await store.renewLeases([a!.lease, b!.lease], 1500, 1000);
      assert.deepEqual(lost, [b!.lease]);
      assert.equal((await store.findInstance({ namespace: NS, workflowName: WF, instanceId: a!.instance.id }))?.dueAt, 2500);
      assert.equal(await store.releaseOwner('w1', 1600), 1);
      const freed = await store.findInstance({ namespace: NS, workflowName: WF, instanceId: a!.instance.id });
      assert.deepEqual([freed?.leaseOwner, freed?.dueAt], [null, 1600]);
      await assert.rejects(store.recordSteps(a!.lease, [{ row: step('do:x:1'), events: [] }], 1700), { code: 'LEASE_LOST' });
      await store.release((await claimOne(store, 1700)).lease, { now: 1800, dueAt: 1800 });
      assert.equal((await store.findInstance({ namespace: NS, workflowName: WF, instanceId: a!.instance.id }))?.leaseOwner, null);
    });

    test('releaseOwner keeps a step whose attempt never ended; the owner claims it back with that attempt', async (t) => {
      const store = await open(t);
      await create(store, 'a');
      const first = await claimOne(store, 1000, 'stable', 60_000);
      const started = step('do:slow:1', { status: 'running', endedAt: null, output: null, attempts: [{ attempt: 1, startedAt: 1100, endedAt: null, success: null, error: null }] });
      await store.recordSteps(first.lease, [{ row: started, events: [{ kind: 'step_started' }, { kind: 'attempt_started', payload: { attempt: 1 } }] }], 1350);
      // The worker process dies; a new one with the same id starts and frees its instances at once.
      assert.equal(await store.releaseOwner('stable', 2000), 1);
      const again = await claimOne(store, 2000, 'stable', 60_000);
      assert.equal(again.instance.id, 'a');
      assert.ok(again.lease.epoch > first.lease.epoch);
      const steps = await store.listSteps(again.instance.pk);
      assert.deepEqual(
        steps.map((s) => [s.key, s.status, s.attempts]),
        [['do:slow:1', 'running', [{ attempt: 1, startedAt: 1100, endedAt: null, success: null, error: null }]]],
      );
      await assert.rejects(store.recordSteps(first.lease, [{ row: { ...started, status: 'complete', endedAt: 2100, output: '1' }, events: [] }], 2100), { code: 'LEASE_LOST' });
    });

    test('due versions, code-missing marks and the next due time', async (t) => {
      const store = await open(t);
      await create(store, 'known', 100);
      await create(store, 'unknown', 50, { versionId: 'v-missing' });
      assert.deepEqual(await store.findDueVersions({ now: 1000, exclude: [V1], limit: 10 }), [{ namespace: NS, workflowName: WF, versionId: 'v-missing' }]);
      await store.markDue(['v-missing'], 1000, { code: 'WORKFLOW_CODE_MISSING', message: 'no code' });
      assert.deepEqual((await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'unknown' }))?.statusReason, { code: 'WORKFLOW_CODE_MISSING', message: 'no code' });
      assert.equal(await store.nextDueAt([V1]), 100);
      assert.equal(await store.nextDueAt(['v-missing']), 50);
      assert.equal(await store.nextDueAt(['nothing']), undefined);
    });

    test('list: filters, keyset cursor in both directions, offset pages, totals', async (t) => {
      const store = await open(t);
      for (let i = 0; i < 5; i++) await create(store, `i${i}`, 100 + i * 10);
      await create(store, 'same-time-b', 200);
      await create(store, 'same-time-a', 200);
      const base = { namespace: NS, workflowName: WF, limit: 3 } as const;
      const asc1 = await store.listInstances({ ...base, direction: 'asc' });
      assert.deepEqual(asc1.rows.map((r) => r.id), ['i0', 'i1', 'i2']);
      assert.equal(asc1.total, 7);
      const last = asc1.rows.at(-1)!;
      const asc2 = await store.listInstances({ ...base, direction: 'asc', after: { createdAt: last.createdAt, id: last.id } });
      assert.deepEqual(asc2.rows.map((r) => r.id), ['i3', 'i4', 'same-time-a']);
      const desc = await store.listInstances({ ...base, direction: 'desc', limit: 10 });
      assert.deepEqual(desc.rows.map((r) => r.id), ['same-time-b', 'same-time-a', 'i4', 'i3', 'i2', 'i1', 'i0']);
      const ranged = await store.listInstances({ ...base, direction: 'asc', createdFrom: 110, createdTo: 130 });
      assert.deepEqual(ranged.rows.map((r) => r.id), ['i1', 'i2', 'i3']);
      const offset = await store.listInstances({ ...base, direction: 'asc', offset: 6 });
      assert.deepEqual(offset.rows.map((r) => r.id), ['same-time-b']);
      await claimOne(store, 1000);
      const running = await store.listInstances({ ...base, direction: 'asc', statuses: ['running'] });
      assert.deepEqual(running.rows.map((r) => r.id), ['i0']);
      assert.equal('params' in running.rows[0]!, false, 'lists leave out params and output');
    });

    test('outbox: monotonic seq, namespace filter, durable cursors that never move back, pruning', async (t) => {
      const store = await open(t);
      await create(store, 'a', 10);
      await store.createInstances([item('b', { namespace: 'org_2' })], { now: 20 });
      await create(store, 'c', 30);
      const all = await store.readOutbox({ afterSeq: 0, limit: 10 });
      assert.equal(all.length, 3);
      assert.ok(all[0]!.seq < all[1]!.seq && all[1]!.seq < all[2]!.seq);
      assert.deepEqual((await store.readOutbox({ afterSeq: 0, limit: 10, namespace: 'org_2' })).map((e) => e.instanceId), ['b']);
      assert.deepEqual((await store.readOutbox({ afterSeq: all[0]!.seq, limit: 1 })).map((e) => e.instanceId), ['b']);
      await store.ackOutbox('sse', all[1]!.seq, 100);
      await store.ackOutbox('sse', all[0]!.seq, 101);
      assert.equal(await store.findOutboxCursor('sse'), all[1]!.seq);
      assert.equal(await store.pruneOutbox({ throughSeq: all[1]!.seq, limit: 100 }), 2);
      assert.equal(await store.pruneOutbox({ olderThan: 31, limit: 100 }), 0, 'the newest event is kept, so seq never restarts');
      assert.equal(await store.latestOutboxSeq(), all[2]!.seq);
      await create(store, 'd', 40);
      assert.equal(await store.pruneOutbox({ olderThan: 31, limit: 100 }), 1);
      await create(store, 'e', 50);
      const rest = await store.readOutbox({ afterSeq: 0, limit: 10 });
      assert.deepEqual(rest.map((e) => e.instanceId), ['d', 'e']);
      assert.ok(rest[0]!.seq > all[2]!.seq && rest[1]!.seq > rest[0]!.seq, 'seq never goes back after pruning');
    });

    test('retention: purge deletes finished instances past their time with their history', async (t) => {
      const store = await open(t);
      await create(store, 'old');
      await create(store, 'young');
      for (const purgeAt of [5000, 9000]) {
        const { lease } = await claimOne(store, 1000);
        await store.recordSteps(lease, [{ row: step('do:a:1'), events: [] }], 1001);
        await store.finish(lease, { now: 1002, status: 'errored', error: { name: 'Error', message: 'x' }, purgeAt, events: [] });
      }
      assert.equal(await store.purgeInstances(6000, 100), 1);
      assert.equal(await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'old' }), undefined);
      assert.ok(await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'young' }));
      await create(store, 'old', 7000);
    });

    test('cron: schedules with their last firing; a firing records its time with the instance', async (t) => {
      const store = await open(t);
      await store.upsertWorkflow({ namespace: NS, name: WF, id: 'w', now: 1, schedules: ['*/5 * * * *'], currentVersionId: V1 });
      assert.deepEqual(await store.listSchedules(), [{ namespace: NS, workflowName: WF, currentVersionId: V1, schedules: ['*/5 * * * *'], lastFired: {} }]);
      await store.markCron({ namespace: NS, workflowName: WF, cron: '*/5 * * * *', scheduledAt: 100 });
      await store.markCron({ namespace: NS, workflowName: WF, cron: '*/5 * * * *', scheduledAt: 200 });
      assert.deepEqual((await store.listSchedules())[0]?.lastFired, { '*/5 * * * *': 100 }, 'first sight is recorded once');
      const mark = { namespace: NS, workflowName: WF, cron: '*/5 * * * *', scheduledAt: 300_000 };
      const fire = (): Promise<unknown> =>
        store.createInstances([item('cron-1', { triggerSource: 'cron', schedule: { cron: mark.cron, scheduledTime: 300_000 } })], { now: 300_001, cron: mark });
      await fire();
      assert.deepEqual(await fire(), [{ ok: false, code: 'ALREADY_EXISTS' }], 'a second engine firing the same time creates nothing');
      assert.deepEqual((await store.listSchedules())[0]?.lastFired, { '*/5 * * * *': 300_000 });
      const row = await store.findInstance({ namespace: NS, workflowName: WF, instanceId: 'cron-1' });
      assert.deepEqual([row?.triggerSource, row?.schedule], ['cron', { cron: '*/5 * * * *', scheduledTime: 300_000 }]);
    });

    test('snapshots: export and import round-trip an instance with steps and events', async (t) => {
      const store = await open(t);
      await create(store, 'i');
      const { lease } = await claimOne(store, 1000);
      await store.recordSteps(lease, [{ row: step('do:a:1', { sensitive: true }), events: [] }], 1001);
      await store.sendEvent({ namespace: NS, workflowName: WF, instanceId: 'i' }, { type: 'e', payload: '{"x":1}', now: 1002 });
      await store.suspend(lease, { now: 1003, dueAt: 2000, waitingFor: ['e'], pausing: false });
      const snapshot = await store.exportInstance({ namespace: NS, workflowName: WF, instanceId: 'i' });
      assert.ok(snapshot);
      const target = await open(t);
      await target.importInstance(snapshot);
      assert.deepEqual(await target.exportInstance({ namespace: NS, workflowName: WF, instanceId: 'i' }), snapshot);
    });

    test('notifications: due times and new outbox events are announced after commit', async (t) => {
      const store = await open(t);
      const seen: StoreNotification[] = [];
      const unsubscribe = store.subscribe((n) => seen.push(n));
      await create(store, 'i', 700);
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(seen.some((n) => n.kind === 'due' && n.at === 700));
      // The seq is a hint: PostgreSQL numbers outbox events when they are read, so it may say 0.
      assert.ok(seen.some((n) => n.kind === 'outbox' && n.seq >= 0));
      unsubscribe();
      const count = seen.length;
      await create(store, 'j', 800);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(seen.length, count);
    });
  });
}
