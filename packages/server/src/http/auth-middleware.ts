// Authentication of API routes: the key comes from `x-api-key` (preferred when both are sent, as
// in Skyvern) or `Authorization: Bearer <key>`. Any failure answers 403 "Invalid credentials".
import type { MiddlewareHandler } from 'hono';
import { PetrelError } from '@petrel/protocol';
import type { ApiKeyAuthenticator } from '../auth/authenticator.ts';
import type { AppEnv } from './app-env.ts';

/** The key a request carries, or undefined. */
export function findRequestKey(headers: { get(name: string): string | null }): string | undefined {
  const apiKey = headers.get('x-api-key');
  if (apiKey !== null && apiKey.trim() !== '') return apiKey.trim();
  const authorization = headers.get('authorization');
  const match = authorization === null ? null : /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

/** Middleware that sets `principal` or answers 403. */
export function requireApiKey(authenticator: ApiKeyAuthenticator): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = findRequestKey(c.req.raw.headers);
    const principal = key === undefined ? undefined : await authenticator.authenticate(key);
    if (principal === undefined) throw new PetrelError('UNAUTHENTICATED', 'Invalid credentials');
    c.set('principal', principal);
    await next();
  };
}
