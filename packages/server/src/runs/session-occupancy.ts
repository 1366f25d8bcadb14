// A persistent browser session runs one run at a time (Skyvern's `occupy_browser_session`). A run
// started with `browser_session_id` is checked before its instance exists (the session must be
// running and free: 404 / 409 otherwise), takes the session with a compare-and-set right after (a
// run that lost the race is canceled and the create answers 409), and gives it back when it reaches a
// final status (the outbox consumer calls `releaseRunSession`).
import { PetrelError } from '@petrel/protocol';
import type { AppDeps } from '../app-deps.ts';
import type { RunRow } from '../store/run-store.ts';

/** Throws unless the organization's session is running and held by no run. */
export async function checkSessionFree(deps: AppDeps, organizationId: string, sessionId: string, op: string): Promise<void> {
  const sessions = deps.browserSessions;
  if (sessions === undefined) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${op}: this server has no browser sessions`, { details: { field: 'browser_session_id' } });
  const session = await sessions.get(organizationId, sessionId);
  if (session.status !== 'running') throw new PetrelError('INVALID_TRANSITION', `${op}: browser session ${sessionId} is ${session.status}`, { details: { field: 'browser_session_id' } });
  if (session.runnable_id !== null) throw new PetrelError('BROWSER_SESSION_BUSY', `${op}: browser session ${sessionId} is occupied by another run`, { retryAfterMs: 5000 });
}

/** Lets the new run hold its session; when another run took it meanwhile, cancels the new run and rethrows. */
export async function occupySessionForRun(deps: AppDeps, organizationId: string, sessionId: string, runId: string, type: string): Promise<void> {
  try {
    await deps.browserSessions?.occupy(organizationId, sessionId, { id: runId, type });
  } catch (error) {
    await deps.runs.cancel(organizationId, runId).catch(() => undefined);
    throw error;
  }
}

/** Frees the session a finished run held (a no-op when it held none, or no longer holds it). */
export async function releaseRunSession(deps: AppDeps, row: RunRow): Promise<void> {
  if (row.browser_session_id === null || row.browser_session_id === '') return;
  await deps.browserSessions?.release(row.organization_id, row.browser_session_id, row.run_id);
}
