// Helpers shared by the route modules: the signed-in user, rendering a page in the layout, and
// reading form fields.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { PortalUser } from '../portal-data.ts';
import type { PortalState } from '../portal-state.ts';
import { CONSENT_COOKIE, SESSION_COOKIE, findSignedInUser } from '../portal-state.ts';
import type { PageInput } from '../layout.ts';
import { page } from '../layout.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';

/** The signed-in user of the request; undefined for visitors and half-finished logins. */
export function currentUser(c: Context, state: PortalState): PortalUser | undefined {
  return findSignedInUser(state, getCookie(c, SESSION_COOKIE));
}

/** A redirect to the login page that comes back to the requested page. */
export function redirectToLogin(c: Context): Response {
  const url = new URL(c.req.url);
  return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
}

/** Only paths on this origin are accepted as `next`, so the login form is no open redirect. */
export function safeNext(value: string | undefined): string {
  return value !== undefined && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/dashboard';
}

/** Renders a page in the layout, with the user and the cookie banner worked out from the request. */
export function renderPage(
  c: Context,
  state: PortalState,
  input: Omit<PageInput, 'user' | 'cookieBanner' | 'path'>,
  status: 200 | 400 | 401 | 403 | 404 | 409 | 422 = 200,
): Response {
  const user = currentUser(c, state);
  const url = new URL(c.req.url);
  const cookieBanner = state.settings.cookieBanner && getCookie(c, CONSENT_COOKIE) === undefined;
  return c.html(page({ ...input, user, cookieBanner, path: url.pathname + url.search }), status);
}

/** A page saying that something does not exist. */
export function notFoundPage(c: Context, state: PortalState, what: string): Response {
  return renderPage(
    c,
    state,
    { title: 'Not found', body: html`<h1>Not found</h1><div class="card"><p>${what}</p><p><a href="/">Back to the home page</a></p></div>` },
    404,
  );
}

/** A form body as parsed by Hono: strings, files, or arrays of them for repeated names. */
export type FormBody = Record<string, string | File | (string | File)[]>;

/** A text field of a form body ('' when missing or a file). */
export function textField(body: FormBody, name: string): string {
  const value = body[name];
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
}

/** `aria-invalid`/error markup for one field, or nothing. */
export function fieldError(id: string, message: string | undefined): SafeHtml {
  return message === undefined ? html`` : html`<div class="hint" id="${id}-error" role="alert" style="color:var(--bad)">${message}</div>`;
}
