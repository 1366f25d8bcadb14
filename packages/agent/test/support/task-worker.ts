// A worker process for the crash test: the engine on a SQLite file with the task workflow, a browser
// pool and the agent runtime pointed at the fake model. Prints one JSON line when ready (with its
// Chromium marker, so the test can clean up after a SIGKILL) and runs until SIGTERM.
import { parseArgs } from 'node:util';
import { createBrowserPool, createDiskBlobStore } from '@petrel/browser';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { CredentialValues } from '@petrel/agent';
import { createAgentRuntime, createMemoryCredentialResolver, createRunBrowserManager, createTaskWorkflow } from '@petrel/agent';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    'blob-dir': { type: 'string' },
    'downloads-dir': { type: 'string' },
    'model-url': { type: 'string' },
    'worker-id': { type: 'string' },
    now: { type: 'string' },
  },
});
const credential = JSON.parse(process.env.PETREL_TEST_CREDENTIAL ?? 'null') as { id: string; values: CredentialValues } | null;

const store = await createSqliteStore({ dataDir: values['data-dir'] ?? '' });
const pool = createBrowserPool({
  blobStore: createDiskBlobStore({ root: values['blob-dir'] ?? '' }),
  downloadsRoot: values['downloads-dir'] ?? '',
  maxContexts: 2,
  contextDefaults: { video: 'off', trace: false, screenshots: 'action', html: false },
});
const browsers = createRunBrowserManager({ pool });
const credentials = createMemoryCredentialResolver();
if (credential) credentials.set('default', credential.id, credential.values);
const startedAt = Date.now();
const fixedNow = Date.parse(values.now ?? '');
const runtime = createAgentRuntime({
  browsers,
  model: { provider: 'openai-compatible', model: 'fake-model', baseUrl: values['model-url'] ?? '', supportsStructuredOutputs: true, maxRetries: 0 },
  credentials,
  now: () => (Number.isNaN(fixedNow) ? Date.now() : fixedNow + Date.now() - startedAt),
  maxRetriesPerStep: 3,
  retryDelayMs: 100,
});
const engine = await createEngine({ store, slots: 1, workerId: values['worker-id'] ?? 'task-worker', leaseMs: 5000, workflows: [createTaskWorkflow(runtime)] });
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, marker: pool.marker })}\n`);
// The engine's timers do not keep a process alive; this does, until SIGTERM.
const keepAlive = setInterval(() => {}, 60_000);

process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  void (async () => {
    await engine.close({ graceMs: 2000 });
    await store.close();
    await browsers.close();
    await pool.close();
    process.exitCode = 0;
  })();
});
