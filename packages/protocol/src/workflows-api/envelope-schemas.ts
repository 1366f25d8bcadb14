// Cloudflare's v4 envelope, as the Workflows API answers every request: `{ success, errors, messages,
// result, result_info }`. Errors carry Cloudflare's numeric `code`; Petrel adds its stable string code
// as `petrel_code` so a client can tell errors apart without a table. The numeric codes Cloudflare
// documents are used where the meaning matches; the others are Petrel's, in the same range.
import { z } from 'zod';
import type { ErrorCode } from '../errors.ts';

/** Cloudflare's numeric error codes as Petrel answers them (`*` in the comment: Cloudflare's own). */
export const CF_ERROR_CODES = {
  /** No route for that URI (Cloudflare's 7000). */
  noRoute: 7000,
  /** Authentication error: missing, unknown or revoked key, or an account the key may not use (Cloudflare's 10000). */
  authentication: 10000,
  /** Internal error (Cloudflare's 10001, `workflows.api.error.internal_server`). */
  internal: 10001,
  /** Instance not found (Cloudflare's 10400, `workflows.api.error.instance.not_found`). */
  instanceNotFound: 10400,
  /** Workflow not found (Cloudflare's 10501, as its local explorer answers). */
  workflowNotFound: 10501,
  /** Petrel: the request is malformed or a field is not acceptable. */
  invalidRequest: 10100,
  /** Petrel: another resource (version, step) was not found. */
  notFound: 10101,
  /** Petrel: the instance's state does not allow the operation, or the id is taken. */
  conflict: 10102,
  /** Petrel: too many requests. */
  rateLimited: 10103,
  /** Petrel (message): the workflow's class is not loaded by any running worker. */
  codeNotLoaded: 10200,
  /** Petrel (message): why a queued instance is not running. */
  statusReason: 10201,
} as const;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: CF_ERROR_CODES.authentication,
  FORBIDDEN: CF_ERROR_CODES.authentication,
  INSTANCE_NOT_FOUND: CF_ERROR_CODES.instanceNotFound,
  WORKFLOW_NOT_FOUND: CF_ERROR_CODES.workflowNotFound,
  NOT_FOUND: CF_ERROR_CODES.notFound,
  STEP_NOT_FOUND: CF_ERROR_CODES.notFound,
  RUN_NOT_FOUND: CF_ERROR_CODES.notFound,
  ALREADY_EXISTS: CF_ERROR_CODES.conflict,
  INVALID_TRANSITION: CF_ERROR_CODES.conflict,
  CONFLICT: CF_ERROR_CODES.conflict,
  IDEMPOTENCY_KEY_REUSED: CF_ERROR_CODES.conflict,
  WORKFLOW_CODE_MISSING: CF_ERROR_CODES.conflict,
  RATE_LIMITED: CF_ERROR_CODES.rateLimited,
};

/** The Cloudflare numeric code of a Petrel error code. */
export function cfErrorCode(code: ErrorCode): number {
  return BY_CODE[code] ?? (codeIsBadInput(code) ? CF_ERROR_CODES.invalidRequest : CF_ERROR_CODES.internal);
}

const BAD_INPUT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'VALIDATION_FAILED',
  'INVALID_DURATION',
  'INVALID_ID',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'INVALID_STEP_CONFIG',
  'TEMPLATE_ERROR',
]);

/** True for the codes of bad input, which the Workflows API answers with 400 (413/415 keep theirs). */
export function codeIsBadInput(code: ErrorCode): boolean {
  return BAD_INPUT.has(code);
}

/** A message of the envelope: a code and a sentence. */
export const CfMessageSchema = z
  .object({
    code: z.number().int(),
    message: z.string(),
  })
  .meta({ id: 'CfMessage' });
/** A message of the envelope. */
export type CfMessage = z.infer<typeof CfMessageSchema>;

/** An error of the envelope: Cloudflare's numeric code, a message, and Petrel's string code. */
export const CfErrorSchema = z
  .object({
    code: z.number().int().describe('Cloudflare\'s numeric code (10000 authentication, 10001 internal, 10400 instance not found, 10501 workflow not found, 10100–10103 Petrel\'s).'),
    message: z.string().describe('What went wrong, prefixed with the operation; never the value that was sent.'),
    petrel_code: z.string().optional().describe('Petrel\'s stable error code, e.g. `WORKFLOW_NOT_FOUND`.'),
    source: z.object({ pointer: z.string() }).optional().describe('Where in the request the problem is (`/body/params`, `/query/per_page`).'),
  })
  .meta({ id: 'CfError' });
/** An error of the envelope. */
export type CfError = z.infer<typeof CfErrorSchema>;

/** Paging information of list answers: page/per_page, and a cursor for instance lists. */
export const CfResultInfoSchema = z
  .object({
    count: z.number().int().describe('Items in this page.'),
    per_page: z.number().int(),
    total_count: z.number().int(),
    page: z.number().int().optional().describe('The page answered (page-style paging). A page past the last one is empty.'),
    total_pages: z.number().int().optional(),
    cursor: z.string().optional().describe('Instance lists: pass it back as `cursor` for the next page; absent on the last page.'),
  })
  .meta({ id: 'CfResultInfo' });
/** Paging information. */
export type CfResultInfo = z.infer<typeof CfResultInfoSchema>;

/** The envelope of a successful answer around `result`. */
export function cfEnvelopeSchema<T extends z.ZodType>(result: T, id: string) {
  return z
    .object({
      success: z.literal(true),
      errors: z.array(CfErrorSchema),
      messages: z.array(CfMessageSchema),
      result,
      result_info: CfResultInfoSchema.optional(),
    })
    .meta({ id });
}

/** The envelope of a failed answer. */
export const CfErrorEnvelopeSchema = z
  .object({
    success: z.literal(false),
    errors: z.array(CfErrorSchema).min(1),
    messages: z.array(CfMessageSchema),
    result: z.null(),
  })
  .meta({ id: 'CfErrorEnvelope', description: 'A failed request: one or more errors, `result: null`.' });
/** A failed answer. */
export type CfErrorEnvelope = z.infer<typeof CfErrorEnvelopeSchema>;
