// Observation against the portal: ids, roles, names and attributes; a same-origin and a cross-site
// (out-of-process) iframe; open and nested shadow roots; the big page; id stability; token counts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPortal, type Portal } from '@petrel/fixture-portal';
import { countTokens, type BrowserPool, type RunContext } from '@petrel/browser';
import { createTestPool, element, skipWithoutChromium } from '../support/chromium.ts';

describe('observation', skipWithoutChromium, () => {
  let portal: Portal;
  let pool: BrowserPool;
  let closePool: () => Promise<void>;

  before(async () => {
    portal = await startPortal({ cookieBanner: false });
    ({ pool, close: closePool } = await createTestPool());
  });
  after(async () => {
    await closePool?.();
    await portal?.close();
  });

  async function open(path: string): Promise<RunContext> {
    const ctx = await pool.newContext();
    await ctx.context.addCookies([portal.sessionCookie()]);
    const result = await ctx.act({ type: 'goto_url', url: portal.url + path });
    assert.equal(result.ok, true, result.error?.message);
    return ctx;
  }

  it('lists the interactive elements of a form with role, name, attributes and position', async () => {
    await using ctx = await open('/account');
    const page = await ctx.observe({ countTokens: true });
    assert.equal(page.url, `${portal.url}/account`);
    assert.equal(page.title, 'Account settings - Ember Supply');
    const email = element(page, 'textbox', 'Email');
    assert.deepEqual(
      { tag: email.tag, type: email.attributes.type, name: email.attributes.name, value: email.attributes.value, required: email.attributes.required },
      { tag: 'input', type: 'email', name: 'email', value: 'demo@petrel.test', required: true },
    );
    const phone = element(page, 'textbox', 'Phone');
    assert.equal(phone.attributes.placeholder, '+1 555 0100');
    const country = element(page, 'combobox', 'Country');
    assert.equal(country.tag, 'select');
    assert.ok(country.options?.some((o) => o.label === 'Germany' && o.value === 'DE'));
    assert.equal(country.options?.filter((o) => o.selected).length, 1);
    const timezone = element(page, 'combobox', 'Time zone');
    assert.equal(timezone.attributes.expanded, false);
    assert.equal(timezone.attributes.haspopup, 'listbox');
    assert.equal(element(page, 'radio', 'Email').attributes.checked, true);
    const notes = element(page, 'textbox', 'Delivery notes');
    assert.equal(notes.tag, 'div', 'contenteditable is a textbox');
    for (const e of page.elements) {
      assert.match(e.id, /^e\d+$/);
      assert.ok(e.bounds.width >= 0 && e.bounds.height >= 0);
      assert.ok(page.text.includes(`[${e.id} `), `${e.id} is in the text form`);
    }
    assert.ok(page.tokens && page.tokens > 50 && page.tokens < 2000, `tokens ${page.tokens}`);
    const save = element(page, 'button', 'Save changes');
    assert.ok(save.bounds.y > email.bounds.y, 'positions follow the layout');
    assert.equal(await ctx.locator(save.id).textContent(), 'Save changes');
  });

  it('keeps ids stable across observations while the nodes live, and hands out new ones after a navigation', async () => {
    await using ctx = await open('/orders');
    const first = await ctx.observe();
    const second = await ctx.observe();
    assert.deepEqual(second.elements.map((e) => e.id), first.elements.map((e) => e.id));
    const next = element(first, 'link', 'Next');
    await ctx.act({ type: 'click', elementId: next.id });
    const third = await ctx.observe();
    assert.match(third.url, /page=2/);
    const ids = new Set(first.elements.map((e) => e.id));
    assert.ok(third.elements.every((e) => !ids.has(e.id)), 'a new document gets new ids');
  });

  it('observes a same-origin iframe and an out-of-process cross-site iframe with page-unique ids and acts inside both', async () => {
    await using ctx = await open('/frames');
    const page = await ctx.observe();
    assert.equal(page.frames.length, 3);
    const cross = page.frames.find((f) => f.crossOrigin);
    assert.ok(cross && cross.ok, 'the cross-origin frame was read');
    assert.equal(cross.url.startsWith(portal.crossOriginUrl), true);
    // The payment frame is cross-site (localhost inside 127.0.0.1), so Chromium runs it out of
    // process: it is a target of its own, the same-origin frame is not.
    assert.equal(new URL(cross.url).hostname, 'localhost');
    const cdp = await ctx.context.newCDPSession(ctx.page);
    const { targetInfos } = await cdp.send('Target.getTargets');
    assert.deepEqual(targetInfos.filter((info) => info.type === 'iframe').map((info) => info.url), [cross.url]);
    await cdp.detach();
    const same = page.frames.find((f) => f.parentFrameId === 'f0' && !f.crossOrigin);
    assert.ok(same);
    const newsletter = element(page, 'textbox', 'Email for the newsletter');
    const card = element(page, 'textbox', 'Card number');
    assert.equal(newsletter.frameId, same.frameId);
    assert.equal(card.frameId, cross.frameId);
    assert.equal(new Set(page.elements.map((e) => e.id)).size, page.elements.length, 'ids are unique across frames');
    const host = page.elements.find((e) => e.id === cross.elementId);
    assert.equal(host?.role, 'iframe');
    assert.ok(card.bounds.y >= host.bounds.y, 'frame content is placed inside its iframe');
    assert.match(page.text, /\[e\d+ iframe\] Ember Pay payment form \{\n[\s\S]*Card number[\s\S]*\n\}/);

    const ok = async (action: Parameters<RunContext['act']>[0]) => {
      const result = await ctx.act(action);
      assert.equal(result.ok, true, `${action.type}: ${result.error?.message}`);
      return result;
    };
    await ok({ type: 'input_text', elementId: element(page, 'textbox', 'Name on card').id, text: 'Dana Demo' });
    const typed = await ok({ type: 'input_text', elementId: card.id, text: '4242 4242 4242 4242' });
    assert.equal(typed.replay.target?.framePath.length, 1, 'the descriptor records the frame hop');
    await ok({ type: 'click', elementId: element(page, 'button', 'Pay').id });
    await ok({ type: 'input_text', elementId: newsletter.id, text: 'dana@example.com' });
    await ok({ type: 'check', elementId: element(page, 'checkbox', 'Weekly digest').id });
    await ok({ type: 'click', elementId: element(page, 'button', 'Subscribe').id });
    const widgets = portal.submissions.widgets;
    const payment = widgets.find((w) => w.widget === 'cross-origin-frame');
    const signup = widgets.find((w) => w.widget === 'same-origin-frame');
    assert.deepEqual(payment?.fields, { cardName: 'Dana Demo', cardLast4: '4242' });
    assert.ok(signup && Object.values(signup.fields).includes('dana@example.com'), JSON.stringify(widgets));
  });

  it('observes open and nested shadow roots and acts inside them', async () => {
    await using ctx = await open('/shadow');
    const page = await ctx.observe();
    const name = element(page, 'textbox', 'Your name');
    assert.equal(name.inShadowRoot, true);
    const helpful = element(page, 'button', 'Mark as helpful');
    assert.equal(helpful.inShadowRoot, true);
    assert.equal((await ctx.act({ type: 'click', elementId: helpful.id })).ok, true);
    assert.match((await ctx.observe()).text, /Mark as helpful \(\+1\)\s*1/);
    assert.equal((await ctx.act({ type: 'input_text', elementId: name.id, text: 'Dana' })).ok, true);
    assert.equal((await ctx.act({ type: 'select_option', elementId: element(page, 'combobox', 'Rating').id, option: '4 - Good' })).ok, true);
    assert.equal((await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Feedback').id, text: 'Fast delivery' })).ok, true);
    const sent = await ctx.act({ type: 'click', elementId: element(page, 'button', 'Send feedback').id });
    assert.equal(sent.ok, true, sent.error?.message);
    const feedback = portal.submissions.widgets.find((w) => w.widget === 'shadow-feedback');
    assert.ok(feedback, 'the shadow form was submitted');
    assert.ok(Object.values(feedback.fields).includes('Fast delivery'));
    assert.ok(Object.values(feedback.fields).includes('4'), JSON.stringify(feedback.fields));
  });

  it('observes the big page in one pass: every interactive element has an id in the text form', async () => {
    await using ctx = await open('/big');
    const page = await ctx.observe({ countTokens: true });
    assert.ok(page.nodeCount >= 2000, `nodes ${page.nodeCount}`);
    const buttons = page.elements.filter((e) => e.role === 'button');
    assert.ok(buttons.length >= 400, `buttons ${buttons.length}`);
    const ids = page.text.match(/\[e\d+ /g) ?? [];
    assert.equal(ids.length, page.elements.length);
    const html = await ctx.page.evaluate(() => document.documentElement.outerHTML);
    const htmlTokens = await countTokens(html);
    assert.ok(page.tokens !== undefined && page.tokens < htmlTokens * 0.5, `tokens ${page.tokens} vs outerHTML ${htmlTokens}`);
  });

  it('shortens same-origin links to their path and keeps other links whole', async () => {
    await using ctx = await open('/help');
    await ctx.page.evaluate(() => {
      const box = document.createElement('nav');
      box.innerHTML = [
        '<a href="orders?status=Shipped#list">Relative link</a>',
        '<a href="https://example.com/a/b?c=1">Other site</a>',
        '<a href="javascript:void(0)">Script link</a>',
        `<a href="${location.origin}0/elsewhere">Other port</a>`,
      ].join(' ');
      document.body.prepend(box);
    });
    const page = await ctx.observe();
    assert.equal(element(page, 'link', 'Relative link').attributes.href, '/orders?status=Shipped#list');
    assert.equal(element(page, 'link', 'Other site').attributes.href, 'https://example.com/a/b?c=1');
    assert.equal(element(page, 'link', 'Script link').attributes.href, 'javascript:');
    assert.equal(element(page, 'link', 'Other port').attributes.href, `${portal.url}0/elsewhere`);
  });

  it('reports scroll, tabs and pending dialogs in the header', async () => {
    await using ctx = await open('/dialogs');
    let page = await ctx.observe();
    assert.equal(page.dialogs.length, 0);
    assert.deepEqual(page.tabs, [{ index: 0, url: `${portal.url}/dialogs`, title: 'Dialogs - Ember Supply', active: true }]);
    await ctx.act({ type: 'click', elementId: element(page, 'button', 'Show session warning').id });
    page = await ctx.observe();
    assert.deepEqual(page.dialogs, [{ type: 'alert', message: 'Your session will expire in 5 minutes.' }]);
    assert.equal(page.elements.length, 0, 'a blocked page is not read');
    await ctx.act({ type: 'accept_dialog' });
    await ctx.act({ type: 'goto_url', url: `${portal.url}/big` });
    await ctx.act({ type: 'scroll', direction: 'down' });
    page = await ctx.observe();
    assert.ok(page.scroll.y > 0 && page.scroll.height > page.scroll.viewportHeight);
    assert.match(page.text, /^scroll: \d+\/\d+px, viewport 1280x720$/m);
  });
});
