// Crash safety across processes: a worker process is SIGKILLed in the middle of a step; another
// worker replays the instance from its last stored step once the lease lapses (or at once when it
// restarts with the same stable worker id), and the interrupted attempt is recorded as failed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createEngine, createSqliteStore } from '@petrel/engine';
import { slowFlow } from './fixtures/slow-flow.ts';

const here = dirname(new URL(import.meta.url).pathname);

async function killMidStep(t: TestContext, args: string[]): Promise<{ dataDir: string; killedAt: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'petrel-lease-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const store = await createSqliteStore({ dataDir });
  const api = await createEngine({ store, slots: 0, workflows: [slowFlow(join(dataDir, 'executions.log'))] });
  await api.instances.create({ workflow: 'slow-flow', id: 'victim' });
  const child = spawn(process.execPath, [join(here, 'fixtures', 'slow-worker.ts'), '--data-dir', dataDir, ...args], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  // Wait until the slow step's attempt is recorded as started, then kill the worker mid-step.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = await api.outbox.read({ afterSeq: 0, limit: 100 });
    if (events.some((e) => e.kind === 'attempt_started')) break;
    if (Date.now() > deadline) throw new Error('the worker never started the slow step');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  const killedAt = Date.now();
  await api.close();
  await store.close();
  return { dataDir, killedAt };
}

test('a lapsed lease lets another worker replay the instance from its last stored step', async (t) => {
  const { dataDir, killedAt } = await killMidStep(t, ['--lease-ms', '800']);
  const store = await createSqliteStore({ dataDir });
  t.after(() => store.close());
  const engine = await createEngine({ store, workflows: [slowFlow(join(dataDir, 'executions.log'))], pollIntervalMs: 50, leaseMs: 800 });
  t.after(() => engine.close());
  const done = await engine.instances.waitForStatus({ workflow: 'slow-flow', id: 'victim' }, { timeoutMs: 20_000 });
  assert.equal(done.status, 'complete');
  assert.equal(done.output, 3);
  assert.ok(done.endedAt && done.endedAt.getTime() - killedAt >= 0);
  const slow = done.steps.find((s) => s.name === 'slow');
  assert.deepEqual(
    slow?.attempts.map((a) => [a.attempt, a.success, a.error?.code ?? null]),
    [
      [1, false, 'ATTEMPT_INTERRUPTED'],
      [2, true, null],
    ],
  );
  const log = readFileSync(join(dataDir, 'executions.log'), 'utf8').trim().split('\n');
  assert.deepEqual(log, ['quick victim', 'slow victim attempt 1', 'slow victim attempt 2'], 'the recorded quick step did not run again');
});

test('a worker restarted with the same stable id takes its instances back without waiting for the lease', async (t) => {
  const { dataDir, killedAt } = await killMidStep(t, ['--lease-ms', '60000', '--worker-id', 'stable-worker']);
  const store = await createSqliteStore({ dataDir });
  t.after(() => store.close());
  const engine = await createEngine({ store, workflows: [slowFlow(join(dataDir, 'executions.log'))], workerId: 'stable-worker', pollIntervalMs: 50 });
  t.after(() => engine.close());
  const done = await engine.instances.waitForStatus({ workflow: 'slow-flow', id: 'victim' }, { timeoutMs: 20_000 });
  assert.equal(done.status, 'complete');
  assert.ok(Date.now() - killedAt < 30_000, 'finished long before the 60 s lease would have lapsed');
  assert.ok(existsSync(join(dataDir, 'petrel.db')));
});
