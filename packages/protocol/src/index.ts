// @petrel/protocol: ids, statuses, limits, durations, the error table and the logging port.
// Zod schemas of the wire types of both APIs are added here as the server is built.
export { ID_PREFIXES, newId, derivedId, isId, findIdTime } from './ids.ts';
export type { IdKind } from './ids.ts';
export { ERROR_CODES, PetrelError, isPetrelError, isErrorCode, getHttpStatus } from './errors.ts';
export type { ErrorCode, PetrelErrorOptions } from './errors.ts';
export { parseDuration, formatDuration } from './duration.ts';
export type { Duration, DurationUnit } from './duration.ts';
export {
  INSTANCE_STATUSES,
  FINAL_INSTANCE_STATUSES,
  isFinalInstanceStatus,
  isInstanceStatus,
  STEP_TYPES,
  STEP_STATUSES,
  RUN_STATUSES,
  FINAL_RUN_STATUSES,
  TRIGGER_SOURCES,
} from './status.ts';
export type { InstanceStatus, StepType, StepStatus, RunStatus, TriggerSource } from './status.ts';
export { NAME_PATTERN, LIMITS } from './limits.ts';
export { silentLogger } from './logger.ts';
export type { Logger, LogFn } from './logger.ts';
export {
  PARAMETER_TYPES,
  VAULT_PARAMETER_TYPES,
  WORKFLOW_PARAMETER_TYPES,
  JsonValueSchema,
  WorkflowParameterSchema,
  ContextParameterSchema,
  OutputParameterSchema,
  CredentialParameterSchema,
  AwsSecretParameterSchema,
  BitwardenLoginCredentialParameterSchema,
  BitwardenSensitiveInformationParameterSchema,
  BitwardenCreditCardDataParameterSchema,
  OnePasswordParameterSchema,
  AzureVaultCredentialParameterSchema,
  BlockWorkflowParameterSchema,
} from './skyvern/workflow-parameters.ts';
export type {
  ParameterType,
  VaultParameterType,
  WorkflowParameterType,
  JsonValue,
  WorkflowParameter,
  ContextParameter,
  OutputParameter,
  CredentialParameter,
  AwsSecretParameter,
  BitwardenLoginCredentialParameter,
  BitwardenSensitiveInformationParameter,
  BitwardenCreditCardDataParameter,
  OnePasswordParameter,
  AzureVaultCredentialParameter,
  BlockWorkflowParameter,
  VaultParameter,
} from './skyvern/workflow-parameters.ts';
export {
  BLOCK_TYPES,
  BROWSER_TASK_BLOCK_TYPES,
  BLOCK_SCHEMAS,
  BlockSchema,
  BranchCriteriaSchema,
  BranchConditionSchema,
  TaskBlockSchema,
  NavigationBlockSchema,
  ExtractionBlockSchema,
  ActionBlockSchema,
  LoginBlockSchema,
  FileDownloadBlockSchema,
  ValidationBlockSchema,
  TaskV2BlockSchema,
  GotoUrlBlockSchema,
  WaitBlockSchema,
  ForLoopBlockSchema,
  WhileLoopBlockSchema,
  ConditionalBlockSchema,
  CodeBlockSchema,
  TextPromptBlockSchema,
  HttpRequestBlockSchema,
  SendEmailBlockSchema,
  FileUrlParserBlockSchema,
  PdfParserBlockSchema,
  UploadToS3BlockSchema,
  DownloadToS3BlockSchema,
  FileUploadBlockSchema,
  HumanInteractionBlockSchema,
  PrintPageBlockSchema,
  WorkflowTriggerBlockSchema,
  PdfFillBlockSchema,
  SplitPdfBlockSchema,
  GoogleSheetsReadBlockSchema,
  GoogleSheetsWriteBlockSchema,
  EmailInboxBlockSchema,
  WebSearchBlockSchema,
  DataExportBlockSchema,
  TerminateBlockSchema,
} from './skyvern/workflow-blocks.ts';
export type {
  BlockType,
  Block,
  BranchCriteria,
  BranchCondition,
  TaskBlock,
  NavigationBlock,
  ExtractionBlock,
  ActionBlock,
  LoginBlock,
  FileDownloadBlock,
  ValidationBlock,
  TaskV2Block,
  GotoUrlBlock,
  WaitBlock,
  ForLoopBlock,
  WhileLoopBlock,
  ConditionalBlock,
  CodeBlock,
  TextPromptBlock,
  HttpRequestBlock,
  SendEmailBlock,
  FileUrlParserBlock,
  PdfParserBlock,
  UploadToS3Block,
  DownloadToS3Block,
  FileUploadBlock,
  HumanInteractionBlock,
  PrintPageBlock,
  WorkflowTriggerBlock,
  PdfFillBlock,
  SplitPdfBlock,
  GoogleSheetsReadBlock,
  GoogleSheetsWriteBlock,
  EmailInboxBlock,
  WebSearchBlock,
  DataExportBlock,
  TerminateBlock,
} from './skyvern/workflow-blocks.ts';
export {
  BLOCK_WORKFLOW_STATUSES,
  WorkflowRetryPolicySchema,
  BlockWorkflowDefinitionSchema,
  BlockWorkflowCreateRequestSchema,
  BlockWorkflowRequestSchema,
  TaskListStepSchema,
  TaskListWorkflowSchema,
} from './skyvern/workflow-definition.ts';
export type {
  BlockWorkflowStatus,
  BlockWorkflowDefinition,
  BlockWorkflowCreateRequest,
  BlockWorkflowCreateRequestInput,
  BlockWorkflowRequest,
  TaskListStep,
  TaskListWorkflow,
} from './skyvern/workflow-definition.ts';
export { ErrorResponseSchema, ValidationIssueSchema, ValidationErrorResponseSchema } from './skyvern/error-schemas.ts';
export type { ErrorResponse, ValidationIssue, ValidationErrorResponse } from './skyvern/error-schemas.ts';
export { MAX_PAGE_SIZE, PageQuerySchema } from './skyvern/pagination.ts';
export type { PageQuery } from './skyvern/pagination.ts';
export {
  CREDENTIAL_TYPES,
  TOTP_TYPES,
  CREDENTIAL_VAULT_TYPES,
  OTP_TYPES,
  isTotpSecret,
  PasswordCredentialSchema,
  CreditCardBillingAddressSchema,
  CreditCardCredentialSchema,
  SecretCredentialSchema,
  CreateCredentialRequestSchema,
  PasswordCredentialResponseSchema,
  CreditCardCredentialResponseSchema,
  SecretCredentialResponseSchema,
  CredentialResponseSchema,
  ListCredentialsQuerySchema,
  CredentialIdParamSchema,
  TotpCodeCreateSchema,
  TotpCodeSchema,
} from './skyvern/credential-schemas.ts';
export type {
  CredentialType,
  TotpType,
  CredentialVaultType,
  OtpType,
  PasswordCredential,
  CreditCardCredential,
  SecretCredential,
  CreateCredentialRequest,
  CredentialResponse,
  ListCredentialsQuery,
  TotpCodeCreate,
  TotpCode,
} from './skyvern/credential-schemas.ts';
export {
  ApiKeySchema,
  CreatedApiKeySchema,
  CreateApiKeyRequestSchema,
  ListApiKeysQuerySchema,
  ApiKeyIdParamSchema,
} from './skyvern/api-key-schemas.ts';
export type { ApiKey, CreatedApiKey, CreateApiKeyRequest } from './skyvern/api-key-schemas.ts';
export {
  WEBHOOK_HEADERS,
  WEBHOOK_SIGNATURE_VERSION,
  WebhookSecretSchema,
  RotateWebhookSecretRequestSchema,
  WebhookDeliverySchema,
} from './skyvern/webhook-schemas.ts';
export type { WebhookSecret, WebhookDelivery } from './skyvern/webhook-schemas.ts';
export { signWebhook, webhookSignatureHeaders, verifyWebhookSignature } from './webhook-signature.ts';
export type { VerifyWebhookOptions } from './webhook-signature.ts';
export {
  CF_ERROR_CODES,
  cfErrorCode,
  codeIsBadInput,
  CfMessageSchema,
  CfErrorSchema,
  CfResultInfoSchema,
  cfEnvelopeSchema,
  CfErrorEnvelopeSchema,
} from './workflows-api/envelope-schemas.ts';
export type { CfMessage, CfError, CfResultInfo, CfErrorEnvelope } from './workflows-api/envelope-schemas.ts';
export {
  CfDurationSchema,
  CfRetentionSchema,
  CfAccountParamSchema,
  CfWorkflowParamSchema,
  CfWorkflowListQuerySchema,
  CfWorkflowPutRequestSchema,
  CfInstanceCountsSchema,
  CfWorkflowSchema,
  CfWorkflowPutResponseSchema,
  CfWorkflowDeleteResponseSchema,
  CfInstanceStatusSchema,
  CfTriggerSourceSchema,
  CfAccountSchema,
} from './workflows-api/workflow-schemas.ts';
export type { CfWorkflowPutRequest, CfWorkflow, CfWorkflowPutResponse } from './workflows-api/workflow-schemas.ts';
export {
  CfInstanceParamSchema,
  CfEventParamSchema,
  CfInstanceCreateItemSchema,
  CfInstanceBulkRequestSchema,
  CfInstanceSummarySchema,
  CfInstanceListQuerySchema,
  CfInstanceGetQuerySchema,
  CfStepQuerySchema,
  CfAttemptSchema,
  CfStepConfigSchema,
  CfDoStepSchema,
  CfSleepStepSchema,
  CfWaitStepSchema,
  CfTerminationStepSchema,
  CfInstanceStepSchema,
  CfInstanceDetailsSchema,
  CfStepOutputSchema,
  CfStatusEditRequestSchema,
  CfStatusEditResponseSchema,
} from './workflows-api/instance-schemas.ts';
export type { CfInstanceCreateItem, CfInstanceSummary, CfInstanceDetails, CfStatusEditRequest } from './workflows-api/instance-schemas.ts';
export { CfVersionParamSchema, CfVersionListQuerySchema, CfVersionSchema, CfGraphSchema, CfVersionGraphSchema } from './workflows-api/version-schemas.ts';
export type { CfVersion } from './workflows-api/version-schemas.ts';
export {
  RUN_ENGINES,
  RUN_TYPES,
  RUN_WITH,
  LOGIN_CREDENTIAL_TYPES,
  RUN_ERROR_TYPES,
  DataExtractionSchemaSchema,
  ErrorCodeMappingSchema,
  ModelOverrideSchema,
  TaskRunRequestSchema,
  LoginRequestSchema,
  DownloadFilesRequestSchema,
  FileInfoSchema,
  RunErrorSchema,
  TaskRunResponseSchema,
} from './skyvern/task-run-schemas.ts';
export type {
  RunEngine,
  RunType,
  RunWith,
  TaskRunRequest,
  TaskRunRequestInput,
  LoginRequest,
  DownloadFilesRequest,
  FileInfo,
  RunError,
  TaskRunResponse,
} from './skyvern/task-run-schemas.ts';
export { toRunStatus } from './skyvern/run-status.ts';
export type { RunOutcomeStatus, RunStatusInput } from './skyvern/run-status.ts';
export {
  ARTIFACT_TYPES,
  ArtifactSchema,
  ArtifactSignedUrlSchema,
  ArtifactIdParamSchema,
  SignedUrlQuerySchema,
  ListRunArtifactsQuerySchema,
} from './skyvern/artifact-schemas.ts';
export type { ArtifactKind, Artifact, ArtifactSignedUrl, ListRunArtifactsQuery } from './skyvern/artifact-schemas.ts';
export { UploadFileResponseSchema, FileIdParamSchema } from './skyvern/file-schemas.ts';
export type { UploadFileResponse } from './skyvern/file-schemas.ts';
export {
  BROWSER_SESSION_STATUSES,
  CreateBrowserSessionRequestSchema,
  BrowserSessionResponseSchema,
  BrowserSessionIdParamSchema,
} from './skyvern/browser-session-schemas.ts';
export type { BrowserSessionStatusName, CreateBrowserSessionRequest, BrowserSessionResponse } from './skyvern/browser-session-schemas.ts';
export {
  CreateBrowserProfileRequestSchema,
  UpdateBrowserProfileRequestSchema,
  BrowserProfileSchema,
  ListBrowserProfilesQuerySchema,
  BrowserProfileIdParamSchema,
} from './skyvern/browser-profile-schemas.ts';
export type {
  CreateBrowserProfileRequest,
  UpdateBrowserProfileRequest,
  BrowserProfileResponse,
  ListBrowserProfilesQuery,
} from './skyvern/browser-profile-schemas.ts';
export {
  RunListItemSchema,
  ListRunsQuerySchema,
  RunIdParamSchema,
  BulkCancelRunsRequestSchema,
  BulkCancelRunsResponseSchema,
  RetryRunWebhookRequestSchema,
  RunWebhookReplayResponseSchema,
  RunStreamEventSchema,
} from './skyvern/run-index-schemas.ts';
export type { RunListItem, ListRunsQuery, BulkCancelRunsResponse, RunWebhookReplayResponse, RunStreamEvent } from './skyvern/run-index-schemas.ts';
export {
  BLOCK_RUN_STATUSES,
  WorkflowResponseSchema,
  ListWorkflowsQuerySchema,
  GetWorkflowQuerySchema,
  WorkflowPermanentIdParamSchema,
  WorkflowRunRequestSchema,
  WorkflowRunResponseSchema,
  WorkflowRunBlockSchema,
  WorkflowRunTimelineSchema,
  HumanInteractionResponseSchema,
  ListWorkflowRunsQuerySchema,
} from './skyvern/workflow-run-schemas.ts';
export type {
  WorkflowResponse,
  ListWorkflowsQuery,
  WorkflowRunRequest,
  WorkflowRunRequestInput,
  WorkflowRunResponse,
  WorkflowRunBlock,
  WorkflowRunTimeline,
  HumanInteractionResponse,
  ListWorkflowRunsQuery,
} from './skyvern/workflow-run-schemas.ts';
export {
  FolderSchema,
  CreateFolderRequestSchema,
  UpdateFolderRequestSchema,
  FolderIdParamSchema,
  ListFoldersQuerySchema,
  SetWorkflowFolderRequestSchema,
  CreateWorkflowQuerySchema,
  WorkflowCreateBodySchema,
  WorkflowScheduleSchema,
  WorkflowScheduleUpsertRequestSchema,
  WorkflowScheduleParamSchema,
  LegacyWorkflowRunRequestSchema,
  LegacyWorkflowRunCreatedSchema,
  LegacyWorkflowRunResponseSchema,
  WorkflowRunIdParamSchema,
  HumanInteractionQuerySchema,
  HumanInteractionAnswerRequestSchema,
  HumanInteractionParamSchema,
} from './skyvern/workflow-admin-schemas.ts';
export type { Folder, WorkflowSchedule, WorkflowScheduleUpsertRequest, HumanInteractionAnswerRequest } from './skyvern/workflow-admin-schemas.ts';
