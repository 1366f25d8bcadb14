// Answers to `human_interaction` blocks. The block emails its reviewers two links; a link carries
// the run, the block label, the organization and a token, the HMAC of those three under the
// organization's secret, so a link can be followed without an API key and cannot be forged or
// moved to another run. The server's route checks the token (`verifyHumanInteractionToken`) and
// sends the run the event the block waits for: type `human_interaction_<label>`, payload
// `{ decision: 'approve' | 'reject' }` (the workflow service's `respondToHumanInteraction` does both).
//
//   GET or POST <publicBaseUrl>/v1/runs/<wr_…>/human_interaction/<label>?ns=<namespace>&decision=approve&token=<token>
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The token of a run's human_interaction block (43 base64url characters). */
export function humanInteractionToken(secret: string, namespace: string, runId: string, label: string): string {
  return createHmac('sha256', secret).update(`petrel.human_interaction\u0000${namespace}\u0000${runId}\u0000${label}`).digest('base64url');
}

/** True when `token` is the token of that block (constant time). */
export function verifyHumanInteractionToken(secret: string, namespace: string, runId: string, label: string, token: string): boolean {
  const expected = Buffer.from(humanInteractionToken(secret, namespace, runId, label));
  const given = Buffer.from(typeof token === 'string' ? token : '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The approve and reject links of a block, under the server's public base URL. */
export function humanInteractionLinks(baseUrl: string, namespace: string, runId: string, label: string, token: string): { approveUrl: string; rejectUrl: string } {
  const base = `${baseUrl.replace(/\/+$/, '')}/v1/runs/${encodeURIComponent(runId)}/human_interaction/${encodeURIComponent(label)}`;
  const query = (decision: string) => `?ns=${encodeURIComponent(namespace)}&decision=${decision}&token=${token}`;
  return { approveUrl: `${base}${query('approve')}`, rejectUrl: `${base}${query('reject')}` };
}
