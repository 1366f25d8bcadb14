// Sign-in with password and a TOTP second factor, sign-out, and the cookie banner's answer.
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { PortalState } from '../portal-state.ts';
import { CONSENT_COOKIE, SESSION_COOKIE, createSession } from '../portal-state.ts';
import { html } from '../html.ts';
import { verifyTotp } from '../totp.ts';
import type { FormBody } from './route-helpers.ts';
import { currentUser, renderPage, safeNext, textField } from './route-helpers.ts';

/** The message shown for an unknown email or a wrong password. */
export const LOGIN_FAILED_MESSAGE = 'Login failed - incorrect email or password';
/** The message shown when a locked user signs in with the right password. */
export const ACCOUNT_LOCKED_MESSAGE = 'Account has been locked or suspended';
/** The message shown for a wrong TOTP code. */
export const INVALID_CODE_MESSAGE = 'Invalid verification code. Check your authenticator app and try again.';

type LoginForm = { email: string; next: string; error?: string; notice?: string };

function loginPage(c: Context, state: PortalState, form: LoginForm, status: 200 | 401 | 403 = 200): Response {
  const body = html`<div class="auth">
<h1>Sign in to Ember Supply</h1>
${form.notice ? html`<div class="alert info" role="status">${form.notice}</div>` : ''}
${form.error ? html`<div class="alert error" role="alert" data-testid="login-error">${form.error}</div>` : ''}
<form class="card" method="post" action="/login" aria-label="Sign in">
  <input type="hidden" name="next" value="${form.next}">
  <div class="field"><label for="email">Email address</label>
    <input id="email" name="email" type="email" autocomplete="username" placeholder="you@company.com" required value="${form.email}"></div>
  <div class="field"><label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required></div>
  <div class="field choice"><label><input type="checkbox" name="remember" value="yes"> Keep me signed in</label></div>
  <button type="submit" data-testid="login-submit">Sign in</button>
  <p class="hint">Forgot your password? <a href="/help">Contact support</a>.</p>
</form></div>`;
  return renderPage(c, state, { title: 'Sign in', body }, status);
}

function totpPage(c: Context, state: PortalState, email: string, error?: string): Response {
  const body = html`<div class="auth">
<h1>Two-step verification</h1>
${error ? html`<div class="alert error" role="alert" data-testid="totp-error">${error}</div>` : ''}
<form class="card" method="post" action="/login/totp" aria-label="Two-step verification">
  <p class="muted">Enter the 6-digit code from your authenticator app for <strong>${email}</strong>.</p>
  <div class="field"><label for="code">Verification code</label>
    <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"
      placeholder="123456" required data-testid="totp-input"></div>
  <button type="submit">Verify</button>
  <p class="hint"><a href="/logout">Use a different account</a></p>
</form></div>`;
  return renderPage(c, state, { title: 'Two-step verification', body }, error ? 401 : 200);
}

function endSession(c: Context, state: PortalState): void {
  const id = getCookie(c, SESSION_COOKIE);
  if (id !== undefined) state.sessions.delete(id);
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
}

/** Adds `/login`, `/login/totp`, `/logout` and `/cookie-consent`. */
export function registerAuthRoutes(app: Hono, state: PortalState): void {
  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (currentUser(c, state)) return c.redirect(next, 303);
    const notice = c.req.query('signedOut') === '1' ? 'You have been signed out.' : undefined;
    return loginPage(c, state, { email: '', next, ...(notice ? { notice } : {}) });
  });

  app.post('/login', async (c) => {
    const body: FormBody = await c.req.parseBody({ all: true });
    const email = textField(body, 'email').toLowerCase();
    const password = typeof body.password === 'string' ? body.password : '';
    const next = safeNext(textField(body, 'next'));
    const at = new Date().toISOString();
    const user = state.data.users.find((u) => u.email === email);
    if (!user || user.password !== password) {
      state.submissions.logins.push({ email, step: 'password', outcome: 'invalid_credentials', at });
      return loginPage(c, state, { email, next, error: LOGIN_FAILED_MESSAGE }, 401);
    }
    if (user.locked) {
      state.submissions.logins.push({ email, step: 'password', outcome: 'locked', at });
      return loginPage(c, state, { email, next, error: ACCOUNT_LOCKED_MESSAGE }, 403);
    }
    state.submissions.logins.push({ email, step: 'password', outcome: 'ok', at });
    state.sessions.delete(getCookie(c, SESSION_COOKIE) ?? '');
    const id = createSession(state, { email, stage: 'totp', next });
    setCookie(c, SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'Lax' });
    return c.redirect('/login/totp', 303);
  });

  app.get('/login/totp', (c) => {
    const session = state.sessions.get(getCookie(c, SESSION_COOKIE) ?? '');
    if (!session) return c.redirect('/login', 303);
    if (session.stage === 'signed-in') return c.redirect(session.next, 303);
    return totpPage(c, state, session.email);
  });

  app.post('/login/totp', async (c) => {
    const session = state.sessions.get(getCookie(c, SESSION_COOKIE) ?? '');
    if (!session || session.stage !== 'totp') return c.redirect('/login', 303);
    const body: FormBody = await c.req.parseBody({ all: true });
    const code = textField(body, 'code').replace(/\s+/g, '');
    const user = state.data.users.find((u) => u.email === session.email);
    const at = new Date().toISOString();
    if (!user || !verifyTotp(user.totpSecret, code)) {
      state.submissions.logins.push({ email: session.email, step: 'totp', outcome: 'invalid_code', at });
      return totpPage(c, state, session.email, INVALID_CODE_MESSAGE);
    }
    state.submissions.logins.push({ email: session.email, step: 'totp', outcome: 'ok', at });
    session.stage = 'signed-in';
    return c.redirect(session.next, 303);
  });

  const logout = (c: Context) => {
    endSession(c, state);
    return c.redirect('/login?signedOut=1', 303);
  };
  app.post('/logout', logout);
  app.get('/logout', logout);

  app.post('/cookie-consent', async (c) => {
    const body: FormBody = await c.req.parseBody({ all: true });
    const consent = textField(body, 'consent') === 'accepted' ? 'accepted' : 'rejected';
    setCookie(c, CONSENT_COOKIE, consent, { path: '/', maxAge: 31_536_000, sameSite: 'Lax' });
    const returnTo = textField(body, 'returnTo');
    return c.redirect(returnTo.startsWith('/') && !returnTo.startsWith('//') ? returnTo : '/', 303);
  });
}
