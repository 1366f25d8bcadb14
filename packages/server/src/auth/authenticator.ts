// Resolves an API key to its organization on every request. Hits are cached by key hash for a
// short time (default 30 s) so most requests cost no query; revoking through this process drops the
// entry at once, and other processes notice within the TTL. `last_used_at` is written when an
// entry is (re)loaded, so at most once per TTL per key and process.
import type { ServerStore } from '../store/server-store.ts';
import { hashApiKey, looksLikeApiKey } from './api-keys.ts';

/** Who a request acts as. */
export type Principal = { organizationId: string; keyId: string };

/** Options of `createApiKeyAuthenticator`. */
export type ApiKeyAuthenticatorOptions = {
  /** The store to look keys up in. */
  store: ServerStore;
  /** How long a looked-up key is trusted without asking the database again, in ms. Default 30 000. */
  ttlMs?: number;
  /** Most cached keys; the oldest is dropped beyond it. Default 10 000. */
  maxEntries?: number;
  /** Clock. Default `Date.now`. */
  now?: () => number;
};

/** Checks API keys, with a short-lived cache. */
export type ApiKeyAuthenticator = {
  /** The principal of a key, or undefined when the key is unknown or revoked. */
  authenticate(key: string): Promise<Principal | undefined>;
  /** Forgets a key at once (after revoking it). */
  invalidate(keyId: string): void;
};

/** Builds the authenticator. */
export function createApiKeyAuthenticator(options: ApiKeyAuthenticatorOptions): ApiKeyAuthenticator {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Principal & { expiresAt: number }>();

  return {
    async authenticate(key) {
      if (!looksLikeApiKey(key)) return undefined;
      const hash = hashApiKey(key);
      const cached = cache.get(hash);
      if (cached !== undefined && cached.expiresAt > now()) return { organizationId: cached.organizationId, keyId: cached.keyId };
      cache.delete(hash);
      const row = await options.store.apiKeys.findByHash(hash);
      if (row === undefined || row.revoked_at !== null) return undefined;
      const principal = { organizationId: row.organization_id, keyId: row.key_id };
      if (cache.size >= maxEntries) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(hash, { ...principal, expiresAt: now() + ttlMs });
      try {
        await options.store.apiKeys.touch(row.organization_id, row.key_id, new Date(now()).toISOString());
      } catch {
        // Best effort: a failed last-used update must not fail the request.
      }
      return principal;
    },
    invalidate(keyId) {
      for (const [hash, entry] of cache) if (entry.keyId === keyId) cache.delete(hash);
    },
  };
}
