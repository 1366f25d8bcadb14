// The mutable state of one running portal: sessions, recorded submissions, counters, and the signal
// that ends pending slow responses when the portal closes.
import { randomBytes } from 'node:crypto';
import type { PortalSettings } from './portal-options.ts';
import type { PortalData, PortalUser } from './portal-data.ts';
import type { AccountFields, PortalSubmissions, UploadRecord } from './submissions.ts';
import { createSubmissions } from './submissions.ts';

/** The session cookie's name. */
export const SESSION_COOKIE = 'ember_session';
/** The cookie consent cookie's name (`accepted` or `rejected`). */
export const CONSENT_COOKIE = 'ember_cookie_consent';

/** A browser session: after the password it waits for the TOTP code, then it is signed in. */
export type Session = { email: string; stage: 'totp' | 'signed-in'; next: string };

/** State shared by the routes of one portal. */
export type PortalState = {
  settings: PortalSettings;
  data: PortalData;
  submissions: PortalSubmissions;
  sessions: Map<string, Session>;
  /** Filled in once the second server listens. */
  crossOriginUrl: string;
  /** Saved account settings and documents per user email. */
  profiles: Map<string, { fields: AccountFields; certificate?: UploadRecord; documents: UploadRecord[] }>;
  report: { loads: number; firstLoadAt: number | undefined };
  counters: { applications: number; payments: number; feedback: number };
  /** Aborted by `close()`, ending pending slow responses. */
  signal: AbortSignal;
};

/** A new state for a portal. */
export function createPortalState(settings: PortalSettings, data: PortalData, signal: AbortSignal): PortalState {
  return {
    settings,
    data,
    submissions: createSubmissions(),
    sessions: new Map(),
    profiles: new Map(),
    crossOriginUrl: '',
    report: { loads: 0, firstLoadAt: undefined },
    counters: { applications: 0, payments: 0, feedback: 0 },
    signal,
  };
}

/** Starts a session and returns its id (the cookie value). */
export function createSession(state: PortalState, session: Session): string {
  const id = randomBytes(18).toString('base64url');
  state.sessions.set(id, session);
  return id;
}

/** The user of a signed-in session; undefined otherwise. */
export function findSignedInUser(state: PortalState, sessionId: string | undefined): PortalUser | undefined {
  const session = sessionId === undefined ? undefined : state.sessions.get(sessionId);
  if (session?.stage !== 'signed-in') return undefined;
  return state.data.users.find((u) => u.email === session.email);
}

/** Whether the latest report is ready now (see `PortalOptions.reportReadyAfterLoads`). */
export function isReportReady(state: PortalState, now: number = Date.now()): boolean {
  const { loads, firstLoadAt } = state.report;
  if (loads > state.settings.reportReadyAfterLoads) return true;
  return firstLoadAt !== undefined && now - firstLoadAt >= state.settings.reportReadyAfterMs;
}
