// Crash safety across processes, on SQLite and PostgreSQL: a worker process is SIGKILLed in the middle
// of a step whose start was recorded; another worker replays the instance from its last stored step
// once the lease lapses (or at once when it restarts with the same stable worker id), the interrupted
// attempt is recorded as failed (ATTEMPT_INTERRUPTED) and counts against the step's retries.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createEngine, createPostgresStore, createSqliteStore } from '@petrel/engine';
import type { Store } from '@petrel/engine';
import { slowFlow } from './fixtures/slow-flow.ts';
import { POSTGRES_URL, dropSchemas, freshSchema, postgresSkipReason } from '@petrel/testing';

const here = dirname(new URL(import.meta.url).pathname);
const postgresSkip = await postgresSkipReason();

type Target = { kind: 'sqlite' | 'postgres'; dataDir: string; schema?: string };

function openStore(target: Target): Promise<Store> {
  return target.schema ? createPostgresStore({ url: POSTGRES_URL, schema: target.schema, poolSize: 2 }) : createSqliteStore({ dataDir: target.dataDir });
}

function attemptsOf(details: { steps: Array<{ name: string; attempts: Array<{ attempt: number; success: boolean | null; error: { code?: string } | null }> }> }): unknown {
  return details.steps.find((s) => s.name === 'slow')?.attempts.map((a) => [a.attempt, a.success, a.error?.code ?? null]);
}

function executions(target: Target): string[] {
  return readFileSync(join(target.dataDir, 'executions.log'), 'utf8').trim().split('\n');
}

/** Starts a worker process, waits until the slow step's running attempt is stored, and SIGKILLs it. */
async function killMidStep(t: TestContext, kind: Target['kind'], args: { leaseMs: number; workerId?: string; retries?: number }): Promise<{ target: Target; killedAt: number }> {
  const target: Target = { kind, dataDir: mkdtempSync(join(tmpdir(), 'petrel-lease-')) };
  if (kind === 'postgres') target.schema = freshSchema('engine_lease');
  t.after(async () => {
    rmSync(target.dataDir, { recursive: true, force: true });
    if (target.schema) await dropSchemas([target.schema]);
  });
  const log = join(target.dataDir, 'executions.log');
  const store = await openStore(target);
  const api = await createEngine({ store, slots: 0, workflows: [slowFlow(log, args.retries)] });
  await api.instances.create({ workflow: 'slow-flow', id: 'victim' });
  const child = spawn(
    process.execPath,
    [
      join(here, 'fixtures', 'slow-worker.ts'),
      '--data-dir', target.dataDir,
      '--lease-ms', String(args.leaseMs),
      // The default marker delay: the attempt is recorded as started once it has run for 250 ms.
      '--marker-ms', '250',
      ...(args.workerId ? ['--worker-id', args.workerId] : []),
      ...(args.retries === undefined ? [] : ['--retries', String(args.retries)]),
      ...(target.schema ? ['--postgres-url', POSTGRES_URL, '--schema', target.schema] : []),
    ],
    { stdio: 'ignore' },
  );
  t.after(() => child.kill('SIGKILL'));
  // Kill only once the store holds the slow step with an attempt that has not ended (the "started" marker).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const details = await api.instances.get({ workflow: 'slow-flow', id: 'victim' }, { steps: true });
    const slow = details.steps.find((s) => s.name === 'slow');
    if (slow?.status === 'running' && slow.attempts.some((a) => a.endedAt === null)) break;
    if (Date.now() > deadline) throw new Error('the worker never recorded the slow step as started');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const killedAt = Date.now();
  await api.close();
  await store.close();
  return { target, killedAt };
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`lease recovery after SIGKILL (${kind})`, kind === 'postgres' && postgresSkip !== undefined ? { skip: postgresSkip } : {}, () => {
    test('a lapsed lease lets another worker replay the instance from its last stored step', async (t) => {
      const { target, killedAt } = await killMidStep(t, kind, { leaseMs: 800 });
      const store = await openStore(target);
      t.after(() => store.close());
      const engine = await createEngine({ store, workflows: [slowFlow(join(target.dataDir, 'executions.log'))], pollIntervalMs: 50, leaseMs: 800 });
      t.after(() => engine.close());
      const done = await engine.instances.waitForStatus({ workflow: 'slow-flow', id: 'victim' }, { timeoutMs: 20_000 });
      assert.equal(done.status, 'complete');
      assert.equal(done.output, 3);
      assert.ok(done.endedAt && done.endedAt.getTime() - killedAt >= 0);
      assert.deepEqual(attemptsOf(done), [
        [1, false, 'ATTEMPT_INTERRUPTED'],
        [2, true, null],
      ]);
      assert.deepEqual(executions(target), ['quick victim', 'slow victim attempt 1', 'slow victim attempt 2'], 'the recorded quick step did not run again');
    });

    test('a worker restarted with the same stable id takes its instances back at once and records the interrupted attempt', async (t) => {
      const { target, killedAt } = await killMidStep(t, kind, { leaseMs: 60_000, workerId: 'stable-worker' });
      const store = await openStore(target);
      t.after(() => store.close());
      const engine = await createEngine({ store, workflows: [slowFlow(join(target.dataDir, 'executions.log'))], workerId: 'stable-worker', pollIntervalMs: 50 });
      t.after(() => engine.close());
      const done = await engine.instances.waitForStatus({ workflow: 'slow-flow', id: 'victim' }, { timeoutMs: 20_000 });
      assert.equal(done.status, 'complete');
      assert.ok(Date.now() - killedAt < 30_000, 'finished long before the 60 s lease would have lapsed');
      assert.deepEqual(attemptsOf(done), [
        [1, false, 'ATTEMPT_INTERRUPTED'],
        [2, true, null],
      ]);
      assert.deepEqual(executions(target), ['quick victim', 'slow victim attempt 1', 'slow victim attempt 2']);
      // The outbox tells the same story: attempt 1 started in the killed process, failed as interrupted, attempt 2 completed.
      const events = (await engine.outbox.read({ afterSeq: 0, limit: 100 })).filter((e) => (e.payload as { step?: { name?: string } }).step?.name === 'slow');
      assert.deepEqual(
        events.map((e) => [e.kind, (e.payload as { attempt?: number }).attempt ?? null, (e.payload as { error?: { code?: string } }).error?.code ?? null]),
        [
          ['step_started', null, null],
          ['attempt_started', 1, null],
          ['attempt_errored', 1, 'ATTEMPT_INTERRUPTED'],
          ['step_completed', 2, null],
        ],
      );
    });

    test('the interrupted attempt counts against the retries: with none left the step fails without running again', async (t) => {
      const { target } = await killMidStep(t, kind, { leaseMs: 60_000, workerId: 'stable-worker', retries: 0 });
      const store = await openStore(target);
      t.after(() => store.close());
      const engine = await createEngine({ store, workflows: [slowFlow(join(target.dataDir, 'executions.log'), 0)], workerId: 'stable-worker', pollIntervalMs: 50 });
      t.after(() => engine.close());
      const done = await engine.instances.waitForStatus({ workflow: 'slow-flow', id: 'victim' }, { timeoutMs: 20_000 });
      assert.equal(done.status, 'errored');
      assert.equal(done.error?.code, 'ATTEMPT_INTERRUPTED');
      assert.deepEqual(attemptsOf(done), [[1, false, 'ATTEMPT_INTERRUPTED']]);
      assert.deepEqual(executions(target), ['quick victim', 'slow victim attempt 1']);
    });
  });
}
