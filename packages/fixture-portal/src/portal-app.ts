// The two Hono apps of a portal: the main site and the second origin that serves the cross-site
// iframe's content.
import { Hono } from 'hono';
import type { PortalState } from './portal-state.ts';
import { html } from './html.ts';
import { currentUser, notFoundPage, renderPage } from './routes/route-helpers.ts';
import { registerAuthRoutes } from './routes/auth-routes.ts';
import { registerOrderRoutes } from './routes/order-routes.ts';
import { registerAccountRoutes } from './routes/account-routes.ts';
import { registerJobRoutes } from './routes/job-routes.ts';
import { registerReportRoutes } from './routes/report-routes.ts';
import { registerCrossOriginRoutes, registerPlaygroundRoutes } from './routes/playground-routes.ts';

function registerInfoRoutes(app: Hono, state: PortalState): void {
  app.get('/', (c) => {
    const user = currentUser(c, state);
    const body = html`<section class="card" style="padding:36px">
<h1>Wholesale coffee supplies, delivered</h1>
<p class="muted" style="max-width:640px">Ember Supply is the ordering portal for cafes and roasters: place and track orders,
download invoices, run monthly reports and manage your account.</p>
<p>${user ? html`<a class="btn" href="/dashboard">Go to your dashboard</a>` : html`<a class="btn" href="/login">Sign in</a>`}
<a class="btn secondary" href="/jobs">We are hiring</a></p></section>
<div class="grid">
  <div class="card"><h2>Orders</h2><p class="muted">Filter by date and status, open any order and download its invoice as PDF.</p></div>
  <div class="card"><h2>Reports</h2><p class="muted">Monthly sales summaries, generated on the first of every month.</p></div>
  <div class="card"><h2>Careers</h2><p class="muted">Open roles at Ember Supply and our partners.</p></div>
</div>`;
    return renderPage(c, state, { title: 'Home', body });
  });

  app.get('/help', (c) =>
    renderPage(c, state, {
      title: 'Help center',
      body: html`<h1>Help center</h1><div class="card"><h2>Invoices</h2><p>Open an order and choose <strong>Download invoice</strong>.
The PDF lists the invoice id, order id, date and total.</p><h2>Two-step verification</h2>
<p>Every account signs in with a password and a 6-digit code from an authenticator app.</p>
<h2>Contact</h2><p>Write to <a href="mailto:support@ember-supply.test">support@ember-supply.test</a>.</p></div>`,
    }),
  );

  app.get('/privacy', (c) =>
    renderPage(c, state, {
      title: 'Privacy notice',
      body: html`<h1>Privacy notice</h1><div class="card"><p>We store a session cookie to keep you signed in and, if you accept,
a cookie remembering that choice. Nothing is shared with third parties.</p></div>`,
    }),
  );
}

/** The main site. */
export function createPortalApp(state: PortalState): Hono {
  const app = new Hono();
  registerInfoRoutes(app, state);
  registerAuthRoutes(app, state);
  registerOrderRoutes(app, state);
  registerAccountRoutes(app, state);
  registerJobRoutes(app, state);
  registerReportRoutes(app, state);
  registerPlaygroundRoutes(app, state);
  app.notFound((c) => notFoundPage(c, state, 'This page does not exist.'));
  // A fixture shows its own failures: the message helps whoever is debugging a test.
  app.onError((error, c) => c.html(html`<!doctype html><title>Server error</title><h1>Something went wrong</h1><pre>${error.message}</pre>`.value, 500));
  return app;
}

/** The second origin: only the embeddable widget pages. */
export function createCrossOriginApp(state: PortalState): Hono {
  const app = new Hono();
  app.get('/', (c) => c.text('Ember Pay embeds'));
  registerCrossOriginRoutes(app, state);
  return app;
}
