// The README's SDK examples run as written: examples/sdk/quickstart.ts (the ten lines) against a live
// server running real tasks on the fixture portal, and examples/sdk/tour.ts (Petrel.local(), live
// events, timeline, screenshots, a verified webhook, a typed error), offline with the fake model.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startLiveServer } from '../helpers/live-server.ts';
import { startTaskStage } from '@petrel/testing';
import { needsChromium } from '../helpers/needs-chromium.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));

test('examples/sdk/quickstart.ts runs a task against a server', needsChromium, async () => {
  await using stage = await startTaskStage();
  await using live = await startLiveServer(stage.llmEnv);
  const { stdout } = await run(process.execPath, ['examples/sdk/quickstart.ts'], {
    cwd: root,
    env: { ...process.env, PETREL_URL: live.url, PETREL_API_KEY: live.apiKey, TASK_URL: `${stage.portal.url}/login` },
    timeout: 120_000,
  });
  // The fake model read the site's name off the sign-in page it was shown.
  assert.equal(stdout.trim(), 'completed {"site_name":"Ember Supply"}');
});

test('examples/sdk/tour.ts runs offline in one process', needsChromium, async () => {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('PETREL_')) delete env[name];
  const { stdout } = await run(process.execPath, ['examples/sdk/tour.ts'], { cwd: root, env, timeout: 150_000 });
  assert.match(stdout, /^server: http:\/\/127\.0\.0\.1:\d+$/m);
  assert.match(stdout, /^credential: cred_\w+ \(password, username demo@/m);
  assert.match(stdout, /^event: snapshot/m);
  assert.match(stdout, /^run: tsk_\w+ completed, output \{"site_name":"Ember Supply"\}, \d+ step\(s\)$/m);
  assert.match(stdout, /^timeline: task:completed$/m);
  assert.match(stdout, /^screenshots: \d+, the first is \d+ bytes$/m);
  assert.match(stdout, /^webhook: verified true, tampered false$/m);
  assert.match(stdout, /^error: NotFoundError 404 RUN_NOT_FOUND$/m);
});
