// The dependencies `createApp` runs on, in one typed object. The engine, the browser pool, the model
// configuration and the blob store are plugged in here as they land.
import type { AgentRuntime, TaskService } from '@petrel/agent';
import type { WorkflowService } from '@petrel/blocks';
import type { BlobStore, BrowserPool } from '@petrel/browser';
import type { Logger } from '@petrel/protocol';
import type { ApiKeyAuthenticator } from './auth/authenticator.ts';
import type { BrowserProfileService } from './browsers/profile-service.ts';
import type { BrowserSessionService } from './browsers/session-service.ts';
import type { EngineHost } from './engine/engine-host.ts';
import type { ArtifactSink } from './files/artifact-service.ts';
import type { UrlSigner } from './files/signed-urls.ts';
import type { ScheduleService } from './workflows/workflow-schedules.ts';
import type { RunService } from './runs/run-service.ts';
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
  /** The runs index and the run-kind registry (task and workflow services register their kinds here). */
  runs: RunService;
  /** Signed URLs of artifacts and uploaded files. */
  urls: UrlSigner;
  /** Where artifacts, uploads and profiles are kept; the file routes answer 503 without it. */
  blobStore?: BlobStore | undefined;
  /** Records artifact metadata (the agent's `ArtifactSink`); present with a blob store. */
  artifactSink?: ArtifactSink | undefined;
  /** Largest upload, in bytes. Default 100 MiB. */
  maxUploadBytes?: number;
  /** Persistent browser sessions; the session routes answer 503 without them. */
  browserSessions?: BrowserSessionService | undefined;
  /** The browser pool runs open their contexts in (the run services use it). */
  browserPool?: BrowserPool | undefined;
  /** Browser profiles; present with a blob store. */
  browserProfiles?: BrowserProfileService | undefined;
  /** The agent runtime of this process (present with a browser pool). */
  agent?: AgentRuntime | undefined;
  /** Task runs (`POST /v1/run/tasks` and the helpers); the task routes answer 503 without it. */
  tasks?: TaskService | undefined;
  /** Block workflows and their runs; the workflow routes answer 503 without it. */
  workflows?: WorkflowService | undefined;
  /** Cron schedules of block workflows. */
  schedules?: ScheduleService | undefined;
  /** Aborted when the server starts shutting down: long-lived answers (event streams) end. */
  shutdownSignal?: AbortSignal;
  /** Quiet time before an event stream sends a heartbeat comment, in ms. Default 15 000. */
  sseHeartbeatMs?: number;
};
