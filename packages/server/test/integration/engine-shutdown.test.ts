// Graceful shutdown with the engine inside the server: a step in flight finishes within the deadline
// and is recorded; past the deadline the attempt is cut, the lease is released (the next start takes
// the instance back at once, not after the 30 s lease), and the step runs again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createServerLogger, loadServerConfig, startServer } from '@petrel/server';
import type { RunningServer } from '@petrel/server';

const SLOW = fileURLToPath(new URL('../fixtures/shutdown-workflows', import.meta.url));
const silent = createServerLogger({ level: 'silent' });

function start(dir: string, shutdownMs: number): Promise<RunningServer> {
  return startServer({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_WORKFLOWS_DIR: SLOW, PETREL_SHUTDOWN_TIMEOUT_MS: String(shutdownMs) }), logger: silent });
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('shutdown lets an in-flight step finish within the deadline; the instance continues after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-shutdown-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await start(dir, 10_000);
  const namespace = first.bootstrap!.organizationId;
  const ref = { namespace, workflow: 'SlowWorkflow', id: 's-1' };
  await first.engine!.engine.instances.create({ ...ref, params: { ms: 600 } });
  await until(async () => (await first.engine!.engine.instances.get(ref)).status === 'running', 'the instance to run');
  await first.close();
  {
    await using second = await start(dir, 10_000);
    const details = await second.engine!.engine.instances.get(ref);
    const step = details.steps.find((s) => s.name === 'slow step');
    assert.equal(step?.status, 'complete', 'the step finished before shutdown returned');
    assert.equal(step.attempts.length, 1);
    await second.engine!.engine.instances.sendEvent({ ...ref, type: 'go', payload: { ok: true } });
    const done = await second.engine!.engine.instances.waitForStatus(ref, { timeoutMs: 15_000 });
    assert.deepEqual(done.output, { first: { attempt: 1 }, go: { ok: true } });
  }
});

test('past the deadline the attempt is cut and the lease released: the next start runs it again at once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-shutdown-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await start(dir, 200);
  const namespace = first.bootstrap!.organizationId;
  const ref = { namespace, workflow: 'SlowWorkflow', id: 's-2' };
  await first.engine!.engine.instances.create({ ...ref, params: { ms: 60_000 } });
  await until(async () => (await first.engine!.engine.instances.get(ref)).steps.some((s) => s.name === 'slow step'), 'the slow attempt to be recorded as started');
  const closing = Date.now();
  await first.close();
  assert.ok(Date.now() - closing < 5000, 'shutdown did not wait for the 60 s step');
  await using second = await start(dir, 10_000);
  const started = Date.now();
  const waiting = await second.engine!.engine.instances.waitForStatus(ref, { statuses: ['waiting'], timeoutMs: 15_000 });
  assert.ok(Date.now() - started < 10_000, 'taken back well before the 30 s lease would lapse');
  const step = waiting.steps.find((s) => s.name === 'slow step');
  assert.equal(step?.status, 'complete');
  assert.equal(step.attempts.length, 2, 'the cut attempt counts as failed; the second one ran');
  assert.equal(step.attempts[0]?.success, false);
  assert.equal((step.output as { attempt: number }).attempt, 2);
});
