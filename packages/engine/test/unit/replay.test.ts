import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow, NonRetryableError, WorkflowEntrypoint } from '@petrel/engine';
import type { WorkflowStep } from '@petrel/engine';
import { startEngine } from './harness.ts';

test('finished steps are memoized: after a suspension the run replays from the top without re-running them', async (t) => {
  const calls: string[] = [];
  const flow = defineWorkflow<{ n: number }>({
    name: 'memo',
    async run(event, step) {
      const a = await step.do('double', async () => {
        calls.push('double');
        return event.payload.n * 2;
      });
      await step.sleep('nap', 50);
      const b = await step.do('add', async () => {
        calls.push('add');
        return a + 1;
      });
      return { a, b };
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'memo', id: 'i1', params: { n: 20 } });
  const done = await engine.instances.waitForStatus({ workflow: 'memo', id: 'i1' });
  assert.equal(done.status, 'complete');
  assert.deepEqual(done.output, { a: 40, b: 41 });
  assert.deepEqual(calls, ['double', 'add'], 'each step ran once although the run was replayed after the sleep');
  const events = await engine.outbox.read({ afterSeq: 0, limit: 100 });
  assert.ok(events.some((e) => e.kind === 'workflow_waiting'), 'the instance suspended during the sleep');
  assert.deepEqual(
    done.steps.map((s) => [s.type, s.displayName, s.status]),
    [
      ['do', 'double-1', 'complete'],
      ['sleep', 'nap-1', 'complete'],
      ['do', 'add-1', 'complete'],
    ],
  );
});

test('step identity is name plus occurrence count', async (t) => {
  const flow = defineWorkflow({
    name: 'counts',
    async run(_event, step) {
      const out: number[] = [];
      for (let i = 0; i < 3; i++) out.push(await step.do('item', async () => i * 10));
      await step.sleep('pause', 20);
      for (let i = 0; i < 2; i++) out.push(await step.do('item', async () => 100 + i));
      return out;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'counts', id: 'c' });
  const done = await engine.instances.waitForStatus({ workflow: 'counts', id: 'c' });
  assert.deepEqual(done.output, [0, 10, 20, 100, 101]);
  assert.deepEqual(
    done.steps.filter((s) => s.type === 'do').map((s) => s.displayName),
    ['item-1', 'item-2', 'item-3', 'item-4', 'item-5'],
  );
  const step4 = await engine.instances.getStep({ workflow: 'counts', id: 'c', name: 'item', count: 4 });
  assert.equal(step4.output, 100);
});

test('a stored error is rethrown on replay, so a try/catch takes the same branch', async (t) => {
  let attempts = 0;
  const flow = defineWorkflow({
    name: 'caught',
    async run(_event, step) {
      let branch: string;
      try {
        await step.do('charge', async () => {
          attempts++;
          throw new NonRetryableError('card declined');
        });
        branch = 'ok';
      } catch (error) {
        branch = `caught ${(error as Error).name}: ${(error as Error).message}`;
      }
      await step.sleep('wait', 30);
      const after = await step.do('after', async () => branch);
      return after;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'caught', id: 'x' });
  const done = await engine.instances.waitForStatus({ workflow: 'caught', id: 'x' });
  assert.equal(done.status, 'complete');
  assert.equal(done.output, 'caught NonRetryableError: card declined');
  assert.equal(attempts, 1);
  const charge = done.steps.find((s) => s.name === 'charge')!;
  assert.equal(charge.status, 'errored');
  assert.deepEqual(charge.error, { name: 'NonRetryableError', message: 'card declined' });
});

test('parallel steps with Promise.all run concurrently and suspend only after all settle', async (t) => {
  const spans: Record<string, { start: number; end: number }> = {};
  const work = async (name: string): Promise<string> => {
    spans[name] = { start: Date.now(), end: 0 };
    await new Promise((r) => setTimeout(r, 40));
    spans[name].end = Date.now();
    return name.toUpperCase();
  };
  const flow = defineWorkflow({
    name: 'parallel',
    async run(_event, step) {
      const [a, b, c] = await Promise.all([step.do('a', () => work('a')), step.do('b', () => work('b')), step.sleep('s', 30).then(() => 'S')]);
      const d = await step.do('d', async () => `${a}${b}${c}`);
      return d;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'parallel', id: 'p' });
  const done = await engine.instances.waitForStatus({ workflow: 'parallel', id: 'p' });
  assert.equal(done.output, 'ABS');
  assert.ok(spans.a && spans.b && spans.b.start < spans.a.end && spans.a.start < spans.b.end, 'a and b overlapped');
  const byName = Object.fromEntries(done.steps.map((s) => [s.name, s]));
  assert.equal(byName.a?.status, 'complete');
  assert.equal(byName.b?.status, 'complete');
  assert.ok(byName.a?.endedAt && byName.d && byName.a.endedAt <= byName.d.startedAt);
  const kinds = (await engine.outbox.read({ afterSeq: 0, limit: 100 })).map((e) => e.kind);
  const beforeSuspend = kinds.slice(0, kinds.indexOf('workflow_waiting'));
  assert.equal(beforeSuspend.filter((k) => k === 'step_completed').length, 2, 'a and b were both recorded before the instance suspended');
});

test('outputs are JSON round-tripped on the first run too, so replays see the same values', async (t) => {
  const seen: unknown[] = [];
  const flow = defineWorkflow({
    name: 'json',
    async run(_event, step) {
      const value = await step.do('make', async () => ({ when: new Date(0), nothing: undefined, list: [1, undefined] }));
      seen.push(value);
      await step.sleep('s', 20);
      return value;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 0 });
  await engine.instances.create({ workflow: 'json', id: 'j' });
  await engine.instances.waitForStatus({ workflow: 'json', id: 'j' });
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[0], { when: '1970-01-01T00:00:00.000Z', list: [1, null] });
  assert.deepEqual(seen[1], seen[0]);
});

test('a WorkflowEntrypoint class runs with its env, and `step` carries extensions and instance info', async (t) => {
  class Greeter extends WorkflowEntrypoint<{ greeting: string }, { who: string }> {
    async run(event: { payload: { who: string } }, step: WorkflowStep): Promise<string> {
      const twice = (step as unknown as { twice: (name: string, v: string) => Promise<string> }).twice;
      const name = await twice('twice', event.payload.who);
      return step.do('greet', async () => `${this.env.greeting}, ${name} (${step.instance.instanceId})`);
    }
  }
  const flow = defineWorkflow({ name: 'greeter', entrypoint: Greeter, env: { greeting: 'Hello' } });
  assert.equal(flow.className, 'Greeter');
  const { engine } = await startEngine(t, {
    workflows: [flow],
    stepExtensions: { twice: (step) => (name: string, v: string) => step.do(name, async () => `${v}${v}`) },
  });
  await engine.instances.create({ workflow: 'greeter', id: 'g1', params: { who: 'ab' } });
  const done = await engine.instances.waitForStatus({ workflow: 'greeter', id: 'g1' });
  assert.equal(done.output, 'Hello, abab (g1)');
  assert.deepEqual(done.steps.map((s) => s.name), ['twice', 'greet']);
});
