import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Client } from 'pg';
import { createServerLogger, generateMasterKey, loadServerConfig, startServer } from '@petrel/server';
import { POSTGRES_URL, createTestSchema, startTestSmtpServer } from '@petrel/testing';
import { captureLogs } from '../helpers/test-app.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('first start creates the organization, key, key file and database; a restart keeps them', async (t) => {
  const dir = tempDir(t);
  const config = loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0' });
  const logs = captureLogs();
  let credentialId: string;
  let apiKey: string;
  {
    await using server = await startServer({ config, logger: createServerLogger({ destination: logs.stream }) });
    assert.ok(server.bootstrap, 'the first start bootstraps');
    apiKey = server.bootstrap.apiKey.api_key;
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    assert.ok(existsSync(join(dir, 'petrel.db')));
    assert.equal(server.masterKeySource, join(dir, 'master.key'));

    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    const created = await fetch(`${server.url}/v1/credentials`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'n', credential_type: 'secret', credential: { secret_value: 'kept-across-restarts' } }),
    });
    assert.equal(created.status, 201);
    credentialId = ((await created.json()) as { credential_id: string }).credential_id;
  }
  assert.ok(logs.lines.some((line) => line.includes('petrel server listening')));
  assert.ok(logs.lines.some((line) => line.includes('petrel server stopped')));
  assert.ok(!logs.text().includes(apiKey), 'the bootstrap key is returned to the caller, not logged');

  await using again = await startServer({ config, logger: createServerLogger({ level: 'silent' }) });
  assert.equal(again.bootstrap, undefined, 'no second bootstrap');
  const fetched = await fetch(`${again.url}/v1/credentials/${credentialId}`, { headers: { authorization: `Bearer ${apiKey}` } });
  assert.equal(fetched.status, 200, 'the key and the credential survive a restart');
});

test('graceful shutdown: readiness drops, requests in flight finish, new connections are refused', async (t) => {
  const dir = tempDir(t);
  const config = loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_SHUTDOWN_TIMEOUT_MS: '10000' });
  const server = await startServer({ config, logger: createServerLogger({ level: 'silent' }) });
  t.after(() => server.close());
  const { promise: gate, resolve: release } = Promise.withResolvers<void>();
  server.app.get('/test/slow', async (c) => {
    await gate;
    return c.text('finished');
  });
  const slow = fetch(`${server.url}/test/slow`);
  await waitFor(() => server.inFlight.count > 0, 'the slow request to start');

  const closing = server.close();
  await waitFor(() => server.draining, 'draining');
  const readiness = await server.app.request('/readyz');
  assert.equal(readiness.status, 503, 'readyz turns 503 while draining');
  assert.equal(((await readiness.json()) as { code: string }).code, 'UNAVAILABLE');
  const refused = await fetch(`${server.url}/healthz`).then(
    () => 'answered',
    () => 'refused',
  );
  assert.equal(refused, 'refused', 'the listener no longer accepts');
  release();
  const response = await slow;
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'finished', 'the request in flight completed');
  await closing;
  await assert.rejects(server.database.ping(), 'the database is closed');
});

test('shutdown does not wait past its deadline', async (t) => {
  const dir = tempDir(t);
  const config = loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_SHUTDOWN_TIMEOUT_MS: '200' });
  const server = await startServer({ config, logger: createServerLogger({ level: 'silent' }) });
  const never = new Promise<never>(() => {});
  server.app.get('/test/stuck', async () => never);
  const stuck = fetch(`${server.url}/test/stuck`).then(
    () => 'answered',
    () => 'cut',
  );
  await waitFor(() => server.inFlight.count > 0, 'the stuck request to start');
  const started = Date.now();
  await server.close();
  assert.ok(Date.now() - started < 5000, 'close returned soon after the deadline');
  assert.equal(await stuck, 'cut');
});

test('start-up refuses a loose key file, a wrong master key, and a busy port', async (t) => {
  const dir = tempDir(t);
  const silent = createServerLogger({ level: 'silent' });
  {
    await using first = await startServer({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0' }), logger: silent });
    assert.ok(first.bootstrap);
  }
  chmodSync(join(dir, 'master.key'), 0o640);
  await assert.rejects(startServer({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0' }), logger: silent }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.match(error.message, /chmod 600/);
    return true;
  });
  chmodSync(join(dir, 'master.key'), 0o600);

  const wrongKey = generateMasterKey().toString('base64');
  await assert.rejects(
    startServer({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_MASTER_KEY: wrongKey }), logger: silent }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, /stored secrets are encrypted under master key mk_/);
      assert.ok(!error.message.includes(wrongKey));
      return true;
    },
  );

  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const port = (blocker.address() as AddressInfo).port;
  await assert.rejects(startServer({ config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: String(port) }), logger: silent }), { code: 'UNAVAILABLE' });
});

test('serves on PostgreSQL when PETREL_DATABASE_URL is set', async (t) => {
  const pg = await createTestSchema('serve');
  if (typeof pg === 'string') return t.skip(pg);
  t.after(() => pg.drop());
  const { schema, url } = pg;
  const admin = new Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  t.after(() => admin.end());
  const dir = tempDir(t);
  await using server = await startServer({
    config: loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_DATABASE_URL: url }),
    logger: createServerLogger({ level: 'silent' }),
  });
  assert.equal(server.database.dialect, 'postgres');
  assert.ok(server.bootstrap);
  assert.ok(!existsSync(join(dir, 'petrel.db')), 'no SQLite file');
  const keys = await fetch(`${server.url}/v1/keys`, { headers: { 'x-api-key': server.bootstrap.apiKey.api_key } });
  assert.equal(keys.status, 200);
  const tables = await admin.query(`select table_name from information_schema.tables where table_schema = $1 order by 1`, [schema]);
  assert.ok(tables.rows.some((row: { table_name: string }) => row.table_name === 'server_migrations'));
  assert.ok(tables.rows.some((row: { table_name: string }) => row.table_name === 'credentials'));
});

test('human_interaction emails of a server on port 0 link to the port it got, and the link answers there', async (t) => {
  const dir = tempDir(t);
  await using smtp = await startTestSmtpServer();
  const config = loadServerConfig({ PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_SMTP_HOST: smtp.host, PETREL_SMTP_PORT: String(smtp.port) });
  await using server = await startServer({ config, logger: createServerLogger({ level: 'silent' }) });
  const key = server.bootstrap?.apiKey.api_key ?? '';
  const send = async (path: string, body: string, type: string): Promise<Record<string, unknown>> => {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'x-api-key': key, 'content-type': type } });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const workflow = await send('/v1/workflows', readFileSync(new URL('../fixtures/block-workflows/approval.yaml', import.meta.url), 'utf8'), 'application/x-yaml');
  const run = await send('/v1/run/workflows', JSON.stringify({ workflow_id: workflow['workflow_permanent_id'] }), 'application/json');
  const [mail] = await smtp.waitFor(1, 60_000);
  const approve = /Approve: (\S+)/.exec(mail?.email.text ?? '')?.[1] ?? '';
  assert.equal(new URL(approve).origin, server.url, `the link is on the port the server listens on: ${approve}`);
  const followed = await fetch(approve, { headers: { accept: 'text/html' } });
  assert.equal(followed.status, 200, await followed.clone().text());
  assert.match(await followed.text(), /your answer \(approve\) was recorded/);
  const runId = String(run['run_id']);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = ((await (await fetch(`${server.url}/v1/runs/${runId}`, { headers: { 'x-api-key': key } })).json()) as { status: string }).status;
    if (status === 'completed') break;
    assert.ok(Date.now() < deadline, `the run did not complete (${status})`);
    await sleep(100);
  }
});
