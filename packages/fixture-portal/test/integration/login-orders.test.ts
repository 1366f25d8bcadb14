// Browser tests of sign-in with TOTP, the orders list's filters and pagination, and invoice PDFs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { startPortal, filterOrders, LOGIN_FAILED_MESSAGE, ACCOUNT_LOCKED_MESSAGE } from '@petrel/fixture-portal';
import type { Portal } from '@petrel/fixture-portal';
import { chromiumMissing, launchBrowser, newContext } from './chromium.ts';

const skip = chromiumMissing();

describe('portal: login, orders, invoices', { skip }, () => {
  let portal: Portal;
  let browser: Browser;
  before(async () => {
    portal = await startPortal();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await portal?.close();
  });

  test('password + TOTP sign-in lands on the page asked for, and sign-out ends the session', async (t) => {
    const { page } = await newContext(t, browser, portal, { banner: true });
    await page.goto(`${portal.url}/orders/ORD-10010`);
    assert.match(page.url(), /\/login\?next=/);
    const banner = page.getByRole('dialog', { name: 'Cookie consent' });
    await banner.getByRole('button', { name: 'Accept all cookies' }).click();
    await banner.waitFor({ state: 'detached' });
    await page.getByLabel('Email address').fill('demo@petrel.test');
    await page.getByLabel('Password').fill('petrel-demo-2026');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByLabel('Verification code').fill('000000' === portal.totp() ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'Invalid verification code' }).waitFor();
    await page.getByLabel('Verification code').fill(portal.totp());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Order ORD-10010' }).waitFor();
    assert.equal(await page.getByTestId('signed-in-user').textContent(), 'Dana Demo');
    const outcomes = portal.submissions.logins.map((l) => `${l.step}:${l.outcome}`);
    assert.deepEqual(outcomes, ['password:ok', 'totp:invalid_code', 'totp:ok']);
    // The banner stays answered on later pages.
    assert.equal(await page.getByRole('dialog', { name: 'Cookie consent' }).count(), 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have been signed out.').waitFor();
    await page.goto(`${portal.url}/dashboard`);
    assert.match(page.url(), /\/login/);
  });

  test('a wrong password and a locked account show their messages', async (t) => {
    const { page } = await newContext(t, browser, portal);
    await page.goto(`${portal.url}/login`);
    await page.getByLabel('Email address').fill('demo@petrel.test');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal((await page.getByTestId('login-error').textContent())?.trim(), LOGIN_FAILED_MESSAGE);
    await page.getByLabel('Email address').fill('locked@petrel.test');
    await page.getByLabel('Password').fill('petrel-locked-2026');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.equal((await page.getByTestId('login-error').textContent())?.trim(), ACCOUNT_LOCKED_MESSAGE);
  });

  test('date and status filters and pagination show exactly the matching orders', async (t) => {
    const { page } = await newContext(t, browser, portal, { signedIn: true });
    await page.goto(`${portal.url}/orders`);
    assert.equal(await page.getByTestId('orders-summary').textContent(), `Showing 1-20 of ${portal.data.orders.length} orders`);
    await page.getByLabel('Start date').fill('2026-03-01');
    await page.getByLabel('End date').fill('2026-04-15');
    await page.getByLabel('Status').selectOption('delivered');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/status=delivered/);
    const expected = filterOrders(portal.data.orders, { start: '2026-03-01', end: '2026-04-15', status: 'delivered' });
    assert.ok(expected.length > 20, 'the filter spans more than one page');
    // Independent of filterOrders: the same set straight from the data.
    const direct = portal.data.orders.filter((o) => o.date >= '2026-03-01' && o.date <= '2026-04-15' && o.status === 'delivered');
    assert.deepEqual(new Set(expected.map((o) => o.id)), new Set(direct.map((o) => o.id)));
    const seen: string[] = [];
    for (;;) {
      const ids = await page.getByTestId('order-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order-id') ?? ''));
      seen.push(...ids);
      const next = page.getByRole('link', { name: 'Next' });
      if ((await next.count()) === 0) break;
      await next.click();
      await page.waitForURL(/page=\d+/);
    }
    assert.deepEqual(seen, expected.map((o) => o.id));
    assert.equal(await page.getByTestId('pager-status').textContent(), `Page ${Math.ceil(expected.length / 20)} of ${Math.ceil(expected.length / 20)}`);
  });

  test('"Download invoice" saves invoice_<id>.pdf whose text has the ids, date and total', async (t) => {
    const { page } = await newContext(t, browser, portal, { signedIn: true });
    const order = portal.data.orders[41];
    assert.ok(order);
    await page.goto(`${portal.url}/orders/${order.id}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download invoice' }).click()]);
    assert.equal(download.suggestedFilename(), `invoice_${order.id}.pdf`);
    const path = await download.path();
    const bytes = await readFile(path);
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    const { text } = await extractText(await getDocumentProxy(new Uint8Array(bytes)), { mergePages: true });
    assert.match(text, new RegExp(`Invoice ID: ${order.invoiceId}`));
    assert.match(text, new RegExp(`Order ID: ${order.id}`));
    assert.match(text, new RegExp(`Invoice date: ${order.date}`));
    assert.match(text, new RegExp(`Amount due \\(USD\\): ${order.total.toFixed(2)}`));
  });
});
