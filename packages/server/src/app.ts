// The HTTP app: Hono with @hono/zod-openapi. Routes are declared with zod schemas from `protocol`,
// so requests are validated at the edge and `/openapi.json` is generated from the same schemas.
// `createApp` opens no socket: tests drive it with `app.request()`, `startServer` serves it.
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { PetrelError } from '@petrel/protocol';
import type { AppDeps } from './app-deps.ts';
import type { AppEnv } from './http/app-env.ts';
import { requireApiKey } from './http/auth-middleware.ts';
import { handleError, handleNotFound, validationHook } from './http/error-handler.ts';
import { idempotency } from './http/idempotency-middleware.ts';
import { SECURITY_SCHEMES } from './http/openapi-helpers.ts';
import { requestContext } from './http/request-context.ts';
import { registerDocsRoutes } from './openapi/openapi-document.ts';
import { registerCloudflareWorkflowRoutes } from './routes/cf-workflows/cf-app.ts';
import { CF_BASE, handleCfError } from './routes/cf-workflows/cf-envelope.ts';
import { UPLOAD_PATHS, registerArtifactRoutes } from './routes/artifact-routes.ts';
import { registerBrowserRoutes } from './routes/browser-routes.ts';
import { registerCredentialRoutes } from './routes/credential-routes.ts';
import { registerKeyRoutes } from './routes/key-routes.ts';
import { registerOpsRoutes } from './routes/ops-routes.ts';
import type { RouteContext } from './routes/route-context.ts';
import { registerRunRoutes } from './routes/run-routes.ts';
import { registerLegacyRoutes } from './routes/legacy-routes.ts';
import { registerTaskRoutes } from './routes/task-routes.ts';
import { registerWorkflowRoutes } from './routes/workflow-routes.ts';
import { registerWebhookRoutes } from './routes/webhook-routes.ts';

/** The app type `createApp` returns. */
export type PetrelApp = OpenAPIHono<AppEnv>;

/** Builds the HTTP app over its dependencies. */
export function createApp(deps: AppDeps): PetrelApp {
  const full = { ...deps, now: deps.now ?? (() => new Date()) };
  // `strict: false` accepts a trailing-slash twin of every path, as Skyvern does.
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });

  app.use('*', requestContext({ logger: full.logger, metrics: full.metrics }));
  const jsonLimit = bodyLimit({
    maxSize: full.maxBodyBytes,
    onError: () => {
      throw new PetrelError('PAYLOAD_TOO_LARGE', `request: the body is over the ${full.maxBodyBytes}-byte limit`);
    },
  });
  // Uploads are streamed into the blob store and counted against their own limit there.
  const uploads = new Set(UPLOAD_PATHS);
  app.use('*', (c, next) => (uploads.has(c.req.path.replace(/\/+$/, '')) ? next() : jsonLimit(c, next)));
  // Errors raised before a Workflows API route runs (the body limit) still answer in its envelope.
  app.onError((error, c) => (c.req.path.startsWith(`${CF_BASE}/`) ? handleCfError(error, c) : handleError(error, c)));
  app.notFound(handleNotFound);

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);

  const ctx: RouteContext = {
    deps: full,
    auth: requireApiKey(full.authenticator),
    idempotency: idempotency({ store: full.store, now: full.now }),
  };
  registerOpsRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerCredentialRoutes(app, ctx);
  registerWebhookRoutes(app, ctx);
  registerTaskRoutes(app, ctx);
  registerWorkflowRoutes(app, ctx);
  registerLegacyRoutes(app, ctx);
  registerRunRoutes(app, ctx);
  registerArtifactRoutes(app, ctx);
  registerBrowserRoutes(app, ctx);
  registerCloudflareWorkflowRoutes(app, ctx);
  registerDocsRoutes(app);
  return app;
}
