// Profiles keep a login for new contexts and sessions; a checkpoint restored in another process keeps
// the login, the open tabs, the page and sessionStorage.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPortal, type Portal } from '@petrel/fixture-portal';
import { isPetrelError } from '@petrel/protocol';
import { checkpoint, createProfileStore, createSessionManager, loadCheckpoint, restore, type BrowserPool, type ProfileStore, type RunContext } from '@petrel/browser';
import { chromiumPath, createTestPool, element, skipWithoutChromium } from '../support/chromium.ts';

const run = promisify(execFile);
const childRestore = fileURLToPath(new URL('../support/child-restore.ts', import.meta.url));

describe('profiles and checkpoints', skipWithoutChromium, () => {
  let portal: Portal;
  let pool: BrowserPool;
  let root: string;
  let closePool: () => Promise<void>;
  let profiles: ProfileStore;

  before(async () => {
    portal = await startPortal({ cookieBanner: false });
    ({ pool, root, close: closePool } = await createTestPool());
    profiles = createProfileStore({ blobStore: pool.blobStore });
  });
  after(async () => {
    await closePool?.();
    await portal?.close();
  });

  async function logIn(ctx: RunContext): Promise<void> {
    await ctx.act({ type: 'goto_url', url: `${portal.url}/login` });
    const page = await ctx.observe();
    await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Email').id, text: 'demo@petrel.test' });
    await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Password').id, text: 'petrel-demo-2026' });
    await ctx.act({ type: 'check', elementId: element(page, 'checkbox', 'Keep me signed in').id });
    await ctx.act({ type: 'click', elementId: element(page, 'button', 'Sign in').id });
    const totp = await ctx.observe();
    const result = await ctx.act({ type: 'input_text', elementId: element(totp, 'textbox', 'Verification code').id, text: portal.totp(), pressEnter: true });
    assert.match(result.changed.url ?? '', /\/dashboard$/);
  }

  it('saves a profile from a finished context and starts signed in from it (context and session)', async () => {
    let profileId: string;
    {
      await using ctx = await pool.newContext();
      await logIn(ctx);
      await ctx.page.evaluate(() => localStorage.setItem('petrel-pref', 'compact'));
      const profile = await profiles.create({ name: 'Demo account', description: 'signed in', state: await ctx.storageState(), source: { workflowRunId: ctx.runId } });
      assert.match(profile.browserProfileId, /^bp_/);
      assert.ok(profile.cookieCount > 0);
      assert.deepEqual(profile.origins, [portal.url]);
      profileId = profile.browserProfileId;
    }
    assert.deepEqual((await profiles.list()).map((p) => p.browserProfileId), [profileId]);
    assert.equal((await profiles.get(profileId)).name, 'Demo account');

    await using fresh = await pool.newContext({ storageState: await profiles.loadState(profileId) });
    const result = await fresh.act({ type: 'goto_url', url: `${portal.url}/dashboard` });
    assert.equal(result.changed.url, `${portal.url}/dashboard`, 'no redirect to the login page');
    assert.match((await fresh.observe()).text, /Welcome back, Dana/);
    assert.equal(await fresh.page.evaluate(() => localStorage.getItem('petrel-pref')), 'compact');

    await using sessions = createSessionManager(chromiumPath ? { executablePath: chromiumPath } : {});
    const session = await sessions.create({ storageState: await profiles.loadState(profileId), browserProfileId: profileId, url: `${portal.url}/orders` });
    assert.equal(session.browserProfileId, profileId);
    {
      await using attached = await pool.attach(session.browserAddress as string);
      assert.match((await attached.observe()).text, /Order history/, 'the session starts signed in');
    }
    // A session's state can become a profile too.
    const fromSession = await profiles.create({ name: 'From session', state: await sessions.captureState(session.browserSessionId), source: { browserSessionId: session.browserSessionId } });
    assert.ok(fromSession.cookieCount > 0);

    assert.equal(await profiles.delete(profileId), true);
    await assert.rejects(profiles.get(profileId), (e) => isPetrelError(e) && e.code === 'BROWSER_PROFILE_NOT_FOUND');
    assert.equal(await profiles.find('bp_nope'), undefined);
  });

  it('restores a checkpoint in a new process with login, tabs, page and sessionStorage', async () => {
    await using ctx = await pool.newContext();
    await logIn(ctx);
    await ctx.act({ type: 'goto_url', url: `${portal.url}/orders?page=3` });
    await ctx.page.evaluate(() => sessionStorage.setItem('petrel-test', 'kept'));
    await ctx.act({ type: 'new_tab', url: `${portal.url}/orders/ORD-10007` });
    await ctx.act({ type: 'switch_tab', index: 0 });
    const saved = await checkpoint(ctx);
    assert.ok(!('blob' in saved));
    assert.equal(saved.activeTab, 0);
    assert.deepEqual(saved.tabs.map((t) => t.url), [`${portal.url}/orders?page=3`, `${portal.url}/orders/ORD-10007`]);
    assert.equal(saved.sessionStorage[portal.url]?.['petrel-test'], 'kept');
    const json = JSON.stringify(saved);
    assert.ok(json.length < 1024 * 1024);

    const file = join(root, 'checkpoint.json');
    await writeFile(file, json);
    const { stdout } = await run(process.execPath, [childRestore, file], { timeout: 60_000 });
    const child = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { pid: number; url: string; tabs: string[]; text: string; session: string | null };
    assert.notEqual(child.pid, process.pid);
    assert.equal(child.url, `${portal.url}/orders?page=3`);
    assert.deepEqual(child.tabs, saved.tabs.map((t) => t.url));
    assert.match(child.text, /Page 3 of 12/, 'the page is back, signed in');
    assert.equal(child.session, 'kept');
  });

  it('stores a checkpoint over the inline limit in the blob store and restores it', async () => {
    await using ctx = await pool.newContext();
    await ctx.context.addCookies([portal.sessionCookie()]);
    await ctx.act({ type: 'goto_url', url: `${portal.url}/dashboard` });
    const saved = await checkpoint(ctx, { blobStore: pool.blobStore, maxInlineBytes: 100 });
    assert.ok('blob' in saved);
    assert.ok((await pool.blobStore.head(saved.blob.key))?.size === saved.blob.size);
    assert.equal((await loadCheckpoint(saved, { blobStore: pool.blobStore })).tabs[0]?.url, `${portal.url}/dashboard`);
    await assert.rejects(checkpoint(ctx, { maxInlineBytes: 100 }), (e) => isPetrelError(e) && e.code === 'PAYLOAD_TOO_LARGE');
    await using restored = await restore(pool, saved);
    assert.match((await restored.observe()).text, /Welcome back, Dana/);
  });
});
