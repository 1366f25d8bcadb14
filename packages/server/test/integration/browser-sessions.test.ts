// `/v1/browser_sessions` on real Chromium: a session reachable over CDP, scoped by organization,
// occupied by one run at a time, saved as a profile (a cookie set on a loopback page survives into a
// new session started from the profile), closed (its Chromium gone), marked failed when its Chromium
// dies, and reconciled by another process when its owner stopped (closed over CDP) or its address is
// dead. Skips with a reason when Chromium is missing, except under CI=true.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createBrowserPool, createDiskBlobStore, createSessionManager, findChromium, findMarkedProcesses } from '@petrel/browser';
import type { BrowserPool } from '@petrel/browser';
import { silentLogger } from '@petrel/protocol';
import { createBrowserSessionService } from '@petrel/server';
import { createTestApp } from '../helpers/test-app.ts';
import type { TestApp } from '../helpers/test-app.ts';
import { until } from '../helpers/test-runs.ts';

const chromium = findChromium();
const skip = chromium || process.env['CI'] === 'true' ? false : 'Chromium is not installed (run npm run setup)';

type Session = { browser_session_id: string; status: string; browser_address: string | null; runnable_id: string | null; timeout: number; failure_reason: string | null; completed_at: string | null; organization_id: string; browser_profile_id: string | null };

const marker = (id: string) => `--petrel-owner=session-${id}`;

async function withApp(body: (t: TestApp, pool: BrowserPool) => Promise<void>): Promise<void> {
  const manager = createSessionManager({ ...(chromium ? { executablePath: chromium.path } : {}), checkIntervalMs: 200, logger: silentLogger });
  const dir = mkdtempSync(join(tmpdir(), 'petrel-session-pool-'));
  const pool = createBrowserPool({
    blobStore: createDiskBlobStore({ root: join(dir, 'blobs') }),
    downloadsRoot: join(dir, 'downloads'),
    maxContexts: 2,
    contextDefaults: { trace: false, video: 'off', screenshots: 'off', html: false },
  });
  try {
    await using t = await createTestApp({ sessionManager: manager });
    await body(t, pool);
  } finally {
    await pool.close();
    await manager.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function cdpAnswers(address: string): Promise<boolean> {
  try {
    return (await fetch(`${address}/json/version`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

describe('browser sessions on Chromium', { skip }, () => {
  it('creates a running session reachable over CDP, scoped by organization, one run at a time, then closes it', async () => {
    await withApp(async (t) => {
      const res = await t.call('/v1/browser_sessions', { method: 'POST', json: { timeout: 10 } });
      assert.equal(res.status, 200, await res.clone().text());
      const session = (await res.json()) as Session;
      assert.match(session.browser_session_id, /^pbs_/);
      assert.equal(session.status, 'running');
      assert.equal(session.timeout, 10);
      assert.match(session.browser_address ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(await cdpAnswers(session.browser_address!));
      const id = session.browser_session_id;

      assert.deepEqual(((await (await t.call('/v1/browser_sessions')).json()) as Session[]).map((s) => s.browser_session_id), [id]);
      assert.equal((await t.call(`/v1/browser_sessions/${id}`)).status, 200);
      assert.equal((await t.call(`/v1/browser_sessions/${id}`, { key: t.otherApiKey })).status, 404);
      assert.equal((await t.call(`/v1/browser_sessions/${id}/close`, { method: 'POST', key: t.otherApiKey })).status, 404);
      assert.deepEqual(await (await t.call('/v1/browser_sessions', { key: t.otherApiKey })).json(), []);
      assert.equal((await t.call('/v1/browser_sessions', { method: 'POST', json: { extensions: ['ad-blocker'] } })).status, 400);
      assert.equal((await t.call('/v1/browser_sessions', { method: 'POST', json: { browser_profile_id: 'bp_01JNOSUCHPROFILE00000000000' } })).status, 404);
      const metrics = await (await t.call('/metrics', { key: null })).text();
      assert.match(metrics, /petrel_browser_sessions\{status="running"\} 1/);

      const sessions = t.deps.browserSessions!;
      const held = await sessions.occupy(t.organizationId, id, { id: 'wr_first', type: 'workflow_run' });
      assert.equal(held.browserAddress, session.browser_address);
      await assert.rejects(sessions.occupy(t.organizationId, id, { id: 'wr_second' }), { code: 'BROWSER_SESSION_BUSY' });
      await assert.rejects(sessions.occupy(t.otherOrganizationId, id, { id: 'wr_theirs' }), { code: 'BROWSER_SESSION_NOT_FOUND' });
      assert.equal(((await (await t.call(`/v1/browser_sessions/${id}`)).json()) as Session).runnable_id, 'wr_first');
      await sessions.release(t.organizationId, id, 'wr_second');
      await assert.rejects(sessions.occupy(t.organizationId, id, { id: 'wr_second' }), { code: 'BROWSER_SESSION_BUSY' }, 'only the holder releases');
      await sessions.release(t.organizationId, id, 'wr_first');
      assert.equal((await sessions.occupy(t.organizationId, id, { id: 'wr_second' })).browserSessionId, id);
      assert.deepEqual(await sessions.resolve(t.organizationId, id), { browserSessionId: id, browserAddress: session.browser_address });

      const closed = await t.call(`/v1/browser_sessions/${id}/close`, { method: 'POST' });
      assert.equal(closed.status, 200);
      const closedBody = (await closed.json()) as Session;
      assert.equal(closedBody.status, 'completed');
      assert.equal(closedBody.browser_address, null);
      assert.equal(closedBody.runnable_id, null);
      assert.ok(closedBody.completed_at !== null);
      assert.deepEqual(findMarkedProcesses(marker(id)), [], 'its Chromium is gone');
      assert.equal(await cdpAnswers(session.browser_address!), false);
      assert.equal((await t.call(`/v1/browser_sessions/${id}/close`, { method: 'POST' })).status, 200, 'closing again answers the ended session');
      assert.deepEqual(await (await t.call('/v1/browser_sessions')).json(), []);
      await assert.rejects(sessions.resolve(t.organizationId, id), { code: 'INVALID_TRANSITION' });
    });
  });

  it('saves a session as a profile and starts a new session from it with the same cookies', async () => {
    await withApp(async (t, pool) => {
      const site = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html', 'set-cookie': 'sid=s3cr3t-session; Path=/; HttpOnly' }).end('<p>signed in</p>');
      });
      await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
      const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
      try {
        const first = (await (await t.call('/v1/browser_sessions', { method: 'POST', json: {} })).json()) as Session;
        {
          await using run = await pool.attach(first.browser_address!);
          await run.act({ type: 'goto_url', url: siteUrl });
        }
        const profileRes = await t.call('/v1/browser_profiles', { method: 'POST', json: { name: 'signed in', browser_session_id: first.browser_session_id } });
        assert.equal(profileRes.status, 200, await profileRes.clone().text());
        const profile = (await profileRes.json()) as { browser_profile_id: string; cookie_count: number; source_browser_session_id: string };
        assert.equal(profile.cookie_count, 1);
        assert.equal(profile.source_browser_session_id, first.browser_session_id);
        assert.equal((await t.call('/v1/browser_profiles', { method: 'POST', key: t.otherApiKey, json: { name: 'x', browser_session_id: first.browser_session_id } })).status, 404);

        const second = (await (await t.call('/v1/browser_sessions', { method: 'POST', json: { browser_profile_id: profile.browser_profile_id, url: siteUrl } })).json()) as Session;
        assert.equal(second.browser_profile_id, profile.browser_profile_id);
        await using run = await pool.attach(second.browser_address!);
        const cookies = await run.page.context().cookies();
        assert.ok(cookies.some((c) => c.name === 'sid' && c.value === 's3cr3t-session'), 'the profile\'s cookie is in the new session');
        assert.equal((await t.call('/v1/browser_sessions', { method: 'POST', key: t.otherApiKey, json: { browser_profile_id: profile.browser_profile_id } })).status, 404);
      } finally {
        site.closeAllConnections();
        await new Promise<void>((resolve) => site.close(() => resolve()));
      }
    });
  });

  it('a session whose Chromium dies is marked failed; another process reconciles orphans and dead addresses', async () => {
    await withApp(async (t) => {
      const dying = (await (await t.call('/v1/browser_sessions', { method: 'POST', json: {} })).json()) as Session;
      const [root] = findMarkedProcesses(marker(dying.browser_session_id)).toSorted((a, b) => a - b);
      process.kill(root!, 'SIGKILL');
      await until(async () => ((await (await t.call(`/v1/browser_sessions/${dying.browser_session_id}`)).json()) as Session).status === 'failed', 'the dead session to be marked failed');
      const failed = (await (await t.call(`/v1/browser_sessions/${dying.browser_session_id}`)).json()) as Session;
      assert.match(String(failed.failure_reason), /Chromium exited/);

      // A session whose owning process stopped its heartbeat: another process closes its browser over CDP.
      const orphan = (await (await t.call('/v1/browser_sessions', { method: 'POST', json: {} })).json()) as Session;
      await t.database.db.updateTable('browser_sessions').set({ heartbeat_at: new Date(Date.now() - 10 * 60_000).toISOString() }).where('browser_session_id', '=', orphan.browser_session_id).execute();
      // A row whose Chromium is long gone (its address answers nothing).
      const at = new Date().toISOString();
      await t.database.db
        .insertInto('browser_sessions')
        .values({
          browser_session_id: 'pbs_01JDEADADDRESS0000000000000',
          organization_id: t.organizationId,
          status: 'running',
          timeout_minutes: 60,
          browser_address: 'http://127.0.0.1:9',
          ws_endpoint: 'ws://127.0.0.1:9/devtools/browser/x',
          runnable_type: null,
          runnable_id: null,
          browser_profile_id: null,
          owner: 'wkr_other_process',
          failure_reason: null,
          created_at: at,
          started_at: at,
          completed_at: null,
          modified_at: at,
          expires_at: at,
          heartbeat_at: at,
        })
        .execute();
      await using other = createBrowserSessionService({ store: t.deps.store, owner: 'wkr_second_process', logger: silentLogger, staleMs: 60_000 });
      assert.equal(await other.reconcile(), 2);
      const orphanRow = await other.get(t.organizationId, orphan.browser_session_id);
      assert.equal(orphanRow.status, 'failed');
      assert.match(String(orphanRow.failure_reason), /process that ran it stopped/);
      await until(() => findMarkedProcesses(marker(orphan.browser_session_id)).length === 0, 'the orphaned Chromium to exit');
      const dead = await other.get(t.organizationId, 'pbs_01JDEADADDRESS0000000000000');
      assert.equal(dead.status, 'failed');
      assert.match(String(dead.failure_reason), /no longer running/);
      assert.equal(await other.reconcile(), 0);
    });
  });

  it('shutting the service down ends every session it runs and records it', async () => {
    let id = '';
    let organizationId = '';
    const manager = createSessionManager({ ...(chromium ? { executablePath: chromium.path } : {}), logger: silentLogger });
    {
      await using t = await createTestApp({ sessionManager: manager });
      organizationId = t.organizationId;
      id = ((await (await t.call('/v1/browser_sessions', { method: 'POST', json: {} })).json()) as Session).browser_session_id;
      await t.deps.browserSessions!.shutdown();
      const row = await t.deps.store.browserSessions.find(organizationId, id);
      assert.equal(row?.status, 'completed');
    }
    assert.deepEqual(findMarkedProcesses(marker(id)), []);
  });
});
