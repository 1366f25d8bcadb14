// A webhook delivery survives a restart: the first attempt gets 503 with `Retry-After: 3`, the server
// shuts down while the delivery waits, and the next server (same data directory) makes the second
// attempt, which succeeds; the log holds both attempts and the run its success.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createServerLogger, loadServerConfig, startServer, WEBHOOK_DELIVERY_WORKFLOW } from '@petrel/server';
import type { RunningServer } from '@petrel/server';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import { ECHO, registerTestRunKind, startTestRun, until } from '../helpers/test-runs.ts';

test('a delivery waiting for Retry-After continues after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-webhook-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const times: number[] = [];
  await using receiver = await startLoopbackServer((_request, response) => {
    times.push(Date.now());
    if (times.length === 1) response.writeHead(503, { 'retry-after': '3' }).end('busy');
    else response.writeHead(200).end('ok');
  });
  const start = (): Promise<RunningServer> =>
    startServer({
      config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_SHUTDOWN_TIMEOUT_MS: '5000' }),
      logger: createServerLogger({ level: 'silent' }),
      noBrowsers: true,
      components: (deps) => {
        registerTestRunKind(deps);
        return [];
      },
    });

  const first = await start();
  t.after(() => first.close());
  const organizationId = first.bootstrap!.organizationId;
  const run = await startTestRun(first.deps, first.engine!, organizationId, ECHO, { webhookUrl: receiver.url });
  await until(() => times.length === 1, 'the first attempt');
  await until(async () => {
    const { instances } = await first.engine!.engine.instances.list({ namespace: organizationId, workflow: WEBHOOK_DELIVERY_WORKFLOW });
    return instances[0]?.status === 'waiting';
  }, 'the delivery to wait for its retry');
  await first.close();
  assert.equal(times.length, 1, 'no second attempt before the restart');

  await using second = await start();
  await until(() => times.length === 2, 'the second attempt after the restart', 30_000);
  assert.ok(times[1]! - times[0]! >= 2900, 'Retry-After was honoured across the restart');
  await until(async () => (await second.deps.runs.find(organizationId, run.run_id))?.webhook_failure_reason === '', 'the success to be recorded');
  const log = await second.deps.store.webhookDeliveries.listForRun(organizationId, run.run_id);
  assert.deepEqual(log.map((row) => [row.attempt, row.status_code]), [[1, 503], [2, 200]]);
});
