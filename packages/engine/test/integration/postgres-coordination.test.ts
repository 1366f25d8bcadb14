// What the PostgreSQL adapter adds over the contract: several stores (as several processes would)
// sharing one schema. Concurrent openers migrate once; concurrent claims never lease an instance
// twice and respect a workflow's concurrency limit across stores; LISTEN/NOTIFY carries due work
// from one store to another; an outbox event that commits late is not skipped by a cursor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { Client } from 'pg';
import { createPostgresStore } from '@petrel/engine';
import type { NewInstance, Store, StoreNotification } from '@petrel/engine';
import { POSTGRES_URL, dropSchemas, freshSchema, postgresSkipReason } from '@petrel/testing';

const skip = await postgresSkipReason();
const V1 = 'version-1';

function item(id: string, workflowName = 'flow'): NewInstance {
  return { namespace: 'default', workflowName, id, versionId: V1, params: '{}', triggerSource: 'api' };
}

/** `count` stores over one fresh schema, opened at the same time; closed and dropped after the test. */
async function openStores(t: TestContext, count: number): Promise<{ stores: Store[]; schema: string }> {
  const schema = freshSchema('engine_coord');
  t.after(() => dropSchemas([schema]));
  const stores = await Promise.all(Array.from({ length: count }, () => createPostgresStore({ url: POSTGRES_URL, schema, poolSize: 3 })));
  t.after(() => Promise.all(stores.map((s) => s.close())));
  return { stores, schema };
}

test('stores opened at once migrate once; concurrent claims lease every instance exactly once', { skip }, async (t) => {
  const { stores, schema } = await openStores(t, 4);
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  t.after(() => client.end());
  const migrations = await client.query(`SELECT count(*)::int AS n FROM "${schema}".engine_migrations`);
  assert.equal(migrations.rows[0].n, 1);

  const ids = Array.from({ length: 120 }, (_, i) => `i${i}`);
  await stores[0]!.createInstances(ids.map((id) => item(id)), { now: 1000 });
  const owners = new Map<string, string>();
  await Promise.all(
    stores.map(async (store, n) => {
      for (;;) {
        const claimed = await store.claim({ owner: `w${n}`, now: 2000, leaseMs: 60_000, limit: 7, versionIds: [V1] });
        if (claimed.length === 0) return;
        for (const c of claimed) {
          assert.equal(owners.has(c.instance.id), false, `${c.instance.id} claimed twice`);
          owners.set(c.instance.id, `w${n}`);
        }
      }
    }),
  );
  assert.equal(owners.size, ids.length);
  assert.ok(new Set(owners.values()).size >= 2, 'work spread over more than one store');
  const started = (await stores[1]!.readOutbox({ afterSeq: 0, limit: 1000 })).filter((e) => e.kind === 'workflow_started');
  assert.equal(started.length, ids.length, 'one workflow_started per instance');
});

test('a concurrency limit holds across stores claiming at once', { skip }, async (t) => {
  const { stores } = await openStores(t, 4);
  await stores[0]!.upsertWorkflow({ namespace: 'default', name: 'limited', id: 'w-limited', now: 1, concurrency: 3 });
  await stores[0]!.createInstances(
    Array.from({ length: 20 }, (_, i) => item(`l${i}`, 'limited')),
    { now: 1000 },
  );
  const results = await Promise.all(stores.map((store, n) => store.claim({ owner: `w${n}`, now: 2000, leaseMs: 60_000, limit: 5, versionIds: [V1] })));
  assert.equal(results.flat().length, 3, 'exactly the limit, however the claims interleave');
  assert.deepEqual(await stores[2]!.claim({ owner: 'late', now: 2500, leaseMs: 60_000, limit: 5, versionIds: [V1] }), []);
});

test('due work reaches the other stores through LISTEN/NOTIFY; outbox activity too', { skip }, async (t) => {
  const { stores } = await openStores(t, 2);
  const [writer, reader] = stores as [Store, Store];
  const seen: StoreNotification[] = [];
  reader.subscribe((n) => seen.push(n));
  // The LISTEN connection comes up in the background.
  const deadline = Date.now() + 10_000;
  for (let n = 0; !seen.some((x) => x.kind === 'due' && x.at === 4242); n++) {
    if (Date.now() > deadline) throw new Error(`no notification arrived; saw ${JSON.stringify(seen)}`);
    await writer.createInstances([item(`n${n}`)], { now: 4242 });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(seen.some((x) => x.kind === 'outbox'));
  const own: StoreNotification[] = [];
  writer.subscribe((n) => own.push(n));
  await new Promise((resolve) => setTimeout(resolve, 300));
  own.length = 0;
  await writer.createInstances([item('self')], { now: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(own.filter((x) => x.kind === 'due').length, 1, 'a store does not hear its own notification twice');
});

test('an outbox event that commits after a later one is not skipped by a cursor', { skip }, async (t) => {
  const { stores, schema } = await openStores(t, 1);
  const store = stores[0]!;
  await store.createInstances([item('first')], { now: 1 });
  const cursor = (await store.readOutbox({ afterSeq: 0, limit: 10 })).at(-1)!.seq;
  // A slow writer: its transaction inserts an event and stays open.
  const slow = new Client({ connectionString: POSTGRES_URL });
  await slow.connect();
  t.after(() => slow.end());
  await slow.query('BEGIN');
  await slow.query(`INSERT INTO "${schema}".engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at) VALUES ('default', 'flow', 'slow', 'event_received', '{}', 2)`);
  // A fast writer commits later events; a consumer reads them and moves its cursor on.
  await store.createInstances([item('fast')], { now: 3 });
  const fast = await store.readOutbox({ afterSeq: cursor, limit: 10 });
  assert.deepEqual(fast.map((e) => e.instanceId), ['fast']);
  await slow.query('COMMIT');
  const late = await store.readOutbox({ afterSeq: fast.at(-1)!.seq, limit: 10 });
  assert.deepEqual(late.map((e) => e.instanceId), ['slow'], 'the late event comes after the cursor, not behind it');
  assert.ok(late[0]!.seq > fast.at(-1)!.seq);
});
