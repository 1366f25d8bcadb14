// @petrel/server: the HTTP API (Skyvern's v1 shape: tasks, block workflows and their runs, the runs
// index, credentials, browser sessions and profiles, artifacts and uploads; seed 001's older routes;
// Cloudflare's Workflows API), auth and organizations, the credential vault, the agent runtime over
// the server's ports, webhook signing and durable delivery, the outbound policy, live run events
// (SSE), cron schedules of block workflows, metrics and logs. `startServer` is what the CLI calls;
// `createApp` is the in-process app tests drive with `app.request()`.
export { createApp } from './app.ts';
export type { PetrelApp } from './app.ts';
export type { AppDeps } from './app-deps.ts';
export type { AppEnv, AppVariables } from './http/app-env.ts';
export { startServer } from './server.ts';
export type { StartServerOptions, RunningServer } from './server.ts';
export { startWorker } from './worker.ts';
export type { StartWorkerOptions, RunningWorker } from './worker.ts';
export { createEngineHost, PLACEHOLDER_VERSION_PREFIX } from './engine/engine-host.ts';
export type { EngineHost, EngineHostOptions, BindOutcome } from './engine/engine-host.ts';
export { openEngineStore, startEngineHost } from './engine/engine-setup.ts';
export type { EngineWiringOptions } from './engine/engine-setup.ts';
export { loadWorkflowModules } from './engine/workflow-loader.ts';
export type { CodeUnit, LoadedWorkflows } from './engine/workflow-loader.ts';
export { createBrowserStepExtensions } from './engine/browser-steps.ts';
export type { BrowserStepContext, TaskStepInput, TaskStepResult } from './engine/browser-steps.ts';
export { createServerDeps } from './server-deps.ts';
export { createServerAgent } from './agent/server-agent.ts';
export type { ServerAgent, ServerAgentOptions } from './agent/server-agent.ts';
export { createVaultCredentialResolver, createStoredTotpSource, createSessionResolver, outboundFetchLike } from './agent/agent-ports.ts';
export { attachRunServices, createDeferredResolver, indexWorkflowRun } from './runs/run-services.ts';
export type { RunServicesOptions, RunServices } from './runs/run-services.ts';
export {
  registerWorkflowRuns,
  workflowWebhookPayload,
  legacyWorkflowRunFields,
  workflowIndexRow,
  workflowTotpIdentifiers,
  isBlockWorkflowName,
  WORKFLOW_RUN_KIND,
} from './workflows/workflow-runs.ts';
export type { WorkflowRunsOptions } from './workflows/workflow-runs.ts';
export { createScheduleService, startWorkflowScheduler, toWorkflowSchedule, checkSchedule, nextFiring } from './workflows/workflow-schedules.ts';
export type { ScheduleService, ScheduleServiceOptions, WorkflowScheduler, WorkflowSchedulerOptions } from './workflows/workflow-schedules.ts';
export { createWorkflowRepository } from './store/workflow-store.ts';
export type { ServerWorkflowRepository, WorkflowFolderRow, WorkflowScheduleRow } from './store/workflow-store.ts';
export { registerTaskRuns, taskWebhookPayload, TASK_RUN_KIND } from './tasks/task-runs.ts';
export type { TaskRunsOptions } from './tasks/task-runs.ts';
export { wakeRunsForTotp } from './credentials/totp-wakeup.ts';
export { agentLiveEvents, withoutCheckpoints } from './live/run-live-events.ts';
export { createConfiguredBrowserPool } from './browsers/browser-pool-setup.ts';
// For `petrel doctor` (the CLI may import only server, sdk and protocol): browser discovery and a model to test.
export { findChromium, CHROMIUM_INSTALL_HINT, findPlaywrightFfmpegPath, SYSTEM_FFMPEG_PATHS } from '@petrel/browser';
export { createLanguageModel } from '@petrel/agent';
export type { ServerDepsOptions } from './server-deps.ts';
export { loadServerConfig, SERVER_ENV, S3_ENV, LLM_ENV, SMTP_ENV, LOG_LEVELS } from './config/server-config.ts';
export type { ServerConfig, LogLevel, BlobStoreConfig, SmtpConfig } from './config/server-config.ts';

export { openDatabase } from './store/database.ts';
export type { DatabaseOptions, DatabaseDialect, ServerDatabase } from './store/database.ts';
export { MIGRATION_TABLE } from './store/migrations.ts';
export { createServerStore, inTransaction } from './store/server-store.ts';
export type {
  ServerStore,
  OrganizationRow,
  ApiKeyRow,
  CredentialRow,
  WebhookSecretRow,
  WebhookDeliveryRow,
  IdempotencyRow,
  TotpCodeRow,
  WorkflowBindingRow,
  WorkerCodeRow,
} from './store/server-store.ts';

export {
  API_KEY_PREFIX,
  generateApiKey,
  hashApiKey,
  createApiKey,
  createOrganization,
  ensureBootstrap,
  revokeApiKey,
} from './auth/api-keys.ts';
export type { CreatedOrganization } from './auth/api-keys.ts';
export { createApiKeyAuthenticator } from './auth/authenticator.ts';
export type { ApiKeyAuthenticator, ApiKeyAuthenticatorOptions, Principal } from './auth/authenticator.ts';

export { createVault, generateMasterKey, parseMasterKey, masterKeyId } from './vault/vault.ts';
export type { Vault, VaultOptions } from './vault/vault.ts';
export { loadMasterKey, MASTER_KEY_FILE } from './vault/master-key.ts';
export type { LoadedMasterKey, LoadMasterKeyOptions } from './vault/master-key.ts';
export { rotateMasterKey, checkVaultKeys } from './vault/rotate-master-key.ts';
export type { RotateMasterKeyOptions, RotateMasterKeyResult } from './vault/rotate-master-key.ts';

export { createCredential, getCredential, updateCredential, revealCredentialSecret } from './credentials/credential-service.ts';
export type { CredentialSecret } from './credentials/credential-service.ts';
export { extractOtp } from './credentials/otp-extract.ts';
export type { ExtractedOtp } from './credentials/otp-extract.ts';
export { storePushedTotpCode, findPushedTotpCode, TOTP_LIFESPAN_MS } from './credentials/totp-service.ts';

// The signer lives in protocol (the agent signs `totp_url` requests with it too); re-exported for receivers written against the server.
export { signWebhook, webhookSignatureHeaders, verifyWebhookSignature } from '@petrel/protocol';
export type { VerifyWebhookOptions } from '@petrel/protocol';
export { getWebhookSecret, rotateWebhookSecret } from './webhooks/webhook-secrets.ts';
export { sendWebhook, recordWebhookAttempt, RESPONSE_EXCERPT_BYTES } from './webhooks/send-webhook.ts';
export type { SendWebhookOptions, WebhookAttempt } from './webhooks/send-webhook.ts';
export {
  DEFAULT_WEBHOOK_RETRY_POLICY,
  decideWebhookRetry,
  backoffDelay,
  parseRetryAfter,
  isRetryableStatus,
} from './webhooks/retry-policy.ts';
export type { WebhookRetryPolicy, WebhookAttemptOutcome, WebhookRetryDecision } from './webhooks/retry-policy.ts';

export { createOutboundFetch } from './outbound/outbound-fetch.ts';
export type { OutboundFetch, OutboundFetchOptions, OutboundRequest, HostResolver } from './outbound/outbound-fetch.ts';
export { judgeAddress, isMetadataHostname, METADATA_ADDRESSES, METADATA_HOSTNAMES } from './outbound/address-policy.ts';
export type { AddressVerdict } from './outbound/address-policy.ts';

export { createServerLogger, REDACT_PATHS } from './observability/logger.ts';
export type { ServerLoggerOptions } from './observability/logger.ts';
export { createServerMetrics } from './observability/metrics.ts';
export type { ServerMetrics, ServerMetricsOptions } from './observability/metrics.ts';
export { buildOpenApiDocument } from './openapi/openapi-document.ts';

export { createConfiguredBlobStore, organizationPrefix } from './files/blob-setup.ts';
export type { OwnedBlobStore } from './files/blob-setup.ts';
export { createUrlSigner, deriveUrlSigningKey } from './files/signed-urls.ts';
export type { UrlSigner, UrlSignerOptions, SignedResource, UrlSignature } from './files/signed-urls.ts';
export { createArtifactSink, toArtifactResponse, toArtifactKind } from './files/artifact-service.ts';
export type { ArtifactSink, ArtifactSinkOptions, ArtifactOrigin } from './files/artifact-service.ts';
export { serveBlob, parseRange } from './files/blob-response.ts';
export type { BlobToServe } from './files/blob-response.ts';
export { storeUpload, openUploadedFile, fileReference, parseFileReference, FILE_REFERENCE_PREFIX } from './files/upload-service.ts';
export type { OpenedFile, UploadContext } from './files/upload-service.ts';
export { purgeExpired, startRetentionSweeper } from './files/retention.ts';
export type { RetentionOptions, RetentionResult } from './files/retention.ts';

export { createRunService, engineRunKind } from './runs/run-service.ts';
export type {
  RunService,
  RunServiceOptions,
  RunKind,
  RunKindContext,
  RunResponse,
  RunResponseBuilder,
  NewRun,
  LiveEvent,
  ArtifactUrlBuilder,
  EngineRunKindOptions,
} from './runs/run-service.ts';
export { startRunEventsConsumer, deliveryInstanceId, RUN_EVENTS_CONSUMER } from './runs/run-events-consumer.ts';
export type { RunEventsConsumer, RunEventsConsumerOptions } from './runs/run-events-consumer.ts';
export { createDeliveryWiring, startRunInfrastructure } from './runs/run-wiring.ts';
export { defaultLiveEvents, streamRunEvents, createInstanceFilter } from './live/run-event-stream.ts';
export type { RunEventStreamOptions, SseWriter } from './live/run-event-stream.ts';
export { createWebhookDeliveryWorkflow, replayWebhook, serializeWebhookBody, WEBHOOK_DELIVERY_WORKFLOW } from './webhooks/webhook-delivery.ts';
export type { WebhookDeliveryDeps, WebhookDeliveryParams, WebhookDeliveryOutcome } from './webhooks/webhook-delivery.ts';

export { createBrowserSessionService, toBrowserSessionResponse } from './browsers/session-service.ts';
export type { BrowserSessionService, BrowserSessionServiceOptions, BrowserSessionInfo } from './browsers/session-service.ts';
export { createBrowserProfileService, toBrowserProfileResponse } from './browsers/profile-service.ts';
export type { BrowserProfileService, BrowserProfileServiceOptions } from './browsers/profile-service.ts';
export type { RunRow, ArtifactRow, FileRow, RunListFilter } from './store/run-store.ts';
export type { BrowserSessionRow, BrowserProfileRow } from './store/browser-store.ts';
