// The server's migrations: one dialect-neutral list for SQLite and PostgreSQL, run by Kysely's
// Migrator with its own bookkeeping tables (`server_migrations`, `server_migrations_lock`), apart
// from the engine's. Add a migration by appending an entry; never edit one that has shipped.
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

/** Name of the table that records applied migrations. */
export const MIGRATION_TABLE = 'server_migrations';
/** Name of the migration lock table. */
export const MIGRATION_LOCK_TABLE = 'server_migrations_lock';

// Migrations run against the schema as it was then, so they use no table types.
type AnyDb = Kysely<unknown>;

const migrations: Record<string, Migration> = {
  '0001_foundation': {
    async up(db: AnyDb): Promise<void> {
      await db.schema
        .createTable('organizations')
        .addColumn('organization_id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('key_prefix', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema.createIndex('api_keys_org').on('api_keys').columns(['organization_id', 'created_at']).execute();

      await db.schema
        .createTable('credentials')
        .addColumn('credential_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('credential_type', 'text', (c) => c.notNull())
        .addColumn('vault_type', 'text', (c) => c.notNull())
        .addColumn('public_data', 'text', (c) => c.notNull())
        .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('extra', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('credentials_org').on('credentials').columns(['organization_id', 'created_at']).execute();

      await db.schema
        .createTable('webhook_secrets')
        .addColumn('organization_id', 'text', (c) => c.primaryKey().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('secret_ciphertext', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('delivery_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('response_excerpt', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_run')
        .on('webhook_deliveries')
        .columns(['organization_id', 'run_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('response_body', 'text')
        .addColumn('response_content_type', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['organization_id', 'route', 'idempotency_key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_expiry').on('idempotency_keys').column('expires_at').execute();

      await db.schema
        .createTable('totp_codes')
        .addColumn('totp_code_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('totp_identifier', 'text', (c) => c.notNull())
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('otp_type', 'text', (c) => c.notNull())
        .addColumn('task_id', 'text')
        .addColumn('workflow_id', 'text')
        .addColumn('workflow_run_id', 'text')
        .addColumn('source', 'text')
        .addColumn('expired_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('totp_codes_identifier')
        .on('totp_codes')
        .columns(['organization_id', 'totp_identifier', 'created_at'])
        .execute();

      await db.schema
        .createTable('server_meta')
        .addColumn('meta_key', 'text', (c) => c.primaryKey())
        .addColumn('meta_value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_workflow_bindings': {
    async up(db: AnyDb): Promise<void> {
      // Cloudflare's `PUT workflow`: which class (code) a workflow of an organization runs.
      await db.schema
        .createTable('workflow_bindings')
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('workflow_name', 'text', (c) => c.notNull())
        .addColumn('class_name', 'text', (c) => c.notNull())
        .addColumn('script_name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('workflow_bindings_pk', ['organization_id', 'workflow_name'])
        .execute();
      await db.schema.createIndex('workflow_bindings_class').on('workflow_bindings').columns(['class_name']).execute();

      // Which running worker has loaded which class (rows refreshed by a heartbeat; stale rows mean gone).
      await db.schema
        .createTable('worker_code')
        .addColumn('worker_id', 'text', (c) => c.notNull())
        .addColumn('class_name', 'text', (c) => c.notNull())
        .addColumn('script_name', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('worker_code_pk', ['worker_id', 'class_name'])
        .execute();
      await db.schema.createIndex('worker_code_class').on('worker_code').columns(['class_name', 'seen_at']).execute();
    },
  },
  '0003_runs_files_browsers': {
    async up(db: AnyDb): Promise<void> {
      // The runs index: one row per task or workflow run, pointing at its engine instance.
      await db.schema
        .createTable('runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('run_type', 'text', (c) => c.notNull())
        .addColumn('engine_workflow', 'text', (c) => c.notNull())
        .addColumn('engine_instance_id', 'text', (c) => c.notNull())
        .addColumn('workflow_permanent_id', 'text')
        .addColumn('workflow_id', 'text')
        .addColumn('title', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('webhook_failure_reason', 'text')
        .addColumn('developer_user_id', 'text')
        .addColumn('browser_session_id', 'text')
        .addColumn('trigger_type', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('finished_at', 'text')
        .execute();
      await db.schema.createIndex('runs_org_created').on('runs').columns(['organization_id', 'created_at']).execute();
      await db.schema.createIndex('runs_org_status').on('runs').columns(['organization_id', 'status', 'created_at']).execute();
      await db.schema.createIndex('runs_instance').on('runs').columns(['organization_id', 'engine_workflow', 'engine_instance_id']).execute();

      // Artifacts of runs: the bytes are in the blob store under `blob_key`.
      await db.schema
        .createTable('artifacts')
        .addColumn('artifact_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('step_ref', 'text')
        .addColumn('block_ref', 'text')
        .addColumn('browser_session_id', 'text')
        .addColumn('artifact_type', 'text', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('artifacts_run').on('artifacts').columns(['organization_id', 'run_id', 'created_at']).execute();
      await db.schema.createIndex('artifacts_created').on('artifacts').columns(['created_at']).execute();

      // Uploaded files (`POST /v1/upload_file`).
      await db.schema
        .createTable('files')
        .addColumn('file_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('content_type', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text')
        .execute();
      await db.schema.createIndex('files_expiry').on('files').columns(['expires_at']).execute();

      // Persistent browser sessions; `owner` is the process that runs the Chromium, `heartbeat_at` its last sign of life.
      await db.schema
        .createTable('browser_sessions')
        .addColumn('browser_session_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('timeout_minutes', 'integer', (c) => c.notNull())
        .addColumn('browser_address', 'text')
        .addColumn('ws_endpoint', 'text')
        .addColumn('runnable_type', 'text')
        .addColumn('runnable_id', 'text')
        .addColumn('browser_profile_id', 'text')
        .addColumn('owner', 'text', (c) => c.notNull())
        .addColumn('failure_reason', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text')
        .addColumn('completed_at', 'text')
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('heartbeat_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('browser_sessions_org').on('browser_sessions').columns(['organization_id', 'created_at']).execute();
      await db.schema.createIndex('browser_sessions_status').on('browser_sessions').columns(['status', 'heartbeat_at']).execute();

      // Browser profiles: the record here, the saved state in the blob store.
      await db.schema
        .createTable('browser_profiles')
        .addColumn('browser_profile_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('source_browser_session_id', 'text')
        .addColumn('source_run_id', 'text')
        .addColumn('cookie_count', 'integer', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .execute();
      await db.schema.createIndex('browser_profiles_org').on('browser_profiles').columns(['organization_id', 'created_at']).execute();

      // Which path produced a delivery attempt: the delivery workflow or `retry_webhook`.
      await db.schema.alterTable('webhook_deliveries').addColumn('source', 'text', (c) => c.notNull().defaultTo('delivery')).execute();
    },
  },
  '0004_run_totp_identifiers': {
    async up(db: AnyDb): Promise<void> {
      // A pushed 2FA code wakes the unfinished runs that may wait for it (by organization and identifier).
      await db.schema
        .createTable('run_totp_identifiers')
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('totp_identifier', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_totp_identifiers_pk', ['organization_id', 'totp_identifier', 'run_id'])
        .execute();
      await db.schema.createIndex('runs_org_developer').on('runs').columns(['organization_id', 'developer_user_id', 'created_at']).execute();
      await db.schema.createIndex('runs_org_workflow').on('runs').columns(['organization_id', 'workflow_permanent_id', 'created_at']).execute();
    },
  },
  '0005_block_workflows': {
    async up(db: AnyDb): Promise<void> {
      // Saved versions of block workflows: one row per version, soft-deleted together.
      await db.schema
        .createTable('workflow_versions')
        .addColumn('workflow_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('workflow_permanent_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('is_saved_task', 'integer', (c) => c.notNull())
        .addColumn('is_template', 'integer', (c) => c.notNull())
        .addColumn('folder_id', 'text')
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('warnings', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .addColumn('deleted_at', 'text')
        .addUniqueConstraint('workflow_versions_number', ['organization_id', 'workflow_permanent_id', 'version'])
        .execute();
      await db.schema.createIndex('workflow_versions_org').on('workflow_versions').columns(['organization_id', 'deleted_at', 'workflow_permanent_id']).execute();

      // Block workflow runs: the workflow, version, end user and parent of each `wr_…`.
      await db.schema
        .createTable('workflow_runs')
        .addColumn('run_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('workflow_permanent_id', 'text', (c) => c.notNull())
        .addColumn('workflow_id', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('developer_user_id', 'text')
        .addColumn('parent_run_id', 'text')
        .addColumn('title', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('workflow_runs_org').on('workflow_runs').columns(['organization_id', 'created_at']).execute();
      await db.schema.createIndex('workflow_runs_workflow').on('workflow_runs').columns(['organization_id', 'workflow_permanent_id', 'created_at']).execute();
      await db.schema.createIndex('workflow_runs_parent').on('workflow_runs').columns(['organization_id', 'parent_run_id']).execute();

      await db.schema
        .createTable('workflow_folders')
        .addColumn('folder_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('workflow_folders_org').on('workflow_folders').columns(['organization_id', 'created_at']).execute();

      // Cron schedules of block workflows; `next_run_at` is moved on with a compare-and-set by the process that fires it.
      await db.schema
        .createTable('workflow_schedules')
        .addColumn('workflow_schedule_id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.organization_id').onDelete('cascade'))
        .addColumn('workflow_permanent_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('cron_expression', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('parameters', 'text', (c) => c.notNull())
        .addColumn('webhook_url', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('next_run_at', 'text')
        .addColumn('last_run_at', 'text')
        .addColumn('last_run_id', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('modified_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('workflow_schedules_workflow').on('workflow_schedules').columns(['organization_id', 'workflow_permanent_id']).execute();
      await db.schema.createIndex('workflow_schedules_due').on('workflow_schedules').columns(['enabled', 'next_run_at']).execute();
    },
  },
};

/** Provides the server's migrations to Kysely's Migrator. */
export const serverMigrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
