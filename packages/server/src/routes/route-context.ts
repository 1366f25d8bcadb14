// What route modules receive: the app's dependencies and the shared middleware.
import type { MiddlewareHandler } from 'hono';
import type { AppDeps } from '../app-deps.ts';
import type { AppEnv } from '../http/app-env.ts';

/** Dependencies and middleware shared by route modules. */
export type RouteContext = {
  /** The app's dependencies, with defaults filled in. */
  deps: Required<Pick<AppDeps, 'now'>> & AppDeps;
  /** Requires an API key and sets `principal`. */
  auth: MiddlewareHandler<AppEnv>;
  /** Replays creates sent with an `Idempotency-Key`. */
  idempotency: MiddlewareHandler<AppEnv>;
};
