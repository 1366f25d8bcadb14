// The organization's webhook signing secret: read it to verify deliveries, rotate it when it leaks.
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { RotateWebhookSecretRequestSchema, WebhookSecretSchema } from '@petrel/protocol';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import { getWebhookSecret, rotateWebhookSecret } from '../webhooks/webhook-secrets.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Registers the webhook secret routes. */
export function registerWebhookRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { store, vault, now } = ctx.deps;
  const common = { tags: ['Webhooks'], security: API_KEY_SECURITY };

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/webhooks/secret',
      operationId: 'getWebhookSecret',
      summary: 'Get the webhook signing secret',
      description:
        'Deliveries carry `x-petrel-signature` (and `x-skyvern-signature`): `v0=` + hex HMAC-SHA256 of `v0:{x-petrel-timestamp}:{raw body}` under this secret.',
      responses: { 200: { description: 'The current secret.', ...json(WebhookSecretSchema) }, ...errorResponses(403) },
    }),
    async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(await getWebhookSecret(store, vault, c.get('principal').organizationId, now()), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/webhooks/secret/rotate',
      operationId: 'rotateWebhookSecret',
      summary: 'Rotate the webhook signing secret',
      description: 'Makes a new secret; deliveries signed from now on use it. Send `{}` or no body.',
      request: { body: { required: false, content: { 'application/json': { schema: RotateWebhookSecretRequestSchema } } } },
      responses: { 200: { description: 'The new secret.', ...json(WebhookSecretSchema) }, ...errorResponses(403, 415, 422) },
    }),
    async (c) => {
      c.header('cache-control', 'no-store');
      return c.json(await rotateWebhookSecret(store, vault, c.get('principal').organizationId, now()), 200);
    },
  );
}
