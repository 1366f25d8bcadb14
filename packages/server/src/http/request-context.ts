// The outermost middleware: gives every request an id (the client's `x-request-id` when it is a
// short token, else a new `req_…`), echoes it on the answer, binds a logger to it, writes one access
// log line and records the request metrics. It logs no header and no body.
import type { MiddlewareHandler } from 'hono';
import { newId } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { AppEnv } from './app-env.ts';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Counts requests in flight (until their response is fully written), for graceful shutdown. */
export type InFlightTracker = {
  /** Requests being handled now. */
  readonly count: number;
  /** Resolves when no request is in flight. */
  idle(): Promise<void>;
  /** Marks a request as started. */
  enter(): void;
  /** Marks a request as finished. */
  leave(): void;
};

/** Builds an in-flight counter. */
export function createInFlightTracker(): InFlightTracker {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    get count() {
      return count;
    },
    idle() {
      return count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    enter() {
      count++;
    },
    leave() {
      count--;
      if (count === 0) {
        const done = waiters;
        waiters = [];
        for (const resolve of done) resolve();
      }
    },
  };
}

/** The request-id, access-log and metrics middleware. */
export function requestContext(options: { logger: Logger; metrics: ServerMetrics }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming !== undefined && CLIENT_REQUEST_ID.test(incoming) ? incoming : newId('request');
    const logger = options.logger.child({ req_id: requestId });
    c.set('requestId', requestId);
    c.set('logger', logger);
    try {
      await next();
    } finally {
      c.header('x-request-id', requestId);
      const seconds = (performance.now() - started) / 1000;
      const status = c.res.status;
      const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
      try {
        options.metrics.httpRequests.inc({ method: c.req.method, route, status: String(status) });
        options.metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
      } catch {
        // Metrics are best effort.
      }
      const principal = c.get('principal') as AppEnv['Variables']['principal'] | undefined;
      logger.info(
        {
          method: c.req.method,
          path: c.req.path,
          status,
          duration_ms: Math.round(seconds * 100_000) / 100,
          ...(principal === undefined ? {} : { org_id: principal.organizationId, key_id: principal.keyId }),
        },
        'request',
      );
    }
  };
}
