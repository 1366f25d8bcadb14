// Shared pieces of route declarations: the security requirement and the error answers each route
// documents, so `/openapi.json` tells clients every status a route can give.
import { z } from 'zod';
import { ErrorResponseSchema, ValidationErrorResponseSchema } from '@petrel/protocol';

/** Security schemes of the API, registered once on the document. */
export const SECURITY_SCHEMES = {
  ApiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key (`pk_…`). Preferred.' },
  BearerAuth: { type: 'http', scheme: 'bearer', description: 'The same API key as `Authorization: Bearer pk_…`.' },
} as const;

/** The security requirement of authenticated routes: either scheme. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ ApiKeyHeader: [] }, { BearerAuth: [] }];

const DESCRIPTIONS = {
  400: 'Malformed request (bad JSON, a bad header) or an operation the input does not allow.',
  403: 'No API key, or an invalid or revoked one: `{"detail":"Invalid credentials","code":"UNAUTHENTICATED"}`.',
  404: 'No such resource in this organization.',
  409: 'Conflicts with the current state, or an `Idempotency-Key` reused with another body.',
  413: 'The body is over the size limit.',
  415: 'The body is not `application/json`.',
  422: 'The request does not match the schema; `detail` lists each problem.',
  503: 'The server is starting, stopping or cannot reach its database.',
} as const;

type ErrorStatus = keyof typeof DESCRIPTIONS;

/** OpenAPI `responses` entries for the given error statuses. */
export function errorResponses(...statuses: ErrorStatus[]) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorResponseSchema | typeof ValidationErrorResponseSchema } } }> = {};
  for (const status of statuses) {
    out[status] = {
      description: DESCRIPTIONS[status],
      content: { 'application/json': { schema: status === 422 ? ValidationErrorResponseSchema : ErrorResponseSchema } },
    };
  }
  return out;
}

/** The `Idempotency-Key` header of create routes (validated by the idempotency middleware; declared for the document). */
export const IdempotencyHeaderSchema = z.object({
  'idempotency-key': z
    .string()
    .max(255)
    .optional()
    .describe('Retry-safe creates: the same key and body within 24 h returns the first answer; another body gives 409.'),
});
