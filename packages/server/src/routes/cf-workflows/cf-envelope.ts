// The Cloudflare v4 envelope on success and on error, the Workflows API's authentication, and the
// OpenAPI pieces its routes share. Errors keep the envelope (`success: false`, `result: null`), a
// Cloudflare numeric code and Petrel's string code; every bad input answers 400, as Cloudflare does.
// A 4xx answer carries `x-should-retry: false` so the `cloudflare` client does not retry a conflict.
import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { CF_ERROR_CODES, CfErrorEnvelopeSchema, PetrelError, cfEnvelopeSchema, cfErrorCode, codeIsBadInput, isPetrelError } from '@petrel/protocol';
import type { CfError, CfMessage, CfResultInfo } from '@petrel/protocol';
import type { z } from 'zod';
import type { ApiKeyAuthenticator } from '../../auth/authenticator.ts';
import type { AppEnv } from '../../http/app-env.ts';
import { findRequestKey } from '../../http/auth-middleware.ts';
import { RequestValidationError, fromHttpException } from '../../http/error-handler.ts';

/** Where every route of the Workflows API lives. */
export const CF_BASE = '/client/v4';

/** Security schemes of the Workflows API (registered on the document). */
export const CF_SECURITY_SCHEMES = {
  XAuthKey: { type: 'apiKey', in: 'header', name: 'X-Auth-Key', description: 'The API key, as Cloudflare\'s legacy API key header (`X-Auth-Email` is ignored).' },
} as const;

/** Security of the Workflows API routes: `Authorization: Bearer`, `X-Auth-Key` or `x-api-key`. */
export const CF_SECURITY: Record<string, string[]>[] = [{ BearerAuth: [] }, { XAuthKey: [] }, { ApiKeyHeader: [] }];

const DESCRIPTIONS = {
  400: 'Bad input: malformed JSON, a field that does not match, a bad id, duration or cursor.',
  403: 'Authentication error (10000): no key, an invalid or revoked key, or an account id that is not the key\'s organization.',
  404: 'No such workflow (10501), instance (10400), version or step (10101) in this account.',
  409: 'The instance\'s state does not allow it, or the id is taken (10102).',
  413: 'The body is over the size limit.',
  415: 'The body is not `application/json`.',
  503: 'The engine is not running in this process, or the server is shutting down.',
} as const;

/** OpenAPI `responses` entries (the error envelope) for the given statuses. */
export function cfErrorResponses(...statuses: Array<keyof typeof DESCRIPTIONS>) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: typeof CfErrorEnvelopeSchema } } }> = {};
  for (const status of statuses) out[status] = { description: DESCRIPTIONS[status], content: { 'application/json': { schema: CfErrorEnvelopeSchema } } };
  return out;
}

const envelopes = new Map<string, unknown>();

/** The success envelope schema around `result`, made once per id (apps built many times share it). */
export function cfEnvelope<T extends z.ZodType>(result: T, id: string): ReturnType<typeof cfEnvelopeSchema<T>> {
  let schema = envelopes.get(id) as ReturnType<typeof cfEnvelopeSchema<T>> | undefined;
  if (schema === undefined) {
    schema = cfEnvelopeSchema(result, id);
    envelopes.set(id, schema);
  }
  return schema;
}

/** A success answer: `{ success: true, errors: [], messages, result, result_info? }`. */
export function cfOk<S extends 200 | 201>(
  c: Context<AppEnv>,
  result: unknown,
  status: S,
  extra: { messages?: CfMessage[]; resultInfo?: CfResultInfo } = {},
) {
  const body = {
    success: true as const,
    errors: [],
    messages: extra.messages ?? [],
    result,
    ...(extra.resultInfo === undefined ? {} : { result_info: extra.resultInfo }),
  };
  return c.json(body as never, status);
}

function envelope(c: Context<AppEnv>, status: number, errors: CfError[]): Response {
  if (status >= 400 && status < 500 && status !== 429 && status !== 408) c.header('x-should-retry', 'false');
  return c.json({ success: false, errors, messages: [], result: null }, status as 400);
}

/** The error handler of the Workflows API: every error as the Cloudflare envelope. */
export function handleCfError(error: unknown, c: Context<AppEnv>): Response {
  if (error instanceof RequestValidationError) {
    return envelope(
      c,
      400,
      error.issues.map((issue) => ({
        code: CF_ERROR_CODES.invalidRequest,
        message: `${issue.loc.join('.')}: ${issue.msg}`,
        petrel_code: 'VALIDATION_FAILED',
        source: { pointer: `/${issue.loc.join('/')}` },
      })),
    );
  }
  const known = error instanceof HTTPException ? fromHttpException(error) : isPetrelError(error) ? error : undefined;
  if (known === undefined || known.status >= 500) {
    c.get('logger')?.error({ err: error, ...(known === undefined ? {} : { code: known.code }) }, known === undefined ? 'unexpected error' : 'request failed');
  }
  if (known === undefined) {
    return envelope(c, 500, [{ code: CF_ERROR_CODES.internal, message: `Internal error (request ${c.get('requestId')})`, petrel_code: 'INTERNAL' }]);
  }
  if (known.retryAfterMs !== undefined) c.header('retry-after', String(Math.ceil(known.retryAfterMs / 1000)));
  const status = codeIsBadInput(known.code) && known.status === 422 ? 400 : known.status;
  const message = known.code === 'UNAUTHENTICATED' ? 'Authentication error' : known.code === 'INTERNAL' ? `Internal error (request ${c.get('requestId')})` : known.message;
  return envelope(c, status, [{ code: cfErrorCode(known.code), message, petrel_code: known.code }]);
}

/** The answer to a path under `/client/v4` that no route matches (Cloudflare's 7000). */
export function cfNoRoute(c: Context<AppEnv>): Response {
  return envelope(c, 404, [{ code: CF_ERROR_CODES.noRoute, message: 'No route for that URI', petrel_code: 'NOT_FOUND' }]);
}

/**
 * Authentication of the Workflows API: the key from `Authorization: Bearer`, `X-Auth-Key` or
 * `x-api-key`; the `account_id` in the path must be the key's organization. Both failures answer
 * 403 "Authentication error" (10000), alike for an account that exists and one that does not.
 */
export function requireCfAccount(authenticator: ApiKeyAuthenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const headers = c.req.raw.headers;
    const key = findRequestKey(headers) ?? headers.get('x-auth-key')?.trim() ?? undefined;
    const principal = key === undefined || key === '' ? undefined : await authenticator.authenticate(key);
    if (principal === undefined) throw new PetrelError('UNAUTHENTICATED', 'Authentication error');
    c.set('principal', principal);
    const account = c.req.param('account_id');
    if (account !== undefined && account !== principal.organizationId) {
      throw new PetrelError('FORBIDDEN', 'Authentication error: this key cannot use that account');
    }
    await next();
  };
}
