// Every action kind against headless Chromium on the fixture portal. One browser for the file, a
// context per test.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPortal, type Portal } from '@petrel/fixture-portal';
import type { BrowserPool, RunContext } from '@petrel/browser';
import { createTestPool, element, skipWithoutChromium } from '../support/chromium.ts';

describe('actions', skipWithoutChromium, () => {
  let portal: Portal;
  let pool: BrowserPool;
  let root: string;
  let closePool: () => Promise<void>;

  before(async () => {
    portal = await startPortal({ cookieBanner: false, slowPageMs: 400 });
    ({ pool, root, close: closePool } = await createTestPool());
  });
  after(async () => {
    await closePool?.();
    await portal?.close();
  });

  async function signedIn(path: string): Promise<RunContext> {
    const ctx = await pool.newContext();
    await ctx.context.addCookies([portal.sessionCookie()]);
    const result = await ctx.act({ type: 'goto_url', url: portal.url + path });
    assert.equal(result.ok, true, result.error?.message);
    return ctx;
  }

  it('logs in with password and TOTP: input_text, click, keypress, and reports navigation', async () => {
    await using ctx = await pool.newContext();
    let result = await ctx.act({ type: 'goto_url', url: `${portal.url}/login` });
    assert.equal(result.ok, true);
    assert.equal(result.changed.navigated, true);
    let page = await ctx.observe();
    assert.equal((await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Email').id, text: 'demo@petrel.test' })).ok, true);
    const password = element(page, 'textbox', 'Password');
    assert.equal(password.attributes.type, 'password');
    result = await ctx.act({ type: 'input_text', elementId: password.id, text: 'petrel-demo-2026', sensitive: true });
    assert.equal(result.ok, true);
    assert.equal(result.replay.action.type === 'input_text' && result.replay.action.text, '', 'a sensitive value is not kept in the descriptor');
    const again = await ctx.observe();
    assert.equal(element(again, 'textbox', 'Password').attributes.value, '********', 'password values are masked');
    assert.ok(!again.text.includes('petrel-demo-2026'));
    result = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Sign in').id });
    assert.equal(result.ok, true, result.error?.message);
    assert.equal(result.changed.navigated, true);
    assert.match(result.changed.url ?? '', /\/login\/totp$/);
    page = await ctx.observe();
    await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Verification code').id, text: portal.totp() });
    result = await ctx.act({ type: 'keypress', elementId: element(page, 'textbox', 'Verification code').id, keys: 'Enter' });
    assert.equal(result.ok, true, result.error?.message);
    assert.match(result.changed.url ?? '', /\/dashboard$/);
    page = await ctx.observe();
    assert.match(page.text, /Welcome back, Dana/);
    assert.deepEqual(
      portal.submissions.logins.filter((l) => l.email === 'demo@petrel.test').map((l) => [l.step, l.outcome]).slice(-2),
      [['password', 'ok'], ['totp', 'ok']],
    );
  });

  it('fills a form: text, contenteditable, native and custom select, radio, check/uncheck, upload', async () => {
    await using ctx = await signedIn('/account');
    const page = await ctx.observe();
    const ok = async (action: Parameters<RunContext['act']>[0]) => {
      const result = await ctx.act(action);
      assert.equal(result.ok, true, `${action.type}: ${result.error?.message}`);
      return result;
    };
    await ok({ type: 'input_text', elementId: element(page, 'textbox', 'Phone').id, text: '+49 30 1234' });
    await ok({ type: 'input_text', elementId: element(page, 'textbox', 'Delivery notes').id, text: 'Leave at the back door' });
    await ok({ type: 'select_option', elementId: element(page, 'combobox', 'Country').id, option: 'Germany' });
    await ok({ type: 'select_option', elementId: element(page, 'combobox', 'Time zone').id, option: 'Central European Time (Berlin)' });
    await ok({ type: 'click', elementId: element(page, 'radio', 'Text message').id });
    await ok({ type: 'check', elementId: element(page, 'checkbox', 'newsletter').id });
    const certificate = join(root, 'certificate.txt');
    await writeFile(certificate, 'tax exempt until 2027\n');
    await ok({ type: 'upload_file', elementId: element(page, 'button', 'Tax exemption certificate').id, files: [certificate] });
    const filled = await ctx.observe();
    assert.equal(element(filled, 'checkbox', 'newsletter').attributes.checked, true);
    assert.equal(element(filled, 'button', 'Tax exemption certificate').attributes.value, 'certificate.txt');
    await ok({ type: 'uncheck', elementId: element(page, 'checkbox', 'newsletter').id });
    await ok({ type: 'check', elementId: element(page, 'checkbox', 'newsletter').id });
    const saved = await ok({ type: 'click', elementId: element(page, 'button', 'Save changes').id });
    assert.equal(saved.changed.navigated, true);
    const save = portal.submissions.accounts.at(-1);
    assert.ok(save, 'the portal received the form');
    assert.equal(save.fields.phone, '+49 30 1234');
    assert.equal(save.fields.notes, 'Leave at the back door');
    assert.equal(save.fields.country, 'DE');
    assert.equal(save.fields.timezone, 'Europe/Berlin');
    assert.equal(save.fields.contactMethod, 'sms');
    assert.equal(save.fields.newsletter, true);
    assert.equal(save.upload?.name, 'certificate.txt');
    assert.equal(save.upload?.sha256, createHash('sha256').update('tax exempt until 2027\n').digest('hex'));
  });

  it('downloads an invoice into the run folder with checksum and size', async () => {
    await using ctx = await signedIn('/orders/ORD-10001');
    const page = await ctx.observe();
    const result = await ctx.act({ type: 'download', elementId: element(page, 'link', 'Download invoice').id });
    assert.equal(result.ok, true, result.error?.message);
    const download = result.changed.download;
    assert.ok(download);
    assert.equal(download.fileName, 'invoice_ORD-10001.pdf');
    assert.ok(download.path.startsWith(ctx.downloadsDir));
    const bytes = await readFile(download.path);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    assert.equal(download.size, bytes.length);
    assert.equal(download.sha256, createHash('sha256').update(bytes).digest('hex'));
    const cookie = portal.sessionCookie();
    const direct = await fetch(`${portal.url}/orders/ORD-10001/invoice`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    assert.equal(download.sha256, createHash('sha256').update(Buffer.from(await direct.arrayBuffer())).digest('hex'), 'the same bytes the portal serves');
    assert.ok(download.artifactId, 'the download is also an artifact');
    const artifact = ctx.artifacts.find((a) => a.artifactId === download.artifactId);
    assert.equal(artifact?.type, 'download');
    assert.equal(artifact?.sha256, download.sha256);
    assert.equal(artifact?.contentType, 'application/pdf');
  });

  it('a plain click on a download link also saves and reports the file', async () => {
    await using ctx = await signedIn('/orders/ORD-10002');
    const page = await ctx.observe();
    const result = await ctx.act({ type: 'click', elementId: element(page, 'link', 'Download invoice').id });
    assert.equal(result.ok, true, result.error?.message);
    assert.equal(result.changed.download?.fileName, 'invoice_ORD-10002.pdf');
  });

  it('scrolls the page, to a text, and an element into view', async () => {
    await using ctx = await signedIn('/big');
    let page = await ctx.observe();
    assert.equal(page.scroll.y, 0);
    assert.equal((await ctx.act({ type: 'scroll', direction: 'down', pages: 2 })).ok, true);
    page = await ctx.observe();
    assert.ok(page.scroll.y > page.scroll.viewportHeight, `scrolled to ${page.scroll.y}`);
    assert.equal((await ctx.act({ type: 'scroll', direction: 'up', pages: 10 })).ok, true);
    assert.equal((await ctx.observe()).scroll.y, 0);
    const last = page.elements.filter((e) => e.role === 'button').at(-1);
    assert.ok(last);
    assert.equal((await ctx.act({ type: 'scroll', elementId: last.id })).ok, true);
    page = await ctx.observe();
    const moved = page.elements.find((e) => e.id === last.id);
    assert.ok(moved && moved.bounds.y >= 0 && moved.bounds.y < page.scroll.viewportHeight, 'the element is in the viewport');
    assert.equal((await ctx.act({ type: 'scroll', direction: 'up', pages: 100 })).ok, true);
    const toText = await ctx.act({ type: 'scroll', text: 'Catalogue item 350' });
    assert.equal(toText.ok, true, toText.error?.message);
    page = await ctx.observe();
    assert.ok(page.scroll.y > 10 * page.scroll.viewportHeight, `scrolled to ${page.scroll.y}`);
    const missing = await ctx.act({ type: 'scroll', text: 'no such text anywhere 42' });
    assert.equal(missing.ok, false);
    assert.equal(missing.error?.code, 'ELEMENT_NOT_FOUND');
  });

  it('waits for time, for text, and for a page to settle', async () => {
    await using ctx = await signedIn('/slow/lazy');
    let result = await ctx.act({ type: 'wait', text: 'Colombia Huila beans', timeoutMs: 10_000 });
    assert.equal(result.ok, true, result.error?.message);
    assert.match((await ctx.observe()).text, /Colombia Huila beans/);
    const started = Date.now();
    result = await ctx.act({ type: 'wait', ms: 200 });
    assert.equal(result.ok, true);
    assert.ok(Date.now() - started >= 190);
    result = await ctx.act({ type: 'wait' });
    assert.equal(result.ok, true, 'a bare wait waits for the page to settle');
    result = await ctx.act({ type: 'wait', text: 'never appears', timeoutMs: 300 });
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'TIMEOUT');
    result = await ctx.act({ type: 'goto_url', url: `${portal.url}/slow` });
    assert.equal(result.ok, true);
    assert.match((await ctx.observe()).text, /The statement is ready/);
  });

  it('navigates: goto_url (relative too), go_back, go_forward, reload; refuses non-http URLs', async () => {
    await using ctx = await signedIn('/orders');
    assert.equal((await ctx.act({ type: 'goto_url', url: '/orders/ORD-10003' })).changed.url, `${portal.url}/orders/ORD-10003`);
    let result = await ctx.act({ type: 'go_back' });
    assert.equal(result.changed.url, `${portal.url}/orders`);
    assert.equal(result.changed.navigated, true);
    result = await ctx.act({ type: 'go_forward' });
    assert.equal(result.changed.url, `${portal.url}/orders/ORD-10003`);
    result = await ctx.act({ type: 'reload' });
    assert.equal(result.ok, true);
    assert.equal(result.changed.navigated, true);
    result = await ctx.act({ type: 'goto_url', url: 'file:///etc/passwd' });
    assert.equal(result.ok, false);
    assert.equal(result.error?.code, 'VALIDATION_FAILED');
  });

  it('opens, switches and closes tabs; a target=_blank link and window.open become the active tab', async () => {
    await using ctx = await signedIn('/links');
    let page = await ctx.observe();
    let result = await ctx.act({ type: 'click', elementId: element(page, 'link', 'Open the help center').id });
    assert.equal(result.ok, true, result.error?.message);
    assert.deepEqual(result.changed.newTab, { index: 1, url: `${portal.url}/help` });
    page = await ctx.observe();
    assert.equal(page.url, `${portal.url}/help`);
    assert.deepEqual(page.tabs.map((t) => [t.index, t.active]), [[0, false], [1, true]]);
    assert.match(page.text, /^tabs: 0 .*\| 1\* /m);
    result = await ctx.act({ type: 'switch_tab', index: 0 });
    assert.equal(result.ok, true);
    page = await ctx.observe();
    result = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Open order preview window').id });
    assert.equal(result.changed.newTab?.index, 2);
    assert.match((await ctx.observe()).text, /This window was opened by window.open/);
    assert.equal((await ctx.act({ type: 'close_tab' })).ok, true);
    assert.equal(ctx.tabs().length, 2);
    assert.equal((await ctx.act({ type: 'new_tab', url: `${portal.url}/orders` })).ok, true);
    assert.equal(ctx.page.url(), `${portal.url}/orders`);
    assert.equal((await ctx.act({ type: 'close_tab', index: 0 })).ok, true);
    assert.deepEqual(ctx.tabs().map((t) => t.url), [`${portal.url}/help`, `${portal.url}/orders`]);
    const bad = await ctx.act({ type: 'switch_tab', index: 9 });
    assert.equal(bad.ok, false);
  });

  it('keeps alert, confirm and prompt pending until accepted or dismissed', async () => {
    await using ctx = await signedIn('/dialogs');
    const page = await ctx.observe();
    let result = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Delete draft').id });
    assert.equal(result.ok, true, result.error?.message);
    assert.deepEqual(result.changed.dialog, { type: 'confirm', message: 'Delete this draft? This cannot be undone.' });
    const blocked = await ctx.observe();
    assert.equal(blocked.dialogs.length, 1);
    assert.match(blocked.text, /dialog confirm: "Delete this draft/);
    const refused = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Rename project').id });
    assert.equal(refused.ok, false);
    assert.equal(refused.error?.code, 'INVALID_TRANSITION');
    assert.equal((await ctx.act({ type: 'dismiss_dialog' })).ok, true);
    assert.match((await ctx.observe()).text, /Result: Deletion cancelled/);
    await ctx.act({ type: 'click', elementId: element(page, 'button', 'Delete draft').id });
    assert.equal((await ctx.act({ type: 'accept_dialog' })).ok, true);
    assert.match((await ctx.observe()).text, /Result: Draft deleted/);
    result = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Rename project').id });
    assert.equal(result.changed.dialog?.type, 'prompt');
    assert.equal(result.changed.dialog?.defaultValue, 'Untitled project');
    assert.equal((await ctx.act({ type: 'accept_dialog', promptText: 'Harvest 2026' })).ok, true);
    assert.match((await ctx.observe()).text, /Harvest 2026/);
    result = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Show session warning').id });
    assert.equal(result.changed.dialog?.type, 'alert');
    assert.equal((await ctx.act({ type: 'accept_dialog' })).ok, true);
    const none = await ctx.act({ type: 'accept_dialog' });
    assert.equal(none.ok, false);
    assert.equal(none.error?.code, 'INVALID_TRANSITION');
  });

  it('reads text and HTML of the page and of one element', async () => {
    await using ctx = await signedIn('/orders/ORD-10004');
    const page = await ctx.observe();
    const text = await ctx.act({ type: 'read_text' });
    assert.match(text.value ?? '', /Order ORD-10004/);
    const html = await ctx.act({ type: 'read_html' });
    assert.match(html.value ?? '', /^<html/);
    assert.ok(!(html.value ?? '').includes('data-petrel-id'), 'the observer attribute is not part of the HTML');
    const link = element(page, 'link', 'Download invoice');
    assert.equal((await ctx.act({ type: 'read_text', elementId: link.id })).value, 'Download invoice');
    assert.match((await ctx.act({ type: 'read_html', elementId: link.id })).value ?? '', /^<a [^>]*href="\/orders\/ORD-10004\/invoice"/);
  });

  it('double clicks, hovers to open a menu, and scrolls inside a scroll container (portal /gestures)', async () => {
    await using ctx = await pool.newContext();
    assert.equal((await ctx.act({ type: 'goto_url', url: `${portal.url}/gestures` })).ok, true);
    const page = await ctx.observe();
    const result = async () => /Result: (.*)/.exec((await ctx.observe()).text)?.[1];

    const file = element(page, 'button', 'price-list.xlsx');
    assert.equal((await ctx.act({ type: 'click', elementId: file.id })).ok, true);
    assert.equal(await result(), 'Selected price-list.xlsx');
    assert.equal((await ctx.act({ type: 'click', elementId: file.id, double: true })).ok, true);
    assert.equal(await result(), 'Opened price-list.xlsx');

    assert.equal(page.elements.some((e) => e.role === 'menuitem'), false, 'the menu is closed before the hover');
    const trigger = element(page, 'button', 'Quick actions');
    assert.equal(trigger.attributes.haspopup, 'menu');
    assert.equal((await ctx.act({ type: 'hover', elementId: trigger.id })).ok, true);
    const open = await ctx.observe();
    const item = element(open, 'menuitem', 'Download statement');
    assert.equal((await ctx.act({ type: 'click', elementId: item.id })).ok, true);
    assert.equal(await result(), 'Chose Download statement');

    const box = page.elements.find((e) => e.role === 'scrollable');
    assert.ok(box, page.text);
    assert.equal(box.attributes.scroll, '0/900');
    assert.equal((await ctx.act({ type: 'scroll', elementId: box.id, direction: 'down' })).ok, true);
    assert.equal((await ctx.observe()).elements.find((e) => e.id === box.id)?.attributes.scroll, '100/900');
    assert.equal((await ctx.act({ type: 'scroll', text: 'Accept the terms' })).ok, true);
    const scrolled = await ctx.observe();
    const top = Number(scrolled.elements.find((e) => e.id === box.id)?.attributes.scroll?.split('/')[0]);
    assert.ok(top > 700, `scrolling to a text scrolls the box to its bottom (at ${top})`);
    assert.equal((await ctx.act({ type: 'click', elementId: element(scrolled, 'button', 'Accept the terms').id })).ok, true);
    assert.equal(await result(), 'Terms accepted');
  });

  it('returns ok:false with a code for a stale or unknown id, and throws on a malformed action', async () => {
    await using ctx = await signedIn('/orders');
    const page = await ctx.observe();
    const link = element(page, 'link', 'ORD-10240');
    await ctx.act({ type: 'goto_url', url: `${portal.url}/dashboard` });
    const stale = await ctx.act({ type: 'click', elementId: link.id });
    assert.equal(stale.ok, false);
    assert.equal(stale.error?.code, 'ELEMENT_NOT_FOUND');
    const unknown = await ctx.act({ type: 'click', elementId: 'e99999' });
    assert.equal(unknown.error?.code, 'ELEMENT_NOT_FOUND');
    await assert.rejects(ctx.act({ type: 'click', elementId: 'button-1' } as never), /VALIDATION|elementId/);
    await assert.rejects(ctx.act({ type: 'teleport' } as never), /invalid action/);
  });
});
