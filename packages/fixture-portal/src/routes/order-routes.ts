// The signed-in part of the portal: dashboard, the orders list with date/status filters and
// pagination, order pages, and invoice PDF downloads.
import type { Hono } from 'hono';
import type { Order, OrderStatus } from '../portal-data.ts';
import { ORDER_STATUSES } from '../portal-data.ts';
import type { PortalState } from '../portal-state.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';
import { createInvoicePdf, formatMoney, invoiceFileName } from '../invoice-pdf.ts';
import { currentUser, notFoundPage, redirectToLogin, renderPage } from './route-helpers.ts';

/** The filters of the orders list; empty strings mean "any". */
export type OrderFilter = { start: string; end: string; status: OrderStatus | '' };

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Orders matching a filter, newest first (the list's order). Dates are inclusive. */
export function filterOrders(orders: readonly Order[], filter: OrderFilter): Order[] {
  return orders
    .filter((o) => (filter.start === '' || o.date >= filter.start) && (filter.end === '' || o.date <= filter.end))
    .filter((o) => filter.status === '' || o.status === filter.status)
    .sort((a, b) => (a.date === b.date ? b.id.localeCompare(a.id) : b.date.localeCompare(a.date)));
}

function statusBadge(status: string): SafeHtml {
  return html`<span class="badge ${status}">${status}</span>`;
}

function ordersTable(orders: readonly Order[], testId: string): SafeHtml {
  const rows = orders.map(
    (o) => html`<tr data-testid="order-row" data-order-id="${o.id}">
      <td><a href="/orders/${o.id}">${o.id}</a></td><td><time datetime="${o.date}">${o.date}</time></td>
      <td>${statusBadge(o.status)}</td><td class="num">${o.items.length}</td><td class="num">${formatMoney(o.total)}</td></tr>`,
  );
  return html`<table data-testid="${testId}"><caption class="sr-only">Orders</caption>
    <thead><tr><th scope="col">Order</th><th scope="col">Date</th><th scope="col">Status</th><th scope="col" class="num">Items</th><th scope="col" class="num">Total</th></tr></thead>
    <tbody>${rows.length > 0 ? rows : html`<tr><td colspan="5" class="muted">No orders match these filters.</td></tr>`}</tbody></table>`;
}

function ordersQuery(filter: OrderFilter, page: number): string {
  const params = new URLSearchParams();
  if (filter.start) params.set('start', filter.start);
  if (filter.end) params.set('end', filter.end);
  if (filter.status) params.set('status', filter.status);
  if (page > 1) params.set('page', String(page));
  const query = params.toString();
  return query ? `/orders?${query}` : '/orders';
}

/** Adds `/dashboard`, `/orders`, `/orders/:id` and `/orders/:id/invoice`. */
export function registerOrderRoutes(app: Hono, state: PortalState): void {
  const { orders } = state.data;

  app.get('/dashboard', (c) => {
    const user = currentUser(c, state);
    if (!user) return redirectToLogin(c);
    const recent = filterOrders(orders, { start: '', end: '', status: '' }).slice(0, 5);
    const open = orders.filter((o) => o.status === 'pending' || o.status === 'shipped');
    const lastMonth = orders.filter((o) => o.date >= '2026-06-01' && o.status !== 'cancelled' && o.status !== 'refunded');
    const spent = lastMonth.reduce((sum, o) => sum + Math.round(o.total * 100), 0) / 100;
    const body = html`<h1>Welcome back, ${user.name.split(' ')[0] ?? user.name}</h1>
<section class="grid" aria-label="Summary">
  <div class="card stat" data-testid="stat-orders"><div class="value">${orders.length}</div><div class="label">Orders in 2026</div></div>
  <div class="card stat" data-testid="stat-open"><div class="value">${open.length}</div><div class="label">Open orders (pending or shipped)</div></div>
  <div class="card stat"><div class="value">${formatMoney(spent)}</div><div class="label">Spent in June 2026</div></div>
  <div class="card stat"><div class="value" style="font-size:20px">${user.company}</div><div class="label">Company account</div></div>
</section>
<h2>Recent orders</h2>
${ordersTable(recent, 'recent-orders')}
<p><a class="btn secondary" href="/orders">View all orders</a> <a class="btn secondary" href="/reports">Reports</a> <a class="btn secondary" href="/account">Account settings</a></p>`;
    return renderPage(c, state, { title: 'Dashboard', active: '/dashboard', body });
  });

  app.get('/orders', (c) => {
    if (!currentUser(c, state)) return redirectToLogin(c);
    const errors: string[] = [];
    const date = (name: string, label: string): string => {
      const value = (c.req.query(name) ?? '').trim();
      if (value !== '' && !ISO_DATE.test(value)) {
        errors.push(`${label} must be a date like 2026-03-01.`);
        return '';
      }
      return value;
    };
    const start = date('start', 'Start date');
    const end = date('end', 'End date');
    const statusParam = c.req.query('status') ?? '';
    const status = ORDER_STATUSES.find((s) => s === statusParam) ?? '';
    if (start && end && start > end) errors.push('Start date must be on or before the end date.');
    const filter: OrderFilter = { start, end, status };
    const matching = errors.length > 0 ? [] : filterOrders(orders, filter);
    const pages = Math.max(1, Math.ceil(matching.length / state.settings.pageSize));
    const requested = Number.parseInt(c.req.query('page') ?? '1', 10);
    const pageNumber = Number.isFinite(requested) ? Math.min(Math.max(requested, 1), pages) : 1;
    const first = (pageNumber - 1) * state.settings.pageSize;
    const shown = matching.slice(first, first + state.settings.pageSize);
    const statusOptions = ORDER_STATUSES.map(
      (s) => html`<option value="${s}"${s === status ? html` selected` : ''}>${s[0]?.toUpperCase()}${s.slice(1)}</option>`,
    );
    const summary =
      matching.length === 0 ? 'No orders found' : `Showing ${first + 1}-${first + shown.length} of ${matching.length} orders`;
    const link = (target: number, label: string, rel: string) =>
      target < 1 || target > pages
        ? html`<span class="disabled" aria-disabled="true">${label}</span>`
        : html`<a href="${ordersQuery(filter, target)}" rel="${rel}" data-testid="pager-${rel}">${label}</a>`;
    const body = html`<h1>Order history</h1>
${errors.map((e) => html`<div class="alert error" role="alert">${e}</div>`)}
<form class="card inline" method="get" action="/orders" role="search" aria-label="Filter orders">
  <div class="field"><label for="start">Start date</label><input id="start" name="start" type="date" value="${start}"></div>
  <div class="field"><label for="end">End date</label><input id="end" name="end" type="date" value="${end}"></div>
  <div class="field"><label for="status">Status</label><select id="status" name="status"><option value="">All statuses</option>${statusOptions}</select></div>
  <button type="submit" data-testid="filter-submit">Filter</button>
  <a class="btn secondary" href="/orders">Clear</a>
</form>
<p class="muted" data-testid="orders-summary" aria-live="polite">${summary}</p>
${ordersTable(shown, 'orders-table')}
<nav class="pager" aria-label="Pagination">
  ${link(pageNumber - 1, 'Previous', 'prev')}
  <span data-testid="pager-status">Page ${pageNumber} of ${pages}</span>
  ${link(pageNumber + 1, 'Next', 'next')}
</nav>`;
    return renderPage(c, state, { title: 'Orders', active: '/orders', body });
  });

  app.get('/orders/:id', (c) => {
    if (!currentUser(c, state)) return redirectToLogin(c);
    const order = orders.find((o) => o.id === c.req.param('id'));
    if (!order) return notFoundPage(c, state, `There is no order ${c.req.param('id')}.`);
    const items = order.items.map(
      (i) => html`<tr><td>${i.name}</td><td class="muted">${i.sku}</td><td class="num">${i.quantity}</td>
        <td class="num">${formatMoney(i.unitPrice)}</td><td class="num">${formatMoney(i.amount)}</td></tr>`,
    );
    const body = html`<p><a href="/orders">&larr; Back to orders</a></p>
<h1>Order <span data-testid="order-id">${order.id}</span></h1>
<div class="grid">
  <section class="card" aria-label="Order details"><dl class="facts">
    <dt>Order date</dt><dd data-testid="order-date"><time datetime="${order.date}">${order.date}</time></dd>
    <dt>Status</dt><dd data-testid="order-status">${statusBadge(order.status)}</dd>
    <dt>Invoice</dt><dd>${order.invoiceId}</dd>
    <dt>Total</dt><dd data-testid="order-total"><strong>${formatMoney(order.total)}</strong></dd>
    ${order.trackingNumber ? html`<dt>Tracking</dt><dd>${order.trackingNumber}</dd>` : ''}
  </dl></section>
  <section class="card" aria-label="Shipping"><dl class="facts"><dt>Ship to</dt><dd>${order.shipTo}</dd></dl>
    <p style="margin-top:18px"><a class="btn" href="/orders/${order.id}/invoice" download="${invoiceFileName(order)}" data-testid="download-invoice">Download invoice</a>
    <a class="btn secondary" href="/help">Report a problem</a></p></section>
</div>
<h2>Items</h2>
<table data-testid="order-items"><thead><tr><th scope="col">Item</th><th scope="col">SKU</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Unit price</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>${items}</tbody>
<tfoot><tr><td colspan="4" class="num">Subtotal</td><td class="num">${formatMoney(order.subtotal)}</td></tr>
<tr><td colspan="4" class="num">Shipping</td><td class="num">${formatMoney(order.shipping)}</td></tr>
<tr><td colspan="4" class="num">Tax</td><td class="num">${formatMoney(order.tax)}</td></tr>
<tr><th colspan="4" class="num" scope="row">Total</th><th class="num">${formatMoney(order.total)}</th></tr></tfoot></table>`;
    return renderPage(c, state, { title: `Order ${order.id}`, active: '/orders', body });
  });

  app.get('/orders/:id/invoice', async (c) => {
    const user = currentUser(c, state);
    if (!user) return redirectToLogin(c);
    const order = orders.find((o) => o.id === c.req.param('id'));
    if (!order) return notFoundPage(c, state, `There is no order ${c.req.param('id')}.`);
    const pdf = await createInvoicePdf(order, user.company);
    return c.body(new Uint8Array(pdf), 200, {
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="${invoiceFileName(order)}"`,
      'cache-control': 'no-store',
    });
  });
}
