// `Idempotency-Key` on creates, with Stripe's semantics: the first request with a key runs and its
// successful answer is stored for 24 hours; a retry with the same key, organization, route and
// body gets the stored answer (marked `idempotent-replayed: true`); the same key with a different
// body is a 409, as is a retry while the first request is still running. Answers other than 2xx
// are not stored, so a failed request can be retried with the same key.
// Never put this on a route whose answer holds a secret (e.g. creating an API key): the stored
// answer would keep it.
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { PetrelError } from '@petrel/protocol';
import type { ServerStore } from '../store/server-store.ts';
import type { AppEnv } from './app-env.ts';

/** How long a stored answer is replayed. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Hex SHA-256 of a body, insensitive to key order and whitespace when it is JSON. */
export function hashRequestBody(raw: string): string {
  let text = raw;
  try {
    text = JSON.stringify(canonical(JSON.parse(raw)));
  } catch {
    // Not JSON: compare the bytes as sent.
  }
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The middleware; put it after authentication on create routes. */
export function idempotency(options: { store: ServerStore; now: () => Date }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new PetrelError('INVALID_INPUT', 'idempotency: Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const principal = c.get('principal');
    const route = `${c.req.method} ${c.req.routePath}`;
    const requestHash = hashRequestBody(await c.req.text());
    const now = options.now();
    const target = { organizationId: principal.organizationId, route, idempotencyKey: key };
    const reservation = await options.store.idempotency.reserve(
      {
        organization_id: principal.organizationId,
        route,
        idempotency_key: key,
        request_hash: requestHash,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString(),
      },
      now.toISOString(),
    );
    if (reservation.state !== 'reserved') {
      if (reservation.row.request_hash !== requestHash) {
        throw new PetrelError('IDEMPOTENCY_KEY_REUSED', 'idempotency: this Idempotency-Key was already used with a different request body');
      }
      if (reservation.state === 'in_flight') {
        throw new PetrelError('IDEMPOTENCY_KEY_REUSED', 'idempotency: a request with this Idempotency-Key is still in progress; retry later', {
          retryAfterMs: 1000,
        });
      }
      const row = reservation.row;
      return new Response(row.status_code === 204 ? null : row.response_body, {
        status: row.status_code ?? 200,
        headers: { 'content-type': row.response_content_type ?? 'application/json', 'idempotent-replayed': 'true' },
      });
    }
    let stored = false;
    try {
      await next();
      const status = c.res.status;
      if (status >= 200 && status < 300) {
        const body = await c.res.clone().text();
        await options.store.idempotency.complete(target, { statusCode: status, body, contentType: c.res.headers.get('content-type') });
        stored = true;
      }
    } finally {
      if (!stored) await options.store.idempotency.release(target);
    }
  };
}
