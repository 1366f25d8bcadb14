// The Store port: everything the engine persists, as an asynchronous interface that a SQLite
// adapter (embedded, this package) and a PostgreSQL adapter (scale-out) both implement. The engine
// keeps all workflow semantics; a store keeps rows and enforces the invariants that must hold
// under concurrency: unique ids, lease fencing, one final write per step, atomic outbox events.
// The contract suite in `test/contract/store-contract.ts` is the executable definition of this port.
import type { InstanceStatus, StepType, TriggerSource } from '@petrel/protocol';
import type { OutboxEventKind } from './outbox-events.ts';
import type { WorkflowGraph } from './graph-types.ts';

/** An error as stored: `name`, `message`, and the Petrel error code when the error had one. */
export type StoredError = { name: string; message: string; code?: string };

/** Backoff strategies of step retries. */
export type Backoff = 'constant' | 'linear' | 'exponential';

/** A step config as resolved and stored at the step's first attempt (durations in ms; a delay function is `"[dynamic]"`). */
export type StoredStepConfig = {
  retries: { limit: number; delay: number | '[dynamic]'; backoff: Backoff };
  timeout: number;
  sensitive?: 'output';
};

/** One attempt of a step. `endedAt` null and `success` null: the attempt was in flight when last recorded. */
export type AttemptRecord = {
  attempt: number;
  startedAt: number;
  endedAt: number | null;
  success: boolean | null;
  error: StoredError | null;
  /** The delay before the next attempt, when one was scheduled. */
  retryDelayMs?: number;
};

/** Status of one step record. `waiting`: asleep, waiting for an event, or between retries. */
export type StepRecordStatus = 'running' | 'waiting' | 'complete' | 'errored';

/** One step of an instance's history. `key` is the step identity: `<type>:<name>:<count>`. */
export type StepRow = {
  key: string;
  type: StepType;
  name: string;
  /** Occurrence count of this name (and type) in the run, from 1. */
  count: number;
  /** Start order within the instance, from 1; rollbacks and restarts use it. */
  seq: number;
  status: StepRecordStatus;
  startedAt: number;
  endedAt: number | null;
  /** JSON text of the output; null when the step has none or returned `undefined`. */
  output: string | null;
  error: StoredError | null;
  config: StoredStepConfig | null;
  attempts: AttemptRecord[];
  /** When a sleep ends, a retry is due, or an event wait times out. */
  wakeAt: number | null;
  /** The event type a `waitForEvent` step waits for. */
  eventType: string | null;
  /** When true, every read surface shows `"[REDACTED]"` instead of the output. */
  sensitive: boolean;
};

/** Where a child instance reports its end: an event of `eventType` sent to the parent instance. */
export type ParentRef = { namespace: string; workflowName: string; instanceId: string; eventType: string };

/** Retention of finished instances, in ms. `errorMs` also applies to terminated instances. */
export type Retention = { successMs?: number; errorMs?: number };

/** The outcome of an instance's rollback phase. */
export type RollbackOutcome = { outcome: 'complete' | 'failed'; error: StoredError | null };

/** A cron firing that created an instance. */
export type CronSchedule = { cron: string; scheduledTime: number };

/** Why a due instance is not running (e.g. `WORKFLOW_CODE_MISSING`). */
export type StatusReason = { code: string; message: string };

/** An instance row. `pk` is the store's internal key; `(namespace, workflowName, id)` is the public one. */
export type InstanceRow = {
  pk: number;
  namespace: string;
  workflowName: string;
  id: string;
  versionId: string;
  status: InstanceStatus;
  /** JSON text of the params (the event payload). */
  params: string;
  /** JSON text of `run()`'s return value; null before completion or when it returned `undefined`. */
  output: string | null;
  error: StoredError | null;
  triggerSource: TriggerSource;
  schedule: CronSchedule | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  modifiedAt: number;
  /** When a worker should next pick the instance up (queued, asleep, leased until); null when nothing is due. */
  dueAt: number | null;
  leaseOwner: string | null;
  /** Fencing token: incremented by every claim and release; a write with an older epoch is refused. */
  epoch: number;
  pausedAt: number | null;
  rollback: RollbackOutcome | null;
  rollbackCause: 'error' | 'terminate' | null;
  /** The error that started a rollback phase, recorded as the instance error when it ends. */
  pendingError: StoredError | null;
  retention: Retention | null;
  purgeAt: number | null;
  statusReason: StatusReason | null;
  /** Event types the instance is suspended on; an event of one of them wakes it. */
  waitingFor: string[] | null;
  parent: ParentRef | null;
};

/** An instance row as lists return it: without params and output, which may be large. */
export type InstanceListRow = Omit<InstanceRow, 'params' | 'output'>;

/** The public key of an instance. */
export type InstanceKey = { namespace: string; workflowName: string; instanceId: string };

/** A lease on an instance: its row key and the epoch the claim produced. */
export type Lease = { pk: number; epoch: number };

/** A workflow row: identity plus the config that `PUT workflow` updates. */
export type WorkflowRow = {
  id: string;
  namespace: string;
  name: string;
  createdAt: number;
  modifiedAt: number;
  currentVersionId: string | null;
  className: string | null;
  /** Most instances running at once; null = unlimited. */
  concurrency: number | null;
  /** Cron expressions that create instances. */
  schedules: string[];
  retention: Retention | null;
  /** Most `step.do` calls per instance; null = the engine default. */
  stepLimit: number | null;
};

/** Fields of a workflow to create or change; omitted fields keep their value (or default on create). */
export type WorkflowUpsert = {
  namespace: string;
  name: string;
  id: string;
  now: number;
  currentVersionId?: string;
  className?: string;
  concurrency?: number | null;
  schedules?: string[];
  retention?: Retention | null;
  stepLimit?: number | null;
};

/** A version row: pinned code identity, class name and step graph. */
export type VersionRow = {
  id: string;
  namespace: string;
  workflowName: string;
  /** Hash of the code, or the caller's explicit key. */
  versionKey: string;
  className: string;
  createdAt: number;
  graph: WorkflowGraph | null;
};

/** An instance to create. */
export type NewInstance = {
  namespace: string;
  workflowName: string;
  id: string;
  versionId: string;
  params: string;
  triggerSource: TriggerSource;
  schedule?: CronSchedule;
  retention?: Retention;
  parent?: ParentRef;
};

/** The outcome of one item of `createInstances`. */
export type CreateOutcome = { ok: true; instance: InstanceRow } | { ok: false; code: 'ALREADY_EXISTS' };

/** A cron firing to record with the instance it creates. */
export type CronMark = { namespace: string; workflowName: string; cron: string; scheduledAt: number };

/** A filter and page over a workflow's instances. `after` is a keyset cursor; `offset` a page. */
export type InstanceQuery = {
  namespace: string;
  workflowName: string;
  statuses?: InstanceStatus[];
  createdFrom?: number;
  createdTo?: number;
  direction: 'asc' | 'desc';
  after?: { createdAt: number; id: string };
  offset?: number;
  limit: number;
};

/** An event sent to an instance and not yet consumed by a `waitForEvent`. */
export type PendingEvent = { id: number; type: string; payload: string; createdAt: number };

/** An outbox event to write with a state change. */
export type OutboxEventInput = { kind: OutboxEventKind; payload?: Record<string, unknown> };

/** A lifecycle event of the outbox. `seq` is monotonic across the store. */
export type OutboxEvent = {
  seq: number;
  kind: OutboxEventKind;
  namespace: string;
  workflowName: string;
  instanceId: string;
  timestamp: number;
  payload: Record<string, unknown>;
};

/** Changes to an instance row; an omitted field is unchanged, null clears it. */
export type InstancePatch = {
  status: InstanceStatus;
  dueAt?: number | null;
  versionId?: string;
  startedAt?: number | null;
  endedAt?: number | null;
  pausedAt?: number | null;
  output?: string | null;
  error?: StoredError | null;
  rollback?: RollbackOutcome | null;
  rollbackCause?: 'error' | 'terminate' | null;
  pendingError?: StoredError | null;
  purgeAt?: number | null;
  statusReason?: StatusReason | null;
  waitingFor?: string[] | null;
};

/** A compare-and-set change of an instance made by an API call (pause, resume, terminate, restart). */
export type Transition = {
  pk: number;
  /** Applied only when the row still has this status and epoch. */
  expect: { status: InstanceStatus; epoch: number };
  now: number;
  set: InstancePatch;
  /** Revoke any lease: the epoch moves on and the lease owner is cleared. */
  revokeLease?: boolean;
  /** Delete step records (all, or those started at or after `fromSeq`) and the events they consumed. */
  deleteSteps?: 'all' | { fromSeq: number };
  /** Add to the wake time of every waiting step (resume after pause: paused time does not count). */
  shiftWaitsMs?: number;
  /** Step records to add (e.g. a termination record). */
  addSteps?: StepRow[];
  events: OutboxEventInput[];
};

/** A step record to write under a lease, with its outbox events. */
export type StepWrite = {
  row: StepRow;
  events: OutboxEventInput[];
  /** A pending event this write consumes (a `waitForEvent` completing). */
  consumeEventId?: number;
};

/** The end of an invocation that did not finish the instance. */
export type Suspension = {
  now: number;
  /** Earliest wake-up (sleep end, retry, event timeout). */
  dueAt: number;
  /** Event types that wake the instance. */
  waitingFor: string[];
  /** The invocation stopped because a pause was requested. */
  pausing: boolean;
};

/** What a suspension became: waiting, paused (a pause was pending), or due now (an awaited event had already arrived, or the pause was cancelled). */
export type SuspendOutcome = 'waiting' | 'paused' | 'due';

/** The final write of an instance. */
export type Finish = {
  now: number;
  status: 'complete' | 'errored' | 'terminated';
  output?: string | null;
  error?: StoredError | null;
  rollback?: RollbackOutcome | null;
  purgeAt: number;
  events: OutboxEventInput[];
};

/** A claim request of a worker. */
export type ClaimRequest = {
  owner: string;
  now: number;
  leaseMs: number;
  limit: number;
  /** Only instances pinned to one of these versions (the code this worker has). */
  versionIds: readonly string[];
};

/** An instance claimed by a worker, with the status it had before the claim. */
export type ClaimedInstance = { instance: InstanceRow; lease: Lease; previousStatus: InstanceStatus };

/** A version that has due instances, for workers to find code they have not loaded. */
export type DueVersion = { namespace: string; workflowName: string; versionId: string };

/** A workflow's cron schedules and when each last fired. */
export type ScheduleRow = {
  namespace: string;
  workflowName: string;
  currentVersionId: string | null;
  schedules: string[];
  lastFired: Record<string, number>;
};

/** Everything about one instance, for golden histories and moving instances between stores. */
export type InstanceSnapshot = {
  instance: Omit<InstanceRow, 'pk'>;
  steps: StepRow[];
  events: Array<Omit<PendingEvent, 'id'> & { consumedBy: string | null }>;
};

/** What a store tells the engines in its process (PostgreSQL: every process, through LISTEN/NOTIFY). */
export type StoreNotification = { kind: 'due'; at: number } | { kind: 'outbox'; seq: number };

/** The outcome of `sendEvent`. */
export type SendEventOutcome = { status: InstanceStatus; woke: boolean };

/**
 * The persistence port of the engine. Every method is atomic. Methods taking a `Lease` are fenced:
 * they throw `PetrelError('LEASE_LOST')` when the instance's epoch moved on.
 */
export interface Store extends AsyncDisposable {
  /** Short name of the adapter, e.g. `"sqlite"`. */
  readonly dialect: string;

  /** Creates a workflow or updates the fields given. */
  upsertWorkflow(input: WorkflowUpsert): Promise<WorkflowRow>;
  findWorkflow(namespace: string, name: string): Promise<WorkflowRow | undefined>;
  listWorkflows(query: { namespace: string; search?: string; offset: number; limit: number }): Promise<{ rows: WorkflowRow[]; total: number }>;
  /** Deletes a workflow with its versions, instances and their history. */
  deleteWorkflow(namespace: string, name: string): Promise<boolean>;
  /** Instance counts per status, and the newest creation time. */
  describeInstances(namespace: string, workflowName: string): Promise<{ counts: Partial<Record<InstanceStatus, number>>; lastCreatedAt: number | null }>;

  /** Inserts a version unless one with the same id exists; returns the stored row. */
  upsertVersion(version: VersionRow): Promise<VersionRow>;
  findVersion(namespace: string, workflowName: string, versionId: string): Promise<VersionRow | undefined>;
  listVersions(query: { namespace: string; workflowName: string; offset: number; limit: number }): Promise<{ rows: VersionRow[]; total: number }>;

  /** Creates instances in one transaction (status `queued`, due now, outbox `workflow_queued`); an existing id is a per-item conflict. */
  createInstances(items: NewInstance[], options: { now: number; cron?: CronMark }): Promise<CreateOutcome[]>;
  findInstance(key: InstanceKey): Promise<InstanceRow | undefined>;
  /** A page of instances, without their params and output. */
  listInstances(query: InstanceQuery): Promise<{ rows: InstanceListRow[]; total: number }>;
  listSteps(pk: number): Promise<StepRow[]>;
  countSteps(pk: number): Promise<number>;
  findStep(pk: number, key: string): Promise<StepRow | undefined>;
  listPendingEvents(pk: number): Promise<PendingEvent[]>;
  /** Buffers an event; wakes the instance when it is waiting for that type. Throws for a final instance. */
  sendEvent(key: InstanceKey, event: { type: string; payload: string; now: number }): Promise<SendEventOutcome>;
  /** Applies a compare-and-set change; false when the row no longer matches `expect`. */
  applyTransition(transition: Transition): Promise<boolean>;

  /** Leases up to `limit` due instances, oldest due first, respecting per-workflow concurrency. */
  claim(request: ClaimRequest): Promise<ClaimedInstance[]>;
  /** Versions with due instances, other than `exclude`. */
  findDueVersions(query: { now: number; exclude: readonly string[]; limit: number }): Promise<DueVersion[]>;
  /** Records on due instances of these versions why they are not running. */
  markDue(versionIds: readonly string[], now: number, reason: StatusReason | null): Promise<void>;
  /** The earliest due time among instances of these versions. */
  nextDueAt(versionIds: readonly string[]): Promise<number | undefined>;
  /** Extends leases; returns the leases that were lost. */
  renewLeases(leases: readonly Lease[], now: number, leaseMs: number): Promise<Lease[]>;
  /** Writes step records; returns the instance's current status (the worker's control channel). */
  recordSteps(lease: Lease, writes: readonly StepWrite[], now: number): Promise<InstanceStatus>;
  /** Changes the status of a leased instance (e.g. to `rollingBack`). */
  setRunStatus(lease: Lease, patch: InstancePatch, events: OutboxEventInput[], now: number): Promise<void>;
  /** Ends an invocation without finishing the instance and releases the lease. */
  suspend(lease: Lease, suspension: Suspension): Promise<SuspendOutcome>;
  /** Finishes the instance, releases the lease, and notifies a parent instance. */
  finish(lease: Lease, finish: Finish): Promise<void>;
  /** Releases a lease without changing the status (shutdown); the instance is due at `dueAt`. */
  release(lease: Lease, options: { now: number; dueAt: number }): Promise<void>;
  /** Releases every lease of `owner` (a worker restarted with a stable id takes its instances back at once); returns how many. */
  releaseOwner(owner: string, now: number): Promise<number>;

  /** Workflows that have cron schedules. */
  listSchedules(): Promise<ScheduleRow[]>;
  /** Records that a schedule was seen (first sight), without creating an instance. */
  markCron(mark: CronMark): Promise<void>;

  /** Outbox events after `afterSeq`, in order. */
  readOutbox(query: { afterSeq: number; limit: number; namespace?: string }): Promise<OutboxEvent[]>;
  latestOutboxSeq(): Promise<number>;
  ackOutbox(consumer: string, seq: number, now: number): Promise<void>;
  findOutboxCursor(consumer: string): Promise<number | undefined>;
  /** Deletes events at or below `throughSeq` and created before `olderThan` (both optional); returns how many. */
  pruneOutbox(query: { throughSeq?: number; olderThan?: number; limit: number }): Promise<number>;

  /** Deletes finished instances whose retention ended; returns how many. */
  purgeInstances(now: number, limit: number): Promise<number>;

  exportInstance(key: InstanceKey): Promise<InstanceSnapshot | undefined>;
  importInstance(snapshot: InstanceSnapshot): Promise<void>;

  /** Subscribes to notifications; returns the unsubscribe function. */
  subscribe(listener: (notification: StoreNotification) => void): () => void;
  close(): Promise<void>;
}
