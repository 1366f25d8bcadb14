// The dependencies `createApp` runs on, in one typed object. The engine, the browser pool, the model
// configuration and the blob store are plugged in here as they land.
import type { Logger } from '@petrel/protocol';
import type { ApiKeyAuthenticator } from './auth/authenticator.ts';
import type { EngineHost } from './engine/engine-host.ts';
import type { ServerMetrics } from './observability/metrics.ts';
import type { OutboundFetch } from './outbound/outbound-fetch.ts';
import type { ServerStore } from './store/server-store.ts';
import type { Vault } from './vault/vault.ts';

/** Everything the HTTP app needs. */
export type AppDeps = {
  /** The domain store (organizations, keys, credentials, webhooks, idempotency, TOTP codes). */
  store: ServerStore;
  /** The credential vault. */
  vault: Vault;
  /** Resolves API keys to organizations. */
  authenticator: ApiKeyAuthenticator;
  /** Structured logger; the app binds a request id to it per request. */
  logger: Logger;
  /** Prometheus metrics; `/metrics` renders its registry. */
  metrics: ServerMetrics;
  /** The outbound policy's fetch (webhooks, `http_request`, `totp_url`). */
  outboundFetch: OutboundFetch;
  /** Largest JSON request body, in bytes. */
  maxBodyBytes: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
  /** True while the server drains for shutdown; `/readyz` then answers 503. Default never. */
  isDraining?: () => boolean;
  /** The workflow engine and its code (`createEngineHost`); routes that run things answer 503 without it. */
  engine?: EngineHost;
};
