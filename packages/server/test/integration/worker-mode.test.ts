// `startServer` without the code and `startWorker` with it, sharing one database (the SQLite file of
// one data directory, or a PostgreSQL schema), as `npm run serve` and `npm run worker -- --workflows
// DIR` do: the PUT of a class nobody has is reported, its instance waits with the reason, and runs
// once the worker starts; the worker serves health and metrics; a stopped worker no longer counts as
// having the class.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createServerLogger, loadServerConfig, startServer, startWorker } from '@petrel/server';
import { createTestSchema } from '@petrel/testing';
import { LATE_WORKFLOWS } from '../helpers/test-app.ts';

type Envelope<T> = { success: boolean; result: T; messages: Array<{ code: number; message: string }>; errors: Array<{ code: number }> };

/** The environment of one database: SQLite in the data directory, or a fresh PostgreSQL schema (dropped after). */
const DATABASES: Array<{ name: string; env(t: TestContext, dir: string): Promise<Record<string, string> | string> }> = [
  { name: 'SQLite', env: () => Promise.resolve({}) },
  {
    name: 'PostgreSQL',
    async env(t) {
      const pg = await createTestSchema('worker');
      if (typeof pg === 'string') return pg;
      t.after(() => pg.drop());
      return { PETREL_DATABASE_URL: pg.url };
    },
  },
];

for (const database of DATABASES) test(`a worker process runs the instances of a class the server does not have (${database.name})`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-worker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = await database.env(t, dir);
  if (typeof env === 'string') return t.skip(env);
  const silent = createServerLogger({ level: 'silent' });
  await using server = await startServer({ config: loadServerConfig({ ...env, PETREL_DATA_DIR: dir, PETREL_PORT: '0' }), logger: silent });
  const key = server.bootstrap!.apiKey.api_key;
  const base = `${server.url}/client/v4/accounts/${server.bootstrap!.organizationId}/workflows`;
  const call = async <T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<Envelope<T>> => {
    const response = await fetch(`${base}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${key}`, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });
    return (await response.json()) as Envelope<T>;
  };

  const put = await call<{ version_id: string }>('/doubler', { method: 'PUT', json: { class_name: 'LateWorkflow', script_name: 'late' } });
  assert.equal(put.success, true);
  assert.equal(put.messages[0]?.code, 10200, 'nobody has the class yet');
  await call('/doubler/instances', { method: 'POST', json: { instance_id: 'd-1', params: { n: 5 } } });
  const deadline = Date.now() + 20_000;
  let waiting = await call<{ status: string; status_reason: { code: string } | null }>('/doubler/instances/d-1');
  while (waiting.result.status_reason === null && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    waiting = await call('/doubler/instances/d-1');
  }
  assert.equal(waiting.result.status, 'queued');
  assert.equal(waiting.result.status_reason?.code, 'WORKFLOW_CODE_MISSING');

  {
    await using worker = await startWorker({
      config: loadServerConfig({ ...env, PETREL_DATA_DIR: dir, PETREL_WORKFLOWS_DIR: LATE_WORKFLOWS, PETREL_METRICS_PORT: '0', PETREL_WORKER_SLOTS: '2' }),
      logger: silent,
      engine: { syncIntervalMs: 100, pollIntervalMs: 50 },
    });
    assert.deepEqual(worker.engine.workflows.units.map((u) => u.className), ['LateWorkflow']);
    let done = await call<{ status: string; output: unknown }>('/doubler/instances/d-1');
    while (done.result.status !== 'complete' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = await call('/doubler/instances/d-1');
    }
    assert.equal(done.result.status, 'complete');
    assert.deepEqual(done.result.output, { doubled: 10 });
    const workflow = await call<{ class_loaded: boolean }>('/doubler');
    assert.equal(workflow.result.class_loaded, true);
    assert.deepEqual(workflow.messages, []);

    assert.ok(worker.metricsUrl);
    assert.equal((await fetch(`${worker.metricsUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${worker.metricsUrl}/readyz`)).status, 200);
    const metrics = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    assert.match(metrics, /petrel_step_duration_seconds_count\{step_type="do"\} [1-9]/, 'the worker timed the step it ran');
    assert.equal((await fetch(`${worker.metricsUrl}/v1/credentials`)).status, 404, 'a worker serves no API');
  }
  const after = await call<{ class_loaded: boolean }>('/doubler');
  assert.equal(after.result.class_loaded, false, 'a stopped worker withdraws its classes');
});

test('a worker needs at least one slot and a loadable workflows directory', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-worker-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const silent = createServerLogger({ level: 'silent' });
  await assert.rejects(startWorker({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_WORKER_SLOTS: '0' }), logger: silent }), /at least 1/);
  await assert.rejects(
    startWorker({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_WORKFLOWS_DIR: join(dir, 'missing') }), logger: silent }),
    (error: Error & { code?: string }) => error.code === 'INVALID_CONFIG' && /cannot read the workflows directory/.test(error.message),
  );
});
