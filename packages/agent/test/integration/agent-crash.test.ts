// A task survives its worker: a worker process runs the task workflow on a SQLite file and is SIGKILLed
// while an agent step waits for the model; a new worker process with the same worker id finishes the
// same task from that step (the cut-short attempt recorded as interrupted), with the browser restored
// from the last checkpoint (still signed in, on the filtered orders page).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createBrowserPool, createDiskBlobStore, findMarkedProcesses } from '@petrel/browser';
import type { BrowserPool } from '@petrel/browser';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { Engine, Store } from '@petrel/engine';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel } from '@petrel/fake-model';
import { DEMO_USER, filterOrders, startPortal } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { TASK_WORKFLOW_NAME, createAgentRuntime, createRunBrowserManager, createTaskService } from '@petrel/agent';
import type { AgentStepRecord, TaskService } from '@petrel/agent';
import { TEST_NOW, skipWithoutChromium, waitFor } from '../support/agent-harness.ts';
import { portalPolicy } from '@petrel/testing';

const workerScript = fileURLToPath(new URL('../support/task-worker.ts', import.meta.url));

type Worker = { child: ChildProcess; marker: string; exited: Promise<number | null> };

/** Kills what is left of a killed worker's Chromium (it usually exits on its own once its parent is gone). */
function killMarked(marker: string): void {
  for (const pid of findMarkedProcesses(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

describe('a task whose worker is SIGKILLed mid-step', skipWithoutChromium, () => {
  let root: string;
  let portal: Portal;
  let fake: FakeModel;
  let store: Store;
  let engine: Engine;
  let pool: BrowserPool;
  let service: TaskService;
  const workers: Worker[] = [];
  const slow = { enabled: true };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'petrel-agent-crash-'));
    portal = await startPortal({ cookieBanner: false });
    // The model answers the first look at the filtered orders slowly: the worker is killed meanwhile.
    fake = await startFakeModel({
      respond: portalPolicy({ delayMs: (prompt) => (slow.enabled && prompt.url.includes('/orders?start=') ? 60_000 : 0) }),
    });
    store = await createSqliteStore({ dataDir: join(root, 'engine') });
    engine = await createEngine({ store, slots: 0 });
    // The API side: creates the run; it never opens a browser.
    pool = createBrowserPool({ blobStore: createDiskBlobStore({ root: join(root, 'blobs') }) });
    const runtime = createAgentRuntime({
      browsers: createRunBrowserManager({ pool }),
      model: { provider: 'openai-compatible', model: 'fake-model', baseUrl: fake.openaiBaseUrl },
    });
    service = createTaskService({ engine, runtime });
  });
  after(async () => {
    for (const worker of workers) {
      worker.child.kill('SIGKILL');
      killMarked(worker.marker);
    }
    await engine?.close();
    await store?.close();
    await pool?.close();
    await fake?.close();
    await portal?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function startWorker(): Promise<Worker> {
    const child = spawn(
      process.execPath,
      [
        workerScript,
        '--data-dir', join(root, 'engine'),
        '--blob-dir', join(root, 'blobs'),
        '--downloads-dir', join(root, 'downloads'),
        '--model-url', fake.openaiBaseUrl,
        '--worker-id', 'agent-crash-worker',
        '--now', new Date(TEST_NOW).toISOString(),
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          PETREL_TEST_CREDENTIAL: JSON.stringify({
            id: 'cred_demo',
            values: { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret },
          }),
        },
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const lines = createInterface({ input: child.stdout });
    const ready = await new Promise<{ marker: string }>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line) as { marker: string }));
      child.once('exit', (code) => reject(new Error(`the worker exited with ${code} before it was ready`)));
    });
    const worker = { child, marker: ready.marker, exited };
    workers.push(worker);
    return worker;
  }

  it('resumes in a new process at the interrupted step, signed in and on the same page', async () => {
    const first = await startWorker();
    const started = await service.runTask(
      'default',
      { prompt: "Log in, filter last month's orders and give me the totals as JSON.", url: `${portal.url}/login`, data_extraction_schema: { type: 'object', properties: { orders: { type: 'array', items: { type: 'object', properties: { order_id: { type: 'string' }, date: { type: 'string' }, status: { type: 'string' }, total: { type: 'number' }, url: { type: 'string' } }, required: ['order_id', 'date', 'status', 'total', 'url'] } }, order_count: { type: 'integer' }, grand_total: { type: 'number' } }, required: ['orders', 'order_count', 'grand_total'] }, max_steps: 12 },
      { credentials: { portal: 'cred_demo' } },
    );
    // Wait until the worker is inside the step that looks at the filtered orders (the model is "thinking").
    await waitFor('the slow model call', () => fake.requests.some((r) => !r.done && r.request?.lastUserText.includes('/orders?start=')), 60_000);
    // Kill only once the engine has recorded the step's attempt as started (after 250 ms), so the crash leaves a trace.
    const runKey = { workflow: TASK_WORKFLOW_NAME, id: started.run_id };
    await waitFor('the step recorded as started', async () => (await engine.instances.get(runKey, { steps: true })).steps.some((s) => s.status === 'running' && s.attempts.some((a) => a.endedAt === null)), 30_000);
    const beforeCrash = await service.getTaskRun('default', started.run_id);
    assert.equal(beforeCrash.status, 'running');
    const stepsBefore = beforeCrash.step_count ?? 0;
    assert.ok(stepsBefore >= 3, `steps before the crash: ${stepsBefore}`);
    first.child.kill('SIGKILL');
    assert.equal(await first.exited, null, 'killed, not exited');
    killMarked(first.marker);
    const loginsBeforeResume = portal.submissions.logins.length;

    slow.enabled = false;
    const requestsBeforeResume = fake.requests.length;
    const second = await startWorker();
    const run = await service.waitForTaskRun('default', started.run_id, { timeoutMs: 120_000 });
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const june = filterOrders(portal.data.orders, { start: '2026-06-01', end: '2026-06-30', status: '' });
    const output = run.output as { orders: Array<{ order_id: string; url: string }>; order_count: number };
    assert.deepEqual(output.orders.map((o) => o.order_id), june.map((o) => o.id));
    assert.equal(output.order_count, june.length);
    assert.equal(output.orders[0]?.url, `${portal.url}/orders/${june[0]?.id}`);

    // The new process did not log in again: its browser came back signed in, on the filtered list.
    assert.equal(portal.submissions.logins.length, loginsBeforeResume);
    const resumed = fake.requests.slice(requestsBeforeResume).find((r) => r.request?.tools.some((t) => t.name === 'complete'));
    assert.match(resumed?.request?.lastUserText ?? '', new RegExp(`^STEP: ${stepsBefore + 1} of 12$`, 'm'));
    assert.match(resumed?.request?.lastUserText ?? '', /^url: http:\/\/127\.0\.0\.1:\d+\/orders\?start=2026-06-01&end=2026-06-30(&status=)?$/m);

    // The interrupted step ran again in full in the new process (its first model call died with the
    // first worker), and every step is recorded once.
    const interruptedStep = new RegExp(`^STEP: ${stepsBefore + 1} of 12$`, 'm');
    const calls = fake.requests.filter((r) => r.request?.tools.some((t) => t.name === 'complete') && interruptedStep.test(r.request.lastUserText));
    assert.deepEqual(calls.map((r) => r.aborted), [true, false]);
    const details = await engine.instances.get(runKey, { steps: true });
    // The attempt the crash cut short is recorded as interrupted and counted; the retry completed the step.
    const interrupted = details.steps.find((s) => s.name === `agent-step-${stepsBefore + 1}`);
    assert.deepEqual(interrupted?.attempts.map((a) => [a.attempt, a.success, a.error?.code ?? null]), [
      [1, false, 'ATTEMPT_INTERRUPTED'],
      [2, true, null],
    ]);
    const records = details.steps.filter((s) => /^agent-step-\d+$/.test(s.name)).map((s) => s.output as AgentStepRecord);
    assert.deepEqual(records.map((r) => r.step), records.map((_, i) => i + 1));
    assert.equal(run.step_count, records.length);

    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });
});
