// Builds `AppDeps` from an open database and a vault, with defaults for the rest. `startServer` uses
// it; so do tests and the OpenAPI snapshot script (with an in-memory SQLite database).
import { randomBytes } from 'node:crypto';
import type { BlobStore, BrowserPool, SessionManager } from '@petrel/browser';
import { PetrelError, newId, silentLogger } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { AppDeps } from './app-deps.ts';
import { createApiKeyAuthenticator } from './auth/authenticator.ts';
import { createBrowserProfileService } from './browsers/profile-service.ts';
import { createBrowserSessionService } from './browsers/session-service.ts';
import { createArtifactSink } from './files/artifact-service.ts';
import { createUrlSigner } from './files/signed-urls.ts';
import { createServerMetrics } from './observability/metrics.ts';
import type { ServerMetrics } from './observability/metrics.ts';
import { createOutboundFetch } from './outbound/outbound-fetch.ts';
import type { OutboundFetch } from './outbound/outbound-fetch.ts';
import type { ServerDatabase } from './store/database.ts';
import { createRunService } from './runs/run-service.ts';
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
  /** Where artifacts, uploads and profiles are kept. Default none (the file routes answer 503). */
  blobStore?: BlobStore;
  /** Key of signed URLs (`deriveUrlSigningKey(masterKey)`). Default 32 random bytes (URLs work in this process only). */
  urlSigningKey?: Uint8Array;
  /** How long signed URLs work, in seconds. Default 86 400. */
  signedUrlTtlSeconds?: number;
  /** Base URL of signed URLs, read when one is made. Default `http://127.0.0.1:8000`. */
  baseUrl?: () => string;
  /** Largest upload in bytes. Default 100 MiB. */
  maxUploadBytes?: number;
  /**
   * The session manager that starts Chromium for `/v1/browser_sessions` in this process. With it (or
   * with `sessionsReadOnly`) the deps get a session service; shut it down with `deps.browserSessions.shutdown()`.
   */
  sessionManager?: SessionManager;
  /** Build a session service without a manager: reads, closes over CDP and occupancy only (worker processes). Default false. */
  sessionsReadOnly?: boolean;
  /** Owner id of the sessions this process runs. Default a new `wkr_…` id. */
  sessionOwner?: string;
  /** The browser pool runs use (the run services take it from the deps). Default none. */
  browserPool?: BrowserPool;
};

/** Builds the app's dependencies; dispose `outboundFetch`, `browserSessions` (its `shutdown`) and the database when done. */
export function createServerDeps(options: ServerDepsOptions): AppDeps {
  const store = createServerStore(options.database);
  const now = options.now ?? (() => new Date());
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createServerMetrics();
  const urls = createUrlSigner({
    key: options.urlSigningKey ?? randomBytes(32),
    baseUrl: options.baseUrl ?? (() => 'http://127.0.0.1:8000'),
    ...(options.signedUrlTtlSeconds === undefined ? {} : { ttlSeconds: options.signedUrlTtlSeconds }),
    now: () => now().getTime(),
  });
  const deps: AppDeps = {
    store,
    vault: options.vault,
    authenticator: createApiKeyAuthenticator({ store, ttlMs: options.keyCacheTtlMs ?? 30_000, now: () => now().getTime() }),
    logger,
    metrics,
    outboundFetch: options.outboundFetch ?? createOutboundFetch({ blockPrivateNetworks: options.blockPrivateNetworks ?? false }),
    maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? 100 * 1024 * 1024,
    now,
    urls,
    runs: createRunService({ store, artifactUrl: (id) => urls.artifactUrl(id), engine: () => deps.engine?.engine, now }),
  };
  if (options.browserPool !== undefined) deps.browserPool = options.browserPool;
  if (options.sessionManager !== undefined || options.sessionsReadOnly === true) {
    deps.browserSessions = createBrowserSessionService({
      store,
      manager: options.sessionManager,
      owner: options.sessionOwner ?? newId('worker'),
      logger,
      metrics,
      now,
      loadProfileState: (organizationId, profileId) => {
        if (deps.browserProfiles === undefined) throw new PetrelError('UNAVAILABLE', 'browser_sessions.create: browser profiles need a blob store, and none is configured');
        return deps.browserProfiles.loadState(organizationId, profileId);
      },
    });
  }
  if (options.blobStore !== undefined) {
    deps.blobStore = options.blobStore;
    deps.artifactSink = createArtifactSink({ store, metrics, logger });
    deps.browserProfiles = createBrowserProfileService({ store, blobStore: options.blobStore, sessions: deps.browserSessions, runs: deps.runs, now });
  }
  return deps;
}
