// Replay descriptors recorded by `act` run again in a fresh context without an observation, through
// frames and shadow roots, fall back to lower-ranked selectors, and print as working Playwright code.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startPortal, type Portal } from '@petrel/fixture-portal';
import { replayToPlaywrightCode, type BrowserAction, type BrowserPool, type ReplayDescriptor, type RunContext } from '@petrel/browser';
import { createTestPool, element, skipWithoutChromium } from '../support/chromium.ts';

describe('replay', skipWithoutChromium, () => {
  let portal: Portal;
  let pool: BrowserPool;
  let closePool: () => Promise<void>;
  const recorded: ReplayDescriptor[] = [];

  before(async () => {
    portal = await startPortal({ cookieBanner: false });
    ({ pool, close: closePool } = await createTestPool());
  });
  after(async () => {
    await closePool?.();
    await portal?.close();
  });

  async function record(ctx: RunContext, action: BrowserAction): Promise<void> {
    const result = await ctx.act(action);
    assert.equal(result.ok, true, `${action.type}: ${result.error?.message}`);
    recorded.push(result.replay);
  }

  it('records a login with a payment in a cross-origin frame and a shadow-DOM form', async () => {
    await using ctx = await pool.newContext();
    await record(ctx, { type: 'goto_url', url: `${portal.url}/login` });
    let page = await ctx.observe();
    await record(ctx, { type: 'input_text', elementId: element(page, 'textbox', 'Email').id, text: 'demo@petrel.test' });
    await record(ctx, { type: 'input_text', elementId: element(page, 'textbox', 'Password').id, text: 'petrel-demo-2026', sensitive: true });
    await record(ctx, { type: 'click', elementId: element(page, 'button', 'Sign in').id });
    page = await ctx.observe();
    // The TOTP code changes, so it is typed by code at replay; only the submit is recorded here.
    await ctx.act({ type: 'input_text', elementId: element(page, 'textbox', 'Verification code').id, text: portal.totp() });
    await record(ctx, { type: 'click', elementId: element(page, 'button', 'Verify').id });
    await record(ctx, { type: 'goto_url', url: `${portal.url}/frames` });
    page = await ctx.observe();
    await record(ctx, { type: 'input_text', elementId: element(page, 'textbox', 'Name on card').id, text: 'Replay Person' });
    await record(ctx, { type: 'input_text', elementId: element(page, 'textbox', 'Card number').id, text: '4000 0000 0000 0002' });
    await record(ctx, { type: 'click', elementId: element(page, 'button', 'Pay').id });
    await record(ctx, { type: 'goto_url', url: `${portal.url}/shadow` });
    page = await ctx.observe();
    await record(ctx, { type: 'input_text', elementId: element(page, 'textbox', 'Feedback').id, text: 'Replayed feedback' });
    await record(ctx, { type: 'click', elementId: element(page, 'button', 'Send feedback').id });

    const card = recorded.find((d) => d.target?.name === 'Card number');
    assert.ok(card?.target);
    assert.equal(card.target.framePath.length, 1);
    assert.ok(card.target.selectors.length >= 2, JSON.stringify(card.target.selectors));
    const email = recorded.find((d) => d.target?.name === 'Email address');
    assert.deepEqual(email?.target?.selectors[0], { kind: 'role', role: 'textbox', name: 'Email address' });
    assert.ok(email?.target?.selectors.some((s) => s.kind === 'css'));
    assert.ok(email?.target?.selectors.some((s) => s.kind === 'xpath'));
    assert.equal(JSON.parse(JSON.stringify(recorded)).length, recorded.length, 'descriptors are plain JSON');
  });

  it('replays the descriptors in a fresh context without observing', async () => {
    assert.ok(recorded.length > 5);
    portal.submissions.widgets.length = 0;
    await using ctx = await pool.newContext();
    for (const descriptor of recorded) {
      if (descriptor.action.type === 'click' && descriptor.target?.name === 'Verify') {
        await ctx.page.getByLabel('Verification code').fill(portal.totp());
      }
      const result = await ctx.replay(descriptor, { text: 'petrel-demo-2026' });
      assert.equal(result.ok, true, `${descriptor.action.type} ${descriptor.target?.name ?? ''}: ${result.error?.message}`);
      if (descriptor.target) assert.ok(result.matchedSelector, 'reports which selector matched');
    }
    const widgets = portal.submissions.widgets;
    assert.deepEqual(widgets.find((w) => w.widget === 'cross-origin-frame')?.fields, { cardName: 'Replay Person', cardLast4: '0002' });
    assert.ok(Object.values(widgets.find((w) => w.widget === 'shadow-feedback')?.fields ?? {}).includes('Replayed feedback'));
  });

  it('falls back to the next selector and fails cleanly when none matches', async () => {
    await using ctx = await pool.newContext();
    await ctx.context.addCookies([portal.sessionCookie()]);
    await ctx.act({ type: 'goto_url', url: `${portal.url}/orders` });
    const page = await ctx.observe();
    const { replay } = await ctx.act({ type: 'click', elementId: element(page, 'link', 'ORD-10240').id });
    assert.ok(replay.target);
    await ctx.act({ type: 'go_back' });
    const broken: ReplayDescriptor = {
      ...replay,
      target: { ...replay.target, selectors: [{ kind: 'css', selector: '#no-such-thing' }, ...replay.target.selectors.filter((s) => s.kind !== 'role')] },
    };
    const result = await ctx.replay(broken, { timeoutMs: 3000 });
    assert.equal(result.ok, true, result.error?.message);
    assert.notEqual(result.matchedSelector?.kind, 'css');
    assert.match(ctx.page.url(), /ORD-10240$/);
    const hopeless: ReplayDescriptor = { ...replay, target: { ...replay.target, selectors: [{ kind: 'text', text: 'Nothing like this' }] } };
    const failed = await ctx.replay(hopeless, { timeoutMs: 500 });
    assert.equal(failed.ok, false);
    assert.equal(failed.error?.code, 'ELEMENT_NOT_FOUND');
    await assert.rejects(ctx.replay({ ...recorded[2], action: { type: 'input_text', text: '', sensitive: true } } as ReplayDescriptor), /sensitive/);
  });

  it('prints descriptors as Playwright code that runs', async () => {
    const login = recorded.slice(0, 4);
    const code = login.map(replayToPlaywrightCode).join('\n');
    assert.match(code, /await page\.getByRole\('textbox', \{ name: 'Email address', exact: true \}\)\.fill\('demo@petrel\.test'\);/);
    assert.match(code, /\.fill\(secret\);/);
    await using ctx = await pool.newContext();
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<void>;
    await new AsyncFunction('page', 'secret', code)(ctx.page, 'petrel-demo-2026');
    await ctx.page.waitForURL(/\/login\/totp$/);
  });
});
