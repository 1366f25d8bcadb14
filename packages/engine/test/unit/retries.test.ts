import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineWorkflow, NonRetryableError } from '@petrel/engine';
import { startEngine } from './harness.ts';

test('a failing step is retried up to its limit; every attempt is recorded with its error and delay', async (t) => {
  const flow = defineWorkflow({
    name: 'flaky',
    async run(_event, step) {
      return step.do('call api', { retries: { limit: 3, delay: 4, backoff: 'exponential' } }, async (ctx) => {
        if (ctx.attempt < 4) throw new Error(`503 on attempt ${ctx.attempt}`);
        return `ok after ${ctx.attempt}`;
      });
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'flaky', id: 'f' });
  const done = await engine.instances.waitForStatus({ workflow: 'flaky', id: 'f' });
  assert.equal(done.output, 'ok after 4');
  const [step] = done.steps;
  assert.equal(step?.attempts.length, 4);
  assert.deepEqual(
    step?.attempts.map((a) => [a.attempt, a.success, a.error?.message ?? null, a.retryDelayMs ?? null]),
    [
      [1, false, '503 on attempt 1', 4],
      [2, false, '503 on attempt 2', 8],
      [3, false, '503 on attempt 3', 16],
      [4, true, null, null],
    ],
  );
  const attempts = step?.attempts ?? [];
  for (let i = 1; i < 4; i++) {
    const previous = attempts[i - 1];
    const current = attempts[i];
    assert.ok(previous?.endedAt && current && current.startedAt.getTime() >= previous.endedAt.getTime() + (previous.retryDelayMs ?? 0));
  }
});

test('retries exhausted: the stored error is thrown into run(); uncaught it errors the instance', async (t) => {
  let attempts = 0;
  const flow = defineWorkflow({
    name: 'exhaust',
    async run(_event, step) {
      await step.do('always fails', { retries: { limit: 2, delay: 1, backoff: 'constant' } }, async () => {
        attempts++;
        throw new TypeError('nope');
      });
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'exhaust', id: 'e' });
  const done = await engine.instances.waitForStatus({ workflow: 'exhaust', id: 'e' });
  assert.equal(done.status, 'errored');
  assert.deepEqual(done.error, { name: 'TypeError', message: 'nope' });
  assert.equal(attempts, 3, 'limit 2 = 3 attempts');
  assert.equal(done.steps[0]?.status, 'errored');
});

test('NonRetryableError stops at once, detected by class or by name', async (t) => {
  const counts = { cls: 0, named: 0 };
  const flow = defineWorkflow({
    name: 'nonretry',
    async run(_event, step) {
      const results: string[] = [];
      for (const kind of ['cls', 'named'] as const) {
        try {
          await step.do(kind, async () => {
            counts[kind]++;
            if (kind === 'cls') throw new NonRetryableError('bad input');
            const error = new Error('from another realm');
            error.name = 'NonRetryableError';
            throw error;
          });
        } catch (error) {
          results.push(`${(error as Error).name}:${(error as Error).message}`);
        }
      }
      return results;
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'nonretry', id: 'n' });
  const done = await engine.instances.waitForStatus({ workflow: 'nonretry', id: 'n' });
  assert.deepEqual(done.output, ['NonRetryableError:bad input', 'NonRetryableError:from another realm']);
  assert.deepEqual(counts, { cls: 1, named: 1 });
});

test('a timeout fails the attempt with STEP_TIMEOUT and aborts its signal; the next attempt runs', async (t) => {
  const aborted: unknown[] = [];
  const flow = defineWorkflow({
    name: 'slow',
    async run(_event, step) {
      return step.do('slow', { timeout: 40, retries: { limit: 1, delay: 1, backoff: 'constant' } }, async (ctx) => {
        if (ctx.attempt === 2) return 'second attempt was quick';
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.push(ctx.signal.reason);
            resolve();
          });
        });
        return 'too late';
      });
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], startedMarkerMs: 10 });
  await engine.instances.create({ workflow: 'slow', id: 's' });
  const done = await engine.instances.waitForStatus({ workflow: 'slow', id: 's' });
  assert.equal(done.output, 'second attempt was quick');
  assert.equal(aborted.length, 1);
  assert.equal((aborted[0] as { code?: string }).code, 'STEP_TIMEOUT');
  assert.equal(done.steps[0]?.attempts[0]?.error?.code, 'STEP_TIMEOUT');
  assert.match(done.steps[0]?.attempts[0]?.error?.message ?? '', /timed out after 40 ms/);
  const kinds = (await engine.outbox.read({ afterSeq: 0, limit: 100 })).map((e) => e.kind);
  assert.ok(kinds.includes('attempt_started'), 'an attempt that outlived startedMarkerMs left a started record');
});

test('a retry delay longer than inlineWaitMs suspends the instance (status waiting) and it resumes when due', async (t) => {
  const flow = defineWorkflow({
    name: 'backoff',
    async run(_event, step) {
      return step.do('x', { retries: { limit: 1, delay: 120, backoff: 'constant' } }, async (ctx) => {
        if (ctx.attempt === 1) throw new Error('first fails');
        return ctx.attempt;
      });
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow], inlineWaitMs: 50 });
  await engine.instances.create({ workflow: 'backoff', id: 'b' });
  const waiting = await engine.instances.waitForStatus({ workflow: 'backoff', id: 'b' }, { statuses: ['waiting', 'complete'] });
  assert.equal(waiting.status, 'waiting');
  assert.equal(waiting.steps[0]?.status, 'waiting');
  const done = await engine.instances.waitForStatus({ workflow: 'backoff', id: 'b' });
  assert.equal(done.output, 2);
});

test('a delay function computes each retry delay from the error', async (t) => {
  const flow = defineWorkflow({
    name: 'dynamic',
    async run(_event, step) {
      return step.do(
        'rate limited',
        { retries: { limit: 2, delay: ({ error }) => Number(error.message.split(' ')[1]) } },
        async (ctx) => {
          if (ctx.attempt === 1) throw new Error('retry-after 7');
          if (ctx.attempt === 2) throw new Error('retry-after 3');
          return 'done';
        },
      );
    },
  });
  const { engine } = await startEngine(t, { workflows: [flow] });
  await engine.instances.create({ workflow: 'dynamic', id: 'd' });
  const done = await engine.instances.waitForStatus({ workflow: 'dynamic', id: 'd' });
  assert.equal(done.output, 'done');
  assert.deepEqual(done.steps[0]?.attempts.map((a) => a.retryDelayMs ?? null), [7, 3, null]);
  assert.equal(done.steps[0]?.config?.retries.delay, '[dynamic]');
});
