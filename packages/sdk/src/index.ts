// @petrel/sdk: the TypeScript client of a Petrel server. No runtime dependencies beyond `fetch`;
// runs in Node ≥ 20 and browsers. Types are generated from the server's OpenAPI document.
export { Petrel, LocalPetrel } from './petrel.ts';
export type {
  PetrelOptions,
  LocalPetrelOptions,
  SendTotpCodeParams,
  WaitParams,
  RunTaskParams,
  LoginParams,
  DownloadFilesParams,
  ArtifactType,
  UploadFileParams,
} from './petrel.ts';
export type { RunEvent, WaitForCompletionOptions } from './wait-for-completion.ts';
export type { RequestOptions, FetchFunction } from './http-client.ts';
export type { LocalServerOptions } from './local-server.ts';
export {
  ApiError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  ConflictError,
  UnprocessableEntityError,
  TimeoutError,
  ConnectionError,
} from './errors.ts';
export type { ApiErrorOptions } from './errors.ts';
export { verifyWebhook, signWebhookPayload } from './verify-webhook.ts';
export type { VerifyWebhookOptions, WebhookHeaders } from './verify-webhook.ts';
export type { Duration, DurationUnit } from './durations.ts';
export { VERBATIM_FIELDS } from './wire-casing.ts';
export type {
  ApiKey,
  Artifact,
  ArtifactSignedUrl,
  BrowserProfile,
  BrowserSessionResponse,
  BulkCancelRunsResponse,
  CreateApiKeyRequest,
  CreateBrowserProfileRequest,
  CreateBrowserSessionRequest,
  CreatedApiKey,
  CreateCredentialRequest,
  CredentialResponse,
  CreditCardBillingAddress,
  CreditCardCredential,
  CreditCardCredentialResponse,
  DownloadFilesRequest,
  FileInfo,
  GetCredentialsQuery,
  GetRunResponse,
  GetRunsQuery,
  ListApiKeysQuery,
  ListBrowserProfilesQuery,
  LoginRequest,
  PasswordCredential,
  PasswordCredentialResponse,
  RetryRunWebhookRequest,
  RunStreamEvent,
  RunWebhookReplayResponse,
  SecretCredential,
  SecretCredentialResponse,
  TaskRunListItem,
  TaskRunRequest,
  TaskRunResponse,
  TOTPCode,
  TOTPCodeCreate,
  UpdateBrowserProfileRequest,
  UploadFileResponse,
  WebhookDelivery,
  WebhookSecret,
  WorkflowRunBlock,
  WorkflowRunResponse,
  WorkflowRunTimeline,
} from './generated/api-types.ts';
