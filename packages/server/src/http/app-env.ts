// The Hono environment of the app: what middleware puts on the context for handlers.
import type { Logger } from '@petrel/protocol';
import type { Principal } from '../auth/authenticator.ts';

/** Context variables set by the app's middleware. */
export type AppVariables = {
  /** The request id (`x-request-id`), from the client when well-formed, else generated. */
  requestId: string;
  /** A logger bound to the request id. */
  logger: Logger;
  /** Who the request acts as; set by the auth middleware on authenticated routes. */
  principal: Principal;
};

/** The Hono environment of the app. */
export type AppEnv = { Variables: AppVariables };
