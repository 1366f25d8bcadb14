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
};
