// Test pages for the hard parts of browser automation: iframes (same origin and cross site), a
// shadow-DOM widget, JavaScript dialogs, a slow page, a page with thousands of elements, links that
// open new tabs, and gestures (double click, a menu that opens on hover, a scroll box with content
// below its fold). Also the cross-site app that serves the embedded payment form.
import type { Context, Hono } from 'hono';
import type { PortalState } from '../portal-state.ts';
import { html, raw } from '../html.ts';
import { framePage } from '../layout.ts';
import { formatMoney } from '../invoice-pdf.ts';
import type { FormBody } from './route-helpers.ts';
import { renderPage, textField } from './route-helpers.ts';

const PAGES = [
  ['/frames', 'Frames', 'A same-origin iframe (newsletter form) and a cross-site iframe on the second origin (payment form).'],
  ['/gestures', 'Gestures', 'Files that open on double click, a menu that opens on hover, terms in a scroll box.'],
  ['/shadow', 'Shadow DOM', 'A feedback widget inside an open shadow root, with a nested shadow root.'],
  ['/dialogs', 'Dialogs', 'alert, confirm and prompt dialogs.'],
  ['/slow', 'Slow page', 'The server waits before answering (slowPageMs).'],
  ['/slow/lazy', 'Lazy content', 'Fast page whose results appear after a client-side delay.'],
  ['/big', 'Big page', 'A product catalogue with thousands of elements.'],
  ['/links', 'New tabs', 'A target="_blank" link and a window.open popup.'],
  ['/jobs', 'Job board', 'Search, job pages, application form.'],
  ['/reports/latest', 'Latest report', 'Becomes ready after N loads or T ms.'],
  ['/documents', 'Documents', 'A form that needs a file (sign-in required).'],
] as const;

/** Waits `ms`, ending early (without error) when the portal closes. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function delayFromQuery(c: Context, fallback: number): number {
  const value = Number.parseInt(c.req.query('ms') ?? '', 10);
  return Number.isFinite(value) && value >= 0 ? Math.min(value, 120_000) : fallback;
}

const SHADOW_SCRIPT = `
class EmberCounter extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = '<style>button{font:inherit;padding:4px 10px;border-radius:6px;border:1px solid #c9c5bd;background:#fff;cursor:pointer}</style>' +
      '<span>Helpful? </span><button type="button" aria-label="Mark as helpful">+1</button> <output aria-label="Helpful votes">0</output>';
    const out = root.querySelector('output');
    root.querySelector('button').addEventListener('click', () => { out.textContent = String(Number(out.textContent) + 1); });
  }
}
class EmberFeedback extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = \`<style>
      :host{display:block;max-width:460px;border:1px solid #e3e0da;border-radius:10px;padding:18px;background:#fff}
      label{display:block;font-weight:600;font-size:14px;margin:10px 0 4px}
      input,select,textarea{font:inherit;width:100%;box-sizing:border-box;padding:8px;border:1px solid #c9c5bd;border-radius:7px}
      button.send{margin-top:12px;font:inherit;background:#c2541f;color:#fff;border:0;border-radius:7px;padding:8px 16px;cursor:pointer}
      .thanks{color:#1d7a4c;margin-top:10px}
    </style>
    <h2 style="margin:0 0 4px;font-size:18px">Rate your last delivery</h2>
    <form>
      <label for="fb-name">Your name</label><input id="fb-name" name="name" placeholder="Jane Doe" data-testid="shadow-name">
      <label for="fb-rating">Rating</label>
      <select id="fb-rating" name="rating"><option value="5">5 - Excellent</option><option value="4">4 - Good</option><option value="3">3 - Okay</option><option value="2">2 - Poor</option><option value="1">1 - Bad</option></select>
      <label for="fb-text">Feedback</label><textarea id="fb-text" name="feedback" rows="3"></textarea>
      <button type="submit" class="send">Send feedback</button>
    </form>
    <p class="thanks" role="status" aria-live="polite"></p>
    <ember-counter></ember-counter>\`;
    const form = root.querySelector('form');
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const data = Object.fromEntries(new FormData(form).entries());
      fetch('/api/feedback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) })
        .then((r) => r.json())
        .then((result) => { root.querySelector('.thanks').textContent = 'Thanks, ' + (data.name || 'friend') + '! Feedback ' + result.id + ' received.'; });
    });
  }
}
customElements.define('ember-counter', EmberCounter);
customElements.define('ember-feedback', EmberFeedback);
`;

const DIALOG_SCRIPT = `
const result = document.getElementById('dialog-result');
document.getElementById('show-alert').addEventListener('click', () => {
  alert('Your session will expire in 5 minutes.');
  result.textContent = 'Alert dismissed';
});
document.getElementById('delete-draft').addEventListener('click', () => {
  result.textContent = confirm('Delete this draft? This cannot be undone.') ? 'Draft deleted' : 'Deletion cancelled';
});
document.getElementById('rename-project').addEventListener('click', () => {
  const name = prompt('New project name', 'Untitled project');
  result.textContent = name === null ? 'Rename cancelled' : 'Project renamed to ' + name;
});
`;

const GESTURES_SCRIPT = `
const result = document.getElementById('gesture-result');
document.querySelectorAll('[data-file]').forEach((file) => {
  file.addEventListener('click', () => { result.textContent = 'Selected ' + file.dataset.file; });
  file.addEventListener('dblclick', () => { result.textContent = 'Opened ' + file.dataset.file; });
});
document.querySelectorAll('#quick-menu [role=menuitem]').forEach((item) => {
  item.addEventListener('click', () => { result.textContent = 'Chose ' + item.textContent; });
});
document.getElementById('accept-terms').addEventListener('click', () => { result.textContent = 'Terms accepted'; });
`;

const TERMS = [
  'Orders are confirmed by email once payment is authorised.',
  'Prices include VAT where it applies and exclude delivery.',
  'Delivery times are estimates; we tell you when an order is late.',
  'Perishable goods are shipped on Mondays to Wednesdays only.',
  'You may cancel an order until it is marked as shipped.',
  'Returns are accepted within 30 days in the original packaging.',
  'Refunds are paid to the original payment method within 10 days.',
  'Wholesale accounts are invoiced monthly, payable within 30 days.',
  'These terms are governed by the law of the seller’s registered office.',
] as const;

const BIG_SCRIPT = `
const count = document.getElementById('cart-count');
document.getElementById('catalogue').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-sku]');
  if (!button) return;
  count.textContent = String(Number(count.textContent) + 1);
  button.textContent = 'Added';
  button.disabled = true;
});
`;

function newsletterPage(message?: string): string {
  return framePage(
    'Newsletter signup',
    html`<form method="post" action="/frames/newsletter">
  <label for="nl-email">Email for the newsletter</label>
  <input id="nl-email" name="email" type="email" placeholder="you@company.com" required>
  <p><label style="font-weight:400"><input type="checkbox" name="weekly" value="yes"> Weekly digest</label></p>
  <button type="submit">Subscribe</button>
</form>${message ? html`<p class="alert success" role="status">${message}</p>` : ''}`,
  );
}

function paymentPage(message?: string): string {
  return framePage(
    'Ember Pay',
    html`<form method="post" action="/embed/payment" aria-label="Payment">
  <p class="muted" style="margin:0 0 8px">Ember Pay &middot; secure payment &middot; <span data-testid="frame-origin">origin</span></p>
  <label for="card-name">Name on card</label><input id="card-name" name="cardName" autocomplete="cc-name">
  <label for="card-number" style="margin-top:8px">Card number</label><input id="card-number" name="cardNumber" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242">
  <p><button type="submit">Pay $25.00</button></p>
</form>${message ? html`<p class="alert success" role="status">${message}</p>` : ''}
<script>document.querySelector('[data-testid=frame-origin]').textContent = location.origin;</script>`,
  );
}

/** Adds the test pages under `/playground`, `/frames`, `/gestures`, `/shadow`, `/dialogs`, `/slow`, `/big`, `/links`. */
export function registerPlaygroundRoutes(app: Hono, state: PortalState): void {
  app.get('/playground', (c) => {
    const items = PAGES.map(([href, label, text]) => html`<li><a href="${href}">${label}</a> <span class="muted">- ${text}</span></li>`);
    const body = html`<h1>Test pages</h1><div class="card"><ul>${items}</ul></div>`;
    return renderPage(c, state, { title: 'Test pages', active: '/playground', body });
  });

  app.get('/frames', (c) => {
    const body = html`<h1>Frames</h1>
<div class="grid">
  <section class="card"><h2 style="margin-top:0">Newsletter (same origin)</h2>
    <iframe src="/frames/newsletter" title="Newsletter signup" name="newsletter-frame" data-testid="same-origin-frame"></iframe></section>
  <section class="card"><h2 style="margin-top:0">Payment (cross site)</h2>
    <iframe src="${state.crossOriginUrl}/embed/payment" title="Ember Pay payment form" name="payment-frame" data-testid="cross-origin-frame"></iframe></section>
</div>`;
    return renderPage(c, state, { title: 'Frames', active: '/playground', body });
  });

  app.get('/frames/newsletter', (c) => c.html(newsletterPage()));
  app.post('/frames/newsletter', async (c) => {
    const body: FormBody = await c.req.parseBody({ all: true });
    const fields = { email: textField(body, 'email'), weekly: textField(body, 'weekly') === 'yes' ? 'yes' : 'no' };
    state.submissions.widgets.push({ widget: 'same-origin-frame', fields, at: new Date().toISOString() });
    return c.html(newsletterPage(`Subscribed ${fields.email}`));
  });

  app.get('/shadow', (c) => {
    const body = html`<h1>Shadow DOM</h1>
<p class="muted">The widget below renders inside an open shadow root; its "Helpful?" counter is in a nested one.</p>
<ember-feedback data-testid="feedback-widget"></ember-feedback>`;
    return renderPage(c, state, { title: 'Shadow DOM', active: '/playground', body, tail: html`<script>${raw(SHADOW_SCRIPT)}</script>` });
  });

  app.post('/api/feedback', async (c) => {
    const input: unknown = await c.req.json().catch(() => ({}));
    const fields: Record<string, string> = {};
    if (input !== null && typeof input === 'object') {
      for (const [key, value] of Object.entries(input)) if (typeof value === 'string') fields[key] = value;
    }
    state.counters.feedback += 1;
    const id = `FB-${String(state.counters.feedback).padStart(4, '0')}`;
    state.submissions.widgets.push({ widget: 'shadow-feedback', fields, at: new Date().toISOString() });
    return c.json({ id });
  });

  app.get('/dialogs', (c) => {
    const body = html`<h1>Dialogs</h1>
<div class="card">
  <p><button type="button" id="show-alert">Show session warning</button>
  <button type="button" id="delete-draft" class="secondary">Delete draft</button>
  <button type="button" id="rename-project" class="secondary">Rename project</button></p>
  <p>Result: <output id="dialog-result" data-testid="dialog-result">Nothing yet</output></p>
</div>`;
    return renderPage(c, state, { title: 'Dialogs', active: '/playground', body, tail: html`<script>${raw(DIALOG_SCRIPT)}</script>` });
  });

  app.get('/slow', async (c) => {
    const ms = delayFromQuery(c, state.settings.slowPageMs);
    const started = Date.now();
    await delay(ms, state.signal);
    const body = html`<h1>Quarterly statement</h1>
<div class="card"><p data-testid="slow-loaded">The statement is ready.</p><p class="muted">The server took ${Date.now() - started} ms (configured ${ms} ms).</p></div>`;
    return renderPage(c, state, { title: 'Slow page', active: '/playground', body });
  });

  app.get('/slow/lazy', (c) => {
    const ms = delayFromQuery(c, state.settings.slowPageMs);
    const body = html`<h1>Search results</h1>
<div class="card" id="results" aria-busy="true"><p class="muted" role="status">Loading results...</p></div>`;
    const script = html`<script>setTimeout(function () {
  var box = document.getElementById('results'); box.setAttribute('aria-busy', 'false');
  box.innerHTML = '<ul data-testid="lazy-results"><li>Kenya AA beans, 1 kg</li><li>Colombia Huila beans, 1 kg</li><li>Brazil Cerrado beans, 5 kg</li></ul>';
}, ${ms});</script>`;
    return renderPage(c, state, { title: 'Lazy content', active: '/playground', body, tail: script });
  });

  app.get('/big', (c) => {
    const rows: string[] = [];
    for (let i = 0; i < state.settings.bigPageRows; i++) {
      const sku = `CAT-${String(i + 1).padStart(5, '0')}`;
      const price = formatMoney(((i * 7919) % 20000) / 100 + 1);
      rows.push(
        `<tr><td>${sku}</td><td>Catalogue item ${i + 1}</td><td class="num">${price}</td><td class="num">${(i * 31) % 500}</td>` +
          `<td><button type="button" class="secondary" data-sku="${sku}">Add to cart</button></td><td><a href="/big#${sku}">Details</a></td></tr>`,
      );
    }
    const body = html`<h1>Product catalogue</h1>
<p>Items in cart: <strong id="cart-count" data-testid="cart-count">0</strong></p>
<table id="catalogue" data-testid="big-table"><thead><tr><th scope="col">SKU</th><th scope="col">Name</th><th scope="col" class="num">Price</th><th scope="col" class="num">Stock</th><th scope="col">Cart</th><th scope="col">More</th></tr></thead>
<tbody>${raw(rows.join(''))}</tbody></table>`;
    return renderPage(c, state, { title: 'Product catalogue', active: '/playground', body, tail: html`<script>${raw(BIG_SCRIPT)}</script>` });
  });

  app.get('/gestures', (c) => {
    const files = ['q2-summary.pdf', 'price-list.xlsx', 'supplier-contacts.csv'].map(
      (name) => html`<li><button type="button" class="secondary" data-file="${name}">${name}</button></li>`,
    );
    const clauses = TERMS.map((text, i) => html`<div class="clause">${i + 1}. ${text}</div>`);
    const body = html`<h1>Gestures</h1>
<div class="card"><h2 style="margin-top:0">Files</h2>
  <p class="hint">Click a file to select it; double-click to open it.</p>
  <ul class="files" data-testid="files">${files}</ul></div>
<div class="card"><h2 style="margin-top:0">Shortcuts</h2>
  <div class="hover-menu" data-testid="hover-menu">
    <button type="button" class="secondary" id="quick-trigger" aria-haspopup="menu" aria-controls="quick-menu">Quick actions</button>
    <ul role="menu" id="quick-menu" aria-labelledby="quick-trigger">
      <li role="none"><button type="button" role="menuitem">Reorder last order</button></li>
      <li role="none"><button type="button" role="menuitem">Download statement</button></li>
      <li role="none"><button type="button" role="menuitem">Contact support</button></li>
    </ul>
  </div></div>
<div class="card"><h2 style="margin-top:0">Terms of sale</h2>
  <div class="scroll-box" id="terms" data-testid="scroll-box">${clauses}<div class="clause"><button type="button" id="accept-terms">Accept the terms</button></div></div></div>
<p>Result: <output id="gesture-result" data-testid="gesture-result" aria-live="polite">Nothing yet</output></p>`;
    return renderPage(c, state, { title: 'Gestures', active: '/playground', body, tail: html`<script>${raw(GESTURES_SCRIPT)}</script>` });
  });

  app.get('/links', (c) => {
    const body = html`<h1>Links and windows</h1>
<div class="card">
  <p><a href="/help" target="_blank" rel="noopener" data-testid="new-tab-link">Open the help center in a new tab</a></p>
  <p><button type="button" id="open-popup">Open order preview window</button></p>
</div>`;
    const script = html`<script>document.getElementById('open-popup').addEventListener('click', function () {
  window.open('/links/preview', 'order-preview', 'popup,width=640,height=480');
});</script>`;
    return renderPage(c, state, { title: 'Links', active: '/playground', body, tail: script });
  });

  app.get('/links/preview', (c) =>
    c.html(framePage('Order preview', html`<h1>Order preview</h1><p data-testid="preview-text">This window was opened by window.open.</p>`)),
  );
}

/** Adds the embeddable payment form to the cross-site app (the second origin). */
export function registerCrossOriginRoutes(app: Hono, state: PortalState): void {
  app.get('/embed/payment', (c) => c.html(paymentPage()));
  app.post('/embed/payment', async (c) => {
    const body: FormBody = await c.req.parseBody({ all: true });
    const digits = textField(body, 'cardNumber').replace(/\D/g, '');
    const fields = { cardName: textField(body, 'cardName'), cardLast4: digits.slice(-4) };
    state.submissions.widgets.push({ widget: 'cross-origin-frame', fields, at: new Date().toISOString() });
    state.counters.payments += 1;
    return c.html(paymentPage(`Payment authorised - reference PAY-${String(state.counters.payments).padStart(4, '0')}`));
  });
}
