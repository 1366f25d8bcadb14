// Row types of the server's own tables (the engine's live in the same database, prefixed `engine_`).
// Dialect-neutral column choices: times are ISO-8601 UTC strings (they sort as text), flags are
// nullable timestamps, JSON is text, ciphertexts are text. Every table but `organizations` and
// `server_meta` has an `organization_id`, and every query filters on it.
/** `organizations`: tenants. Everything else belongs to one. */
export type OrganizationsTable = {
  organization_id: string;
  name: string;
  created_at: string;
};

/** `api_keys`: hashed API keys. */
export type ApiKeysTable = {
  key_id: string;
  organization_id: string;
  name: string;
  /** Hex SHA-256 of the whole key; unique. */
  key_hash: string;
  /** The first characters of the key, to tell keys apart in lists. */
  key_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

/** `credentials`: masked fields in clear, secret fields encrypted by the vault. */
export type CredentialsTable = {
  credential_id: string;
  organization_id: string;
  name: string;
  credential_type: string;
  vault_type: string;
  /** JSON of the fields responses may show (username, totp_type, last_four, brand, secret_label...). */
  public_data: string;
  /** Vault ciphertext of the JSON of the secret fields. */
  secret_ciphertext: string;
  /** Id of the master key that wraps `secret_ciphertext`'s data key. */
  key_id: string;
  /** JSON of the other stored request fields (tested_url, proxy_location...). */
  extra: string;
  created_at: string;
  modified_at: string;
};

/** `webhook_secrets`: one signing secret per organization, encrypted by the vault. */
export type WebhookSecretsTable = {
  organization_id: string;
  secret_ciphertext: string;
  key_id: string;
  created_at: string;
};

/** `webhook_deliveries`: the delivery log, one row per attempt. */
export type WebhookDeliveriesTable = {
  delivery_id: string;
  organization_id: string;
  run_id: string;
  attempt: number;
  url: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
  created_at: string;
  /** `delivery` (the delivery workflow) or `retry_webhook` (a manual replay). */
  source: string;
};

/** `idempotency_keys`: stored answers of creates sent with an `Idempotency-Key`. */
export type IdempotencyKeysTable = {
  organization_id: string;
  /** `METHOD /route/pattern`. */
  route: string;
  idempotency_key: string;
  /** Hex SHA-256 of the canonical request body. */
  request_hash: string;
  /** Null while the first request is in flight. */
  status_code: number | null;
  response_body: string | null;
  response_content_type: string | null;
  created_at: string;
  expires_at: string;
};

/** `totp_codes`: codes pushed to `POST /v1/credentials/totp`. */
export type TotpCodesTable = {
  totp_code_id: string;
  organization_id: string;
  totp_identifier: string;
  code: string;
  content: string;
  otp_type: string;
  task_id: string | null;
  workflow_id: string | null;
  workflow_run_id: string | null;
  source: string | null;
  expired_at: string | null;
  created_at: string;
};

/** `server_meta`: one-off facts (e.g. that bootstrap ran). */
export type ServerMetaTable = {
  meta_key: string;
  meta_value: string;
  created_at: string;
};

/** `workflow_bindings`: the class a workflow of an organization runs (the Workflows API's `PUT workflow`). */
export type WorkflowBindingsTable = {
  organization_id: string;
  workflow_name: string;
  /** A `WorkflowEntrypoint` class name, or the name of a `defineWorkflow` definition. */
  class_name: string;
  script_name: string;
  created_at: string;
  modified_at: string;
};

/** `worker_code`: classes loaded by running workers, refreshed by their heartbeat (not scoped: code is the operator's). */
export type WorkerCodeTable = {
  worker_id: string;
  class_name: string;
  script_name: string;
  seen_at: string;
};

/** `workflow_versions`: saved versions of block workflows (the blocks package's `WorkflowVersionRow`). */
export type WorkflowVersionsTable = {
  /** `w_…` */
  workflow_id: string;
  organization_id: string;
  /** `wpid_…` */
  workflow_permanent_id: string;
  version: number;
  title: string;
  description: string | null;
  status: string;
  /** 0 or 1. */
  is_saved_task: number;
  /** 0 or 1. */
  is_template: number;
  folder_id: string | null;
  /** JSON of the parsed definition. */
  definition: string;
  /** JSON of the definition warnings. */
  warnings: string;
  created_at: string;
  modified_at: string;
  deleted_at: string | null;
};

/** `workflow_runs`: which workflow, version and end user a block workflow run (`wr_…`) belongs to. */
export type WorkflowRunsTable = {
  run_id: string;
  organization_id: string;
  workflow_permanent_id: string;
  workflow_id: string;
  version: number;
  developer_user_id: string | null;
  parent_run_id: string | null;
  title: string | null;
  created_at: string;
};

/** `workflow_folders`: folders that organize workflows (`fld_…`). */
export type WorkflowFoldersTable = {
  folder_id: string;
  organization_id: string;
  title: string;
  description: string | null;
  created_at: string;
  modified_at: string;
};

/** `workflow_schedules`: cron schedules that start runs of a block workflow (`wfs_…`). */
export type WorkflowSchedulesTable = {
  workflow_schedule_id: string;
  organization_id: string;
  workflow_permanent_id: string;
  name: string | null;
  cron_expression: string;
  timezone: string;
  /** JSON of the run parameters. */
  parameters: string;
  webhook_url: string | null;
  /** 0 or 1. */
  enabled: number;
  /** When it fires next (null while disabled); the firing process moves it on with a compare-and-set. */
  next_run_at: string | null;
  last_run_at: string | null;
  last_run_id: string | null;
  last_error: string | null;
  created_at: string;
  modified_at: string;
};

/** Which `totp_identifier`s a run may wait on for a pushed 2FA code (a push wakes them). */
export type RunTotpIdentifiersTable = {
  organization_id: string;
  totp_identifier: string;
  run_id: string;
  created_at: string;
};

/** `runs`: the runs index (tasks and workflow runs), each backed by an engine instance. */
export type RunsTable = {
  run_id: string;
  organization_id: string;
  /** The run-kind registry key (`task`, `workflow_run`, …). */
  kind: string;
  /** Skyvern's `run_type` (`task_v1`, `workflow_run`, …). */
  run_type: string;
  engine_workflow: string;
  engine_instance_id: string;
  workflow_permanent_id: string | null;
  workflow_id: string | null;
  title: string | null;
  /** Skyvern run status, as last seen (a snapshot; the engine is the truth). */
  status: string;
  webhook_url: string | null;
  /** Why the last delivery failed; `''` after a success; null before any. */
  webhook_failure_reason: string | null;
  developer_user_id: string | null;
  browser_session_id: string | null;
  trigger_type: string | null;
  created_at: string;
  modified_at: string;
  started_at: string | null;
  finished_at: string | null;
};

/** `artifacts`: metadata of run artifacts; the bytes are in the blob store. */
export type ArtifactsTable = {
  artifact_id: string;
  organization_id: string;
  run_id: string;
  step_ref: string | null;
  block_ref: string | null;
  browser_session_id: string | null;
  artifact_type: string;
  blob_key: string;
  content_type: string;
  size: number;
  sha256: string;
  name: string | null;
  created_at: string;
};

/** `files`: uploaded files; the bytes are in the blob store. */
export type FilesTable = {
  file_id: string;
  organization_id: string;
  blob_key: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  created_at: string;
  /** When the file is purged; null keeps it. */
  expires_at: string | null;
};

/** `browser_sessions`: persistent sessions, persisted so every process (and a restart) reports them. */
export type BrowserSessionsTable = {
  browser_session_id: string;
  organization_id: string;
  status: string;
  timeout_minutes: number;
  browser_address: string | null;
  ws_endpoint: string | null;
  runnable_type: string | null;
  runnable_id: string | null;
  browser_profile_id: string | null;
  /** The process that runs the Chromium. */
  owner: string;
  failure_reason: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  modified_at: string;
  expires_at: string;
  /** The owner's last heartbeat for this session. */
  heartbeat_at: string;
};

/** `browser_profiles`: saved browser state records; the state is in the blob store. */
export type BrowserProfilesTable = {
  browser_profile_id: string;
  organization_id: string;
  name: string;
  description: string | null;
  source_browser_session_id: string | null;
  source_run_id: string | null;
  cookie_count: number;
  size: number;
  sha256: string;
  created_at: string;
  modified_at: string;
  deleted_at: string | null;
};

/** The server's tables, for Kysely. */
export type ServerTables = {
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  credentials: CredentialsTable;
  webhook_secrets: WebhookSecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  idempotency_keys: IdempotencyKeysTable;
  totp_codes: TotpCodesTable;
  server_meta: ServerMetaTable;
  workflow_bindings: WorkflowBindingsTable;
  worker_code: WorkerCodeTable;
  runs: RunsTable;
  run_totp_identifiers: RunTotpIdentifiersTable;
  workflow_versions: WorkflowVersionsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_folders: WorkflowFoldersTable;
  workflow_schedules: WorkflowSchedulesTable;
  artifacts: ArtifactsTable;
  files: FilesTable;
  browser_sessions: BrowserSessionsTable;
  browser_profiles: BrowserProfilesTable;
};
