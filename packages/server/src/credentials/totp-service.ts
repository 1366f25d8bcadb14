// Codes pushed to `POST /v1/credentials/totp`: extracted from the message, stored for 10 minutes
// (or until `expired_at`), and found again by the agent while a login waits for its code.
import { PetrelError, newId } from '@petrel/protocol';
import type { OtpType, TotpCode, TotpCodeCreate } from '@petrel/protocol';
import type { ServerStore, TotpCodeRow } from '../store/server-store.ts';
import { extractOtp } from './otp-extract.ts';

/** How long a pushed code is valid when the request does not say (Skyvern's `TOTP_LIFESPAN_MINUTES`). */
export const TOTP_LIFESPAN_MS = 10 * 60_000;

/** The API view of a stored code. */
export function toTotpCode(row: TotpCodeRow): TotpCode {
  return {
    totp_code_id: row.totp_code_id,
    totp_identifier: row.totp_identifier,
    code: row.code,
    content: row.content,
    task_id: row.task_id,
    workflow_id: row.workflow_id,
    workflow_run_id: row.workflow_run_id,
    source: row.source,
    expired_at: row.expired_at,
    organization_id: row.organization_id,
    otp_type: row.otp_type as OtpType,
    created_at: row.created_at,
    modified_at: row.created_at,
  };
}

/** Extracts and stores a pushed code; throws `INVALID_INPUT` when the content holds none. */
export async function storePushedTotpCode(store: ServerStore, organizationId: string, request: TotpCodeCreate, now: Date): Promise<TotpCode> {
  const content = request.content.replaceAll('\u0000', '');
  const found = extractOtp(content);
  if (found === undefined) throw new PetrelError('INVALID_INPUT', 'credentials.totp: failed to parse a code from the content');
  // Skyvern sends naive times in UTC; read a time without an offset as UTC, not as local time.
  const rawExpiry = request.expired_at ?? undefined;
  const expiredAt =
    rawExpiry === undefined
      ? new Date(now.getTime() + TOTP_LIFESPAN_MS)
      : new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(rawExpiry) ? rawExpiry : `${rawExpiry}Z`);
  const row: TotpCodeRow = {
    totp_code_id: newId('totpCode'),
    organization_id: organizationId,
    totp_identifier: request.totp_identifier,
    code: found.code,
    content,
    otp_type: found.otpType,
    task_id: request.task_id ?? null,
    workflow_id: request.workflow_id ?? null,
    workflow_run_id: request.workflow_run_id ?? null,
    source: request.source ?? null,
    expired_at: Number.isNaN(expiredAt.getTime()) ? null : expiredAt.toISOString(),
    created_at: now.toISOString(),
  };
  await store.totpCodes.insert(row);
  return toTotpCode(row);
}

/**
 * The newest unexpired code pushed for `identifier` at or after `since`, or undefined. The agent
 * calls this while a login waits for a code sent by email or SMS.
 */
export async function findPushedTotpCode(
  store: ServerStore,
  organizationId: string,
  identifier: string,
  since: Date,
  now: Date = new Date(),
): Promise<TotpCode | undefined> {
  const row = await store.totpCodes.findLatest(organizationId, identifier, since.toISOString(), now.toISOString());
  return row === undefined ? undefined : toTotpCode(row);
}
