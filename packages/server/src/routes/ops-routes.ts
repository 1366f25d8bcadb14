// Operations endpoints, without authentication: `/healthz` (the process answers), `/readyz` (the
// database answers and is migrated; 503 while draining for shutdown) and `/metrics` (Prometheus).
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { PetrelError } from '@petrel/protocol';
import type { AppEnv } from '../http/app-env.ts';
import { errorResponses } from '../http/openapi-helpers.ts';
import type { RouteContext } from './route-context.ts';

const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const ReadySchema = z
  .object({
    status: z.literal('ready'),
    checks: z.object({ database: z.literal('ok'), migrations: z.literal('ok') }),
  })
  .meta({ id: 'Readiness' });

/** Registers `/healthz`, `/readyz` and `/metrics`. */
export function registerOpsRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { store, metrics } = ctx.deps;
  const isDraining = ctx.deps.isDraining ?? (() => false);
  let migrated = false;

  app.openapi(
    createRoute({
      method: 'get',
      path: '/healthz',
      tags: ['Operations'],
      operationId: 'healthz',
      summary: 'Liveness',
      responses: { 200: { description: 'The process is up.', content: { 'application/json': { schema: HealthSchema } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/readyz',
      tags: ['Operations'],
      operationId: 'readyz',
      summary: 'Readiness',
      responses: {
        200: { description: 'The database answers and its migrations are applied.', content: { 'application/json': { schema: ReadySchema } } },
        ...errorResponses(503),
      },
    }),
    async (c) => {
      if (isDraining()) throw new PetrelError('UNAVAILABLE', 'readyz: the server is shutting down');
      await store.database.ping();
      if (!migrated) {
        const pending = await store.database.pendingMigrations();
        if (pending.length > 0) throw new PetrelError('UNAVAILABLE', `readyz: ${pending.length} migration(s) not applied`);
        migrated = true;
      }
      return c.json({ status: 'ready' as const, checks: { database: 'ok' as const, migrations: 'ok' as const } }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/metrics',
      tags: ['Operations'],
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      responses: { 200: { description: 'Metrics in the Prometheus text format.', content: { 'text/plain': { schema: z.string() } } } },
    }),
    async (c) => {
      await metrics.collect();
      const text = await metrics.registry.metrics();
      return c.text(text, 200, { 'content-type': metrics.registry.contentType });
    },
  );
}
