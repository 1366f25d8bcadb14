// Runs across processes sharing one database: an API-only server (no worker slots) and a worker
// (`startWorker`) that registers the run kind in its components. The worker runs the instance, its
// outbox consumer refreshes the run's snapshot and starts the webhook delivery, which it runs too;
// the API server streams the run's events from the shared outbox and lists it as completed.
// On SQLite (one file, two stores) and PostgreSQL (a schema per test).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { createServerLogger, loadServerConfig, startServer, startWorker } from '@petrel/server';
import { createTestSchema } from '@petrel/testing';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import { readSse } from '../helpers/sse-reader.ts';
import { ECHO, registerTestRunKind, startTestRun, until } from '../helpers/test-runs.ts';

const DATABASES: Array<{ name: string; env(t: TestContext): Promise<Record<string, string> | string> }> = [
  { name: 'SQLite', env: () => Promise.resolve({}) },
  {
    name: 'PostgreSQL',
    async env(t) {
      const pg = await createTestSchema('runs_worker');
      if (typeof pg === 'string') return pg;
      t.after(() => pg.drop());
      return { PETREL_DATABASE_URL: pg.url };
    },
  },
];

for (const database of DATABASES) {
  test(`an API-only server and a worker share runs, webhooks and live events (${database.name})`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'petrel-runs-worker-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const env = await database.env(t);
    if (typeof env === 'string') return t.skip(env);
    const silent = createServerLogger({ level: 'silent' });
    await using receiver = await startLoopbackServer((_request, response) => response.writeHead(200).end('ok'));

    await using server = await startServer({ config: loadServerConfig({ ...env, PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_WORKER_SLOTS: '0' }), logger: silent, noBrowsers: true, components: (deps) => registerAndKeep(deps) });
    await using worker = await startWorker({
      config: loadServerConfig({ ...env, PETREL_DATA_DIR: dir, PETREL_WORKER_SLOTS: '2' }),
      logger: silent,
      noBrowsers: true,
      components: (deps) => registerAndKeep(deps),
      engine: { resolvers: [(ref) => Promise.resolve(ref.workflowName === ECHO.name ? ECHO : undefined)], pollIntervalMs: 50 },
    });
    const organizationId = server.bootstrap!.organizationId;
    const key = server.bootstrap!.apiKey.api_key;
    const run = await startTestRun(server.deps, server.engine!, organizationId, ECHO, { params: { total: 42 }, webhookUrl: receiver.url });

    const events = readSse(await fetch(`${server.url}/v1/runs/${run.run_id}/events`, { headers: { 'x-api-key': key, 'last-event-id': '0' } }));
    const frames = await events.until((f) => f.event === 'done', 30_000);
    const final = frames.filter((f) => f.event === 'status').at(-1)!;
    assert.equal((JSON.parse(final.data) as { status: string }).status, 'completed');

    await until(() => receiver.received.length === 1, 'the worker to deliver the webhook', 30_000);
    assert.equal((JSON.parse(receiver.received[0]!.body) as { output: { total: number } }).output.total, 42);
    const list = (await (await fetch(`${server.url}/v1/runs`, { headers: { 'x-api-key': key } })).json()) as Array<{ run_id: string; status: string; webhook_failure_reason: string | null }>;
    await until(async () => (await server.deps.runs.find(organizationId, run.run_id))?.webhook_failure_reason === '', 'the delivery outcome');
    assert.equal(list.find((r) => r.run_id === run.run_id)?.status, 'completed');
    assert.ok(worker.deps.runs.findKind('test_run') !== undefined);
  });
}

/** Registers the test kind; the returned disposable removes it. */
function registerAndKeep(deps: Parameters<typeof registerTestRunKind>[0]): AsyncDisposable[] {
  const remove = registerTestRunKind(deps);
  return [{ [Symbol.asyncDispose]: () => Promise.resolve(remove()) }];
}
