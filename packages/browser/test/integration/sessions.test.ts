// Persistent sessions: a Chromium reachable over CDP, reattached from another process, occupied by
// one run at a time, expiring when idle, and killed when closed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPortal, type Portal } from '@petrel/fixture-portal';
import { isPetrelError } from '@petrel/protocol';
import { createSessionManager, findMarkedProcesses, type BrowserPool, type BrowserSessionEvent, type SessionManager } from '@petrel/browser';
import { chromiumPath, createTestPool, element, skipWithoutChromium } from '../support/chromium.ts';

const run = promisify(execFile);
const childAttach = fileURLToPath(new URL('../support/child-attach.ts', import.meta.url));

describe('persistent sessions', skipWithoutChromium, () => {
  let portal: Portal;
  let pool: BrowserPool;
  let closePool: () => Promise<void>;
  let sessions: SessionManager;
  const events: BrowserSessionEvent[] = [];

  before(async () => {
    portal = await startPortal({ cookieBanner: false });
    ({ pool, close: closePool } = await createTestPool());
    sessions = createSessionManager({ ...(chromiumPath ? { executablePath: chromiumPath } : {}), idleTimeoutMs: 60_000, checkIntervalMs: 100 });
    sessions.subscribe((event) => events.push(event));
  });
  after(async () => {
    await sessions?.closeAll();
    await closePool?.();
    await portal?.close();
  });

  it('creates a running session with a CDP address, keeps state between runs, and is reattached from another process', async () => {
    const session = await sessions.create({ timeoutMinutes: 5 });
    assert.equal(session.status, 'running');
    assert.match(session.browserSessionId, /^pbs_/);
    assert.match(session.browserAddress ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(session.timeout, 5);
    const version = await (await fetch(`${session.browserAddress}/json/version`)).json() as { webSocketDebuggerUrl: string };
    assert.equal(version.webSocketDebuggerUrl, session.wsEndpoint);

    // A run in this process signs in on the session and leaves.
    sessions.occupy(session.browserSessionId, 'wr_first');
    {
      await using ctx = await pool.attach(session.browserAddress as string);
      await ctx.act({ type: 'goto_url', url: `${portal.url}/login` });
      const page = await ctx.observe();
      await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Email').id, text: 'demo@petrel.test' });
      await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Password').id, text: 'petrel-demo-2026' });
      await ctx.act({ type: 'click', elementId: element(page, 'button', 'Sign in').id });
      const totp = await ctx.observe();
      await ctx.act({ type: 'input_text', elementId: element(totp, 'textbox', 'Verification code').id, text: portal.totp(), pressEnter: true });
      assert.match(ctx.page.url(), /\/dashboard$/);
    }
    sessions.release(session.browserSessionId, 'wr_first');

    // Another process attaches over CDP and finds the page and the login.
    const { stdout } = await run(process.execPath, [childAttach, session.browserAddress as string, `${portal.url}/orders`], { timeout: 60_000 });
    const child = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { pid: number; before: { url: string; cookies: string[] }; after: string; text: string };
    assert.notEqual(child.pid, process.pid);
    assert.match(child.before.url, /\/dashboard$/);
    assert.ok(child.before.cookies.length > 0);
    assert.equal(child.after, `${portal.url}/orders`);
    assert.match(child.text, /Order history/, 'still signed in in the other process');
    assert.equal(sessions.get(session.browserSessionId).status, 'running', 'detaching does not end the session');

    const closed = await sessions.close(session.browserSessionId);
    assert.equal(closed.status, 'completed');
    assert.equal(closed.browserAddress, null);
    await assert.rejects(fetch(`${session.browserAddress}/json/version`), 'the browser is gone');
    assert.deepEqual(findMarkedProcesses(`--petrel-owner=session-${session.browserSessionId}`), []);
    assert.deepEqual(
      events.filter((e) => e.session.browserSessionId === session.browserSessionId).map((e) => `${e.type}:${e.session.status}`),
      ['created:created', 'updated:running', 'updated:running', 'updated:running', 'ended:completed'],
    );
  });

  it('lets one run at a time occupy a session', async () => {
    const session = await sessions.create();
    sessions.occupy(session.browserSessionId, 'wr_a');
    assert.equal(sessions.get(session.browserSessionId).runnableId, 'wr_a');
    assert.throws(() => sessions.occupy(session.browserSessionId, 'wr_b'), (e) => isPetrelError(e) && e.code === 'BROWSER_SESSION_BUSY');
    assert.throws(() => sessions.release(session.browserSessionId, 'wr_b'), (e) => isPetrelError(e) && e.code === 'BROWSER_SESSION_BUSY');
    sessions.release(session.browserSessionId, 'wr_a');
    assert.equal(sessions.occupy(session.browserSessionId, 'wr_b').runnableId, 'wr_b');
    assert.ok(sessions.list().some((s) => s.browserSessionId === session.browserSessionId));
    await sessions.close(session.browserSessionId);
    assert.ok(!sessions.list().some((s) => s.browserSessionId === session.browserSessionId));
    assert.ok(sessions.list({ includeEnded: true }).some((s) => s.browserSessionId === session.browserSessionId));
    assert.throws(() => sessions.occupy(session.browserSessionId, 'wr_c'), (e) => isPetrelError(e) && e.code === 'INVALID_TRANSITION');
    assert.throws(() => sessions.get('pbs_missing'), (e) => isPetrelError(e) && e.code === 'BROWSER_SESSION_NOT_FOUND');
  });

  it('validates the timeout and expires idle sessions', async () => {
    await assert.rejects(sessions.create({ timeoutMinutes: 4 }), (e) => isPetrelError(e) && e.code === 'VALIDATION_FAILED');
    await assert.rejects(sessions.create({ timeoutMinutes: 1441 }), (e) => isPetrelError(e) && e.code === 'VALIDATION_FAILED');
    await using idle = createSessionManager({ ...(chromiumPath ? { executablePath: chromiumPath } : {}), idleTimeoutMs: 300, checkIntervalMs: 50 });
    const session = await idle.create();
    const held = await idle.create();
    idle.occupy(held.browserSessionId, 'wr_busy');
    const deadline = Date.now() + 10_000;
    while (idle.get(session.browserSessionId).status === 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const expired = idle.get(session.browserSessionId);
    assert.equal(expired.status, 'timeout');
    assert.match(expired.reason ?? '', /idle/);
    assert.equal(idle.get(held.browserSessionId).status, 'running', 'an occupied session does not idle out');
    // The status turns to timeout as the session's Chromium is told to quit; its processes take a moment to go.
    const gone = Date.now() + 10_000;
    while (findMarkedProcesses(`--petrel-owner=session-${session.browserSessionId}`).length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(findMarkedProcesses(`--petrel-owner=session-${session.browserSessionId}`), []);
    await idle.closeAll();
    assert.deepEqual(findMarkedProcesses(`--petrel-owner=session-${held.browserSessionId}`), []);
  });
});
