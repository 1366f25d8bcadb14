// In-process HTTP tests of the portal app (Hono's app.request, no sockets): access control, the
// login steps, filters and pagination against the data, reports, and error pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPortalData, filterOrders, ORDER_STATUSES, totpCode } from '@petrel/fixture-portal';
import { createPortalApp } from '../../src/portal-app.ts';
import { createPortalState } from '../../src/portal-state.ts';
import { resolvePortalOptions } from '../../src/portal-options.ts';
import type { PortalOptions } from '../../src/portal-options.ts';

function form(fields: Record<string, string>): RequestInit {
  return { method: 'POST', body: new URLSearchParams(fields) };
}

function setup(options: PortalOptions = {}) {
  const settings = resolvePortalOptions(options);
  const state = createPortalState(settings, createPortalData(settings.seed), new AbortController().signal);
  const app = createPortalApp(state);
  const jar = new Map<string, string>();
  const request = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await app.request(`http://portal.test${path}`, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (/max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  const signIn = async () => {
    await request('/login', form({ email: 'demo@petrel.test', password: 'petrel-demo-2026', next: '/dashboard' }));
    const demo = state.data.users[0];
    assert.ok(demo);
    const r = await request('/login/totp', form({ code: totpCode(demo.totpSecret) }));
    assert.equal(r.status, 303);
  };
  return { state, request, signIn, jar };
}

test('signed-in pages redirect visitors to the login page with next; public pages answer', async () => {
  const { request } = setup();
  for (const path of ['/dashboard', '/orders?status=pending', '/orders/ORD-10001', '/orders/ORD-10001/invoice', '/account', '/documents']) {
    const r = await request(path);
    assert.equal(r.status, 303, path);
    assert.equal(r.headers.get('location'), `/login?next=${encodeURIComponent(path)}`);
  }
  for (const path of ['/', '/login', '/jobs', '/reports', '/playground', '/frames', '/gestures', '/shadow', '/dialogs', '/big', '/links', '/help', '/privacy']) {
    assert.equal((await request(path)).status, 200, path);
  }
  assert.equal((await request('/no-such-page')).status, 404);
});

test('login: password step, TOTP step, wrong code, and next cannot leave the site', async () => {
  const { request, state } = setup();
  let r = await request('/login/totp');
  assert.equal(r.headers.get('location'), '/login', 'no TOTP page before the password');
  r = await request('/login', form({ email: 'DEMO@petrel.test', password: 'petrel-demo-2026', next: '//evil.test/' }));
  assert.equal(r.headers.get('location'), '/login/totp');
  assert.equal((await request('/dashboard')).status, 303, 'not signed in between the two steps');
  r = await request('/login/totp', form({ code: 'nope' }));
  assert.equal(r.status, 401);
  assert.match(await r.text(), /Invalid verification code/);
  r = await request('/login/totp', form({ code: totpCode(state.data.users[0]?.totpSecret ?? '') }));
  assert.equal(r.headers.get('location'), '/dashboard');
  assert.equal((await request('/dashboard')).status, 200);
  r = await request('/logout', { method: 'POST' });
  assert.equal(r.headers.get('location'), '/login?signedOut=1');
  assert.equal((await request('/dashboard')).status, 303);
});

test('every status and month filter shows the count the data has', async () => {
  const { request, signIn, state } = setup({ pageSize: 25 });
  await signIn();
  const months = ['01', '02', '03', '04', '05', '06'];
  for (const status of ['', ...ORDER_STATUSES] as const) {
    for (const month of months) {
      const start = `2026-${month}-01`;
      const end = `2026-${month}-31`;
      const expected = state.data.orders.filter((o) => o.date >= start && o.date <= end && (status === '' || o.status === status));
      const html = await (await request(`/orders?start=${start}&end=${end}&status=${status}`)).text();
      const summary = expected.length === 0 ? 'No orders found' : `Showing 1-${Math.min(25, expected.length)} of ${expected.length} orders`;
      assert.ok(html.includes(summary), `${status || 'all'} ${month}: ${summary}`);
    }
  }
  // The last page holds the remainder; a page past the end shows the last page.
  const all = filterOrders(state.data.orders, { start: '', end: '', status: '' });
  const last = Math.ceil(all.length / 25);
  const html = await (await request(`/orders?page=${last + 5}`)).text();
  assert.ok(html.includes(`Page ${last} of ${last}`));
  assert.ok(html.includes(`data-order-id="${all.at(-1)?.id}"`));
});

test('bad filter input is explained, not a server error', async () => {
  const { request, signIn } = setup();
  await signIn();
  let html = await (await request('/orders?start=2026-05-01&end=2026-04-01')).text();
  assert.match(html, /Start date must be on or before the end date/);
  html = await (await request('/orders?start=yesterday&status=lost')).text();
  assert.match(html, /Start date must be a date like 2026-03-01/);
  assert.equal((await request('/orders/ORD-99999')).status, 404);
  assert.equal((await request('/orders/ORD-99999/invoice')).status, 404);
});

test('invoices are PDFs named after the order; the same order gives the same bytes', async () => {
  const { request, signIn } = setup();
  await signIn();
  const a = await request('/orders/ORD-10100/invoice');
  assert.equal(a.headers.get('content-type'), 'application/pdf');
  assert.equal(a.headers.get('content-disposition'), 'attachment; filename="invoice_ORD-10100.pdf"');
  const bytesA = Buffer.from(await a.arrayBuffer());
  const bytesB = Buffer.from(await (await request('/orders/ORD-10100/invoice')).arrayBuffer());
  assert.equal(bytesA.subarray(0, 5).toString(), '%PDF-');
  assert.ok(bytesA.equals(bytesB));
});

test('the latest report: status endpoint, CSV refused until ready, older reports always ready', async () => {
  const { request, state } = setup({ reportReadyAfterLoads: 1, reportReadyAfterMs: 3_600_000 });
  const [latest, older] = state.data.reports;
  assert.ok(latest && older);
  const status = async (id: string) => ((await (await request(`/reports/${id}/status`)).json()) as { ready: boolean }).ready;
  assert.equal(await status(latest.id), false);
  assert.equal((await request(`/reports/${latest.id}/download`)).status, 409);
  assert.equal((await request('/reports/latest')).headers.get('location'), `/reports/${latest.id}`);
  assert.match(await (await request(`/reports/${latest.id}`)).text(), />Processing</);
  assert.equal(await status(latest.id), false, 'status polls do not count as loads');
  assert.match(await (await request(`/reports/${latest.id}`)).text(), />Ready</);
  const csv = await (await request(`/reports/${latest.id}/download`)).text();
  assert.equal(csv.trim().split('\n').length, latest.rowCount + 1);
  assert.equal(await status(older.id), true);
});

test('the cookie banner shows until answered, also without JavaScript', async () => {
  const { request, jar } = setup();
  assert.match(await (await request('/jobs')).text(), /aria-label="Cookie consent"/);
  const r = await request('/cookie-consent', { method: 'POST', body: new URLSearchParams({ consent: 'rejected', returnTo: '/jobs?q=x' }) });
  assert.equal(r.headers.get('location'), '/jobs?q=x');
  assert.equal(jar.get('ember_cookie_consent'), 'rejected');
  assert.doesNotMatch(await (await request('/jobs')).text(), /aria-label="Cookie consent"/);
  const quiet = setup({ cookieBanner: false });
  assert.doesNotMatch(await (await quiet.request('/jobs')).text(), /aria-label="Cookie consent"/);
});
