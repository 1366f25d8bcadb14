// The engine host's hooks for code built at run time (what the runs routes plug in): `register` in an
// organization, and `addResolver` for versions registered by another process; both are timed for
// `/metrics`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import { createTestApp, startTestEngineHost } from '../helpers/test-app.ts';

const dynamic = (greeting: string) =>
  defineWorkflow<{ name: string }>({
    name: 'dynamic',
    versionKey: `greeting:${greeting}`,
    async run(event, step) {
      return step.do('say', async () => `${greeting}, ${event.payload.name}`);
    },
  });

test('register and addResolver: code built at run time runs in the organization and is timed', async () => {
  await using t = await createTestApp({ engine: { slots: 2 } });
  const host = t.host!;
  const namespace = t.organizationId;

  const version = await host.register(dynamic('hello'), { namespace });
  await host.engine.instances.create({ namespace, workflow: 'dynamic', id: 'd-1', params: { name: 'ada' } });
  assert.equal((await host.engine.instances.waitForStatus({ namespace, workflow: 'dynamic', id: 'd-1' }, { timeoutMs: 15_000 })).output, 'hello, ada');
  assert.equal((await host.engine.workflows.getVersion({ namespace, workflow: 'dynamic', versionId: version.id })).className, 'Workflow');

  // Another process (API only) registers a new version; this worker has no code for it until a resolver gives it.
  await using api = await startTestEngineHost(t.database, t.deps, { slots: 0 });
  const other = await api.register(dynamic('bonjour'), { namespace });
  const asked: string[] = [];
  const remove = host.addResolver(async (ref) => {
    asked.push(ref.versionId);
    return ref.versionId === other.id ? dynamic('bonjour') : undefined;
  });
  await api.engine.instances.create({ namespace, workflow: 'dynamic', id: 'd-2', params: { name: 'grace' } });
  const done = await host.engine.instances.waitForStatus({ namespace, workflow: 'dynamic', id: 'd-2' }, { timeoutMs: 15_000 });
  assert.equal(done.output, 'bonjour, grace');
  assert.equal(done.versionId, other.id);
  assert.ok(asked.includes(other.id), 'the resolver was asked for the version');
  remove();

  const text = await (await t.call('/metrics', { key: null })).text();
  const count = /petrel_step_duration_seconds_count\{step_type="do"\} (\d+)/.exec(text);
  assert.equal(Number(count?.[1]), 2, 'both steps were timed');
});
