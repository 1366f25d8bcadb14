// The SQLite adapter of the Store port, through better-sqlite3: one file under the data directory,
// WAL journal, `synchronous=NORMAL` by default (a process crash loses nothing committed; a power
// loss may lose the last commits — `synchronous: 'FULL'` closes that gap at a cost per commit).
// better-sqlite3 is synchronous, so every method runs its transaction to completion before it
// returns its promise; write transactions are IMMEDIATE so several processes may share the file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PetrelError, isFinalInstanceStatus } from '@petrel/protocol';
import type { InstanceStatus } from '@petrel/protocol';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
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
  toStep,
  toVersion,
  toWorkflow,
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

/** Options of `createSqliteStore`. */
export type SqliteStoreOptions = {
  /** Directory of the database; the file is `<dataDir>/petrel.db` and the directory is created when missing. */
  dataDir?: string;
  /** Path of the database file, or `":memory:"`; overrides `dataDir`. One of the two is required. */
  path?: string;
  /** `"NORMAL"` (default: survives process crashes) or `"FULL"` (also survives power loss; slower commits). */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process's lock, in ms; default 5000. */
  busyTimeoutMs?: number;
};

/** The database file of a data directory: `<dataDir>/petrel.db`. */
export function sqliteDatabasePath(dataDir: string): string {
  return join(dataDir, 'petrel.db');
}

/** Opens (creating when missing) the engine's SQLite database and runs its migrations. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const path = options.path ?? (options.dataDir === undefined ? undefined : sqliteDatabasePath(options.dataDir));
  if (path === undefined) throw new PetrelError('VALIDATION_FAILED', 'createSqliteStore: give a dataDir or a path');
  if (options.synchronous !== undefined && options.synchronous !== 'NORMAL' && options.synchronous !== 'FULL') {
    throw new PetrelError('VALIDATION_FAILED', 'createSqliteStore: synchronous must be "NORMAL" or "FULL"');
  }
  if (options.path === undefined && options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw new PetrelError('STORE_UNAVAILABLE', `createSqliteStore: cannot open the database file (${(error as Error).message})`, { cause: error });
  }
  applyPragmas(db, options.synchronous ?? 'NORMAL');
  migrate(db);
  return new SqliteStore(db);
}

/** Applies the connection settings the engine relies on; the benchmark's floor uses the same. */
export function applyPragmas(db: Database.Database, synchronous: 'NORMAL' | 'FULL'): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('foreign_keys = OFF');
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -32000');
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS engine_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const run = db.transaction(() => {
    const applied = new Set((db.prepare('SELECT version FROM engine_migrations').all() as Array<{ version: number }>).map((r) => r.version));
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      db.prepare('INSERT INTO engine_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, Date.now());
    }
  });
  run.immediate();
}

class SqliteStore implements Store {
  readonly dialect = 'sqlite';
  readonly #db: Database.Database;
  readonly #listeners = new Set<(notification: StoreNotification) => void>();
  #closed = false;
  readonly #s: ReturnType<typeof prepareStatements>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#s = prepareStatements(db);
  }

  #notify(notification: StoreNotification): void {
    for (const listener of this.#listeners) listener(notification);
  }

  #lastSeq = 0;

  #notifyOutbox(): void {
    if (this.#listeners.size === 0 || this.#lastSeq === 0) return;
    this.#notify({ kind: 'outbox', seq: this.#lastSeq });
  }

  #latestSeq(): number {
    const row = this.#s.latestSeq.get() as { seq: number | null } | undefined;
    return row?.seq ?? 0;
  }

  #tx<T>(fn: () => T): T {
    if (this.#closed) throw new PetrelError('STORE_UNAVAILABLE', 'store: the SQLite store is closed');
    // BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read.
    this.#s.begin.run();
    try {
      const result = fn();
      this.#s.commit.run();
      return result;
    } catch (error) {
      if (this.#db.inTransaction) this.#s.rollback.run();
      throw error;
    }
  }

  #outbox(ident: { namespace: string; workflow_name: string; id: string }, events: readonly OutboxEventInput[], now: number): void {
    for (const event of events) {
      this.#lastSeq = Number(
        this.#s.insertOutbox.run(ident.namespace, ident.workflow_name, ident.id, event.kind, outboxPayload(event), now)
          .lastInsertRowid,
      );
    }
  }

  #fence(lease: Lease, op: string): { status: InstanceStatus; namespace: string; workflow_name: string; id: string; waiting_for: string | null; parent: string | null } {
    const row = this.#s.fence.get(lease.pk, lease.epoch) as
      | { status: InstanceStatus; namespace: string; workflow_name: string; id: string; waiting_for: string | null; parent: string | null }
      | undefined;
    if (!row) throw new PetrelError('LEASE_LOST', `${op}: the lease on instance ${lease.pk} (epoch ${lease.epoch}) is no longer held`);
    return row;
  }

  #upsertStep(pk: number, row: StepRow): number {
    return this.#s.upsertStep.run(...stepValues(pk, row, 'integer')).changes;
  }

  /** Buffers an event for an instance and wakes it when it waits for that type. */
  #deliverEvent(target: { pk: number; status: InstanceStatus; waiting_for: string | null }, type: string, payload: string, now: number): boolean {
    this.#s.insertEvent.run(target.pk, type, payload, now);
    if (target.status !== 'waiting') return false;
    const waitingFor = parse<string[]>(target.waiting_for) ?? [];
    if (!waitingFor.includes(type)) return false;
    this.#s.wake.run(now, now, target.pk);
    return true;
  }

  #notifyParent(child: { namespace: string; workflow_name: string; id: string; parent: string | null }, status: string, output: string | null, error: unknown, now: number): boolean {
    const parent = parse<ParentRef>(child.parent);
    if (!parent) return false;
    const target = this.#s.findInstanceLite.get(parent.namespace, parent.workflowName, parent.instanceId) as
      | { pk: number; status: InstanceStatus; waiting_for: string | null; namespace: string; workflow_name: string; id: string }
      | undefined;
    if (!target || isFinalInstanceStatus(target.status)) return false;
    const woke = this.#deliverEvent(target, parent.eventType, childResultPayload(child, status, output, error), now);
    this.#outbox(target, [{ kind: 'event_received', payload: { type: parent.eventType, from: child.id } }], now);
    return woke;
  }

  // Workflows and versions -------------------------------------------------------------------

  async upsertWorkflow(input: WorkflowUpsert): Promise<WorkflowRow> {
    return this.#tx(() => {
      const existing = this.#s.findWorkflow.get(input.namespace, input.name) as Row | undefined;
      if (!existing) {
        this.#s.insertWorkflow.run(
          input.namespace,
          input.name,
          input.id,
          input.now,
          input.now,
          input.currentVersionId ?? null,
          input.className ?? null,
          input.concurrency ?? null,
          JSON.stringify(input.schedules ?? []),
          json(input.retention),
          input.stepLimit ?? null,
        );
      } else {
        const sets: string[] = ['modified_at = ?'];
        const values: unknown[] = [input.now];
        for (const [column, value] of workflowAssignments(input)) {
          sets.push(`${column} = ?`);
          values.push(value);
        }
        this.#db.prepare(`UPDATE engine_workflows SET ${sets.join(', ')} WHERE namespace = ? AND name = ?`).run(...values, input.namespace, input.name);
      }
      return toWorkflow(this.#s.findWorkflow.get(input.namespace, input.name) as Row);
    });
  }

  async findWorkflow(namespace: string, name: string): Promise<WorkflowRow | undefined> {
    const row = this.#s.findWorkflow.get(namespace, name) as Row | undefined;
    return row ? toWorkflow(row) : undefined;
  }

  async listWorkflows(query: { namespace: string; search?: string; offset: number; limit: number }): Promise<{ rows: WorkflowRow[]; total: number }> {
    const like = likePattern(query.search);
    const rows = this.#db
      .prepare(`SELECT * FROM engine_workflows WHERE namespace = ? AND name LIKE ? ESCAPE '\\' ORDER BY name LIMIT ? OFFSET ?`)
      .all(query.namespace, like, query.limit, query.offset) as Row[];
    const total = this.#db.prepare(`SELECT count(*) AS n FROM engine_workflows WHERE namespace = ? AND name LIKE ? ESCAPE '\\'`).get(query.namespace, like) as {
      n: number;
    };
    return { rows: rows.map(toWorkflow), total: total.n };
  }

  async deleteWorkflow(namespace: string, name: string): Promise<boolean> {
    return this.#tx(() => {
      const pks = (this.#db.prepare('SELECT pk FROM engine_instances WHERE namespace = ? AND workflow_name = ?').all(namespace, name) as Array<{ pk: number }>).map(
        (r) => r.pk,
      );
      for (const pk of pks) this.#deleteInstance(pk);
      this.#db.prepare('DELETE FROM engine_versions WHERE namespace = ? AND workflow_name = ?').run(namespace, name);
      this.#db.prepare('DELETE FROM engine_cron_state WHERE namespace = ? AND workflow_name = ?').run(namespace, name);
      return this.#db.prepare('DELETE FROM engine_workflows WHERE namespace = ? AND name = ?').run(namespace, name).changes > 0;
    });
  }

  async describeInstances(namespace: string, workflowName: string): Promise<{ counts: Partial<Record<InstanceStatus, number>>; lastCreatedAt: number | null }> {
    const rows = this.#db
      .prepare('SELECT status, count(*) AS n FROM engine_instances WHERE namespace = ? AND workflow_name = ? GROUP BY status')
      .all(namespace, workflowName) as Array<{ status: InstanceStatus; n: number }>;
    const last = this.#db.prepare('SELECT max(created_at) AS at FROM engine_instances WHERE namespace = ? AND workflow_name = ?').get(namespace, workflowName) as {
      at: number | null;
    };
    const counts: Partial<Record<InstanceStatus, number>> = {};
    for (const row of rows) counts[row.status] = row.n;
    return { counts, lastCreatedAt: num(last.at) };
  }

  async upsertVersion(version: VersionRow): Promise<VersionRow> {
    return this.#tx(() => {
      this.#db
        .prepare(
          'INSERT INTO engine_versions (id, namespace, workflow_name, version_key, class_name, created_at, graph) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(version.id, version.namespace, version.workflowName, version.versionKey, version.className, version.createdAt, json(version.graph));
      return toVersion(this.#db.prepare('SELECT * FROM engine_versions WHERE id = ?').get(version.id) as Row);
    });
  }

  async findVersion(namespace: string, workflowName: string, versionId: string): Promise<VersionRow | undefined> {
    const row = this.#db.prepare('SELECT * FROM engine_versions WHERE id = ? AND namespace = ? AND workflow_name = ?').get(versionId, namespace, workflowName) as
      | Row
      | undefined;
    return row ? toVersion(row) : undefined;
  }

  async listVersions(query: { namespace: string; workflowName: string; offset: number; limit: number }): Promise<{ rows: VersionRow[]; total: number }> {
    const rows = this.#db
      .prepare('SELECT * FROM engine_versions WHERE namespace = ? AND workflow_name = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?')
      .all(query.namespace, query.workflowName, query.limit, query.offset) as Row[];
    const total = this.#db.prepare('SELECT count(*) AS n FROM engine_versions WHERE namespace = ? AND workflow_name = ?').get(query.namespace, query.workflowName) as {
      n: number;
    };
    return { rows: rows.map(toVersion), total: total.n };
  }

  // Instances ----------------------------------------------------------------------------------

  async createInstances(items: NewInstance[], options: { now: number; cron?: CronMark }): Promise<CreateOutcome[]> {
    const { now } = options;
    const outcomes = this.#tx(() => {
      const results: CreateOutcome[] = [];
      for (const item of items) {
        const row = this.#s.insertInstance.get(
          item.namespace,
          item.workflowName,
          item.id,
          item.versionId,
          item.params,
          item.triggerSource,
          json(item.schedule),
          now,
          now,
          now,
          json(item.retention),
          json(item.parent),
        ) as Row | undefined;
        if (!row) {
          results.push({ ok: false, code: 'ALREADY_EXISTS' });
          continue;
        }
        const instance = toInstance(row);
        this.#outbox(row as { namespace: string; workflow_name: string; id: string }, [{ kind: 'workflow_queued', payload: { trigger: item.triggerSource } }], now);
        results.push({ ok: true, instance });
      }
      if (options.cron) {
        const { namespace, workflowName, cron, scheduledAt } = options.cron;
        this.#db
          .prepare(
            `INSERT INTO engine_cron_state (namespace, workflow_name, cron, last_scheduled_at) VALUES (?, ?, ?, ?)
             ON CONFLICT DO UPDATE SET last_scheduled_at = max(last_scheduled_at, excluded.last_scheduled_at)`,
          )
          .run(namespace, workflowName, cron, scheduledAt);
      }
      return results;
    });
    if (outcomes.some((o) => o.ok)) {
      this.#notify({ kind: 'due', at: now });
      this.#notifyOutbox();
    }
    return outcomes;
  }

  async findInstance(key: InstanceKey): Promise<InstanceRow | undefined> {
    const row = this.#s.findInstance.get(key.namespace, key.workflowName, key.instanceId) as Row | undefined;
    return row ? toInstance(row) : undefined;
  }

  async listInstances(query: InstanceQuery): Promise<{ rows: InstanceListRow[]; total: number }> {
    const where: string[] = ['namespace = ?', 'workflow_name = ?'];
    const values: unknown[] = [query.namespace, query.workflowName];
    if (query.statuses && query.statuses.length > 0) {
      where.push('status IN (SELECT value FROM json_each(?))');
      values.push(JSON.stringify(query.statuses));
    }
    if (query.createdFrom !== undefined) {
      where.push('created_at >= ?');
      values.push(query.createdFrom);
    }
    if (query.createdTo !== undefined) {
      where.push('created_at <= ?');
      values.push(query.createdTo);
    }
    const total = this.#db.prepare(`SELECT count(*) AS n FROM engine_instances WHERE ${where.join(' AND ')}`).get(...values) as { n: number };
    const asc = query.direction === 'asc';
    if (query.after) {
      where.push(asc ? '(created_at > ? OR (created_at = ? AND id > ?))' : '(created_at < ? OR (created_at = ? AND id < ?))');
      values.push(query.after.createdAt, query.after.createdAt, query.after.id);
    }
    const order = asc ? 'created_at ASC, id ASC' : 'created_at DESC, id DESC';
    const rows = this.#db
      .prepare(`SELECT ${LIST_COLUMNS} FROM engine_instances WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...values, query.limit, query.offset ?? 0) as Row[];
    return { rows: rows.map(toListRow), total: total.n };
  }

  async listSteps(pk: number): Promise<StepRow[]> {
    return (this.#s.listSteps.all(pk) as Row[]).map(toStep);
  }

  async countSteps(pk: number): Promise<number> {
    return (this.#db.prepare('SELECT count(*) AS n FROM engine_steps WHERE instance_pk = ?').get(pk) as { n: number }).n;
  }

  async findStep(pk: number, key: string): Promise<StepRow | undefined> {
    const row = this.#db.prepare('SELECT * FROM engine_steps WHERE instance_pk = ? AND key = ?').get(pk, key) as Row | undefined;
    return row ? toStep(row) : undefined;
  }

  async listPendingEvents(pk: number): Promise<PendingEvent[]> {
    return (this.#s.pendingEvents.all(pk) as Row[]).map(toPending);
  }

  async sendEvent(key: InstanceKey, event: { type: string; payload: string; now: number }): Promise<SendEventOutcome> {
    const outcome = this.#tx(() => {
      const target = this.#s.findInstanceLite.get(key.namespace, key.workflowName, key.instanceId) as
        | { pk: number; status: InstanceStatus; waiting_for: string | null; namespace: string; workflow_name: string; id: string }
        | undefined;
      if (!target) throw new PetrelError('INSTANCE_NOT_FOUND', `instances.sendEvent: no instance "${key.instanceId}" of workflow "${key.workflowName}"`);
      if (isFinalInstanceStatus(target.status)) {
        throw new PetrelError('INVALID_TRANSITION', `instances.sendEvent: instance "${key.instanceId}" is ${target.status} and takes no events`);
      }
      const woke = this.#deliverEvent(target, event.type, event.payload, event.now);
      this.#outbox(target, [{ kind: 'event_received', payload: { type: event.type } }], event.now);
      return { status: target.status, woke };
    });
    if (outcome.woke) this.#notify({ kind: 'due', at: event.now });
    this.#notifyOutbox();
    return outcome;
  }

  async applyTransition(t: Transition): Promise<boolean> {
    const applied = this.#tx(() => {
      const current = this.#db.prepare('SELECT status, epoch, namespace, workflow_name, id, parent FROM engine_instances WHERE pk = ?').get(t.pk) as
        | { status: InstanceStatus; epoch: number; namespace: string; workflow_name: string; id: string; parent: string | null }
        | undefined;
      if (!current || current.status !== t.expect.status || current.epoch !== t.expect.epoch) return false;
      const sets: string[] = ['modified_at = ?'];
      const values: unknown[] = [t.now];
      for (const [column, value] of patchAssignments(t.set)) {
        sets.push(`${column} = ?`);
        values.push(value);
      }
      if (t.revokeLease) sets.push('epoch = epoch + 1', 'lease_owner = NULL');
      this.#db.prepare(`UPDATE engine_instances SET ${sets.join(', ')} WHERE pk = ?`).run(...values, t.pk);
      if (t.deleteSteps !== undefined) {
        const fromSeq = t.deleteSteps === 'all' ? Number.MIN_SAFE_INTEGER : t.deleteSteps.fromSeq;
        this.#db
          .prepare('DELETE FROM engine_events WHERE instance_pk = ? AND consumed_by IN (SELECT key FROM engine_steps WHERE instance_pk = ? AND seq >= ?)')
          .run(t.pk, t.pk, fromSeq);
        this.#db.prepare('DELETE FROM engine_steps WHERE instance_pk = ? AND seq >= ?').run(t.pk, fromSeq);
      }
      if (t.shiftWaitsMs !== undefined && t.shiftWaitsMs !== 0) {
        this.#db
          .prepare("UPDATE engine_steps SET wake_at = wake_at + ? WHERE instance_pk = ? AND status IN ('waiting','running') AND wake_at IS NOT NULL")
          .run(t.shiftWaitsMs, t.pk);
      }
      for (const row of t.addSteps ?? []) this.#upsertStep(t.pk, row);
      this.#outbox(current, t.events, t.now);
      if (isFinalInstanceStatus(t.set.status)) this.#notifyParent(current, t.set.status, t.set.output ?? null, t.set.error ?? null, t.now);
      return true;
    });
    if (applied) {
      this.#notify({ kind: 'due', at: t.set.dueAt ?? t.now });
      this.#notifyOutbox();
    }
    return applied;
  }

  #deleteInstance(pk: number): void {
    this.#s.deleteSteps.run(pk);
    this.#s.deleteEvents.run(pk);
    this.#s.deleteInstance.run(pk);
  }

  // Workers ------------------------------------------------------------------------------------

  async claim(request: ClaimRequest): Promise<ClaimedInstance[]> {
    if (request.limit <= 0 || request.versionIds.length === 0) return [];
    const { now } = request;
    const claimed = this.#tx(() => {
      const remaining = new Map<string, number>();
      const saturated: string[] = [];
      for (const w of this.#s.limitedWorkflows.all() as Array<{ namespace: string; name: string; concurrency: number }>) {
        const active = (this.#s.activeCount.get(w.namespace, w.name, now) as { n: number }).n;
        const key = `${w.namespace}/${w.name}`;
        const left = w.concurrency - active;
        if (left <= 0) saturated.push(key);
        else remaining.set(key, left);
      }
      const candidates = this.#s.candidates.all(now, JSON.stringify(request.versionIds), JSON.stringify(saturated), request.limit * 2 + 8) as Row[];
      const result: ClaimedInstance[] = [];
      for (const candidate of candidates) {
        if (result.length >= request.limit) break;
        const key = `${candidate.namespace as string}/${candidate.workflow_name as string}`;
        const left = remaining.get(key);
        if (left !== undefined) {
          if (left <= 0) continue;
          remaining.set(key, left - 1);
        }
        const previousStatus = candidate.status as InstanceStatus;
        const status: InstanceStatus = previousStatus === 'waitingForPause' || previousStatus === 'rollingBack' ? previousStatus : 'running';
        const row = this.#s.claimOne.get(request.owner, now + request.leaseMs, status, now, now, candidate.pk) as Row;
        const instance = toInstance(row);
        const events: OutboxEventInput[] = [];
        if (candidate.started_at === null) events.push({ kind: 'workflow_started' });
        else if (previousStatus !== status && status === 'running') events.push({ kind: 'workflow_running' });
        this.#outbox(row as { namespace: string; workflow_name: string; id: string }, events, now);
        result.push({ instance, lease: { pk: instance.pk, epoch: instance.epoch }, previousStatus });
      }
      return result;
    });
    if (claimed.length > 0) this.#notifyOutbox();
    return claimed;
  }

  async findDueVersions(query: { now: number; exclude: readonly string[]; limit: number }): Promise<DueVersion[]> {
    const rows = this.#db
      .prepare(
        `SELECT DISTINCT namespace, workflow_name, version_id FROM engine_instances
         WHERE due_at IS NOT NULL AND due_at <= ? AND version_id NOT IN (SELECT value FROM json_each(?)) LIMIT ?`,
      )
      .all(query.now, JSON.stringify(query.exclude), query.limit) as Row[];
    return rows.map((r) => ({ namespace: r.namespace as string, workflowName: r.workflow_name as string, versionId: r.version_id as string }));
  }

  async markDue(versionIds: readonly string[], now: number, reason: StatusReason | null): Promise<void> {
    this.#tx(() => {
      this.#db
        .prepare('UPDATE engine_instances SET status_reason = ? WHERE due_at IS NOT NULL AND due_at <= ? AND version_id IN (SELECT value FROM json_each(?))')
        .run(json(reason), now, JSON.stringify(versionIds));
    });
  }

  async nextDueAt(versionIds: readonly string[]): Promise<number | undefined> {
    if (versionIds.length === 0) return undefined;
    const row = this.#s.nextDue.get(JSON.stringify(versionIds)) as { due_at: number } | undefined;
    return row ? row.due_at : undefined;
  }

  async renewLeases(leases: readonly Lease[], now: number, leaseMs: number): Promise<Lease[]> {
    if (leases.length === 0) return [];
    return this.#tx(() => leases.filter((lease) => this.#s.renew.run(now + leaseMs, lease.pk, lease.epoch).changes === 0));
  }

  async recordSteps(lease: Lease, writes: readonly StepWrite[], now: number): Promise<InstanceStatus> {
    const status = this.#tx(() => {
      const ident = this.#fence(lease, 'store.recordSteps');
      for (const write of writes) {
        if (this.#upsertStep(lease.pk, write.row) === 0) {
          throw new PetrelError('INTERNAL', `store.recordSteps: step "${write.row.key}" of instance ${ident.id} is already final`);
        }
        if (write.consumeEventId !== undefined && this.#s.consumeEvent.run(write.row.key, write.consumeEventId).changes === 0) {
          throw new PetrelError('INTERNAL', `store.recordSteps: event ${write.consumeEventId} of instance ${ident.id} was already consumed`);
        }
        this.#outbox(ident, write.events, now);
      }
      return ident.status;
    });
    this.#notifyOutbox();
    return status;
  }

  async setRunStatus(lease: Lease, patch: InstancePatch, events: OutboxEventInput[], now: number): Promise<void> {
    this.#tx(() => {
      const ident = this.#fence(lease, 'store.setRunStatus');
      const sets: string[] = ['modified_at = ?'];
      const values: unknown[] = [now];
      for (const [column, value] of patchAssignments(patch)) {
        sets.push(`${column} = ?`);
        values.push(value);
      }
      this.#db.prepare(`UPDATE engine_instances SET ${sets.join(', ')} WHERE pk = ?`).run(...values, lease.pk);
      this.#outbox(ident, events, now);
    });
    this.#notifyOutbox();
  }

  async suspend(lease: Lease, s: Suspension): Promise<SuspendOutcome> {
    const outcome = this.#tx((): SuspendOutcome => {
      const ident = this.#fence(lease, 'store.suspend');
      if (ident.status === 'waitingForPause') {
        this.#s.suspendPaused.run(s.now, s.now, lease.pk);
        this.#outbox(ident, [{ kind: 'workflow_paused' }], s.now);
        return 'paused';
      }
      const keep = ident.status === 'rollingBack' ? 'rollingBack' : 'running';
      let due = s.pausing;
      if (!due && s.waitingFor.length > 0) due = this.#s.hasPendingOfTypes.get(lease.pk, JSON.stringify(s.waitingFor)) !== undefined;
      if (due) {
        this.#s.suspendDue.run(keep, s.now, s.now, lease.pk);
        return 'due';
      }
      const status = keep === 'rollingBack' ? 'rollingBack' : 'waiting';
      this.#s.suspendWaiting.run(status, s.dueAt, s.waitingFor.length > 0 ? JSON.stringify(s.waitingFor) : null, s.now, lease.pk);
      if (status === 'waiting') this.#outbox(ident, [{ kind: 'workflow_waiting', payload: { wakeAt: s.dueAt, eventTypes: s.waitingFor } }], s.now);
      return 'waiting';
    });
    this.#notify({ kind: 'due', at: outcome === 'waiting' ? s.dueAt : s.now });
    this.#notifyOutbox();
    return outcome;
  }

  async finish(lease: Lease, f: Finish): Promise<void> {
    const wokeParent = this.#tx(() => {
      const ident = this.#fence(lease, 'store.finish');
      this.#s.finish.run(f.status, f.output ?? null, json(f.error), json(f.rollback), f.now, f.now, f.purgeAt, lease.pk);
      this.#outbox(ident, f.events, f.now);
      return this.#notifyParent(ident, f.status, f.output ?? null, f.error ?? null, f.now);
    });
    if (wokeParent) this.#notify({ kind: 'due', at: f.now });
    this.#notifyOutbox();
  }

  async release(lease: Lease, options: { now: number; dueAt: number }): Promise<void> {
    this.#tx(() => this.#s.release.run(options.dueAt, options.now, lease.pk, lease.epoch));
    this.#notify({ kind: 'due', at: options.dueAt });
  }

  async releaseOwner(owner: string, now: number): Promise<number> {
    const changes = this.#tx(
      () => this.#db.prepare('UPDATE engine_instances SET due_at = ?, lease_owner = NULL, epoch = epoch + 1 WHERE lease_owner = ?').run(now, owner).changes,
    );
    if (changes > 0) this.#notify({ kind: 'due', at: now });
    return changes;
  }

  // Cron ---------------------------------------------------------------------------------------

  async listSchedules(): Promise<ScheduleRow[]> {
    const rows = this.#db.prepare("SELECT namespace, name, current_version_id, schedules FROM engine_workflows WHERE schedules <> '[]'").all() as Row[];
    const state = this.#db.prepare('SELECT namespace, workflow_name, cron, last_scheduled_at FROM engine_cron_state').all() as Row[];
    return toSchedules(rows, state);
  }

  async markCron(mark: CronMark): Promise<void> {
    this.#tx(() =>
      this.#db
        .prepare('INSERT INTO engine_cron_state (namespace, workflow_name, cron, last_scheduled_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(mark.namespace, mark.workflowName, mark.cron, mark.scheduledAt),
    );
  }

  // Outbox -------------------------------------------------------------------------------------

  async readOutbox(query: { afterSeq: number; limit: number; namespace?: string }): Promise<OutboxEvent[]> {
    const rows = (
      query.namespace === undefined
        ? this.#s.readOutbox.all(query.afterSeq, query.limit)
        : this.#s.readOutboxNs.all(query.afterSeq, query.namespace, query.limit)
    ) as Row[];
    return rows.map(toOutbox);
  }

  async latestOutboxSeq(): Promise<number> {
    return this.#latestSeq();
  }

  async ackOutbox(consumer: string, seq: number, now: number): Promise<void> {
    this.#tx(() =>
      this.#db
        .prepare(
          'INSERT INTO engine_outbox_cursors (consumer, seq, updated_at) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET seq = max(seq, excluded.seq), updated_at = excluded.updated_at',
        )
        .run(consumer, seq, now),
    );
  }

  async findOutboxCursor(consumer: string): Promise<number | undefined> {
    const row = this.#db.prepare('SELECT seq FROM engine_outbox_cursors WHERE consumer = ?').get(consumer) as { seq: number } | undefined;
    return row ? row.seq : undefined;
  }

  async pruneOutbox(query: { throughSeq?: number; olderThan?: number; limit: number }): Promise<number> {
    // The newest event is never deleted: it keeps the rowid sequence from restarting, so seq stays monotonic.
    return this.#tx(
      () =>
        this.#db
          .prepare(
            `DELETE FROM engine_outbox WHERE seq IN (SELECT seq FROM engine_outbox WHERE seq <= ? AND created_at < ?
               AND seq < (SELECT max(seq) FROM engine_outbox) ORDER BY seq LIMIT ?)`,
          )
          .run(query.throughSeq ?? Number.MAX_SAFE_INTEGER, query.olderThan ?? Number.MAX_SAFE_INTEGER, query.limit).changes,
    );
  }

  // Retention ----------------------------------------------------------------------------------

  async purgeInstances(now: number, limit: number): Promise<number> {
    return this.#tx(() => {
      const pks = (this.#db.prepare('SELECT pk FROM engine_instances WHERE purge_at IS NOT NULL AND purge_at <= ? LIMIT ?').all(now, limit) as Array<{ pk: number }>).map(
        (r) => r.pk,
      );
      for (const pk of pks) this.#deleteInstance(pk);
      return pks.length;
    });
  }

  // Snapshots ----------------------------------------------------------------------------------

  async exportInstance(key: InstanceKey): Promise<InstanceSnapshot | undefined> {
    const row = this.#s.findInstance.get(key.namespace, key.workflowName, key.instanceId) as Row | undefined;
    if (!row) return undefined;
    const { pk, ...instance } = toInstance(row);
    const steps = (this.#s.listSteps.all(pk) as Row[]).map(toStep);
    const events = (this.#db.prepare('SELECT type, payload, created_at, consumed_by FROM engine_events WHERE instance_pk = ? ORDER BY id').all(pk) as Row[]).map(toSnapshotEvent);
    return { instance, steps, events };
  }

  async importInstance(snapshot: InstanceSnapshot): Promise<void> {
    const i = snapshot.instance;
    this.#tx(() => {
      const result = this.#db
        .prepare(
          `INSERT INTO engine_instances (${INSTANCE_COLUMNS})
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...instanceValues(i));
      const pk = Number(result.lastInsertRowid);
      for (const step of snapshot.steps) this.#upsertStep(pk, step);
      for (const event of snapshot.events) {
        this.#db.prepare('INSERT INTO engine_events (instance_pk, type, payload, created_at, consumed_by) VALUES (?, ?, ?, ?, ?)').run(pk, event.type, event.payload, event.createdAt, event.consumedBy);
      }
    });
    if (i.dueAt !== null) this.#notify({ kind: 'due', at: i.dueAt });
  }

  // Lifecycle ----------------------------------------------------------------------------------

  subscribe(listener: (notification: StoreNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    this.#db.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function prepareStatements(db: Database.Database) {
  return {
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    latestSeq: db.prepare('SELECT max(seq) AS seq FROM engine_outbox'),
    insertOutbox: db.prepare('INSERT INTO engine_outbox (namespace, workflow_name, instance_id, kind, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    readOutbox: db.prepare('SELECT * FROM engine_outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
    readOutboxNs: db.prepare('SELECT * FROM engine_outbox WHERE seq > ? AND namespace = ? ORDER BY seq LIMIT ?'),
    fence: db.prepare('SELECT status, namespace, workflow_name, id, waiting_for, parent FROM engine_instances WHERE pk = ? AND epoch = ?'),
    upsertStep: db.prepare(
      `INSERT INTO engine_steps (${STEP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ${STEP_UPSERT_TAIL}`,
    ),
    listSteps: db.prepare('SELECT * FROM engine_steps WHERE instance_pk = ? ORDER BY seq'),
    deleteSteps: db.prepare('DELETE FROM engine_steps WHERE instance_pk = ?'),
    deleteEvents: db.prepare('DELETE FROM engine_events WHERE instance_pk = ?'),
    deleteInstance: db.prepare('DELETE FROM engine_instances WHERE pk = ?'),
    insertEvent: db.prepare('INSERT INTO engine_events (instance_pk, type, payload, created_at) VALUES (?, ?, ?, ?)'),
    pendingEvents: db.prepare('SELECT id, type, payload, created_at FROM engine_events WHERE instance_pk = ? AND consumed_by IS NULL ORDER BY id'),
    consumeEvent: db.prepare('UPDATE engine_events SET consumed_by = ? WHERE id = ? AND consumed_by IS NULL'),
    hasPendingOfTypes: db.prepare(
      'SELECT 1 FROM engine_events WHERE instance_pk = ? AND consumed_by IS NULL AND type IN (SELECT value FROM json_each(?)) LIMIT 1',
    ),
    wake: db.prepare("UPDATE engine_instances SET due_at = ?, modified_at = ? WHERE pk = ? AND status = 'waiting'"),
    findWorkflow: db.prepare('SELECT * FROM engine_workflows WHERE namespace = ? AND name = ?'),
    insertWorkflow: db.prepare(
      `INSERT INTO engine_workflows (namespace, name, id, created_at, modified_at, current_version_id, class_name, concurrency, schedules, retention, step_limit)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertInstance: db.prepare(
      `INSERT INTO engine_instances (namespace, workflow_name, id, version_id, status, params, trigger_source, schedule, created_at, modified_at, due_at, retention, parent)
       VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (namespace, workflow_name, id) DO NOTHING RETURNING *`,
    ),
    findInstance: db.prepare('SELECT * FROM engine_instances WHERE namespace = ? AND workflow_name = ? AND id = ?'),
    findInstanceLite: db.prepare('SELECT pk, status, waiting_for, namespace, workflow_name, id FROM engine_instances WHERE namespace = ? AND workflow_name = ? AND id = ?'),
    limitedWorkflows: db.prepare('SELECT namespace, name, concurrency FROM engine_workflows WHERE concurrency IS NOT NULL'),
    activeCount: db.prepare(
      `SELECT count(*) AS n FROM engine_instances WHERE namespace = ? AND workflow_name = ? AND status IN ${ACTIVE_STATUSES} AND due_at > ?`,
    ),
    candidates: db.prepare(
      `SELECT pk, namespace, workflow_name, status, started_at FROM engine_instances
       WHERE due_at IS NOT NULL AND due_at <= ?
         AND version_id IN (SELECT value FROM json_each(?))
         AND (namespace || '/' || workflow_name) NOT IN (SELECT value FROM json_each(?))
       ORDER BY due_at LIMIT ?`,
    ),
    claimOne: db.prepare(
      `UPDATE engine_instances SET lease_owner = ?, epoch = epoch + 1, due_at = ?, status = ?, started_at = coalesce(started_at, ?),
         status_reason = NULL, waiting_for = NULL, modified_at = ?
       WHERE pk = ? RETURNING *`,
    ),
    nextDue: db.prepare(
      'SELECT due_at FROM engine_instances WHERE due_at IS NOT NULL AND version_id IN (SELECT value FROM json_each(?)) ORDER BY due_at LIMIT 1',
    ),
    renew: db.prepare('UPDATE engine_instances SET due_at = ? WHERE pk = ? AND epoch = ?'),
    suspendPaused: db.prepare(
      `UPDATE engine_instances SET status = 'paused', paused_at = ?, due_at = NULL, waiting_for = NULL, lease_owner = NULL, epoch = epoch + 1, modified_at = ?
       WHERE pk = ?`,
    ),
    suspendDue: db.prepare('UPDATE engine_instances SET status = ?, due_at = ?, waiting_for = NULL, lease_owner = NULL, epoch = epoch + 1, modified_at = ? WHERE pk = ?'),
    suspendWaiting: db.prepare(
      'UPDATE engine_instances SET status = ?, due_at = ?, waiting_for = ?, lease_owner = NULL, epoch = epoch + 1, modified_at = ? WHERE pk = ?',
    ),
    finish: db.prepare(
      `UPDATE engine_instances SET status = ?, output = ?, error = ?, rollback = ?, ended_at = ?, modified_at = ?, purge_at = ?, due_at = NULL,
         waiting_for = NULL, pending_error = NULL, lease_owner = NULL, epoch = epoch + 1
       WHERE pk = ?`,
    ),
    release: db.prepare('UPDATE engine_instances SET due_at = ?, lease_owner = NULL, epoch = epoch + 1, modified_at = ? WHERE pk = ? AND epoch = ?'),
  };
}
