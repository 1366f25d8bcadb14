// Graceful shutdown of `petrel serve` end to end, in a child process: with a persistent browser session
// (Chromium) and a workflow step in flight, SIGTERM makes the process stop accepting, let the step
// finish and record it, close the session (no Chromium left), close the database and exit 0. A new
// server on the same data directory then sees the session as completed and the step done once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findChromium, findMarkedProcesses } from '@petrel/browser';
import { createServerLogger, loadServerConfig, startServer } from '@petrel/server';
import { until } from '../helpers/test-runs.ts';

// What `npx petrel serve` runs: the workspace's bin link.
const PETREL = fileURLToPath(new URL('../../../../node_modules/.bin/petrel', import.meta.url));
const SLOW = fileURLToPath(new URL('../fixtures/shutdown-workflows', import.meta.url));
const skip = findChromium() || process.env['CI'] === 'true' ? false : 'Chromium is not installed (run npm run setup)';

test('SIGTERM: stop accepting, finish the step in flight, close sessions and the database, exit 0', { skip, timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-sigterm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PETREL_DATA_DIR: dir, PETREL_PORT: '0', PETREL_WORKFLOWS_DIR: SLOW, PETREL_SHUTDOWN_TIMEOUT_MS: '15000', PETREL_LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, [PETREL, 'serve'], { env: { ...process.env, ...env, XDG_CONFIG_HOME: join(dir, 'config') }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await until(() => /Petrel is running at (http:\/\/\S+)/.test(output) && /pk_[\w-]+/.test(output), 'the server to start', 60_000);
  const url = /Petrel is running at (http:\/\/\S+)/.exec(output)![1]!;
  const key = /\s(pk_[\w-]{43})\s/.exec(output)![1]!;
  const organizationId = /Organization (o_\w+)/.exec(output)![1]!;
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { 'x-api-key': key, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });

  const session = (await (await call('/v1/browser_sessions', { method: 'POST', json: { timeout: 30 } })).json()) as { browser_session_id: string; status: string };
  assert.equal(session.status, 'running');
  const marker = `--petrel-owner=session-${session.browser_session_id}`;
  assert.ok(findMarkedProcesses(marker).length > 0, 'the session\'s Chromium runs');

  const instances = `/client/v4/accounts/${organizationId}/workflows/SlowWorkflow/instances`;
  const created = await call(instances, { method: 'POST', json: { instance_id: 'in-flight', params: { ms: 2500 } } });
  assert.equal(created.status, 201, await created.clone().text());
  await until(async () => {
    const body = (await (await call(`${instances}/in-flight`)).json()) as { result: { steps: Array<{ name: string }> } };
    return body.result.steps.some((s) => s.name.startsWith('slow step'));
  }, 'the slow step to be in flight', 30_000);

  child.kill('SIGTERM');
  await until(async () => {
    try {
      return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 503;
    } catch {
      return true;
    }
  }, 'readiness to drop');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([exited, new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 60_000)))]).finally(() => clearTimeout(timer));
  assert.equal(code, 0, `the server exited with ${String(code)}:\n${output.slice(-3000)}`);
  assert.match(output, /petrel server stopped/);
  assert.deepEqual(findMarkedProcesses(marker), [], 'no Chromium of the session is left');
  await assert.rejects(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }), 'nothing listens any more');

  await using again = await startServer({ config: loadServerConfig(env), logger: createServerLogger({ level: 'silent' }), noBrowsers: true });
  const row = await again.deps.store.browserSessions.find(organizationId, session.browser_session_id);
  assert.equal(row?.status, 'completed', 'the session was recorded as ended');
  const details = await again.engine!.engine.instances.get({ namespace: organizationId, workflow: 'SlowWorkflow', id: 'in-flight' });
  const step = details.steps.find((s) => s.name === 'slow step');
  assert.equal(step?.status, 'complete', 'the step in flight finished before the process exited');
  assert.equal(step.attempts.length, 1);
});
