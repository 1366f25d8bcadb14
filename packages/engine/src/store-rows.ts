// What the SQLite and PostgreSQL adapters share: both keep the same tables and columns (JSON as
// TEXT, times as epoch ms), so a row decodes and a value encodes the same way in both. What differs
// stays in each adapter: placeholders (`?` vs `$n`), how a boolean is bound (`sensitive` is 0/1 in
// SQLite, BOOLEAN in PostgreSQL), statements and transactions. pg returns BIGINT as a string,
// hence `Number()` on every time and key.
import type { InstanceStatus } from '@petrel/protocol';
import type {
  InstanceListRow,
  InstancePatch,
  InstanceRow,
  InstanceSnapshot,
  OutboxEvent,
  OutboxEventInput,
  PendingEvent,
  ScheduleRow,
  StepRow,
  VersionRow,
  WorkflowRow,
  WorkflowUpsert,
} from './store.ts';

/** A database row as both drivers return it: column name to value. */
export type Row = Record<string, unknown>;

/** One versioned migration of the engine's tables: a version number, a name, and the SQL that applies it. */
export type EngineMigration = { version: number; name: string; sql: string };

/** Statuses of an instance that holds a concurrency slot, as an SQL list. */
export const ACTIVE_STATUSES = `('running','waitingForPause','rollingBack')`;

/** The columns of an instance row without `params` and `output` (list reads). */
export const LIST_COLUMNS =
  'pk, namespace, workflow_name, id, version_id, status, error, trigger_source, schedule, created_at, started_at, ended_at, modified_at, due_at, lease_owner, epoch, paused_at, rollback, rollback_cause, pending_error, retention, purge_at, status_reason, waiting_for, parent';

/** The columns `instanceValues` fills, in its order (an imported instance: every column but `pk`). */
export const INSTANCE_COLUMNS = `namespace, workflow_name, id, version_id, status, params, output, error, trigger_source, schedule, created_at,
  started_at, ended_at, modified_at, due_at, lease_owner, epoch, paused_at, rollback, rollback_cause, pending_error, retention, purge_at,
  status_reason, waiting_for, parent`;

/** The columns `stepValues` fills, in its order. */
export const STEP_COLUMNS = 'instance_pk, key, type, name, count, seq, status, started_at, ended_at, output, error, config, attempts, wake_at, event_type, sensitive';

/** A step row is replaced until it is final; a final row is never written again (the structural "exactly once"). */
export const STEP_UPSERT_TAIL = `ON CONFLICT (instance_pk, key) DO UPDATE SET status = excluded.status, ended_at = excluded.ended_at, output = excluded.output,
    error = excluded.error, config = excluded.config, attempts = excluded.attempts, wake_at = excluded.wake_at, event_type = excluded.event_type,
    sensitive = excluded.sensitive
  WHERE engine_steps.status NOT IN ('complete', 'errored')`;

/** JSON text of a value; null for null and undefined. */
export function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** The parsed JSON of a TEXT column; null when the column is null. */
// oxlint-disable-next-line typescript/no-unnecessary-type-parameters -- callers name the parsed shape
export function parse<T>(value: unknown): T | null {
  return typeof value === 'string' ? (JSON.parse(value) as T) : null;
}

/** A numeric column (a number, or a BIGINT string from pg) as a number; null stays null. */
export function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** The payload column of an outbox event. */
export function outboxPayload(event: OutboxEventInput): string {
  return event.payload === undefined ? '{}' : JSON.stringify(event.payload);
}

/** `%search%` for `LIKE … ESCAPE '\'`, with the wildcard characters of `search` escaped. */
export function likePattern(search: string | undefined): string {
  return `%${(search ?? '').replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Decodes an `engine_instances` row. */
export function toInstance(r: Row): InstanceRow {
  return {
    pk: Number(r.pk),
    namespace: r.namespace as string,
    workflowName: r.workflow_name as string,
    id: r.id as string,
    versionId: r.version_id as string,
    status: r.status as InstanceStatus,
    params: (r.params as string | undefined) ?? 'null',
    output: (r.output as string | null | undefined) ?? null,
    error: parse(r.error),
    triggerSource: r.trigger_source as InstanceRow['triggerSource'],
    schedule: parse(r.schedule),
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    endedAt: num(r.ended_at),
    modifiedAt: Number(r.modified_at),
    dueAt: num(r.due_at),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    epoch: Number(r.epoch),
    pausedAt: num(r.paused_at),
    rollback: parse(r.rollback),
    rollbackCause: (r.rollback_cause as InstanceRow['rollbackCause']) ?? null,
    pendingError: parse(r.pending_error),
    retention: parse(r.retention),
    purgeAt: num(r.purge_at),
    statusReason: parse(r.status_reason),
    waitingFor: parse(r.waiting_for),
    parent: parse(r.parent),
  };
}

/** Decodes an instance row read with `LIST_COLUMNS`. */
export function toListRow(r: Row): InstanceListRow {
  const { params: _params, output: _output, ...rest } = toInstance(r);
  return rest;
}

/** Decodes an `engine_steps` row (`sensitive` is 1 in SQLite, true in PostgreSQL). */
export function toStep(r: Row): StepRow {
  return {
    key: r.key as string,
    type: r.type as StepRow['type'],
    name: r.name as string,
    count: Number(r.count),
    seq: Number(r.seq),
    status: r.status as StepRow['status'],
    startedAt: Number(r.started_at),
    endedAt: num(r.ended_at),
    output: (r.output as string | null) ?? null,
    error: parse(r.error),
    config: parse(r.config),
    attempts: parse(r.attempts) ?? [],
    wakeAt: num(r.wake_at),
    eventType: (r.event_type as string | null) ?? null,
    sensitive: r.sensitive === true || r.sensitive === 1,
  };
}

/** Decodes an `engine_workflows` row. */
export function toWorkflow(r: Row): WorkflowRow {
  return {
    id: r.id as string,
    namespace: r.namespace as string,
    name: r.name as string,
    createdAt: Number(r.created_at),
    modifiedAt: Number(r.modified_at),
    currentVersionId: (r.current_version_id as string | null) ?? null,
    className: (r.class_name as string | null) ?? null,
    concurrency: num(r.concurrency),
    schedules: parse<string[]>(r.schedules) ?? [],
    retention: parse(r.retention),
    stepLimit: num(r.step_limit),
  };
}

/** Decodes an `engine_versions` row. */
export function toVersion(r: Row): VersionRow {
  return {
    id: r.id as string,
    namespace: r.namespace as string,
    workflowName: r.workflow_name as string,
    versionKey: r.version_key as string,
    className: r.class_name as string,
    createdAt: Number(r.created_at),
    graph: parse(r.graph),
  };
}

/** Decodes an `engine_outbox` row. */
export function toOutbox(r: Row): OutboxEvent {
  return {
    seq: Number(r.seq),
    kind: r.kind as OutboxEvent['kind'],
    namespace: r.namespace as string,
    workflowName: r.workflow_name as string,
    instanceId: r.instance_id as string,
    timestamp: Number(r.created_at),
    payload: JSON.parse(r.payload as string) as Record<string, unknown>,
  };
}

/** Decodes an unconsumed `engine_events` row. */
export function toPending(r: Row): PendingEvent {
  return { id: Number(r.id), type: r.type as string, payload: r.payload as string, createdAt: Number(r.created_at) };
}

/** Decodes an `engine_events` row of a snapshot (`type, payload, created_at, consumed_by`). */
export function toSnapshotEvent(r: Row): InstanceSnapshot['events'][number] {
  return { type: r.type as string, payload: r.payload as string, createdAt: Number(r.created_at), consumedBy: (r.consumed_by as string | null) ?? null };
}

/** The schedules of `engine_workflows` rows joined with the `engine_cron_state` rows of their last firings. */
export function toSchedules(workflows: readonly Row[], state: readonly Row[]): ScheduleRow[] {
  const last = new Map<string, Record<string, number>>();
  for (const s of state) {
    const key = `${s.namespace as string}/${s.workflow_name as string}`;
    const entry = last.get(key) ?? {};
    entry[s.cron as string] = Number(s.last_scheduled_at);
    last.set(key, entry);
  }
  return workflows.map((r) => ({
    namespace: r.namespace as string,
    workflowName: r.name as string,
    currentVersionId: (r.current_version_id as string | null) ?? null,
    schedules: parse<string[]>(r.schedules) ?? [],
    lastFired: last.get(`${r.namespace as string}/${r.name as string}`) ?? {},
  }));
}

const PATCH_COLUMNS: Record<keyof InstancePatch, { column: string; encode: (value: unknown) => unknown }> = {
  status: { column: 'status', encode: (v) => v },
  dueAt: { column: 'due_at', encode: (v) => v },
  versionId: { column: 'version_id', encode: (v) => v },
  startedAt: { column: 'started_at', encode: (v) => v },
  endedAt: { column: 'ended_at', encode: (v) => v },
  pausedAt: { column: 'paused_at', encode: (v) => v },
  output: { column: 'output', encode: (v) => v },
  error: { column: 'error', encode: json },
  rollback: { column: 'rollback', encode: json },
  rollbackCause: { column: 'rollback_cause', encode: (v) => v },
  pendingError: { column: 'pending_error', encode: json },
  purgeAt: { column: 'purge_at', encode: (v) => v },
  statusReason: { column: 'status_reason', encode: json },
  waitingFor: { column: 'waiting_for', encode: json },
};

/** The `[column, encoded value]` pairs an instance patch sets (undefined fields are left alone). */
export function patchAssignments(patch: InstancePatch): Array<[column: string, value: unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [field, value] of Object.entries(patch) as Array<[keyof InstancePatch, unknown]>) {
    if (value === undefined) continue;
    const spec = PATCH_COLUMNS[field];
    out.push([spec.column, spec.encode(value)]);
  }
  return out;
}

/** The `[column, encoded value]` pairs an upsert changes on an existing workflow row (besides `modified_at`). */
export function workflowAssignments(input: WorkflowUpsert): Array<[column: string, value: unknown]> {
  const out: Array<[string, unknown]> = [];
  if (input.currentVersionId !== undefined) out.push(['current_version_id', input.currentVersionId]);
  if (input.className !== undefined) out.push(['class_name', input.className]);
  if (input.concurrency !== undefined) out.push(['concurrency', input.concurrency]);
  if (input.schedules !== undefined) out.push(['schedules', JSON.stringify(input.schedules)]);
  if (input.retention !== undefined) out.push(['retention', json(input.retention)]);
  if (input.stepLimit !== undefined) out.push(['step_limit', input.stepLimit]);
  return out;
}

/** The values of `INSTANCE_COLUMNS` for an instance. */
export function instanceValues(i: InstanceSnapshot['instance']): unknown[] {
  return [
    i.namespace,
    i.workflowName,
    i.id,
    i.versionId,
    i.status,
    i.params,
    i.output,
    json(i.error),
    i.triggerSource,
    json(i.schedule),
    i.createdAt,
    i.startedAt,
    i.endedAt,
    i.modifiedAt,
    i.dueAt,
    i.leaseOwner,
    i.epoch,
    i.pausedAt,
    json(i.rollback),
    i.rollbackCause,
    json(i.pendingError),
    json(i.retention),
    i.purgeAt,
    json(i.statusReason),
    json(i.waitingFor),
    json(i.parent),
  ];
}

/** The values of `STEP_COLUMNS` for a step row; `sensitive` is bound as the dialect stores a boolean. */
export function stepValues(pk: number, row: StepRow, booleans: 'native' | 'integer'): unknown[] {
  return [
    pk,
    row.key,
    row.type,
    row.name,
    row.count,
    row.seq,
    row.status,
    row.startedAt,
    row.endedAt,
    row.output,
    json(row.error),
    json(row.config),
    JSON.stringify(row.attempts),
    row.wakeAt,
    row.eventType,
    booleans === 'native' ? row.sensitive : row.sensitive ? 1 : 0,
  ];
}

/** The payload of the event a child instance sends its parent when it ends (`output` is already JSON text). */
export function childResultPayload(child: { workflow_name: string; id: string }, status: string, output: string | null, error: unknown): string {
  return `{"workflowName":${JSON.stringify(child.workflow_name)},"instanceId":${JSON.stringify(child.id)},"status":${JSON.stringify(status)},"output":${output ?? 'null'},"error":${JSON.stringify(error ?? null)}}`;
}
