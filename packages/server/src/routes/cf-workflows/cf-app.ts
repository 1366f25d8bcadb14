// The Workflows API (Cloudflare's shape, `/client/v4/accounts/{account_id}/workflows…`) as a sub-app
// with its own error handler, so every answer under `/client/v4` is the Cloudflare envelope — auth
// failures, bad JSON and unknown paths included — while the rest of the app keeps Skyvern's shapes.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { CfAccountSchema, PetrelError } from '@petrel/protocol';
import { z } from 'zod';
import type { AppEnv } from '../../http/app-env.ts';
import { validationHook } from '../../http/error-handler.ts';
import type { RouteContext } from '../route-context.ts';
import { organizationOf } from './cf-context.ts';
import { CF_BASE, CF_SECURITY, CF_SECURITY_SCHEMES, cfEnvelope, cfErrorResponses, cfNoRoute, cfOk, handleCfError, requireCfAccount } from './cf-envelope.ts';
import { registerCfInstanceRoutes } from './instance-routes.ts';
import { registerCfVersionRoutes } from './version-routes.ts';
import { registerCfWorkflowRoutes } from './workflow-routes.ts';

/** Mounts the Workflows API on the app. */
export function registerCloudflareWorkflowRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const cf = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });
  // The handler must be set before `route()` copies the routes (Hono wraps each with it then).
  cf.onError(handleCfError);
  for (const [name, scheme] of Object.entries(CF_SECURITY_SCHEMES)) cf.openAPIRegistry.registerComponent('securitySchemes', name, scheme);

  const auth = requireCfAccount(ctx.deps.authenticator);
  cf.use(`${CF_BASE}/accounts/:account_id/*`, auth);

  cf.openapi(
    createRoute({
      tags: ['Workflows API'],
      security: CF_SECURITY,
      middleware: [auth] as const,
      method: 'get',
      path: `${CF_BASE}/accounts`,
      operationId: 'cfListAccounts',
      summary: 'List accounts',
      description: 'The key\'s organization, as the one account it may use (its id is the `account_id` of every other route).',
      responses: { 200: { description: 'The account.', content: { 'application/json': { schema: cfEnvelope(z.array(CfAccountSchema), 'CfAccountListEnvelope') } } }, ...cfErrorResponses(403) },
    }),
    async (c) => {
      const page = Number(c.req.query('page') ?? '1');
      const organizationId = organizationOf(c);
      const organization = await ctx.deps.store.organizations.find(organizationId);
      if (organization === undefined) throw new PetrelError('UNAUTHENTICATED', 'Authentication error');
      const result = page > 1 ? [] : [{ id: organizationId, name: organization.name, type: 'standard' as const }];
      return cfOk(c, result, 200, { resultInfo: { page: Number.isFinite(page) && page > 0 ? page : 1, per_page: 20, count: result.length, total_count: 1, total_pages: 1 } });
    },
  );

  registerCfWorkflowRoutes(cf, ctx);
  registerCfInstanceRoutes(cf, ctx);
  registerCfVersionRoutes(cf, ctx);
  // Last: any other path under /client/v4 (or a method a path does not have).
  cf.all(CF_BASE, cfNoRoute);
  cf.all(`${CF_BASE}/*`, cfNoRoute);
  app.route('/', cf);
}
