// API key administration (`/v1/keys`): Petrel's own routes (Skyvern has none). Any key of an
// organization may list, create and revoke the organization's keys. Creating a key is not
// idempotent on purpose: the answer holds the secret, which must never be stored.
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { PetrelError, ApiKeyIdParamSchema, ApiKeySchema, CreateApiKeyRequestSchema, CreatedApiKeySchema, ListApiKeysQuerySchema } from '@petrel/protocol';
import { createApiKey, revokeApiKey, toApiKey } from '../auth/api-keys.ts';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Registers the API key routes. */
export function registerKeyRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { store, authenticator, now } = ctx.deps;
  const common = { tags: ['API keys'], security: API_KEY_SECURITY };

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/keys',
      operationId: 'listApiKeys',
      summary: 'List API keys',
      description: 'The organization\'s keys, newest first; never the secrets.',
      request: { query: ListApiKeysQuerySchema },
      responses: { 200: { description: 'One page of keys.', ...json(z.array(ApiKeySchema)) }, ...errorResponses(403, 422) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await store.apiKeys.list(c.get('principal').organizationId, {
        page: query.page,
        pageSize: query.page_size,
        includeRevoked: query.include_revoked,
      });
      return c.json(rows.map(toApiKey), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/keys',
      operationId: 'createApiKey',
      summary: 'Create an API key',
      description: 'The answer holds the key itself (`api_key`); it is stored hashed and shown only this once.',
      request: { body: { required: true, ...json(CreateApiKeyRequestSchema) } },
      responses: { 201: { description: 'The new key with its secret.', ...json(CreatedApiKeySchema) }, ...errorResponses(403, 413, 415, 422) },
    }),
    async (c) => {
      const created = await createApiKey(store, c.get('principal').organizationId, c.req.valid('json').name, now());
      c.header('cache-control', 'no-store');
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/keys/{key_id}',
      operationId: 'getApiKey',
      summary: 'Get an API key',
      request: { params: ApiKeyIdParamSchema },
      responses: { 200: { description: 'The key, without its secret.', ...json(ApiKeySchema) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const keyId = c.req.valid('param').key_id;
      const row = await store.apiKeys.find(c.get('principal').organizationId, keyId);
      if (row === undefined) throw new PetrelError('NOT_FOUND', `keys.get: key ${keyId} not found`);
      return c.json(toApiKey(row), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/keys/{key_id}/revoke',
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key',
      description: 'The key stops working at once on this server and within 30 s on others. The last active key cannot be revoked (409).',
      request: { params: ApiKeyIdParamSchema },
      responses: { 200: { description: 'The revoked key.', ...json(ApiKeySchema) }, ...errorResponses(403, 404, 409, 422) },
    }),
    async (c) => {
      const keyId = c.req.valid('param').key_id;
      const key = await revokeApiKey(store, c.get('principal').organizationId, keyId, now());
      authenticator.invalidate(keyId);
      return c.json(key, 200);
    },
  );
}
