// The server's domain store: organizations, API keys, credentials, webhook secrets and deliveries,
// idempotency records and pushed TOTP codes, over Kysely (SQLite or PostgreSQL alike). Every
// method that touches an organization's rows takes its id first and filters on it, so a row of
// another organization is simply not found. Values arrive already encrypted where they are secret;
// the store never sees a plaintext secret.
import { sql } from 'kysely';
import type { Kysely, Selectable } from 'kysely';
import { createBrowserProfilesRepository, createBrowserSessionsRepository } from './browser-store.ts';
import type { ServerDatabase } from './database.ts';
import { createArtifactsRepository, createFilesRepository, createRunsRepository } from './run-store.ts';
import { createFoldersRepository, createSchedulesRepository, createWorkflowRepository } from './workflow-store.ts';
import type {
  ApiKeysTable,
  CredentialsTable,
  IdempotencyKeysTable,
  OrganizationsTable,
  ServerTables,
  TotpCodesTable,
  WebhookDeliveriesTable,
  WebhookSecretsTable,
  WorkerCodeTable,
  WorkflowBindingsTable,
} from './schema.ts';

/** An organization row. */
export type OrganizationRow = Selectable<OrganizationsTable>;
/** An API key row. */
export type ApiKeyRow = Selectable<ApiKeysTable>;
/** A credential row. */
export type CredentialRow = Selectable<CredentialsTable>;
/** A webhook secret row. */
export type WebhookSecretRow = Selectable<WebhookSecretsTable>;
/** A webhook delivery row. */
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
/** An idempotency record. */
export type IdempotencyRow = Selectable<IdempotencyKeysTable>;
/** A pushed TOTP code row. */
export type TotpCodeRow = Selectable<TotpCodesTable>;
/** A workflow binding row (the class a workflow runs). */
export type WorkflowBindingRow = Selectable<WorkflowBindingsTable>;
/** A class loaded by a running worker. */
export type WorkerCodeRow = Selectable<WorkerCodeTable>;

/** Paging of list queries. */
export type Page = { page: number; pageSize: number };

/** Filters of `credentials.list`. */
export type CredentialFilter = Page & { credentialType?: string | undefined; vaultType?: string | undefined; search?: string | undefined };

/** The result of reserving an idempotency key. */
export type IdempotencyReservation =
  | { state: 'reserved' }
  | { state: 'in_flight'; row: IdempotencyRow }
  | { state: 'completed'; row: IdempotencyRow };

function escapeLike(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('%', '\\%').replaceAll('_', '\\_');
}

function offset(page: Page): number {
  return (page.page - 1) * page.pageSize;
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** Builds the store over an open, migrated database. */
export function createServerStore(database: ServerDatabase) {
  const db: Kysely<ServerTables> = database.db;

  const organizations = {
    /** Inserts an organization. */
    async insert(row: OrganizationRow): Promise<void> {
      await db.insertInto('organizations').values(row).execute();
    },
    /** The organization, or undefined. */
    async find(organizationId: string): Promise<OrganizationRow | undefined> {
      return db.selectFrom('organizations').selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
    },
    /** Every organization, oldest first (administration only). */
    async list(): Promise<OrganizationRow[]> {
      return db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('organization_id').execute();
    },
  };

  const apiKeys = {
    /** Inserts a key row (its hash, never the key). */
    async insert(row: ApiKeyRow): Promise<void> {
      await db.insertInto('api_keys').values(row).execute();
    },
    /** The key with this hash, revoked or not; the hash identifies the key, so no organization applies. */
    async findByHash(keyHash: string): Promise<ApiKeyRow | undefined> {
      return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
    },
    /** One key of the organization, or undefined. */
    async find(organizationId: string, keyId: string): Promise<ApiKeyRow | undefined> {
      return db
        .selectFrom('api_keys')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('key_id', '=', keyId)
        .executeTakeFirst();
    },
    /** The organization's keys, newest first. */
    async list(organizationId: string, page: Page & { includeRevoked: boolean }): Promise<ApiKeyRow[]> {
      let query = db.selectFrom('api_keys').selectAll().where('organization_id', '=', organizationId);
      if (!page.includeRevoked) query = query.where('revoked_at', 'is', null);
      return query.orderBy('created_at', 'desc').orderBy('key_id', 'desc').limit(page.pageSize).offset(offset(page)).execute();
    },
    /** How many unrevoked keys the organization has. */
    async countActive(organizationId: string): Promise<number> {
      const row = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('organization_id', '=', organizationId)
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Marks a key revoked at `at` unless it already is; true when this call revoked it. */
    async revoke(organizationId: string, keyId: string, at: string): Promise<boolean> {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('organization_id', '=', organizationId)
        .where('key_id', '=', keyId)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Records that a key was used. */
    async touch(organizationId: string, keyId: string, at: string): Promise<void> {
      await db
        .updateTable('api_keys')
        .set({ last_used_at: at })
        .where('organization_id', '=', organizationId)
        .where('key_id', '=', keyId)
        .execute();
    },
  };

  const credentials = {
    /** Inserts a credential row. */
    async insert(row: CredentialRow): Promise<void> {
      await db.insertInto('credentials').values(row).execute();
    },
    /** One credential of the organization, or undefined. */
    async find(organizationId: string, credentialId: string): Promise<CredentialRow | undefined> {
      return db
        .selectFrom('credentials')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
    },
    /** The organization's credentials, newest first, filtered. */
    async list(organizationId: string, filter: CredentialFilter): Promise<CredentialRow[]> {
      let query = db.selectFrom('credentials').selectAll().where('organization_id', '=', organizationId);
      if (filter.credentialType !== undefined) query = query.where('credential_type', '=', filter.credentialType);
      if (filter.vaultType !== undefined) query = query.where('vault_type', '=', filter.vaultType);
      if (filter.search !== undefined && filter.search !== '') {
        const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
        query = query.where(sql<boolean>`lower(name) like ${pattern} escape '\\'`);
      }
      return query
        .orderBy('created_at', 'desc')
        .orderBy('credential_id', 'desc')
        .limit(filter.pageSize)
        .offset(offset(filter))
        .execute();
    },
    /** Replaces a credential's fields; false when it does not exist in the organization. */
    async replace(
      organizationId: string,
      credentialId: string,
      values: Omit<CredentialRow, 'credential_id' | 'organization_id' | 'created_at'>,
    ): Promise<boolean> {
      const result = await db
        .updateTable('credentials')
        .set(values)
        .where('organization_id', '=', organizationId)
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    /** Deletes a credential; false when it does not exist in the organization. */
    async delete(organizationId: string, credentialId: string): Promise<boolean> {
      const result = await db
        .deleteFrom('credentials')
        .where('organization_id', '=', organizationId)
        .where('credential_id', '=', credentialId)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };

  const webhookSecrets = {
    /** The organization's secret row, or undefined. */
    async find(organizationId: string): Promise<WebhookSecretRow | undefined> {
      return db.selectFrom('webhook_secrets').selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
    },
    /** Sets (inserts or replaces) the organization's secret. */
    async put(row: WebhookSecretRow): Promise<void> {
      await db
        .insertInto('webhook_secrets')
        .values(row)
        .onConflict((oc) =>
          oc.column('organization_id').doUpdateSet({ secret_ciphertext: row.secret_ciphertext, key_id: row.key_id, created_at: row.created_at }),
        )
        .execute();
    },
    /** Inserts the secret only when the organization has none; true when inserted. */
    async insertIfMissing(row: WebhookSecretRow): Promise<boolean> {
      const result = await db.insertInto('webhook_secrets').values(row).onConflict((oc) => oc.column('organization_id').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
  };

  const webhookDeliveries = {
    /** Appends one attempt to the delivery log. */
    async insert(row: WebhookDeliveryRow): Promise<void> {
      await db.insertInto('webhook_deliveries').values(row).execute();
    },
    /** A run's delivery attempts, oldest first. */
    async listForRun(organizationId: string, runId: string): Promise<WebhookDeliveryRow[]> {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('run_id', '=', runId)
        .orderBy('created_at')
        .orderBy('delivery_id')
        .execute();
    },
  };

  const idempotency = {
    /**
     * Reserves `(organization, route, key)` for a first request, or reports the record already
     * there. An expired record is replaced.
     */
    async reserve(row: Omit<IdempotencyRow, 'status_code' | 'response_body' | 'response_content_type'>, now: string): Promise<IdempotencyReservation> {
      for (let attempt = 0; attempt < 3; attempt++) {
        await db
          .deleteFrom('idempotency_keys')
          .where('organization_id', '=', row.organization_id)
          .where('route', '=', row.route)
          .where('idempotency_key', '=', row.idempotency_key)
          .where('expires_at', '<=', now)
          .execute();
        try {
          await db
            .insertInto('idempotency_keys')
            .values({ ...row, status_code: null, response_body: null, response_content_type: null })
            .execute();
          return { state: 'reserved' };
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        const existing = await db
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('organization_id', '=', row.organization_id)
          .where('route', '=', row.route)
          .where('idempotency_key', '=', row.idempotency_key)
          .executeTakeFirst();
        // Deleted between the insert and the read (its first request failed): try again.
        if (existing === undefined) continue;
        return existing.status_code === null ? { state: 'in_flight', row: existing } : { state: 'completed', row: existing };
      }
      throw new Error('idempotency.reserve: the record kept changing');
    },
    /** Stores the answer of a reserved request. */
    async complete(
      key: { organizationId: string; route: string; idempotencyKey: string },
      answer: { statusCode: number; body: string; contentType: string | null },
    ): Promise<void> {
      await db
        .updateTable('idempotency_keys')
        .set({ status_code: answer.statusCode, response_body: answer.body, response_content_type: answer.contentType })
        .where('organization_id', '=', key.organizationId)
        .where('route', '=', key.route)
        .where('idempotency_key', '=', key.idempotencyKey)
        .execute();
    },
    /** Drops a reservation whose request did not succeed, so the client may retry. */
    async release(key: { organizationId: string; route: string; idempotencyKey: string }): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('organization_id', '=', key.organizationId)
        .where('route', '=', key.route)
        .where('idempotency_key', '=', key.idempotencyKey)
        .where('status_code', 'is', null)
        .execute();
    },
    /** Deletes every expired record (all organizations; housekeeping). Returns how many. */
    async purgeExpired(now: string): Promise<number> {
      const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };

  const totpCodes = {
    /** Stores a pushed code. */
    async insert(row: TotpCodeRow): Promise<void> {
      await db.insertInto('totp_codes').values(row).execute();
    },
    /**
     * The newest code pushed for `identifier` at or after `since` that has not expired at `now`, or
     * undefined (the agent polls this while a login waits for its code).
     */
    async findLatest(organizationId: string, identifier: string, since: string, now: string): Promise<TotpCodeRow | undefined> {
      return db
        .selectFrom('totp_codes')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('totp_identifier', '=', identifier)
        .where('created_at', '>=', since)
        .where((eb) => eb.or([eb('expired_at', 'is', null), eb('expired_at', '>', now)]))
        .orderBy('created_at', 'desc')
        .orderBy('totp_code_id', 'desc')
        .executeTakeFirst();
    },
  };

  const meta = {
    /** Records a one-off fact; true when this call recorded it first. */
    async claim(key: string, value: string, at: string): Promise<boolean> {
      const result = await db
        .insertInto('server_meta')
        .values({ meta_key: key, meta_value: value, created_at: at })
        .onConflict((oc) => oc.column('meta_key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
    },
  };

  const workflowBindings = {
    /** Creates or replaces the binding of a workflow; keeps its first `created_at`. Returns the stored row. */
    async upsert(row: WorkflowBindingRow): Promise<WorkflowBindingRow> {
      await db
        .insertInto('workflow_bindings')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['organization_id', 'workflow_name']).doUpdateSet({ class_name: row.class_name, script_name: row.script_name, modified_at: row.modified_at }),
        )
        .execute();
      return (await workflowBindings.find(row.organization_id, row.workflow_name)) ?? row;
    },
    /** The binding of one workflow, or undefined. */
    async find(organizationId: string, workflowName: string): Promise<WorkflowBindingRow | undefined> {
      return db
        .selectFrom('workflow_bindings')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('workflow_name', '=', workflowName)
        .executeTakeFirst();
    },
    /** The bindings of these workflows of the organization. */
    async listNames(organizationId: string, workflowNames: readonly string[]): Promise<WorkflowBindingRow[]> {
      if (workflowNames.length === 0) return [];
      return db
        .selectFrom('workflow_bindings')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('workflow_name', 'in', [...workflowNames])
        .execute();
    },
    /** Every binding to one of these classes, in all organizations (workers register the code they have). */
    async listClasses(classNames: readonly string[]): Promise<WorkflowBindingRow[]> {
      if (classNames.length === 0) return [];
      return db
        .selectFrom('workflow_bindings')
        .selectAll()
        .where('class_name', 'in', [...classNames])
        .orderBy('organization_id')
        .orderBy('workflow_name')
        .execute();
    },
    /** Deletes a binding; true when there was one. */
    async delete(organizationId: string, workflowName: string): Promise<boolean> {
      const result = await db
        .deleteFrom('workflow_bindings')
        .where('organization_id', '=', organizationId)
        .where('workflow_name', '=', workflowName)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };

  const workerCode = {
    /** Records the classes a worker has loaded (replacing what it announced before). */
    async announce(workerId: string, classes: ReadonlyArray<{ className: string; scriptName: string }>, at: string): Promise<void> {
      await db.deleteFrom('worker_code').where('worker_id', '=', workerId).execute();
      if (classes.length === 0) return;
      await db
        .insertInto('worker_code')
        .values(classes.map((c) => ({ worker_id: workerId, class_name: c.className, script_name: c.scriptName, seen_at: at })))
        .execute();
    },
    /** Refreshes a worker's rows (its heartbeat); returns how many (0: they were purged, announce again). */
    async refresh(workerId: string, at: string): Promise<number> {
      const result = await db.updateTable('worker_code').set({ seen_at: at }).where('worker_id', '=', workerId).executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    /** Forgets a worker (graceful shutdown). */
    async remove(workerId: string): Promise<void> {
      await db.deleteFrom('worker_code').where('worker_id', '=', workerId).execute();
    },
    /** True when some worker seen at or after `since` has loaded the class. */
    async isLoaded(className: string, since: string): Promise<boolean> {
      const row = await db
        .selectFrom('worker_code')
        .select('worker_id')
        .where('class_name', '=', className)
        .where('seen_at', '>=', since)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },
    /** Deletes rows not refreshed since `before` (workers that died); returns how many. */
    async purgeStale(before: string): Promise<number> {
      const result = await db.deleteFrom('worker_code').where('seen_at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };

  return {
    database,
    organizations,
    apiKeys,
    credentials,
    webhookSecrets,
    webhookDeliveries,
    idempotency,
    totpCodes,
    meta,
    workflowBindings,
    workerCode,
    runs: createRunsRepository(db),
    artifacts: createArtifactsRepository(db),
    files: createFilesRepository(db),
    browserSessions: createBrowserSessionsRepository(db),
    browserProfiles: createBrowserProfilesRepository(db),
    workflows: createWorkflowRepository(db),
    folders: createFoldersRepository(db),
    schedules: createSchedulesRepository(db),
  };
}

/** The server's domain store. */
export type ServerStore = ReturnType<typeof createServerStore>;

/**
 * Runs `body` in one database transaction, with a store whose every method runs inside it; commits
 * when `body` resolves, rolls back when it throws. Do not nest.
 */
export async function inTransaction<T>(store: ServerStore, body: (store: ServerStore) => Promise<T>): Promise<T> {
  return store.database.db.transaction().execute((trx) => body(createServerStore({ ...store.database, db: trx })));
}
