import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow } from '@petrel/engine';
import { startEngine } from './harness.ts';

test('sensitive output is redacted on every read surface while later steps still get it', async (t) => {
  const flow = defineWorkflow({
    name: 'secretive',
    async run(_event, step) {
      const token = await step.do('get token', { sensitive: 'output' }, async () => ({ token: 's3cr3t' }));
      return step.do('use token', async () => `used ${token.token.length} chars`);
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  const ref = { workflow: 'secretive', id: 's' };
  await engine.instances.create(ref);
  const done = await engine.instances.waitForStatus(ref);
  assert.equal(done.output, 'used 6 chars');
  assert.equal(done.steps[0]?.output, '[REDACTED]');
  assert.equal(done.steps[0]?.config?.sensitive, 'output');
  assert.equal((await engine.instances.getStep({ ...ref, name: 'get token' })).output, '[REDACTED]');
  const events = await engine.outbox.read({ afterSeq: 0, limit: 100 });
  const completed = events.filter((e) => e.kind === 'step_completed');
  assert.equal(completed[0]?.payload.output, '[REDACTED]');
  assert.ok(!JSON.stringify(events).includes('s3cr3t'));
  assert.ok(!JSON.stringify(done).includes('s3cr3t'));
});

test('bad input to create is refused with a stable code naming the problem, and writes nothing', async (t) => {
  const flow = defineWorkflow({ name: 'valid', run: async () => 1 });
  const { engine } = await startEngine(t, { workflows: [flow], slots: 0 });
  const cases: Array<[Parameters<typeof engine.instances.create>[0], string, RegExp]> = [
    [{ workflow: 'bad name!', id: 'x' }, 'INVALID_ID', /workflow name "bad name!"/],
    [{ workflow: 'valid', id: 'a'.repeat(101) }, 'INVALID_ID', /instance id is 101 characters; the limit is 100/],
    [{ workflow: 'valid', id: 'sp ace' }, 'INVALID_ID', /instance id "sp ace"/],
    [{ workflow: 'valid', params: { big: 'x'.repeat(1_048_577) } }, 'PAYLOAD_TOO_LARGE', /params is \d+ bytes of JSON; the limit is 1048576/],
    [{ workflow: 'valid', params: { fn: () => 1 } }, 'VALIDATION_FAILED', /params is not JSON-serialisable \("fn" is a function\)/],
    [{ workflow: 'unknown' }, 'WORKFLOW_NOT_FOUND', /no workflow "unknown"/],
    [{ namespace: 'other', workflow: 'valid' }, 'WORKFLOW_NOT_FOUND', /no workflow "valid"/],
    [{ workflow: 'valid', retention: { successRetention: 'forever' as never } }, 'INVALID_DURATION', /successRetention/],
  ];
  for (const [input, code, message] of cases) {
    await assert.rejects(engine.instances.create(input), (error: Error & { code?: string }) => {
      assert.equal(error.code, code, JSON.stringify(input).slice(0, 80));
      assert.match(error.message, message);
      assert.ok(error.message.startsWith('instances.create: '), error.message);
      return true;
    });
  }
  await engine.instances.create({ workflow: 'valid', id: 'once' });
  await assert.rejects(engine.instances.create({ workflow: 'valid', id: 'once' }), { code: 'ALREADY_EXISTS', message: /"once" of workflow "valid" already exists/ });
  const page = await engine.instances.list({ workflow: 'valid' });
  assert.equal(page.total, 1, 'only the one valid create wrote a row');
  await assert.rejects(engine.instances.get({ workflow: 'valid', id: 'ghost' }), { code: 'INSTANCE_NOT_FOUND', message: /no instance "ghost" of workflow "valid"/ });
});

test('a non-serialisable step output errors the instance at once, without rollbacks', async (t) => {
  const undone: string[] = [];
  const flow = defineWorkflow({
    name: 'unserialisable',
    async run(_event, step) {
      await step.do('ok', async () => 1, { rollback: () => void undone.push('ok') });
      await step.do('returns a function', async () => ({ callback: () => 1 }));
      return 'unreachable';
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'unserialisable', id: 'u' });
  const done = await engine.instances.waitForStatus({ workflow: 'unserialisable', id: 'u' });
  assert.equal(done.status, 'errored');
  assert.equal(done.error?.code, 'STEP_OUTPUT_NOT_SERIALIZABLE');
  assert.match(done.error?.message ?? '', /the output of step "returns a function" is not JSON-serialisable \("callback" is a function\)/);
  assert.deepEqual(undone, []);
  assert.equal(done.rollback, null);
});

test('an output over 1 MiB fails the step without retries; the error can be caught', async (t) => {
  let attempts = 0;
  const flow = defineWorkflow({
    name: 'too-big',
    async run(_event, step) {
      try {
        await step.do('huge', async () => {
          attempts++;
          return 'x'.repeat(1024 * 1024 + 1);
        });
        return 'no';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'too-big', id: 'b' });
  const done = await engine.instances.waitForStatus({ workflow: 'too-big', id: 'b' });
  assert.equal(done.output, 'STEP_OUTPUT_TOO_LARGE');
  assert.equal(attempts, 1);
});

test('the step limit of a workflow stops an instance with STEP_LIMIT_EXCEEDED; an invalid step config is fatal', async (t) => {
  const loop = defineWorkflow({
    name: 'loop',
    limits: { steps: 3 },
    async run(_event, step) {
      for (let i = 0; ; i++) await step.do(`s${i}`, async () => i);
    },
  });
  const badConfig = defineWorkflow({
    name: 'bad-config',
    async run(_event, step) {
      return step.do('x', { retries: { limit: 1 }, retry: true } as never, async () => 1);
    },
  });
  const { engine } = await startEngine(t, { workflows: [loop, badConfig] });
  await engine.instances.create({ workflow: 'loop', id: 'l' });
  await engine.instances.create({ workflow: 'bad-config', id: 'b' });
  const l = await engine.instances.waitForStatus({ workflow: 'loop', id: 'l' });
  assert.equal(l.status, 'errored');
  assert.equal(l.error?.code, 'STEP_LIMIT_EXCEEDED');
  assert.equal(l.steps.length, 3);
  const b = await engine.instances.waitForStatus({ workflow: 'bad-config', id: 'b' });
  assert.equal(b.status, 'errored');
  assert.equal(b.error?.code, 'INVALID_STEP_CONFIG');
  assert.match(b.error?.message ?? '', /config of step "x" is invalid: unknown key "retry"/);
});

test('bulk create returns per-item results in input order', async (t) => {
  const flow = defineWorkflow({ name: 'bulk', run: async (event) => event.payload });
  const { engine } = await startEngine(t, { workflows: [flow], slots: 0 });
  await engine.instances.create({ workflow: 'bulk', id: 'taken' });
  const results = await engine.instances.createBatch({
    workflow: 'bulk',
    items: [{ id: 'a', params: 1 }, { id: 'taken' }, { id: 'bad id' }, { params: 4 }, { id: 'a' }],
  });
  assert.deepEqual(
    results.map((r) => (r.ok ? ['ok', r.instance.status] : ['error', r.error.code])),
    [
      ['ok', 'queued'],
      ['error', 'ALREADY_EXISTS'],
      ['error', 'INVALID_ID'],
      ['ok', 'queued'],
      ['error', 'ALREADY_EXISTS'],
    ],
  );
  await assert.rejects(engine.instances.createBatch({ workflow: 'bulk', items: Array.from({ length: 101 }, () => ({})) }), { code: 'VALIDATION_FAILED', message: /at most 100/ });
  assert.equal((await engine.instances.list({ workflow: 'bulk' })).total, 3);
});

test('list filters by status and date, pages by cursor and by page', async (t) => {
  const flow = defineWorkflow({ name: 'listed', run: async () => 1 });
  const { engine } = await startEngine(t, { workflows: [flow], slots: 0 });
  for (let i = 0; i < 7; i++) await engine.instances.create({ workflow: 'listed', id: `i${i}` });
  await engine.instances.pause({ workflow: 'listed', id: 'i3' });
  const paused = await engine.instances.list({ workflow: 'listed', status: 'paused' });
  assert.deepEqual(paused.instances.map((i) => i.id), ['i3']);
  const seen: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await engine.instances.list({ workflow: 'listed', perPage: 3, direction: 'asc', ...(cursor ? { cursor } : {}) });
    seen.push(...page.instances.map((i) => i.id));
    assert.equal(page.total, 7);
    if (!page.cursor) break;
    cursor = page.cursor;
  }
  assert.deepEqual(seen, ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6']);
  const page3 = await engine.instances.list({ workflow: 'listed', perPage: 3, page: 3, direction: 'desc' });
  assert.deepEqual(page3.instances.map((i) => i.id), ['i0']);
  const empty = await engine.instances.list({ workflow: 'listed', perPage: 3, page: 4 });
  assert.deepEqual(empty.instances, []);
  const future = await engine.instances.list({ workflow: 'listed', dateStart: Date.now() + 60_000 });
  assert.equal(future.total, 0);
  await assert.rejects(engine.instances.list({ workflow: 'listed', status: 'sleeping' as never }), { code: 'VALIDATION_FAILED', message: /"sleeping"/ });
  await assert.rejects(engine.instances.list({ workflow: 'listed', cursor: 'garbage' }), { code: 'VALIDATION_FAILED' });
});

test('namespaces isolate workflows and instances', async (t) => {
  const flow = defineWorkflow({ name: 'shared-name', run: async (event) => event.namespace });
  const { engine } = await startEngine(t, {});
  await engine.register(flow, { namespace: 'org_a' });
  await engine.register(flow, { namespace: 'org_b' });
  await engine.instances.create({ namespace: 'org_a', workflow: 'shared-name', id: 'same' });
  await engine.instances.create({ namespace: 'org_b', workflow: 'shared-name', id: 'same' });
  const a = await engine.instances.waitForStatus({ namespace: 'org_a', workflow: 'shared-name', id: 'same' });
  const b = await engine.instances.waitForStatus({ namespace: 'org_b', workflow: 'shared-name', id: 'same' });
  assert.equal(a.output, 'org_a');
  assert.equal(b.output, 'org_b');
  await engine.instances.terminate({ namespace: 'org_a', workflow: 'shared-name', id: 'same' }).catch(() => {});
  await assert.rejects(engine.instances.get({ namespace: 'org_c', workflow: 'shared-name', id: 'same' }), { code: 'INSTANCE_NOT_FOUND' });
  assert.equal((await engine.workflows.list({ namespace: 'org_a' })).total, 1);
  assert.equal((await engine.outbox.read({ afterSeq: 0, namespace: 'org_b', limit: 1000 })).every((e) => e.namespace === 'org_b'), true);
});
