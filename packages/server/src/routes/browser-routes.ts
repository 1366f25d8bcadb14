// Persistent browser sessions and browser profiles, with Skyvern's paths and shapes (skyvern.md
// §1.10, §1.11). Sessions are Chromium processes reachable over CDP at `browser_address`; profiles
// are saved cookies and storage that sessions and runs start from.
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  BrowserProfileIdParamSchema,
  BrowserProfileSchema,
  BrowserSessionIdParamSchema,
  BrowserSessionResponseSchema,
  CreateBrowserProfileRequestSchema,
  CreateBrowserSessionRequestSchema,
  ListBrowserProfilesQuerySchema,
  PetrelError,
  UpdateBrowserProfileRequestSchema,
} from '@petrel/protocol';
import type { BrowserProfileService } from '../browsers/profile-service.ts';
import type { BrowserSessionService } from '../browsers/session-service.ts';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, IdempotencyHeaderSchema, errorResponses } from '../http/openapi-helpers.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Registers the browser session and profile routes. */
export function registerBrowserRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const sessions = (op: string): BrowserSessionService => {
    if (ctx.deps.browserSessions === undefined) throw new PetrelError('UNAVAILABLE', `${op}: browser sessions are not available in this process`);
    return ctx.deps.browserSessions;
  };
  const profiles = (op: string): BrowserProfileService => {
    if (ctx.deps.browserProfiles === undefined) throw new PetrelError('UNAVAILABLE', `${op}: browser profiles need a blob store, and none is configured`);
    return ctx.deps.browserProfiles;
  };
  const sessionTags = { tags: ['Browser sessions'], security: API_KEY_SECURITY };
  const profileTags = { tags: ['Browser profiles'], security: API_KEY_SECURITY };

  app.openapi(
    createRoute({
      ...sessionTags,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/v1/browser_sessions',
      operationId: 'createBrowserSession',
      summary: 'Create a browser session',
      description:
        'Starts a Chromium kept alive between runs (`timeout` 5–1440 minutes, default 60; it also ends after 30 idle minutes). ' +
        'Connect over CDP at `browser_address`, or pass `browser_session_id` to runs (one run at a time).',
      request: { headers: IdempotencyHeaderSchema, body: { required: false, ...json(CreateBrowserSessionRequestSchema) } },
      responses: {
        200: { description: 'The running session.', ...json(BrowserSessionResponseSchema) },
        ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503),
      },
    }),
    async (c) => {
      // The body is optional: without one the validator is skipped and the defaults apply (parsing twice is harmless).
      const body = CreateBrowserSessionRequestSchema.parse((c.req.valid('json') as unknown) ?? {});
      return c.json(await sessions('browser_sessions.create').create(c.get('principal').organizationId, body), 200);
    },
  );

  app.openapi(
    createRoute({
      ...sessionTags,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/browser_sessions',
      operationId: 'getBrowserSessions',
      summary: 'List active browser sessions',
      responses: { 200: { description: 'Sessions that are created or running, newest first.', ...json(z.array(BrowserSessionResponseSchema)) }, ...errorResponses(403, 503) },
    }),
    async (c) => c.json(await sessions('browser_sessions.list').list(c.get('principal').organizationId), 200),
  );

  app.openapi(
    createRoute({
      ...sessionTags,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/browser_sessions/{browser_session_id}',
      operationId: 'getBrowserSession',
      summary: 'Get a browser session',
      request: { params: BrowserSessionIdParamSchema },
      responses: { 200: { description: 'The session.', ...json(BrowserSessionResponseSchema) }, ...errorResponses(403, 404, 422, 503) },
    }),
    async (c) => c.json(await sessions('browser_sessions.get').get(c.get('principal').organizationId, c.req.valid('param').browser_session_id), 200),
  );

  app.openapi(
    createRoute({
      ...sessionTags,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/browser_sessions/{browser_session_id}/close',
      operationId: 'closeBrowserSession',
      summary: 'Close a browser session',
      description: 'Ends the session (status `completed`) and stops its Chromium. Closing an ended session answers it as it is.',
      request: { params: BrowserSessionIdParamSchema },
      responses: { 200: { description: 'The closed session.', ...json(BrowserSessionResponseSchema) }, ...errorResponses(403, 404, 422, 503) },
    }),
    async (c) => c.json(await sessions('browser_sessions.close').close(c.get('principal').organizationId, c.req.valid('param').browser_session_id), 200),
  );

  app.openapi(
    createRoute({
      ...profileTags,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/v1/browser_profiles',
      operationId: 'createBrowserProfile',
      summary: 'Create a browser profile',
      description:
        'Saves cookies and storage as a profile: from a running session (`browser_session_id`), from a finished run that saved its browser state ' +
        '(`workflow_run_id`), or blank when neither is given. Names are unique among live profiles (409).',
      request: { headers: IdempotencyHeaderSchema, body: { required: true, ...json(CreateBrowserProfileRequestSchema) } },
      responses: { 200: { description: 'The profile.', ...json(BrowserProfileSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => c.json(await profiles('browser_profiles.create').create(c.get('principal').organizationId, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      ...profileTags,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/browser_profiles',
      operationId: 'listBrowserProfiles',
      summary: 'List browser profiles',
      request: { query: ListBrowserProfilesQuerySchema },
      responses: { 200: { description: 'One page of profiles, newest first.', ...json(z.array(BrowserProfileSchema)) }, ...errorResponses(403, 422, 503) },
    }),
    async (c) => c.json(await profiles('browser_profiles.list').list(c.get('principal').organizationId, c.req.valid('query')), 200),
  );

  app.openapi(
    createRoute({
      ...profileTags,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/browser_profiles/{browser_profile_id}',
      operationId: 'getBrowserProfile',
      summary: 'Get a browser profile',
      request: { params: BrowserProfileIdParamSchema },
      responses: { 200: { description: 'The profile (deleted ones too, with `deleted_at`).', ...json(BrowserProfileSchema) }, ...errorResponses(403, 404, 422, 503) },
    }),
    async (c) => c.json(await profiles('browser_profiles.get').get(c.get('principal').organizationId, c.req.valid('param').browser_profile_id), 200),
  );

  app.openapi(
    createRoute({
      ...profileTags,
      middleware: [ctx.auth] as const,
      method: 'patch',
      path: '/v1/browser_profiles/{browser_profile_id}',
      operationId: 'updateBrowserProfile',
      summary: 'Rename or describe a browser profile',
      request: { params: BrowserProfileIdParamSchema, body: { required: true, ...json(UpdateBrowserProfileRequestSchema) } },
      responses: { 200: { description: 'The profile.', ...json(BrowserProfileSchema) }, ...errorResponses(403, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) =>
      c.json(await profiles('browser_profiles.update').update(c.get('principal').organizationId, c.req.valid('param').browser_profile_id, c.req.valid('json')), 200),
  );

  app.openapi(
    createRoute({
      ...profileTags,
      middleware: [ctx.auth] as const,
      method: 'delete',
      path: '/v1/browser_profiles/{browser_profile_id}',
      operationId: 'deleteBrowserProfile',
      summary: 'Delete a browser profile',
      request: { params: BrowserProfileIdParamSchema },
      responses: { 204: { description: 'Deleted: the saved state is removed; the record stays listed with `include_deleted`.' }, ...errorResponses(403, 404, 422, 503) },
    }),
    async (c) => {
      await profiles('browser_profiles.delete').delete(c.get('principal').organizationId, c.req.valid('param').browser_profile_id);
      return c.body(null, 204);
    },
  );
}
