// Builds `AppDeps` from an open database and a vault, with defaults for the rest. `startServer` uses
// it; so do tests and the OpenAPI snapshot script (with an in-memory SQLite database).
import { silentLogger } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { AppDeps } from './app-deps.ts';
import { createApiKeyAuthenticator } from './auth/authenticator.ts';
import { createServerMetrics } from './observability/metrics.ts';
import type { ServerMetrics } from './observability/metrics.ts';
import { createOutboundFetch } from './outbound/outbound-fetch.ts';
import type { OutboundFetch } from './outbound/outbound-fetch.ts';
import type { ServerDatabase } from './store/database.ts';
import { createServerStore } from './store/server-store.ts';
import type { Vault } from './vault/vault.ts';

/** Options of `createServerDeps`. */
export type ServerDepsOptions = {
  /** An open, migrated database. */
  database: ServerDatabase;
  /** The vault. */
  vault: Vault;
  /** Logger. Default silent. */
  logger?: Logger;
  /** Metrics. Default a fresh registry with process metrics. */
  metrics?: ServerMetrics;
  /** Outbound fetch. Default one with `blockPrivateNetworks`. */
  outboundFetch?: OutboundFetch;
  /** Passed to the default outbound fetch. Default false. */
  blockPrivateNetworks?: boolean;
  /** Largest JSON body in bytes. Default 2 MiB. */
  maxBodyBytes?: number;
  /** How long API key lookups are cached, in ms. Default 30 000. */
  keyCacheTtlMs?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
};

/** Builds the app's dependencies; dispose `outboundFetch` and the database when done. */
export function createServerDeps(options: ServerDepsOptions): AppDeps {
  const store = createServerStore(options.database);
  const now = options.now ?? (() => new Date());
  return {
    store,
    vault: options.vault,
    authenticator: createApiKeyAuthenticator({ store, ttlMs: options.keyCacheTtlMs ?? 30_000, now: () => now().getTime() }),
    logger: options.logger ?? silentLogger,
    metrics: options.metrics ?? createServerMetrics(),
    outboundFetch: options.outboundFetch ?? createOutboundFetch({ blockPrivateNetworks: options.blockPrivateNetworks ?? false }),
    maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    now,
  };
}
