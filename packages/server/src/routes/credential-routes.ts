// Credentials routes, with Skyvern's paths and shapes (skyvern.md §1.12, §1.13): create, list, get,
// update, delete (secrets never echoed) and the TOTP push (which wakes the runs waiting for the code).
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  PetrelError,
  CreateCredentialRequestSchema,
  CredentialIdParamSchema,
  CredentialResponseSchema,
  ListCredentialsQuerySchema,
  TotpCodeCreateSchema,
  TotpCodeSchema,
} from '@petrel/protocol';
import type { Logger, TotpCode, TotpCodeCreate } from '@petrel/protocol';
import { createCredential, getCredential, toCredentialResponse, updateCredential } from '../credentials/credential-service.ts';
import { storePushedTotpCode } from '../credentials/totp-service.ts';
import { wakeRunsForTotp } from '../credentials/totp-wakeup.ts';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, IdempotencyHeaderSchema, errorResponses } from '../http/openapi-helpers.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Registers the credential routes. */
export function registerCredentialRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { store, vault, now } = ctx.deps;
  const common = { tags: ['Credentials'], security: API_KEY_SECURITY };
  // Stores the code, then wakes the runs waiting for it.
  const pushTotp = async (organizationId: string, body: TotpCodeCreate, logger: Logger): Promise<TotpCode> => {
    const code = await storePushedTotpCode(store, organizationId, body, now());
    await wakeRunsForTotp({ engine: ctx.deps.engine?.engine, runs: ctx.deps.runs, logger, code });
    return code;
  };

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/v1/credentials',
      operationId: 'createCredential',
      summary: 'Create a credential',
      description: 'Stores a password (with an optional TOTP seed), a card or a secret, encrypted. The answer never includes the secret.',
      middleware: [ctx.auth, ctx.idempotency] as const,
      request: { headers: IdempotencyHeaderSchema, body: { required: true, ...json(CreateCredentialRequestSchema) } },
      responses: { 201: { description: 'The stored credential, masked.', ...json(CredentialResponseSchema) }, ...errorResponses(400, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(await createCredential(store, vault, c.get('principal').organizationId, c.req.valid('json'), now()), 201),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/v1/credentials',
      operationId: 'getCredentials',
      summary: 'List credentials',
      middleware: [ctx.auth] as const,
      request: { query: ListCredentialsQuerySchema },
      responses: { 200: { description: 'One page of credentials, newest first.', ...json(z.array(CredentialResponseSchema)) }, ...errorResponses(403, 422) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await store.credentials.list(c.get('principal').organizationId, {
        page: query.page,
        pageSize: query.page_size,
        credentialType: query.credential_type,
        vaultType: query.vault_type,
        search: query.search,
      });
      return c.json(rows.map(toCredentialResponse), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/v1/credentials/totp',
      operationId: 'sendTotpCode',
      summary: 'Send a TOTP code',
      description:
        'Forward an email or SMS (or a bare code) holding a one-time code for `totp_identifier`. The code is extracted and kept for 10 minutes (or until `expired_at`) for runs waiting on it.',
      middleware: [ctx.auth, ctx.idempotency] as const,
      request: { headers: IdempotencyHeaderSchema, body: { required: true, ...json(TotpCodeCreateSchema) } },
      responses: { 200: { description: 'The stored code.', ...json(TotpCodeSchema) }, ...errorResponses(400, 403, 409, 413, 415, 422) },
    }),
    async (c) => c.json(await pushTotp(c.get('principal').organizationId, c.req.valid('json'), c.get('logger')), 200),
  );

  // Skyvern's legacy path of the same operation; kept out of the document.
  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/api/v1/totp',
      hide: true,
      middleware: [ctx.auth, ctx.idempotency] as const,
      request: { body: { required: true, ...json(TotpCodeCreateSchema) } },
      responses: { 200: { description: 'The stored code.', ...json(TotpCodeSchema) } },
    }),
    async (c) => c.json(await pushTotp(c.get('principal').organizationId, c.req.valid('json'), c.get('logger')), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/v1/credentials/{credential_id}',
      operationId: 'getCredential',
      summary: 'Get a credential',
      middleware: [ctx.auth] as const,
      request: { params: CredentialIdParamSchema },
      responses: { 200: { description: 'The credential, masked.', ...json(CredentialResponseSchema) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => c.json(await getCredential(store, c.get('principal').organizationId, c.req.valid('param').credential_id), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/v1/credentials/{credential_id}/update',
      operationId: 'updateCredential',
      summary: 'Update a credential',
      description: 'Replaces the stored data with the body (the same shape as create).',
      middleware: [ctx.auth] as const,
      request: { params: CredentialIdParamSchema, body: { required: true, ...json(CreateCredentialRequestSchema) } },
      responses: { 200: { description: 'The updated credential, masked.', ...json(CredentialResponseSchema) }, ...errorResponses(400, 403, 404, 413, 415, 422) },
    }),
    async (c) =>
      c.json(await updateCredential(store, vault, c.get('principal').organizationId, c.req.valid('param').credential_id, c.req.valid('json'), now()), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/v1/credentials/{credential_id}/delete',
      operationId: 'deleteCredential',
      summary: 'Delete a credential',
      description: 'Deletes the credential and its encrypted data for good.',
      middleware: [ctx.auth] as const,
      request: { params: CredentialIdParamSchema },
      responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const credentialId = c.req.valid('param').credential_id;
      if (!(await store.credentials.delete(c.get('principal').organizationId, credentialId))) {
        throw new PetrelError('NOT_FOUND', `credentials.delete: credential ${credentialId} not found`);
      }
      return c.body(null, 204);
    },
  );
}
