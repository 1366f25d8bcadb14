// Browser tests of the hard pages: frames on two sites (the cross-site one out of process), gestures
// (double click, a hover menu, a scroll box), the shadow-DOM widget, dialogs, the big page, the slow
// page and new tabs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startPortal } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { chromiumMissing, launchBrowser, newContext } from './chromium.ts';

const skip = chromiumMissing();

describe('portal: frames, gestures, shadow DOM, dialogs, big, slow, tabs', { skip }, () => {
  let portal: Portal;
  let browser: Browser;
  before(async () => {
    portal = await startPortal({ slowPageMs: 800 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await portal?.close();
  });

  test('the same-origin frame and the cross-site frame on the second origin both work', async (t) => {
    const { context, page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/frames`);
    const mainPort = new URL(portal.url).port;
    const crossPort = new URL(portal.crossOriginUrl).port;
    assert.notEqual(mainPort, crossPort);
    assert.equal(new URL(portal.url).hostname, '127.0.0.1');
    assert.equal(new URL(portal.crossOriginUrl).hostname, 'localhost', 'another site than 127.0.0.1, not just another port');

    const newsletter = page.frameLocator('iframe[title="Newsletter signup"]');
    await newsletter.getByLabel('Email for the newsletter').fill('news@example.test');
    await newsletter.getByRole('button', { name: 'Subscribe' }).click();
    await newsletter.getByText('Subscribed news@example.test').waitFor();

    const payment = page.frameLocator('iframe[title="Ember Pay payment form"]');
    await payment.getByLabel('Card number').fill('4242 4242 4242 4242');
    await payment.getByLabel('Name on card').fill('Dana Demo');
    await payment.getByRole('button', { name: 'Pay $25.00' }).click();
    await payment.getByText(/Payment authorised - reference PAY-0001/).waitFor();

    const frame = page.frames().find((f) => f.url().includes('/embed/payment'));
    assert.ok(frame, 'the payment frame is attached');
    assert.equal(new URL(frame.url()).port, crossPort);
    assert.equal(await frame.evaluate(() => location.origin), portal.crossOriginUrl);
    // The parent cannot read a cross-origin frame's document; it can read the same-origin one.
    const access = await page.evaluate(() =>
      [...document.querySelectorAll('iframe')].map((f) => {
        try {
          return f.contentDocument !== null;
        } catch {
          return false;
        }
      }),
    );
    assert.deepEqual(access, [true, false]);
    // Site isolation: Chromium gives the cross-site frame a target (a renderer) of its own; the
    // same-origin frame stays in the page's process and has none.
    const cdp = await context.newCDPSession(page);
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: Array<{ type: string; url: string }> };
    const frameTargets = targetInfos.filter((info) => info.type === 'iframe').map((info) => info.url);
    assert.deepEqual(frameTargets, [`${portal.crossOriginUrl}/embed/payment`]);
    assert.deepEqual(
      portal.submissions.widgets.map((w) => [w.widget, w.fields]),
      [
        ['same-origin-frame', { email: 'news@example.test', weekly: 'no' }],
        ['cross-origin-frame', { cardName: 'Dana Demo', cardLast4: '4242' }],
      ],
    );
  });

  test('gestures: a click selects and a double click opens a file, hover opens a menu, a scroll box hides its button below the fold', async (t) => {
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/gestures`);
    const result = page.getByTestId('gesture-result');
    const file = page.getByRole('button', { name: 'price-list.xlsx' });
    await file.click();
    assert.equal(await result.textContent(), 'Selected price-list.xlsx');
    await file.dblclick();
    assert.equal(await result.textContent(), 'Opened price-list.xlsx');

    const item = page.getByRole('menuitem', { name: 'Download statement' });
    assert.equal(await item.isVisible(), false, 'the menu is closed until hovered');
    await page.getByRole('button', { name: 'Quick actions' }).hover();
    await item.waitFor({ state: 'visible' });
    await item.click();
    assert.equal(await result.textContent(), 'Chose Download statement');

    const box = page.getByTestId('scroll-box');
    const accept = page.getByRole('button', { name: 'Accept the terms' });
    const geometry = () => box.evaluate((el) => [el.scrollTop, el.scrollHeight - el.clientHeight]);
    assert.deepEqual(await geometry(), [0, 900]);
    const inView = () => accept.evaluate((button) => {
      const container = button.closest('[data-testid=scroll-box]')!.getBoundingClientRect();
      const own = button.getBoundingClientRect();
      return own.top >= container.top && own.bottom <= container.bottom;
    });
    assert.equal(await inView(), false, 'the button starts below the box fold');
    await box.evaluate((el) => el.scrollBy(0, 900));
    assert.equal(await inView(), true);
    await accept.click();
    assert.equal(await result.textContent(), 'Terms accepted');
  });

  test('the shadow-DOM widget takes input, posts it, and its nested shadow counter counts', async (t) => {
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/shadow`);
    assert.equal(await page.evaluate(() => document.querySelector('ember-feedback')?.shadowRoot?.mode), 'open');
    assert.equal(await page.evaluate(() => document.querySelector('#fb-name')), null, 'the fields are not in the light DOM');
    await page.getByLabel('Your name').fill('Robin');
    await page.getByLabel('Rating').selectOption('4');
    await page.getByLabel('Feedback').fill('Arrived early.');
    await page.getByRole('button', { name: 'Send feedback' }).click();
    await page.getByText('Thanks, Robin! Feedback FB-0001 received.').waitFor();
    assert.deepEqual(portal.submissions.widgets.at(-1), {
      widget: 'shadow-feedback',
      fields: { name: 'Robin', rating: '4', feedback: 'Arrived early.' },
      at: portal.submissions.widgets.at(-1)?.at,
    });
    await page.getByRole('button', { name: 'Mark as helpful' }).click();
    await page.getByRole('button', { name: 'Mark as helpful' }).click();
    assert.equal(await page.getByLabel('Helpful votes').textContent(), '2');
  });

  test('alert, confirm and prompt dialogs', async (t) => {
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/dialogs`);
    const seen: string[] = [];
    const answers = ['accept', 'dismiss', 'accept', 'accept:Roastery 2'];
    page.on('dialog', (dialog) => {
      seen.push(`${dialog.type()}:${dialog.message()}`);
      const answer = answers.shift() ?? 'dismiss';
      if (answer === 'dismiss') void dialog.dismiss();
      else void dialog.accept(answer.startsWith('accept:') ? answer.slice(7) : undefined);
    });
    const result = (text: string) => page.getByTestId('dialog-result').filter({ hasText: new RegExp(`^${text}$`) }).waitFor();
    await page.getByRole('button', { name: 'Show session warning' }).click();
    await result('Alert dismissed');
    await page.getByRole('button', { name: 'Delete draft' }).click();
    await result('Deletion cancelled');
    await page.getByRole('button', { name: 'Delete draft' }).click();
    await result('Draft deleted');
    await page.getByRole('button', { name: 'Rename project' }).click();
    await result('Project renamed to Roastery 2');
    assert.deepEqual(seen.map((s) => s.split(':')[0]), ['alert', 'confirm', 'confirm', 'prompt']);
  });

  test('the big page has more than 2,000 elements and stays interactive', async (t) => {
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/big`);
    const count = await page.evaluate(() => document.getElementsByTagName('*').length);
    assert.ok(count >= 2000, `${count} elements`);
    await page.getByRole('row', { name: /CAT-00377/ }).getByRole('button', { name: 'Add to cart' }).click();
    assert.equal(await page.getByTestId('cart-count').textContent(), '1');
  });

  test('the slow page takes at least slowPageMs; ?ms= overrides it', async (t) => {
    const { page } = await newContext(t, browser, portal);
    const started = performance.now();
    await page.goto(`${portal.url}/slow`);
    assert.ok(performance.now() - started >= 750, 'waited for the configured delay');
    await page.getByTestId('slow-loaded').waitFor();
    await page.goto(`${portal.url}/slow?ms=0`);
    await page.getByTestId('slow-loaded').waitFor();
    const response = await page.goto(`${portal.url}/slow/lazy?ms=300`);
    assert.match((await response?.text()) ?? '', /Loading results\.\.\./, 'the page arrives without its results');
    await page.getByTestId('lazy-results').waitFor();
  });

  test('a target=_blank link and window.open open new pages', async (t) => {
    const { context, page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/links`);
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Open the help center in a new tab' }).click()]);
    await tab.waitForLoadState();
    assert.equal(new URL(tab.url()).pathname, '/help');
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Open order preview window' }).click()]);
    await popup.getByTestId('preview-text').waitFor();
    assert.equal(context.pages().length, 3);
  });
});
