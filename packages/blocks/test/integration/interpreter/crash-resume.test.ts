// A run SIGKILLed in the middle of a for_loop resumes at the next unfinished iteration. A child
// process runs a workflow (log in, then for each of five orders: open its page, POST a report to a
// loopback server) on a SQLite file; the test kills it while iteration 2's request is in flight;
// a new process on the same files finishes the run. Checked from the outside: every finished
// iteration reported once, the interrupted one again (at least once), each page opened signed in
// (the browser state came back from the checkpoint; nobody logged in again), and in the history each
// iteration's steps recorded once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel } from '@petrel/fake-model';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { portalPolicy } from '@petrel/testing';
import { skipWithoutChromium, waitFor } from '../../support/workflow-kit.ts';

const worker = fileURLToPath(new URL('./fixtures/loop-worker.ts', import.meta.url));

/** Starts the worker and resolves with its first stdout line (parsed), keeping the process. */
function startWorker(args: string[]): { child: ChildProcess; line: Promise<Record<string, unknown>>; stderr: () => string } {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const line = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(out.slice(0, newline)) as Record<string, unknown>);
    });
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before answering: ${err.slice(-2000)}`)));
  });
  return { child, line, stderr: () => err };
}

describe('crash in the middle of a for_loop', skipWithoutChromium, () => {
  let portal: Portal;
  let fake: FakeModel;
  let dataDir: string;
  let server: ReturnType<typeof createServer>;
  let serverUrl = '';
  const reports: Array<{ index: number; body: { order: string; page: string } }> = [];
  const children: ChildProcess[] = [];

  before(async () => {
    portal = await startPortal({ cookieBanner: false });
    fake = await startFakeModel({ respond: portalPolicy() });
    dataDir = await mkdtemp(join(tmpdir(), 'petrel-crash-loop-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const index = Number(/\/iteration\/(\d+)/.exec(req.url ?? '')?.[1]);
        reports.push({ index, body: JSON.parse(Buffer.concat(chunks).toString()) as { order: string; page: string } });
        // The first report of iteration 2 hangs: the worker is killed while it waits.
        const hang = index === 2 && reports.filter((r) => r.index === 2).length === 1;
        setTimeout(() => {
          if (res.writableEnded || res.destroyed) return;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        }, hang ? 60_000 : 0).unref();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await fake.close();
    await portal.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a new process finishes the run from the next unfinished iteration, signed in from the checkpoint', async () => {
    const args = [dataDir, portal.url, fake.openaiBaseUrl, serverUrl];
    const first = startWorker(['start', ...args]);
    children.push(first.child);
    const { run_id: runId } = (await first.line) as { run_id: string };
    await waitFor('iteration 2 in flight', () => reports.some((r) => r.index === 2), 120_000);
    // Past the engine's "attempt started" marker (250 ms): the attempt is on record as interrupted.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const loginsBefore = portal.submissions.logins.map((l) => `${l.step} ${l.outcome}`);
    assert.deepEqual(loginsBefore, ['password ok', 'totp ok']);

    const second = startWorker(['resume', ...args, runId]);
    children.push(second.child);
    const result = (await second.line) as {
      run: { status: string; failure_reason: string | null; output: Record<string, unknown> };
      steps: Array<{ type: string; name: string; count: number; status: string; attempts: number }>;
    };
    await new Promise((resolve) => second.child.once('exit', resolve));
    assert.equal(result.run.status, 'completed', `${result.run.failure_reason ?? ''}\n${second.stderr().slice(-2000)}`);

    // Iterations 0 and 1 reported once, before the crash; 2 twice (interrupted, then again); 3 and 4 once.
    const perIteration = [0, 1, 2, 3, 4].map((i) => reports.filter((r) => r.index === i).length);
    assert.deepEqual(perIteration, [1, 1, 2, 1, 1]);
    // Every page was opened signed in, also after the crash; nobody logged in again.
    for (const report of reports) assert.equal(report.body.page, `${portal.url}/orders/${report.body.order}`);
    assert.deepEqual(portal.submissions.logins.map((l) => `${l.step} ${l.outcome}`), loginsBefore);

    // The history: each finished iteration's steps recorded once; the interrupted report step once errored, then complete.
    const named = (name: string) => result.steps.filter((s) => s.type === 'do' && s.name === name);
    for (const i of [0, 1, 3, 4]) {
      assert.deepEqual(named(`block:each[${i}]:report`).map((s) => s.status), ['complete'], `iteration ${i}`);
      assert.deepEqual(named(`block:each[${i}]:open`).map((s) => s.status), ['complete'], `iteration ${i}`);
    }
    assert.deepEqual(named('block:each[2]:report').map((s) => s.status), ['errored', 'complete']);
    assert.deepEqual(named('block:sign_in').map((s) => s.status), ['complete']);
    assert.equal(named('block:each/values').length, 1);
    assert.equal((result.run.output['each_output'] as unknown[]).length, 5);
  });
});
