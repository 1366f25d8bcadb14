// The PostgreSQL adapter of the Store port, through node-postgres: any number of engine processes
// on any number of hosts share one database. PostgreSQL does all the coordinating:
// - claims take due rows with `FOR UPDATE SKIP LOCKED`; claims of a workflow with a concurrency
//   limit serialize on its workflow row, so the limit holds across processes;
// - every write of a running instance is fenced by `(pk, epoch)` under a row lock (`FOR SHARE` on
//   the step hot path), so a worker that lost its lease or its connection cannot land a result
//   after another worker took the instance over;
// - state changes that make work due send `pg_notify` in their own transaction (delivered on
//   commit) on a channel per database and schema; each process keeps one dedicated LISTEN
//   connection, reconnected with backoff, and polls once after every reconnect because
//   notifications sent while it was away are lost. The engine's slow poll covers the rest;
// - outbox rows are numbered after commit by one sequencer at a time (see `#sequence`), so a
//   consumer's cursor never skips an event that committed late.
// Connection failures surface as `STORE_UNAVAILABLE`; deadlocks and serialization failures are
// retried (the failed transaction was rolled back whole).
import { createHash, randomUUID } from 'node:crypto';
import { Client, Pool } from 'pg';
import type { ClientConfig, PoolClient, PoolConfig, QueryResultRow } from 'pg';
import { PetrelError, isFinalInstanceStatus, isPetrelError } from '@petrel/protocol';
import type { InstanceStatus } from '@petrel/protocol';
import { POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
import {
  ACTIVE_STATUSES,
  INSTANCE_COLUMNS,
  LIST_COLUMNS,
  STEP_COLUMNS,
  STEP_UPSERT_TAIL,
  childResultPayload,
  instanceValues,
  json,
  likePattern,
  num,
  outboxPayload,
  parse,
  patchAssignments,
  stepValues,
  toInstance,
  toListRow,
  toOutbox,
  toPending,
  toSchedules,
  toSnapshotEvent,
  toWorkflow,
  toStep,
  toVersion,
  workflowAssignments,
} from './store-rows.ts';
import type { Row } from './store-rows.ts';
import type {
  ClaimedInstance,
  ClaimRequest,
  CreateOutcome,
  CronMark,
  DueVersion,
  Finish,
  InstanceKey,
  InstanceListRow,
  InstancePatch,
  InstanceQuery,
  InstanceRow,
  InstanceSnapshot,
  Lease,
  NewInstance,
  OutboxEvent,
  OutboxEventInput,
  ParentRef,
  PendingEvent,
  ScheduleRow,
  SendEventOutcome,
  StatusReason,
  StepRow,
  StepWrite,
  Store,
  StoreNotification,
  SuspendOutcome,
  Suspension,
  Transition,
  VersionRow,
  WorkflowRow,
  WorkflowUpsert,
} from './store.ts';

type PgPool = InstanceType<typeof Pool>;
type PgClient = InstanceType<typeof Client>;

/** Options of `createPostgresStore`. Give `url` or `pool`. */
export type PostgresStoreOptions = {
  /** `postgres://…` URL of the database. The store creates (and closes) its own pool. */
  url?: string;
  /** A pool to use instead of `url` (e.g. the server's). Its connections decide the schema; the store does not close it. */
  pool?: PgPool;
  /** Schema of the engine's tables (created when missing); with `url` only. Default: the connection's current schema (`public`). */
  schema?: string;
  /** Connections of the pool the store creates. Default 10. */
  poolSize?: number;
  /** How long a connection attempt may take before the operation fails with `STORE_UNAVAILABLE`, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Longest wait between two attempts to reconnect the LISTEN connection, in ms (backoff starts at 100 ms). Default 5000. */
  maxReconnectDelayMs?: number;
  /** `application_name` of the connections, shown in `pg_stat_activity`. Default `"petrel-engine"`. */
  applicationName?: string;
  /** The server ends a session idle inside a transaction this long (its client is gone), releasing its row locks; with `url` only. Default 15 000 ms. */
  idleInTransactionTimeoutMs?: number;
};

type Queryable = { query: PgPool['query'] };
type Ident = { namespace: string; workflow_name: string; id: string };
type FenceRow = Ident & { status: InstanceStatus; waiting_for: string | null; parent: string | null };

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const SEQUENCE_BATCH = 10_000;
const TX_ATTEMPTS = 6;
/** Outbox activity of this process is announced to other processes at most this often (step writes do not NOTIFY in their transaction). */
const OUTBOX_NOTIFY_MS = 50;

/** SET clauses of a patch, numbering parameters from `values.length + 1`. */
function patchSets(patch: InstancePatch, sets: string[], values: unknown[]): void {
  for (const [column, value] of patchAssignments(patch)) {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  }
}

const STEP_PARAMS = '$1::bigint, $2::text, $3::text, $4::text, $5::int, $6::int, $7::text, $8::bigint, $9::bigint, $10::text, $11::text, $12::text, $13::text, $14::bigint, $15::text, $16::boolean';

/**
 * The hot path of a step: fence, upsert and outbox events in one statement (one round trip, one
 * commit). `FOR SHARE` holds the instance row until commit, so a claim or a revoke that moves the
 * epoch cannot slip between the fence and the write. No row back: the lease is lost. `written` 0:
 * the step was already final, and nothing was written.
 */
const RECORD_STEP_SQL = `WITH f AS (
  SELECT pk, status, namespace, workflow_name, id FROM engine_instances WHERE pk = $1 AND epoch = $17 FOR SHARE
), s AS (
  INSERT INTO engine_steps (${STEP_COLUMNS}) SELECT ${STEP_PARAMS.replace('$1::bigint', 'f.pk')} FROM f
  ${STEP_UPSERT_TAIL}
  RETURNING 1
), o AS (
  INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
  SELECT f.namespace, f.workflow_name, f.id, e.kind, e.payload, $18::bigint
  FROM f CROSS JOIN (SELECT count(*) AS n FROM s) w CROSS JOIN unnest($19::text[], $20::text[]) WITH ORDINALITY AS e(kind, payload, ord)
  WHERE w.n > 0 ORDER BY e.ord
  RETURNING 1
)
SELECT f.status, (SELECT count(*) FROM s)::int AS written FROM f`;

const CLAIM_SQL = `WITH c AS (
  SELECT pk, namespace, workflow_name, status, started_at, due_at FROM engine_instances
  WHERE due_at IS NOT NULL AND due_at <= $1 AND version_id = ANY($2::text[]) AND NOT ((namespace || '/' || workflow_name) = ANY($3::text[]))
  ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED
), r AS (
  SELECT c.*, row_number() OVER (PARTITION BY c.namespace, c.workflow_name ORDER BY c.due_at, c.pk) AS wrank FROM c
), pick AS (
  SELECT r.* FROM r LEFT JOIN unnest($5::text[], $6::int[]) AS l(key, remaining) ON l.key = r.namespace || '/' || r.workflow_name
  WHERE l.key IS NULL OR r.wrank <= l.remaining
  ORDER BY r.due_at, r.pk LIMIT $7
), u AS (
  UPDATE engine_instances i SET lease_owner = $8, epoch = i.epoch + 1, due_at = $9,
    status = CASE WHEN i.status IN ('waitingForPause', 'rollingBack') THEN i.status ELSE 'running' END,
    started_at = coalesce(i.started_at, $1), status_reason = NULL, waiting_for = NULL, modified_at = $1
  FROM pick WHERE i.pk = pick.pk
  RETURNING i.*, pick.status AS previous_status, pick.started_at AS previous_started_at, pick.due_at AS previous_due_at
), o AS (
  INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
  SELECT namespace, workflow_name, id, CASE WHEN previous_started_at IS NULL THEN 'workflow_started' ELSE 'workflow_running' END, '{}', $1
  FROM u WHERE previous_started_at IS NULL OR (previous_status <> status AND status = 'running')
  ORDER BY previous_due_at, pk
  RETURNING 1
)
SELECT * FROM u ORDER BY previous_due_at, pk`;

/**
 * The claim of the common case, in one statement: when no workflow with a concurrency limit has due
 * instances, the oldest due instances are claimed at once. Otherwise nothing is claimed here and the
 * claim takes the locking path (`CLAIM_SQL` in a transaction). The one row of `lim` comes back even
 * when nothing was claimed.
 */
const CLAIM_FREE_SQL = `WITH lim AS (
  SELECT EXISTS (
    SELECT 1 FROM engine_workflows w JOIN engine_instances i ON i.namespace = w.namespace AND i.workflow_name = w.name
    WHERE w.concurrency IS NOT NULL AND i.due_at IS NOT NULL AND i.due_at <= $1 AND i.version_id = ANY($2::text[])
  ) AS limited_due
), c AS (
  SELECT i.pk, i.status, i.started_at, i.due_at FROM engine_instances i
  WHERE i.due_at IS NOT NULL AND i.due_at <= $1 AND i.version_id = ANY($2::text[]) AND NOT (SELECT limited_due FROM lim)
  ORDER BY i.due_at LIMIT $3 FOR UPDATE OF i SKIP LOCKED
), u AS (
  UPDATE engine_instances i SET lease_owner = $4, epoch = i.epoch + 1, due_at = $5,
    status = CASE WHEN i.status IN ('waitingForPause', 'rollingBack') THEN i.status ELSE 'running' END,
    started_at = coalesce(i.started_at, $1), status_reason = NULL, waiting_for = NULL, modified_at = $1
  FROM c WHERE i.pk = c.pk
  RETURNING i.*, c.status AS previous_status, c.started_at AS previous_started_at, c.due_at AS previous_due_at
), o AS (
  INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
  SELECT namespace, workflow_name, id, CASE WHEN previous_started_at IS NULL THEN 'workflow_started' ELSE 'workflow_running' END, '{}', $1
  FROM u WHERE previous_started_at IS NULL OR (previous_status <> status AND status = 'running')
  ORDER BY previous_due_at, pk
)
SELECT u.*, lim.limited_due FROM lim LEFT JOIN u ON true ORDER BY u.previous_due_at, u.pk`;

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'EAI_AGAIN']);

/** True for errors that mean the database could not be reached or the connection broke. */
export function isConnectionError(error: unknown): boolean {
  if (isPetrelError(error)) return error.code === 'STORE_UNAVAILABLE';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
    if (CONNECTION_CODES.has(code)) return true;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Client was closed|Connection ended/i.test(message);
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function translate(op: string, error: unknown): unknown {
  if (isPetrelError(error)) return error;
  if (isConnectionError(error)) return new PetrelError('STORE_UNAVAILABLE', `${op}: cannot reach PostgreSQL (${(error as Error).message})`, { cause: error });
  return error;
}

/** A no-op listener: a failure that also surfaces as a rejected query needs no second report. */
function ignore(): void {}

function keyOf(namespace: string, workflowName: string, id: string): string {
  return `${namespace}\u0000${workflowName}\u0000${id}`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Opens the engine's tables in PostgreSQL (creating the schema and running migrations when needed). */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const op = 'createPostgresStore';
  if (!options || (options.url === undefined) === (options.pool === undefined)) throw new PetrelError('VALIDATION_FAILED', `${op}: give a url or a pool`);
  const schema = options.schema;
  if (schema !== undefined) {
    if (options.pool !== undefined) throw new PetrelError('VALIDATION_FAILED', `${op}: schema goes with url; a given pool's connections decide the schema`);
    if (!SCHEMA_NAME.test(schema)) throw new PetrelError('VALIDATION_FAILED', `${op}: schema must be a lowercase identifier of at most 63 characters`);
  }
  const poolSize = options.poolSize ?? 10;
  const idleInTransactionMs = options.idleInTransactionTimeoutMs ?? 15_000;
  if (!Number.isInteger(idleInTransactionMs) || idleInTransactionMs < 100) throw new PetrelError('VALIDATION_FAILED', `${op}: idleInTransactionTimeoutMs must be an integer of at least 100`);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw new PetrelError('VALIDATION_FAILED', `${op}: poolSize must be an integer from 1 to 1000`);
  let pool: PgPool;
  let ownPool = false;
  let clientConfig: ClientConfig;
  if (options.url !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(options.url)) throw new PetrelError('VALIDATION_FAILED', `${op}: url must start with postgres:// or postgresql://`);
    clientConfig = {
      connectionString: options.url,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // A peer that vanishes without closing the connection is noticed in seconds, not hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: options.applicationName ?? 'petrel-engine',
      // search_path at connection start applies to every statement, migrations included. A client
      // that disappears inside a transaction (the engine never waits inside one) has its row locks
      // released by the server after `idleInTransactionTimeoutMs`.
      options: `${schema === undefined ? '' : `-c search_path=${schema} `}-c idle_in_transaction_session_timeout=${idleInTransactionMs}`,
    };
    const poolConfig: PoolConfig = { ...clientConfig, max: poolSize };
    pool = new Pool(poolConfig);
    ownPool = true;
    // An idle connection that breaks emits 'error' on the pool; the next query reports the failure.
    pool.on('error', () => {});
  } else {
    pool = options.pool!;
    clientConfig = { ...(pool.options as ClientConfig) };
  }
  try {
    const { rows } = await pool.query<{ db: string; schema: string | null }>('SELECT current_database() AS db, current_schema() AS schema');
    const current = schema ?? rows[0]?.schema;
    if (!current) throw new PetrelError('INVALID_CONFIG', `${op}: the connection has no current schema (check search_path)`);
    await migrate(pool, current, schema !== undefined);
    const channel = `petrel_engine_${createHash('sha256').update(`${rows[0]?.db ?? ''}\u0000${current}`).digest('hex').slice(0, 24)}`;
    return new PostgresStore({ pool, ownPool, clientConfig, channel, maxReconnectDelayMs: options.maxReconnectDelayMs ?? 5000 });
  } catch (error) {
    if (ownPool) await pool.end().catch(() => {});
    throw translate(op, error);
  }
}

/** Runs pending migrations; concurrent openers serialize on an advisory lock per schema. */
async function migrate(pool: PgPool, schema: string, createSchema: boolean): Promise<void> {
  const client = await pool.connect();
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`petrel.engine.migrations:${schema}`]);
    if (createSchema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query('CREATE TABLE IF NOT EXISTS engine_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    const applied = new Set((await client.query<{ version: number }>('SELECT version FROM engine_migrations')).rows.map((r) => r.version));
    for (const migration of POSTGRES_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO engine_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, Date.now()]);
    }
    await client.query('COMMIT');
    client.off('error', ignore);
    client.release();
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.off('error', ignore);
    client.release(true);
    throw error;
  }
}

type StoreInit = { pool: PgPool; ownPool: boolean; clientConfig: ClientConfig; channel: string; maxReconnectDelayMs: number };

class PostgresStore implements Store {
  readonly dialect = 'postgres';
  readonly #pool: PgPool;
  readonly #ownPool: boolean;
  readonly #clientConfig: ClientConfig;
  readonly #channel: string;
  readonly #maxReconnectDelayMs: number;
  /** Tags this store's notifications, so its own come back through LISTEN without being delivered twice. */
  readonly #origin = randomUUID();
  readonly #listeners = new Set<(notification: StoreNotification) => void>();
  #closed = false;
  #listener: PgClient | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelay = 100;
  #everConnected = false;
  #outboxTimer: NodeJS.Timeout | undefined;

  constructor(init: StoreInit) {
    this.#pool = init.pool;
    this.#ownPool = init.ownPool;
    this.#clientConfig = init.clientConfig;
    this.#channel = init.channel;
    this.#maxReconnectDelayMs = init.maxReconnectDelayMs;
  }

  // Plumbing -----------------------------------------------------------------------------------

  #check(op: string): void {
    if (this.#closed) throw new PetrelError('STORE_UNAVAILABLE', `${op}: the PostgreSQL store is closed`);
  }

  /** One statement (its own transaction), retried on deadlock or serialization failure. */
  async #q<R extends QueryResultRow = Row>(op: string, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    this.#check(op);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.#pool.query<R>(name === undefined ? { text, values } : { name, text, values });
        return result.rows;
      } catch (error) {
        if (isRetryable(error) && attempt < TX_ATTEMPTS) {
          await pause(attempt * 5 * Math.random());
          continue;
        }
        throw translate(op, error);
      }
    }
  }

  /** A transaction on one pooled connection, retried whole on deadlock or serialization failure. */
  async #tx<T>(op: string, fn: (c: PoolClient) => Promise<T>): Promise<T> {
    this.#check(op);
    for (let attempt = 1; ; attempt++) {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (error) {
        throw translate(op, error);
      }
      let broken: unknown;
      // A checked-out client has no pool listener for 'error': without this one, a connection that
      // breaks mid-transaction would crash the process instead of failing the operation.
      const onError = (error: unknown): void => {
        broken ??= error;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (isConnectionError(error) && !isPetrelError(error)) broken = error;
        else await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
        if (isRetryable(error) && attempt < TX_ATTEMPTS) {
          await pause(attempt * 5 * Math.random());
          continue;
        }
        throw translate(op, error);
      } finally {
        client.off('error', onError);
        // A broken connection is destroyed instead of going back to the pool.
        client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
      }
    }
  }

  #emit(notification: StoreNotification): void {
    for (const listener of this.#listeners) listener(notification);
  }

  /** Sends a notification to every process (delivered when `c`'s transaction commits). */
  async #notifyIn(c: Queryable, due: number | undefined, outbox: boolean): Promise<void> {
    await c.query('SELECT pg_notify($1, $2)', [this.#channel, JSON.stringify({ o: this.#origin, ...(due === undefined ? {} : { due }), ...(outbox ? { ob: 1 } : {}) })]);
  }

  /** Tells local listeners at once and other processes soon (coalesced) that outbox events were written. */
  #outboxWritten(): void {
    if (this.#listeners.size > 0) this.#emit({ kind: 'outbox', seq: 0 });
    if (this.#outboxTimer !== undefined || this.#closed) return;
    this.#outboxTimer = setTimeout(() => {
      this.#outboxTimer = undefined;
      if (this.#closed) return;
      this.#pool.query('SELECT pg_notify($1, $2)', [this.#channel, JSON.stringify({ o: this.#origin, ob: 1 })]).catch(() => {});
    }, OUTBOX_NOTIFY_MS);
    this.#outboxTimer.unref();
  }

  #onRemote(payload: string | undefined): void {
    let message: { o?: string; due?: number; ob?: number };
    try {
      message = JSON.parse(payload ?? '{}') as typeof message;
    } catch {
      return;
    }
    if (message.o === this.#origin) return;
    if (typeof message.due === 'number') this.#emit({ kind: 'due', at: message.due });
    if (message.ob) this.#emit({ kind: 'outbox', seq: 0 });
  }

  #startListener(): void {
    if (this.#listener || this.#reconnectTimer || this.#closed) return;
    const client = new Client(this.#clientConfig);
    this.#listener = client;
    let failed = false;
    const fail = (): void => {
      if (failed) return;
      failed = true;
      if (this.#listener === client) this.#listener = undefined;
      client.end().catch(() => {});
      if (this.#closed) return;
      const delay = this.#reconnectDelay;
      this.#reconnectDelay = Math.min(this.#maxReconnectDelayMs, this.#reconnectDelay * 2);
      this.#reconnectTimer = setTimeout(
        () => {
          this.#reconnectTimer = undefined;
          if (this.#listeners.size > 0) this.#startListener();
        },
        delay * (0.75 + Math.random() / 2),
      );
      this.#reconnectTimer.unref();
    };
    client.on('notification', (message) => this.#onRemote(message.payload));
    client.on('error', fail);
    client.on('end', fail);
    client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdent(this.#channel)}`))
      .then(() => {
        if (failed || this.#closed) return;
        this.#reconnectDelay = 100;
        // Notifications sent while this connection was away are lost: look once for due work.
        if (this.#everConnected) this.#emit({ kind: 'due', at: Date.now() });
        this.#everConnected = true;
      })
      .catch(fail);
  }

  async #outbox(c: Queryable, ident: Ident, events: readonly OutboxEventInput[], now: number): Promise<void> {
    if (events.length === 0) return;
    await c.query(
      `INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
       SELECT $1, $2, $3, e.kind, e.payload, $4 FROM unnest($5::text[], $6::text[]) WITH ORDINALITY AS e(kind, payload, ord) ORDER BY e.ord`,
      [ident.namespace, ident.workflow_name, ident.id, now, events.map((e) => e.kind), events.map((e) => (outboxPayload(e)))],
    );
  }

  async #fence(c: Queryable, lease: Lease, op: string, lock: 'UPDATE' | 'SHARE'): Promise<FenceRow> {
    const { rows } = await c.query<FenceRow>(
      `SELECT status, namespace, workflow_name, id, waiting_for, parent FROM engine_instances WHERE pk = $1 AND epoch = $2 FOR ${lock}`,
      [lease.pk, lease.epoch],
    );
    const row = rows[0];
    if (!row) throw new PetrelError('LEASE_LOST', `${op}: the lease on instance ${lease.pk} (epoch ${lease.epoch}) is no longer held`);
    return row;
  }

  async #upsertStep(c: Queryable, pk: number, row: StepRow): Promise<number> {
    const result = await c.query(`INSERT INTO engine_steps (${STEP_COLUMNS}) VALUES (${STEP_PARAMS}) ${STEP_UPSERT_TAIL}`, stepValues(pk, row, 'native'));
    return result.rowCount ?? 0;
  }

  /** Buffers an event for a locked instance row and wakes it when it waits for that type. */
  async #deliverEvent(c: Queryable, target: { pk: number; status: InstanceStatus; waiting_for: string | null }, type: string, payload: string, now: number): Promise<boolean> {
    await c.query('INSERT INTO engine_events (instance_pk, type, payload, created_at) VALUES ($1, $2, $3, $4)', [target.pk, type, payload, now]);
    if (target.status !== 'waiting') return false;
    const waitingFor = parse<string[]>(target.waiting_for) ?? [];
    if (!waitingFor.includes(type)) return false;
    await c.query("UPDATE engine_instances SET due_at = $1, modified_at = $1 WHERE pk = $2 AND status = 'waiting'", [now, target.pk]);
    return true;
  }

  async #lockInstance(c: Queryable, namespace: string, workflowName: string, id: string) {
    const { rows } = await c.query<{ pk: string; status: InstanceStatus; waiting_for: string | null; namespace: string; workflow_name: string; id: string }>(
      'SELECT pk, status, waiting_for, namespace, workflow_name, id FROM engine_instances WHERE namespace = $1 AND workflow_name = $2 AND id = $3 FOR UPDATE',
      [namespace, workflowName, id],
    );
    const row = rows[0];
    return row ? { ...row, pk: Number(row.pk) } : undefined;
  }

  async #notifyParent(c: Queryable, child: { namespace: string; workflow_name: string; id: string; parent: string | null }, status: string, output: string | null, error: unknown, now: number): Promise<boolean> {
    const parent = parse<ParentRef>(child.parent);
    if (!parent) return false;
    const target = await this.#lockInstance(c, parent.namespace, parent.workflowName, parent.instanceId);
    if (!target || isFinalInstanceStatus(target.status)) return false;
    const woke = await this.#deliverEvent(c, target, parent.eventType, childResultPayload(child, status, output, error), now);
    await this.#outbox(c, target, [{ kind: 'event_received', payload: { type: parent.eventType, from: child.id } }], now);
    return woke;
  }

  /**
   * Numbers outbox rows written since the last pass. Writers commit out of order, so rows get
   * their `seq` after commit, in batches, from one sequencer at a time (an advisory lock held to
   * commit): the batch statement runs after the lock is taken, so it sees every earlier batch,
   * and every seq it hands out is larger than any a reader could have seen.
   */
  async #sequence(op: string): Promise<number> {
    const pending = await this.#q(op, 'SELECT 1 FROM engine_outbox WHERE seq IS NULL LIMIT 1', [], 'engine_outbox_pending');
    if (pending.length === 0) return 0;
    this.#check(op);
    try {
      // Two statements in one simple query run as one transaction, each with a fresh snapshot.
      const results = (await this.#pool.query(
        `SELECT pg_advisory_xact_lock(hashtext('petrel.engine.outbox:' || current_schema()));
         UPDATE engine_outbox o SET seq = n.seq
         FROM (SELECT p.id, nextval('engine_outbox_seq') AS seq FROM (SELECT id FROM engine_outbox WHERE seq IS NULL ORDER BY id LIMIT ${SEQUENCE_BATCH}) p) n
         WHERE o.id = n.id AND o.seq IS NULL`,
      )) as unknown as Array<{ rowCount: number | null }>;
      return results[1]?.rowCount ?? 0;
    } catch (error) {
      throw translate(op, error);
    }
  }

  // Workflows and versions -------------------------------------------------------------------

  async upsertWorkflow(input: WorkflowUpsert): Promise<WorkflowRow> {
    const op = 'store.upsertWorkflow';
    const inserted = await this.#q(
      op,
      `INSERT INTO engine_workflows (namespace, name, id, created_at, modified_at, current_version_id, class_name, concurrency, schedules, retention, step_limit)
       VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING *`,
      [
        input.namespace,
        input.name,
        input.id,
        input.now,
        input.currentVersionId ?? null,
        input.className ?? null,
        input.concurrency ?? null,
        JSON.stringify(input.schedules ?? []),
        json(input.retention),
        input.stepLimit ?? null,
      ],
    );
    if (inserted[0]) return toWorkflow(inserted[0]);
    const values: unknown[] = [input.now];
    const sets: string[] = ['modified_at = $1'];
    for (const [column, value] of workflowAssignments(input)) {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    }
    values.push(input.namespace, input.name);
    const rows = await this.#q(op, `UPDATE engine_workflows SET ${sets.join(', ')} WHERE namespace = $${values.length - 1} AND name = $${values.length} RETURNING *`, values);
    if (!rows[0]) throw new PetrelError('CONFLICT', `${op}: workflow "${input.name}" changed while it was being saved; try again`);
    return toWorkflow(rows[0]);
  }

  async findWorkflow(namespace: string, name: string): Promise<WorkflowRow | undefined> {
    const rows = await this.#q('store.findWorkflow', 'SELECT * FROM engine_workflows WHERE namespace = $1 AND name = $2', [namespace, name], 'engine_find_workflow');
    return rows[0] ? toWorkflow(rows[0]) : undefined;
  }

  async listWorkflows(query: { namespace: string; search?: string; offset: number; limit: number }): Promise<{ rows: WorkflowRow[]; total: number }> {
    const op = 'store.listWorkflows';
    const like = likePattern(query.search);
    const rows = await this.#q(op, `SELECT * FROM engine_workflows WHERE namespace = $1 AND name LIKE $2 ESCAPE '\\' ORDER BY name LIMIT $3 OFFSET $4`, [
      query.namespace,
      like,
      query.limit,
      query.offset,
    ]);
    const total = await this.#q<{ n: number }>(op, `SELECT count(*)::int AS n FROM engine_workflows WHERE namespace = $1 AND name LIKE $2 ESCAPE '\\'`, [query.namespace, like]);
    return { rows: rows.map(toWorkflow), total: total[0]?.n ?? 0 };
  }

  async deleteWorkflow(namespace: string, name: string): Promise<boolean> {
    return this.#tx('store.deleteWorkflow', async (c) => {
      await c.query(
        `WITH d AS (DELETE FROM engine_instances WHERE namespace = $1 AND workflow_name = $2 RETURNING pk),
              s AS (DELETE FROM engine_steps WHERE instance_pk IN (SELECT pk FROM d)),
              e AS (DELETE FROM engine_events WHERE instance_pk IN (SELECT pk FROM d))
         SELECT count(*) FROM d`,
        [namespace, name],
      );
      await c.query('DELETE FROM engine_versions WHERE namespace = $1 AND workflow_name = $2', [namespace, name]);
      await c.query('DELETE FROM engine_cron_state WHERE namespace = $1 AND workflow_name = $2', [namespace, name]);
      const result = await c.query('DELETE FROM engine_workflows WHERE namespace = $1 AND name = $2', [namespace, name]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  async describeInstances(namespace: string, workflowName: string): Promise<{ counts: Partial<Record<InstanceStatus, number>>; lastCreatedAt: number | null }> {
    const op = 'store.describeInstances';
    const rows = await this.#q<{ status: InstanceStatus; n: number }>(
      op,
      'SELECT status, count(*)::int AS n FROM engine_instances WHERE namespace = $1 AND workflow_name = $2 GROUP BY status',
      [namespace, workflowName],
      'engine_describe_counts',
    );
    const last = await this.#q<{ at: string | null }>(op, 'SELECT max(created_at) AS at FROM engine_instances WHERE namespace = $1 AND workflow_name = $2', [namespace, workflowName], 'engine_describe_last');
    const counts: Partial<Record<InstanceStatus, number>> = {};
    for (const row of rows) counts[row.status] = row.n;
    return { counts, lastCreatedAt: num(last[0]?.at) };
  }

  async upsertVersion(version: VersionRow): Promise<VersionRow> {
    const op = 'store.upsertVersion';
    await this.#q(
      op,
      'INSERT INTO engine_versions (id, namespace, workflow_name, version_key, class_name, created_at, graph) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
      [version.id, version.namespace, version.workflowName, version.versionKey, version.className, version.createdAt, json(version.graph)],
    );
    const rows = await this.#q(op, 'SELECT * FROM engine_versions WHERE id = $1', [version.id]);
    if (!rows[0]) throw new PetrelError('CONFLICT', `${op}: version ${version.id} clashes with another version of the same key`);
    return toVersion(rows[0]);
  }

  async findVersion(namespace: string, workflowName: string, versionId: string): Promise<VersionRow | undefined> {
    const rows = await this.#q('store.findVersion', 'SELECT * FROM engine_versions WHERE id = $1 AND namespace = $2 AND workflow_name = $3', [versionId, namespace, workflowName]);
    return rows[0] ? toVersion(rows[0]) : undefined;
  }

  async listVersions(query: { namespace: string; workflowName: string; offset: number; limit: number }): Promise<{ rows: VersionRow[]; total: number }> {
    const op = 'store.listVersions';
    const rows = await this.#q(op, 'SELECT * FROM engine_versions WHERE namespace = $1 AND workflow_name = $2 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4', [
      query.namespace,
      query.workflowName,
      query.limit,
      query.offset,
    ]);
    const total = await this.#q<{ n: number }>(op, 'SELECT count(*)::int AS n FROM engine_versions WHERE namespace = $1 AND workflow_name = $2', [query.namespace, query.workflowName]);
    return { rows: rows.map(toVersion), total: total[0]?.n ?? 0 };
  }

  // Instances ----------------------------------------------------------------------------------

  async createInstances(items: NewInstance[], options: { now: number; cron?: CronMark }): Promise<CreateOutcome[]> {
    const { now } = options;
    // A key repeated within the batch is a conflict with its first occurrence.
    const seen = new Set<string>();
    const fresh: NewInstance[] = [];
    for (const item of items) {
      const key = keyOf(item.namespace, item.workflowName, item.id);
      if (seen.has(key)) continue;
      seen.add(key);
      fresh.push(item);
    }
    const created = await this.#tx('store.createInstances', async (c) => {
      const byKey = new Map<string, InstanceRow>();
      if (fresh.length > 0) {
        const { rows } = await c.query(
          `WITH ins AS (
             INSERT INTO engine_instances (namespace, workflow_name, id, version_id, status, params, trigger_source, schedule, created_at, modified_at, due_at, retention, parent)
             SELECT t.ns, t.wf, t.id, t.version, 'queued', t.params, t.trig, t.schedule, $1, $1, $1, t.retention, t.parent
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
               WITH ORDINALITY AS t(ns, wf, id, version, params, trig, schedule, retention, parent, ord)
             ORDER BY t.ord
             ON CONFLICT (namespace, workflow_name, id) DO NOTHING
             RETURNING *
           ), ob AS (
             INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
             SELECT namespace, workflow_name, id, 'workflow_queued', json_build_object('trigger', trigger_source)::text, $1 FROM ins ORDER BY pk
           )
           SELECT * FROM ins`,
          [
            now,
            fresh.map((i) => i.namespace),
            fresh.map((i) => i.workflowName),
            fresh.map((i) => i.id),
            fresh.map((i) => i.versionId),
            fresh.map((i) => i.params),
            fresh.map((i) => i.triggerSource),
            fresh.map((i) => json(i.schedule)),
            fresh.map((i) => json(i.retention)),
            fresh.map((i) => json(i.parent)),
          ],
        );
        for (const row of rows) byKey.set(keyOf(row.namespace as string, row.workflow_name as string, row.id as string), toInstance(row));
      }
      if (options.cron) {
        const { namespace, workflowName, cron, scheduledAt } = options.cron;
        await c.query(
          `INSERT INTO engine_cron_state (namespace, workflow_name, cron, last_scheduled_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (namespace, workflow_name, cron) DO UPDATE SET last_scheduled_at = greatest(engine_cron_state.last_scheduled_at, excluded.last_scheduled_at)`,
          [namespace, workflowName, cron, scheduledAt],
        );
      }
      if (byKey.size > 0) await this.#notifyIn(c, now, true);
      return byKey;
    });
    const outcomes: CreateOutcome[] = [];
    const taken = new Set<string>();
    for (const item of items) {
      const key = keyOf(item.namespace, item.workflowName, item.id);
      const instance = created.get(key);
      if (instance && !taken.has(key)) {
        taken.add(key);
        outcomes.push({ ok: true, instance });
      } else {
        outcomes.push({ ok: false, code: 'ALREADY_EXISTS' });
      }
    }
    if (created.size > 0) {
      this.#emit({ kind: 'due', at: now });
      this.#outboxWritten();
    }
    return outcomes;
  }

  async findInstance(key: InstanceKey): Promise<InstanceRow | undefined> {
    const rows = await this.#q(
      'store.findInstance',
      'SELECT * FROM engine_instances WHERE namespace = $1 AND workflow_name = $2 AND id = $3',
      [key.namespace, key.workflowName, key.instanceId],
      'engine_find_instance',
    );
    return rows[0] ? toInstance(rows[0]) : undefined;
  }

  async listInstances(query: InstanceQuery): Promise<{ rows: InstanceListRow[]; total: number }> {
    const op = 'store.listInstances';
    const values: unknown[] = [query.namespace, query.workflowName];
    const where: string[] = ['namespace = $1', 'workflow_name = $2'];
    const add = (clause: (p: (value: unknown) => string) => string): void => {
      where.push(clause((value) => `$${values.push(value)}`));
    };
    if (query.statuses && query.statuses.length > 0) add((p) => `status = ANY(${p(query.statuses)}::text[])`);
    if (query.createdFrom !== undefined) add((p) => `created_at >= ${p(query.createdFrom)}`);
    if (query.createdTo !== undefined) add((p) => `created_at <= ${p(query.createdTo)}`);
    const total = await this.#q<{ n: number }>(op, `SELECT count(*)::int AS n FROM engine_instances WHERE ${where.join(' AND ')}`, [...values]);
    const asc = query.direction === 'asc';
    if (query.after) {
      const after = query.after;
      add((p) => {
        const at = p(after.createdAt);
        const id = p(after.id);
        return asc ? `(created_at > ${at} OR (created_at = ${at} AND id > ${id}))` : `(created_at < ${at} OR (created_at = ${at} AND id < ${id}))`;
      });
    }
    const order = asc ? 'created_at ASC, id ASC' : 'created_at DESC, id DESC';
    values.push(query.limit, query.offset ?? 0);
    const rows = await this.#q(op, `SELECT ${LIST_COLUMNS} FROM engine_instances WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $${values.length - 1} OFFSET $${values.length}`, values);
    return { rows: rows.map(toListRow), total: total[0]?.n ?? 0 };
  }

  async listSteps(pk: number): Promise<StepRow[]> {
    return (await this.#q('store.listSteps', 'SELECT * FROM engine_steps WHERE instance_pk = $1 ORDER BY seq', [pk], 'engine_list_steps')).map(toStep);
  }

  async countSteps(pk: number): Promise<number> {
    const rows = await this.#q<{ n: number }>('store.countSteps', 'SELECT count(*)::int AS n FROM engine_steps WHERE instance_pk = $1', [pk], 'engine_count_steps');
    return rows[0]?.n ?? 0;
  }

  async findStep(pk: number, key: string): Promise<StepRow | undefined> {
    const rows = await this.#q('store.findStep', 'SELECT * FROM engine_steps WHERE instance_pk = $1 AND key = $2', [pk, key]);
    return rows[0] ? toStep(rows[0]) : undefined;
  }

  async listPendingEvents(pk: number): Promise<PendingEvent[]> {
    const rows = await this.#q(
      'store.listPendingEvents',
      'SELECT id, type, payload, created_at FROM engine_events WHERE instance_pk = $1 AND consumed_by IS NULL ORDER BY id',
      [pk],
      'engine_pending_events',
    );
    return rows.map(toPending);
  }

  async sendEvent(key: InstanceKey, event: { type: string; payload: string; now: number }): Promise<SendEventOutcome> {
    const outcome = await this.#tx('store.sendEvent', async (c) => {
      // The row lock orders this against a concurrent suspend: either the suspend sees the event, or this sees `waiting`.
      const target = await this.#lockInstance(c, key.namespace, key.workflowName, key.instanceId);
      if (!target) throw new PetrelError('INSTANCE_NOT_FOUND', `instances.sendEvent: no instance "${key.instanceId}" of workflow "${key.workflowName}"`);
      if (isFinalInstanceStatus(target.status)) {
        throw new PetrelError('INVALID_TRANSITION', `instances.sendEvent: instance "${key.instanceId}" is ${target.status} and takes no events`);
      }
      const woke = await this.#deliverEvent(c, target, event.type, event.payload, event.now);
      await this.#outbox(c, target, [{ kind: 'event_received', payload: { type: event.type } }], event.now);
      await this.#notifyIn(c, woke ? event.now : undefined, true);
      return { status: target.status, woke };
    });
    if (outcome.woke) this.#emit({ kind: 'due', at: event.now });
    this.#outboxWritten();
    return outcome;
  }

  async applyTransition(t: Transition): Promise<boolean> {
    const applied = await this.#tx('store.applyTransition', async (c) => {
      const { rows } = await c.query<{ status: InstanceStatus; epoch: string; namespace: string; workflow_name: string; id: string; parent: string | null }>(
        'SELECT status, epoch, namespace, workflow_name, id, parent FROM engine_instances WHERE pk = $1 FOR UPDATE',
        [t.pk],
      );
      const current = rows[0];
      if (!current || current.status !== t.expect.status || Number(current.epoch) !== t.expect.epoch) return false;
      const values: unknown[] = [t.now];
      const sets: string[] = ['modified_at = $1'];
      patchSets(t.set, sets, values);
      if (t.revokeLease) sets.push('epoch = epoch + 1', 'lease_owner = NULL');
      values.push(t.pk);
      await c.query(`UPDATE engine_instances SET ${sets.join(', ')} WHERE pk = $${values.length}`, values);
      if (t.deleteSteps !== undefined) {
        const fromSeq = t.deleteSteps === 'all' ? -2_147_483_648 : t.deleteSteps.fromSeq;
        await c.query('DELETE FROM engine_events WHERE instance_pk = $1 AND consumed_by IN (SELECT key FROM engine_steps WHERE instance_pk = $1 AND seq >= $2)', [t.pk, fromSeq]);
        await c.query('DELETE FROM engine_steps WHERE instance_pk = $1 AND seq >= $2', [t.pk, fromSeq]);
      }
      if (t.shiftWaitsMs !== undefined && t.shiftWaitsMs !== 0) {
        await c.query("UPDATE engine_steps SET wake_at = wake_at + $1 WHERE instance_pk = $2 AND status IN ('waiting','running') AND wake_at IS NOT NULL", [t.shiftWaitsMs, t.pk]);
      }
      for (const row of t.addSteps ?? []) await this.#upsertStep(c, t.pk, row);
      await this.#outbox(c, current, t.events, t.now);
      if (isFinalInstanceStatus(t.set.status)) await this.#notifyParent(c, current, t.set.status, t.set.output ?? null, t.set.error ?? null, t.now);
      await this.#notifyIn(c, t.set.dueAt ?? t.now, true);
      return true;
    });
    if (applied) {
      this.#emit({ kind: 'due', at: t.set.dueAt ?? t.now });
      this.#outboxWritten();
    }
    return applied;
  }

  // Workers ------------------------------------------------------------------------------------

  async claim(request: ClaimRequest): Promise<ClaimedInstance[]> {
    if (request.limit <= 0 || request.versionIds.length === 0) return [];
    const op = 'store.claim';
    const { now } = request;
    const versionIds = [...request.versionIds];
    const free = await this.#q(op, CLAIM_FREE_SQL, [now, versionIds, request.limit, request.owner, now + request.leaseMs], 'engine_claim_free');
    const claimed = free[0]?.limited_due === true ? await this.#claimLimited(request, versionIds) : free.filter((row) => row.pk !== null);
    if (claimed.length > 0) this.#outboxWritten();
    return claimed.map((row) => {
      const instance = toInstance(row);
      return { instance, lease: { pk: instance.pk, epoch: instance.epoch }, previousStatus: row.previous_status as InstanceStatus };
    });
  }

  /** Claims when workflows with a concurrency limit have due instances (and takes unlimited ones too). */
  async #claimLimited(request: ClaimRequest, versionIds: string[]): Promise<Row[]> {
    const { now } = request;
    return this.#tx('store.claim', async (c) => {
      // The limited workflows among the due work are locked to the end of this transaction, so
      // claims of one limited workflow serialize across processes, and the count below (a later
      // statement, so a fresh snapshot) sees every earlier claim.
      const limited = await c.query<{ namespace: string; name: string; concurrency: number }>(
        {
          name: 'engine_claim_limited',
          text: `SELECT w.namespace, w.name, w.concurrency FROM engine_workflows w
                 WHERE w.concurrency IS NOT NULL AND EXISTS (
                   SELECT 1 FROM engine_instances i WHERE i.namespace = w.namespace AND i.workflow_name = w.name
                     AND i.due_at IS NOT NULL AND i.due_at <= $1 AND i.version_id = ANY($2::text[]))
                 ORDER BY w.namespace, w.name FOR UPDATE OF w`,
        },
        [now, versionIds],
      );
      const saturated: string[] = [];
      const limitKeys: string[] = [];
      const limitLeft: number[] = [];
      if (limited.rows.length > 0) {
        const active = await c.query<{ namespace: string; workflow_name: string; n: number }>(
          `SELECT i.namespace, i.workflow_name, count(*)::int AS n FROM engine_instances i
           JOIN unnest($1::text[], $2::text[]) AS w(namespace, name) ON i.namespace = w.namespace AND i.workflow_name = w.name
           WHERE i.status IN ${ACTIVE_STATUSES} AND i.due_at > $3 GROUP BY i.namespace, i.workflow_name`,
          [limited.rows.map((w) => w.namespace), limited.rows.map((w) => w.name), now],
        );
        const counts = new Map(active.rows.map((r) => [`${r.namespace}/${r.workflow_name}`, r.n]));
        for (const w of limited.rows) {
          const key = `${w.namespace}/${w.name}`;
          const remaining = w.concurrency - (counts.get(key) ?? 0);
          if (remaining <= 0) saturated.push(key);
          else {
            limitKeys.push(key);
            limitLeft.push(remaining);
          }
        }
      }
      const { rows } = await c.query(
        { name: 'engine_claim', text: CLAIM_SQL },
        [now, versionIds, saturated, request.limit * 2 + 8, limitKeys, limitLeft, request.limit, request.owner, now + request.leaseMs],
      );
      return rows;
    });
  }

  async findDueVersions(query: { now: number; exclude: readonly string[]; limit: number }): Promise<DueVersion[]> {
    const rows = await this.#q(
      'store.findDueVersions',
      `SELECT DISTINCT namespace, workflow_name, version_id FROM engine_instances
       WHERE due_at IS NOT NULL AND due_at <= $1 AND NOT (version_id = ANY($2::text[])) LIMIT $3`,
      [query.now, [...query.exclude], query.limit],
      'engine_due_versions',
    );
    return rows.map((r) => ({ namespace: r.namespace as string, workflowName: r.workflow_name as string, versionId: r.version_id as string }));
  }

  async markDue(versionIds: readonly string[], now: number, reason: StatusReason | null): Promise<void> {
    await this.#q('store.markDue', 'UPDATE engine_instances SET status_reason = $1 WHERE due_at IS NOT NULL AND due_at <= $2 AND version_id = ANY($3::text[])', [
      json(reason),
      now,
      [...versionIds],
    ]);
  }

  async nextDueAt(versionIds: readonly string[]): Promise<number | undefined> {
    if (versionIds.length === 0) return undefined;
    const rows = await this.#q<{ due_at: string }>(
      'store.nextDueAt',
      'SELECT due_at FROM engine_instances WHERE due_at IS NOT NULL AND version_id = ANY($1::text[]) ORDER BY due_at LIMIT 1',
      [[...versionIds]],
      'engine_next_due',
    );
    return rows[0] ? Number(rows[0].due_at) : undefined;
  }

  async renewLeases(leases: readonly Lease[], now: number, leaseMs: number): Promise<Lease[]> {
    if (leases.length === 0) return [];
    const rows = await this.#q<{ pk: string }>(
      'store.renewLeases',
      `UPDATE engine_instances i SET due_at = $1 FROM unnest($2::bigint[], $3::bigint[]) AS l(pk, epoch) WHERE i.pk = l.pk AND i.epoch = l.epoch RETURNING i.pk`,
      [now + leaseMs, leases.map((l) => l.pk), leases.map((l) => l.epoch)],
      'engine_renew',
    );
    const kept = new Set(rows.map((r) => Number(r.pk)));
    return leases.filter((lease) => !kept.has(lease.pk));
  }

  async recordSteps(lease: Lease, writes: readonly StepWrite[], now: number): Promise<InstanceStatus> {
    const op = 'store.recordSteps';
    let status: InstanceStatus;
    const only = writes.length === 1 ? writes[0] : undefined;
    if (only && only.consumeEventId === undefined) {
      const rows = await this.#q<{ status: InstanceStatus; written: number }>(
        op,
        RECORD_STEP_SQL,
        [
          ...stepValues(lease.pk, only.row, 'native'),
          lease.epoch,
          now,
          only.events.map((e) => e.kind),
          only.events.map((e) => (outboxPayload(e))),
        ],
        'engine_record_step',
      );
      const row = rows[0];
      if (!row) throw new PetrelError('LEASE_LOST', `${op}: the lease on instance ${lease.pk} (epoch ${lease.epoch}) is no longer held`);
      if (row.written === 0) throw new PetrelError('INTERNAL', `${op}: step "${only.row.key}" of instance ${lease.pk} is already final`);
      status = row.status;
    } else {
      status = await this.#tx(op, async (c) => {
        const ident = await this.#fence(c, lease, op, 'SHARE');
        for (const write of writes) {
          if ((await this.#upsertStep(c, lease.pk, write.row)) === 0) {
            throw new PetrelError('INTERNAL', `${op}: step "${write.row.key}" of instance ${ident.id} is already final`);
          }
          if (write.consumeEventId !== undefined) {
            const consumed = await c.query('UPDATE engine_events SET consumed_by = $1 WHERE id = $2 AND consumed_by IS NULL', [write.row.key, write.consumeEventId]);
            if (consumed.rowCount === 0) throw new PetrelError('INTERNAL', `${op}: event ${write.consumeEventId} of instance ${ident.id} was already consumed`);
          }
          await this.#outbox(c, ident, write.events, now);
        }
        return ident.status;
      });
    }
    this.#outboxWritten();
    return status;
  }

  async setRunStatus(lease: Lease, patch: InstancePatch, events: OutboxEventInput[], now: number): Promise<void> {
    const op = 'store.setRunStatus';
    await this.#tx(op, async (c) => {
      const ident = await this.#fence(c, lease, op, 'UPDATE');
      const values: unknown[] = [now];
      const sets: string[] = ['modified_at = $1'];
      patchSets(patch, sets, values);
      values.push(lease.pk);
      await c.query(`UPDATE engine_instances SET ${sets.join(', ')} WHERE pk = $${values.length}`, values);
      await this.#outbox(c, ident, events, now);
    });
    this.#outboxWritten();
  }

  async suspend(lease: Lease, s: Suspension): Promise<SuspendOutcome> {
    const op = 'store.suspend';
    const outcome = await this.#tx(op, async (c): Promise<SuspendOutcome> => {
      // The fence locks the row first; the next statement (a fresh snapshot) then sees any event a
      // concurrent sendEvent committed before it got the lock, so a wake-up is never lost.
      const ident = await this.#fence(c, lease, op, 'UPDATE');
      if (ident.status === 'waitingForPause') {
        await c.query(
          `UPDATE engine_instances SET status = 'paused', paused_at = $1, due_at = NULL, waiting_for = NULL, lease_owner = NULL, epoch = epoch + 1, modified_at = $1 WHERE pk = $2`,
          [s.now, lease.pk],
        );
        await this.#outbox(c, ident, [{ kind: 'workflow_paused' }], s.now);
        return 'paused';
      }
      const keep = ident.status === 'rollingBack' ? 'rollingBack' : 'running';
      const waitStatus = keep === 'rollingBack' ? 'rollingBack' : 'waiting';
      const { rows } = await c.query<{ due: boolean }>(
        {
          name: 'engine_suspend',
          text: `WITH ev AS (
                   SELECT ($2::boolean OR EXISTS (SELECT 1 FROM engine_events WHERE instance_pk = $1 AND consumed_by IS NULL AND type = ANY($3::text[]))) AS due
                 ), u AS (
                   UPDATE engine_instances i SET status = CASE WHEN ev.due THEN $4::text ELSE $5::text END,
                     due_at = CASE WHEN ev.due THEN $6::bigint ELSE $7::bigint END,
                     waiting_for = CASE WHEN ev.due THEN NULL ELSE $8::text END,
                     lease_owner = NULL, epoch = i.epoch + 1, modified_at = $6::bigint
                   FROM ev WHERE i.pk = $1 RETURNING ev.due
                 ), o AS (
                   INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
                   SELECT $9, $10, $11, 'workflow_waiting', $12, $6::bigint FROM u WHERE NOT u.due AND $5::text = 'waiting'
                 ), n AS (
                   SELECT pg_notify($13, $14) FROM u WHERE u.due
                 )
                 SELECT u.due, (SELECT count(*) FROM n) AS notified FROM u`,
        },
        [
          lease.pk,
          s.pausing,
          s.waitingFor,
          keep,
          waitStatus,
          s.now,
          s.dueAt,
          s.waitingFor.length > 0 ? JSON.stringify(s.waitingFor) : null,
          ident.namespace,
          ident.workflow_name,
          ident.id,
          JSON.stringify({ wakeAt: s.dueAt, eventTypes: s.waitingFor }),
          this.#channel,
          // Due now (an awaited event is here): any worker with a free slot may take it. A later due
          // time needs no message: every worker's timer is armed from the due-time index.
          JSON.stringify({ o: this.#origin, due: s.now }),
        ],
      );
      return rows[0]?.due ? 'due' : 'waiting';
    });
    this.#emit({ kind: 'due', at: outcome === 'waiting' ? s.dueAt : s.now });
    this.#outboxWritten();
    return outcome;
  }

  async finish(lease: Lease, f: Finish): Promise<void> {
    const op = 'store.finish';
    // One statement when the instance has no parent to tell (the common case).
    const rows = await this.#q<{ fenced: number; done: number }>(
      op,
      `WITH f AS (
         SELECT pk, namespace, workflow_name, id, parent FROM engine_instances WHERE pk = $1 AND epoch = $2 FOR UPDATE
       ), u AS (
         UPDATE engine_instances i SET status = $3, output = $4, error = $5, rollback = $6, ended_at = $7, modified_at = $7, purge_at = $8, due_at = NULL,
           waiting_for = NULL, pending_error = NULL, lease_owner = NULL, epoch = i.epoch + 1
         FROM f WHERE i.pk = f.pk AND f.parent IS NULL
         RETURNING i.pk
       ), o AS (
         INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at)
         SELECT f.namespace, f.workflow_name, f.id, e.kind, e.payload, $7 FROM f CROSS JOIN u CROSS JOIN unnest($9::text[], $10::text[]) WITH ORDINALITY AS e(kind, payload, ord)
         ORDER BY e.ord
       )
       SELECT (SELECT count(*) FROM f)::int AS fenced, (SELECT count(*) FROM u)::int AS done`,
      [
        lease.pk,
        lease.epoch,
        f.status,
        f.output ?? null,
        json(f.error),
        json(f.rollback),
        f.now,
        f.purgeAt,
        f.events.map((e) => e.kind),
        f.events.map((e) => (outboxPayload(e))),
      ],
      'engine_finish',
    );
    if (!rows[0]?.fenced) throw new PetrelError('LEASE_LOST', `${op}: the lease on instance ${lease.pk} (epoch ${lease.epoch}) is no longer held`);
    if (rows[0].done) {
      this.#outboxWritten();
      return;
    }
    const wokeParent = await this.#tx(op, async (c) => {
      const ident = await this.#fence(c, lease, op, 'UPDATE');
      await c.query(
        `UPDATE engine_instances SET status = $1, output = $2, error = $3, rollback = $4, ended_at = $5, modified_at = $5, purge_at = $6, due_at = NULL,
           waiting_for = NULL, pending_error = NULL, lease_owner = NULL, epoch = epoch + 1
         WHERE pk = $7`,
        [f.status, f.output ?? null, json(f.error), json(f.rollback), f.now, f.purgeAt, lease.pk],
      );
      await this.#outbox(c, ident, f.events, f.now);
      const woke = await this.#notifyParent(c, ident, f.status, f.output ?? null, f.error ?? null, f.now);
      if (woke) await this.#notifyIn(c, f.now, true);
      return woke;
    });
    if (wokeParent) this.#emit({ kind: 'due', at: f.now });
    this.#outboxWritten();
  }

  async release(lease: Lease, options: { now: number; dueAt: number }): Promise<void> {
    await this.#q(
      'store.release',
      `WITH u AS (UPDATE engine_instances SET due_at = $1, lease_owner = NULL, epoch = epoch + 1, modified_at = $2 WHERE pk = $3 AND epoch = $4 RETURNING 1)
       SELECT pg_notify($5, $6) FROM u`,
      [options.dueAt, options.now, lease.pk, lease.epoch, this.#channel, JSON.stringify({ o: this.#origin, due: options.dueAt })],
    );
    this.#emit({ kind: 'due', at: options.dueAt });
  }

  async releaseOwner(owner: string, now: number): Promise<number> {
    const rows = await this.#q<{ n: number }>(
      'store.releaseOwner',
      `WITH u AS (UPDATE engine_instances SET due_at = $1, lease_owner = NULL, epoch = epoch + 1 WHERE lease_owner = $2 RETURNING 1),
            n AS (SELECT count(*)::int AS n FROM u),
            x AS (SELECT pg_notify($3, $4) FROM n WHERE n.n > 0)
       SELECT n.n, (SELECT count(*) FROM x) AS notified FROM n`,
      [now, owner, this.#channel, JSON.stringify({ o: this.#origin, due: now })],
    );
    const changes = rows[0]?.n ?? 0;
    if (changes > 0) this.#emit({ kind: 'due', at: now });
    return changes;
  }

  // Cron ---------------------------------------------------------------------------------------

  async listSchedules(): Promise<ScheduleRow[]> {
    const op = 'store.listSchedules';
    const rows = await this.#q(op, "SELECT namespace, name, current_version_id, schedules FROM engine_workflows WHERE schedules <> '[]'", [], 'engine_list_schedules');
    if (rows.length === 0) return [];
    const state = await this.#q(op, 'SELECT namespace, workflow_name, cron, last_scheduled_at FROM engine_cron_state', [], 'engine_cron_state');
    return toSchedules(rows, state);
  }

  async markCron(mark: CronMark): Promise<void> {
    await this.#q('store.markCron', 'INSERT INTO engine_cron_state (namespace, workflow_name, cron, last_scheduled_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      mark.namespace,
      mark.workflowName,
      mark.cron,
      mark.scheduledAt,
    ]);
  }

  // Outbox -------------------------------------------------------------------------------------

  async readOutbox(query: { afterSeq: number; limit: number; namespace?: string }): Promise<OutboxEvent[]> {
    const op = 'store.readOutbox';
    await this.#sequence(op);
    const rows =
      query.namespace === undefined
        ? await this.#q(op, 'SELECT * FROM engine_outbox WHERE seq > $1 ORDER BY seq LIMIT $2', [query.afterSeq, query.limit], 'engine_read_outbox')
        : await this.#q(op, 'SELECT * FROM engine_outbox WHERE seq > $1 AND namespace = $2 ORDER BY seq LIMIT $3', [query.afterSeq, query.namespace, query.limit], 'engine_read_outbox_ns');
    return rows.map(toOutbox);
  }

  async latestOutboxSeq(): Promise<number> {
    const op = 'store.latestOutboxSeq';
    await this.#sequence(op);
    const rows = await this.#q<{ seq: string | null }>(op, 'SELECT max(seq) AS seq FROM engine_outbox', [], 'engine_latest_seq');
    return num(rows[0]?.seq) ?? 0;
  }

  async ackOutbox(consumer: string, seq: number, now: number): Promise<void> {
    await this.#q(
      'store.ackOutbox',
      `INSERT INTO engine_outbox_cursors (consumer, seq, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (consumer) DO UPDATE SET seq = greatest(engine_outbox_cursors.seq, excluded.seq), updated_at = excluded.updated_at`,
      [consumer, seq, now],
    );
  }

  async findOutboxCursor(consumer: string): Promise<number | undefined> {
    const rows = await this.#q<{ seq: string }>('store.findOutboxCursor', 'SELECT seq FROM engine_outbox_cursors WHERE consumer = $1', [consumer]);
    return rows[0] ? Number(rows[0].seq) : undefined;
  }

  async pruneOutbox(query: { throughSeq?: number; olderThan?: number; limit: number }): Promise<number> {
    const op = 'store.pruneOutbox';
    // Numbered first, so that "the newest event is kept" means the newest one written, not the newest numbered.
    while ((await this.#sequence(op)) === SEQUENCE_BATCH);
    const rows = await this.#q<{ n: number }>(
      op,
      `WITH d AS (
         DELETE FROM engine_outbox WHERE id IN (
           SELECT id FROM engine_outbox WHERE seq IS NOT NULL AND seq <= $1 AND created_at < $2
             AND seq < (SELECT max(seq) FROM engine_outbox) ORDER BY seq LIMIT $3)
         RETURNING 1)
       SELECT count(*)::int AS n FROM d`,
      [query.throughSeq ?? Number.MAX_SAFE_INTEGER, query.olderThan ?? Number.MAX_SAFE_INTEGER, query.limit],
    );
    return rows[0]?.n ?? 0;
  }

  // Retention ----------------------------------------------------------------------------------

  async purgeInstances(now: number, limit: number): Promise<number> {
    const rows = await this.#q<{ n: number }>(
      'store.purgeInstances',
      `WITH d AS (
         DELETE FROM engine_instances WHERE pk IN (
           SELECT pk FROM engine_instances WHERE purge_at IS NOT NULL AND purge_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING pk),
       s AS (DELETE FROM engine_steps WHERE instance_pk IN (SELECT pk FROM d)),
       e AS (DELETE FROM engine_events WHERE instance_pk IN (SELECT pk FROM d))
       SELECT count(*)::int AS n FROM d`,
      [now, limit],
    );
    return rows[0]?.n ?? 0;
  }

  // Snapshots ----------------------------------------------------------------------------------

  async exportInstance(key: InstanceKey): Promise<InstanceSnapshot | undefined> {
    const row = await this.findInstance(key);
    if (!row) return undefined;
    const { pk, ...instance } = row;
    const steps = await this.listSteps(pk);
    const events = (await this.#q('store.exportInstance', 'SELECT type, payload, created_at, consumed_by FROM engine_events WHERE instance_pk = $1 ORDER BY id', [pk])).map(toSnapshotEvent);
    return { instance, steps, events };
  }

  async importInstance(snapshot: InstanceSnapshot): Promise<void> {
    const i = snapshot.instance;
    await this.#tx('store.importInstance', async (c) => {
      const { rows } = await c.query<{ pk: string }>(
        `INSERT INTO engine_instances (${INSTANCE_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26) RETURNING pk`,
        instanceValues(i),
      );
      const pk = Number(rows[0]!.pk);
      for (const step of snapshot.steps) await this.#upsertStep(c, pk, step);
      for (const event of snapshot.events) {
        await c.query('INSERT INTO engine_events (instance_pk, type, payload, created_at, consumed_by) VALUES ($1, $2, $3, $4, $5)', [pk, event.type, event.payload, event.createdAt, event.consumedBy]);
      }
      if (i.dueAt !== null) await this.#notifyIn(c, i.dueAt, false);
    });
    if (i.dueAt !== null) this.#emit({ kind: 'due', at: i.dueAt });
  }

  // Lifecycle ----------------------------------------------------------------------------------

  subscribe(listener: (notification: StoreNotification) => void): () => void {
    this.#listeners.add(listener);
    this.#startListener();
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#outboxTimer);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => {});
    if (this.#ownPool) await this.#pool.end().catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
