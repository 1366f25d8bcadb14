// The engine: a registry of workflow code, the instance API (create, get, list, pause, resume,
// terminate, restart, events, step output), the outbox API, and — when it has slots — a worker
// pool, a cron scheduler and a retention sweeper. Every operation is scoped by a namespace (an
// organization in the server; `"default"` otherwise).
import { LIMITS, PetrelError, isFinalInstanceStatus, isInstanceStatus, isPetrelError, newId, parseDuration, silentLogger } from '@petrel/protocol';
import type { Duration, InstanceStatus, Logger, StepType, TriggerSource } from '@petrel/protocol';
import { createSystemClock } from './clock.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { CronScheduler, checkCron, nextCronRun } from './cron-scheduler.ts';
import { buildWorkflowGraph } from './graph-builder.ts';
import type { WorkflowGraph } from './graph-types.ts';
import type { RunnerDeps, RunSettings } from './instance-run.ts';
import { DEFAULT_STEP_CONFIG, resolveStepConfig } from './step-config.ts';
import type { StepConfig } from './step-config.ts';
import type {
  AttemptRecord,
  InstanceListRow,
  InstanceRow,
  NewInstance,
  OutboxEvent,
  ParentRef,
  Retention,
  RollbackOutcome,
  StatusReason,
  StepRow,
  Store,
  StoredError,
  StoredStepConfig,
  Transition,
  VersionRow,
  WorkflowRow,
} from './store.ts';
import { checkEventType, checkInstanceId, checkNamespace, checkWorkflowName, parseJsonText, toPayloadText } from './validation.ts';
import { WorkerPool } from './worker-pool.ts';
import { derivedUuid } from './workflow.ts';
import type { StepExtension, WorkflowDefinition } from './workflow.ts';

/** Finds the code of a workflow version this worker has not loaded (dynamic code: blocks, browser tasks). */
export type WorkflowResolver = (ref: { namespace: string; workflowName: string; versionId: string }) => Promise<WorkflowDefinition | undefined>;

/** Options of `createEngine`. */
export type EngineOptions = {
  /** Where everything is kept (`createSqliteStore(...)`). Required. The engine does not close it. */
  store: Store;
  /** Code workflows to register at start, in `namespace`. Default none. */
  workflows?: WorkflowDefinition[];
  /** Namespace of `workflows` and the default of every operation. Default `"default"`. */
  namespace?: string;
  /** Asked for the code of a version when a worker claims work it has no code for. Default none. */
  resolveWorkflow?: WorkflowResolver;
  /** Instances run at once by this engine's worker; 0 = no worker (API only, no cron, no purge). Default 10. */
  slots?: number;
  /** Lease length; a crashed worker's instances are replayed elsewhere this long after its last renewal. Default 30 s. */
  leaseMs?: number;
  /** Slow poll for work other processes made due (PostgreSQL adds LISTEN/NOTIFY). Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * This worker's id. Default: a fresh random id. Give a stable id (unique among live processes) to
   * have a restarted worker take back its own instances at once instead of waiting for their leases to lapse.
   */
  workerId?: string;
  /** Time and timers. Default: the real clock. */
  clock?: Clock;
  /** Structured logger. Default: silent. */
  logger?: Logger;
  /** Defaults of step configs. Default Cloudflare's: 5 retries, 10 s exponential, 10 minutes per attempt. */
  stepDefaults?: StepConfig;
  /** Sleeps and retry delays up to this long are waited in process (holding the slot) instead of suspending. Default 1000 ms. */
  inlineWaitMs?: number;
  /** A step attempt running longer than this gets a "started" record (so a crash mid-attempt is visible and counted). Default 250 ms. */
  startedMarkerMs?: number;
  /** Extra members of the `step` object (see `StepExtensions`). Default none. */
  stepExtensions?: Record<string, StepExtension>;
  /** Retention of finished instances when neither the instance nor the workflow sets one. Default 30 days each. */
  retention?: { successRetention?: Duration; errorRetention?: Duration };
  /** How often finished instances past their retention (and old outbox events) are purged. Default 60 s. */
  purgeIntervalMs?: number;
  /** How long outbox events are kept; consumers (webhooks, live views) must read them within it. Default 7 days. */
  outboxRetention?: Duration;
  /** How long a version whose code no worker has is left alone before asking again. Default 30 s. */
  codeRetryMs?: number;
};

/** A workflow, by namespace and name. */
export type WorkflowRef = { namespace?: string; workflow: string };
/** An instance, by namespace, workflow and id. */
export type InstanceRef = { namespace?: string; workflow: string; id: string };

/** A workflow with its config, schedules and instance counts. */
export type WorkflowInfo = {
  id: string;
  namespace: string;
  name: string;
  className: string | null;
  createdAt: Date;
  modifiedAt: Date;
  currentVersionId: string | null;
  concurrency: number | null;
  schedules: Array<{ cron: string; nextInstance: Date | null }>;
  retention: { successRetentionMs: number | null; errorRetentionMs: number | null } | null;
  limits: { steps: number | null };
  instances: Partial<Record<InstanceStatus, number>>;
  triggeredAt: Date | null;
};

/** A version of a workflow. */
export type VersionInfo = { id: string; workflowName: string; namespace: string; versionKey: string; className: string; createdAt: Date; hasGraph: boolean };

/** What create returns. */
export type InstanceSummary = {
  id: string;
  namespace: string;
  workflowName: string;
  status: InstanceStatus;
  versionId: string;
  triggerSource: TriggerSource;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  modifiedAt: Date;
};

/** One attempt of a step. */
export type AttemptInfo = { attempt: number; startedAt: Date; endedAt: Date | null; success: boolean | null; error: StoredError | null; retryDelayMs?: number };

/** One record of an instance's history. Outputs of sensitive steps are `"[REDACTED]"`. */
export type StepInfo = {
  type: StepType;
  name: string;
  count: number;
  /** `name-count`, the name Cloudflare's API uses. */
  displayName: string;
  status: StepRow['status'];
  startedAt: Date;
  endedAt: Date | null;
  success: boolean | null;
  output: unknown;
  error: StoredError | null;
  config: StoredStepConfig | null;
  attempts: AttemptInfo[];
  wakeAt: Date | null;
  eventType: string | null;
  sensitive: boolean;
};

/** An instance with (optionally) its step history. */
export type InstanceDetails = InstanceSummary & {
  params: unknown;
  output: unknown;
  error: StoredError | null;
  schedule: { cron: string; scheduledTime: number } | null;
  rollback: RollbackOutcome | null;
  statusReason: StatusReason | null;
  pausedAt: Date | null;
  stepCount: number;
  steps: StepInfo[];
};

/** The outcome of one item of a bulk create. */
export type BatchCreateResult = { ok: true; instance: InstanceSummary } | { ok: false; id: string | undefined; error: { code: string; message: string } };

/** A page of instances. `cursor` continues the listing; null at the end. */
export type InstancePage = { instances: InstanceSummary[]; cursor: string | null; total: number };

/** The status after a status change. */
export type StatusChange = { status: InstanceStatus; timestamp: Date };

/** One step's full output, as `GET …/step` serves it. */
export type StepOutput = { status: StepRow['status']; output: unknown; error: StoredError | null; eventType: string | null };

/** Input of `instances.create`. */
export type CreateInstanceInput = WorkflowRef & {
  /** Default: a generated id (`wfi_…`). An id that exists is a conflict (`ALREADY_EXISTS`). */
  id?: string;
  /** The event payload (JSON, ≤ 1 MiB). Default `{}`. */
  params?: unknown;
  retention?: { successRetention?: Duration; errorRetention?: Duration };
  /** Default `"api"`. */
  triggerSource?: TriggerSource;
};

/** The engine. Dispose it (or `close()`) to stop its worker; the store stays open. */
export type Engine = AsyncDisposable & {
  readonly workerId: string;
  readonly store: Store;
  readonly clock: Clock;
  /** Registers code; returns its version. The definition's config applies to the workflow (deploy semantics). */
  register(definition: WorkflowDefinition, options?: { namespace?: string }): Promise<VersionInfo>;
  workflows: {
    get(ref: WorkflowRef): Promise<WorkflowInfo>;
    find(ref: WorkflowRef): Promise<WorkflowInfo | undefined>;
    list(query?: { namespace?: string; search?: string; page?: number; perPage?: number }): Promise<{ workflows: WorkflowInfo[]; total: number }>;
    /** Changes workflow config (Cloudflare's `PUT workflow`). Creates the workflow when it does not exist. */
    update(
      ref: WorkflowRef,
      patch: {
        concurrency?: number | null;
        schedules?: Array<string | { cron: string }>;
        retention?: { successRetention?: Duration; errorRetention?: Duration } | null;
        limits?: { steps?: number | null };
      },
    ): Promise<WorkflowInfo>;
    delete(ref: WorkflowRef): Promise<boolean>;
    listVersions(ref: WorkflowRef & { page?: number; perPage?: number }): Promise<{ versions: VersionInfo[]; total: number }>;
    getVersion(ref: WorkflowRef & { versionId: string }): Promise<VersionInfo>;
    getGraph(ref: WorkflowRef & { versionId: string }): Promise<WorkflowGraph | null>;
  };
  instances: {
    create(input: CreateInstanceInput): Promise<InstanceSummary>;
    /** Creates up to 100 instances; per-item results in input order. */
    createBatch(input: WorkflowRef & { items: Array<Omit<CreateInstanceInput, 'namespace' | 'workflow'>> }): Promise<BatchCreateResult[]>;
    get(ref: InstanceRef, options?: { steps?: boolean; order?: 'asc' | 'desc' }): Promise<InstanceDetails>;
    find(ref: InstanceRef, options?: { steps?: boolean; order?: 'asc' | 'desc' }): Promise<InstanceDetails | undefined>;
    list(
      query: WorkflowRef & {
        status?: InstanceStatus | InstanceStatus[];
        dateStart?: Date | number;
        dateEnd?: Date | number;
        direction?: 'asc' | 'desc';
        cursor?: string;
        page?: number;
        perPage?: number;
      },
    ): Promise<InstancePage>;
    pause(ref: InstanceRef): Promise<StatusChange>;
    resume(ref: InstanceRef): Promise<StatusChange>;
    terminate(ref: InstanceRef, options?: { rollback?: boolean }): Promise<StatusChange>;
    restart(ref: InstanceRef, options?: { from?: { name: string; count?: number; type?: 'do' | 'sleep' | 'waitForEvent' } }): Promise<StatusChange>;
    sendEvent(ref: InstanceRef & { type: string; payload?: unknown }): Promise<void>;
    getStep(ref: InstanceRef & { name: string; count?: number; type?: 'do' | 'sleep' | 'waitForEvent' | 'rollback' }): Promise<StepOutput>;
    /** Resolves when the instance reaches one of `statuses` (default: a final status); rejects with `TIMEOUT` or the signal's reason. */
    waitForStatus(ref: InstanceRef, options?: { statuses?: InstanceStatus[]; timeoutMs?: number; signal?: AbortSignal }): Promise<InstanceDetails>;
  };
  outbox: {
    read(query: { afterSeq: number; limit?: number; namespace?: string }): Promise<OutboxEvent[]>;
    latestSeq(): Promise<number>;
    /** Resolves true as soon as an event after `afterSeq` exists, false after `timeoutMs`. */
    wait(query: { afterSeq: number; timeoutMs?: number; signal?: AbortSignal }): Promise<boolean>;
    ack(consumer: string, seq: number): Promise<void>;
    cursor(consumer: string): Promise<number | undefined>;
    /** Deletes events up to `throughSeq` and older than `olderThan`; returns how many. */
    prune(query: { throughSeq?: number; olderThan?: Date | number; limit?: number }): Promise<number>;
  };
  /** Runs the cron scheduler and the retention sweep once (useful with a manual clock). */
  tick(): Promise<void>;
  /** Stops the worker (in-flight steps see their signal abort after `graceMs`) and the schedulers. */
  close(options?: { graceMs?: number }): Promise<void>;
};

const DEFAULT_RETENTION_MS = 30 * 86_400_000;
const REDACTED = '[REDACTED]';

function checkPositiveInt(op: string, field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PetrelError('VALIDATION_FAILED', `${op}: ${field} must be an integer from ${min} to ${max}`, { details: { field } });
  }
  return value;
}

function toRetention(op: string, input: { successRetention?: Duration; errorRetention?: Duration } | undefined): Retention | undefined {
  if (input === undefined) return undefined;
  if (input === null || typeof input !== 'object') throw new PetrelError('VALIDATION_FAILED', `${op}: retention must be an object`);
  const retention: Retention = {};
  if (input.successRetention !== undefined) retention.successMs = parseDuration(input.successRetention, `${op}: retention.successRetention`);
  if (input.errorRetention !== undefined) retention.errorMs = parseDuration(input.errorRetention, `${op}: retention.errorRetention`);
  return retention;
}

function date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function summary(row: InstanceListRow): InstanceSummary {
  return {
    id: row.id,
    namespace: row.namespace,
    workflowName: row.workflowName,
    status: row.status,
    versionId: row.versionId,
    triggerSource: row.triggerSource,
    createdAt: new Date(row.createdAt),
    startedAt: date(row.startedAt),
    endedAt: date(row.endedAt),
    modifiedAt: new Date(row.modifiedAt),
  };
}

function stepInfo(row: StepRow): StepInfo {
  return {
    type: row.type,
    name: row.name,
    count: row.count,
    displayName: `${row.name}-${row.count}`,
    status: row.status,
    startedAt: new Date(row.startedAt),
    endedAt: date(row.endedAt),
    success: row.status === 'complete' ? true : row.status === 'errored' ? false : null,
    output: row.sensitive && row.output !== null ? REDACTED : parseJsonText(row.output),
    error: row.error,
    config: row.config,
    attempts: row.attempts.map((a: AttemptRecord) => ({ ...a, startedAt: new Date(a.startedAt), endedAt: date(a.endedAt) })),
    wakeAt: date(row.wakeAt),
    eventType: row.eventType,
    sensitive: row.sensitive,
  };
}

function encodeCursor(row: { createdAt: number; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt === 'number' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw new PetrelError('VALIDATION_FAILED', 'instances.list: the cursor is not one this engine issued', { details: { field: 'cursor' } });
}

/** The public form of a version row. */
function versionInfo(row: VersionRow): VersionInfo {
  return {
  id: row.id,
  namespace: row.namespace,
  workflowName: row.workflowName,
  versionKey: row.versionKey,
  className: row.className,
  createdAt: new Date(row.createdAt),
  hasGraph: row.graph !== null,
  };
}


/** Validates one item of a create into a store row. */
function prepareItem(
  op: string,
  namespace: string,
  workflow: WorkflowRow,
  item: Omit<CreateInstanceInput, 'namespace' | 'workflow'>,
  parent?: ParentRef,
): NewInstance {
  if (item === null || typeof item !== 'object') throw new PetrelError('VALIDATION_FAILED', `${op}: each instance must be an object`);
  const id = item.id === undefined ? newId('engineInstance') : checkInstanceId(op, item.id);
  const params = toPayloadText(op, 'params', item.params === undefined ? {} : item.params);
  const triggerSource = item.triggerSource ?? 'api';
  const result: NewInstance = { namespace, workflowName: workflow.name, id, versionId: workflow.currentVersionId!, params, triggerSource };
  const retention = toRetention(op, item.retention);
  if (retention) result.retention = retention;
  if (parent) result.parent = parent;
  return result;
}


/** The error of an operation the instance's status does not allow. */
function invalid(op: string, row: InstanceRow, detail: string): PetrelError {
  return new PetrelError('INVALID_TRANSITION', `${op}: instance "${row.id}" is ${row.status}${detail ? `; ${detail}` : ''}`, { details: { status: row.status } });
}


/** Creates an engine over a store: registers `workflows`, and starts the worker, cron and purge loops when `slots > 0`. */
export async function createEngine(options: EngineOptions): Promise<Engine> {
  if (!options || typeof options.store !== 'object' || options.store === null) throw new PetrelError('VALIDATION_FAILED', 'createEngine: a store is required');
  const store = options.store;
  const defaultNamespace = checkNamespace('createEngine', options.namespace ?? 'default');
  const clock = options.clock ?? createSystemClock();
  const logger = options.logger ?? silentLogger;
  const slots = checkPositiveInt('createEngine', 'slots', options.slots ?? 10, 0, 10_000);
  const leaseMs = checkPositiveInt('createEngine', 'leaseMs', options.leaseMs ?? 30_000, 200, 3_600_000);
  const pollIntervalMs = checkPositiveInt('createEngine', 'pollIntervalMs', options.pollIntervalMs ?? 1000, 10, 3_600_000);
  const inlineWaitMs = checkPositiveInt('createEngine', 'inlineWaitMs', options.inlineWaitMs ?? 1000, 0, 60_000);
  const startedMarkerMs = checkPositiveInt('createEngine', 'startedMarkerMs', options.startedMarkerMs ?? 250, 0, 3_600_000);
  const purgeIntervalMs = checkPositiveInt('createEngine', 'purgeIntervalMs', options.purgeIntervalMs ?? 60_000, 100, 86_400_000);
  const codeRetryMs = checkPositiveInt('createEngine', 'codeRetryMs', options.codeRetryMs ?? 30_000, 10, 86_400_000);
  const outboxRetentionMs = parseDuration(options.outboxRetention ?? '7 days', 'createEngine: outboxRetention');
  const workerId = options.workerId ?? newId('worker');
  if (typeof workerId !== 'string' || workerId.length === 0 || workerId.length > 128) throw new PetrelError('VALIDATION_FAILED', 'createEngine: workerId must be 1 to 128 characters');
  const stepDefaults = resolveStepConfig('(defaults)', options.stepDefaults ?? {}, DEFAULT_STEP_CONFIG);
  if (stepDefaults.delayFn) throw new PetrelError('VALIDATION_FAILED', 'createEngine: stepDefaults.retries.delay cannot be a function');
  const retentionDefaults: Required<Retention> = {
    successMs: options.retention?.successRetention === undefined ? DEFAULT_RETENTION_MS : parseDuration(options.retention.successRetention, 'retention.successRetention'),
    errorMs: options.retention?.errorRetention === undefined ? DEFAULT_RETENTION_MS : parseDuration(options.retention.errorRetention, 'retention.errorRetention'),
  };
  const stepExtensions = { ...options.stepExtensions };
  for (const [key, build] of Object.entries(stepExtensions)) {
    if (typeof build !== 'function') throw new PetrelError('VALIDATION_FAILED', `createEngine: stepExtensions.${key} must be a function`);
    if (['do', 'sleep', 'sleepUntil', 'waitForEvent', 'startChild', 'waitForChild', 'instance'].includes(key)) {
      throw new PetrelError('VALIDATION_FAILED', `createEngine: stepExtensions.${key} would replace a built-in step member`);
    }
  }

  const ns = (namespace: string | undefined, op: string): string => (namespace === undefined ? defaultNamespace : checkNamespace(op, namespace));

  // Registry: the code this engine can run, by version id.
  const definitions = new Map<string, WorkflowDefinition>();
  let versionIdList: string[] = [];
  const settingsCache = new Map<string, { at: number; settings: RunSettings }>();

  const addDefinition = (versionId: string, definition: WorkflowDefinition): void => {
    if (!definitions.has(versionId)) {
      definitions.set(versionId, definition);
      versionIdList = [...definitions.keys()];
    }
    pool?.forgetMissing(versionId);
  };

  const settingsOf = async (namespace: string, workflowName: string): Promise<RunSettings> => {
    const key = `${namespace}/${workflowName}`;
    const cached = settingsCache.get(key);
    if (cached && clock.now() - cached.at < 5000) return cached.settings;
    const row = await store.findWorkflow(namespace, workflowName);
    const settings: RunSettings = {
      stepLimit: row?.stepLimit ?? LIMITS.stepsDefault,
      retention: { successMs: row?.retention?.successMs ?? retentionDefaults.successMs, errorMs: row?.retention?.errorMs ?? retentionDefaults.errorMs },
    };
    settingsCache.set(key, { at: clock.now(), settings });
    return settings;
  };

  const workflowInfo = async (row: WorkflowRow): Promise<WorkflowInfo> => {
    const { counts, lastCreatedAt } = await store.describeInstances(row.namespace, row.name);
    const now = clock.now();
    return {
      id: row.id,
      namespace: row.namespace,
      name: row.name,
      className: row.className,
      createdAt: new Date(row.createdAt),
      modifiedAt: new Date(row.modifiedAt),
      currentVersionId: row.currentVersionId,
      concurrency: row.concurrency,
      schedules: row.schedules.map((cron) => ({ cron, nextInstance: date(nextCronRun(cron, now) ?? null) })),
      retention: row.retention ? { successRetentionMs: row.retention.successMs ?? null, errorRetentionMs: row.retention.errorMs ?? null } : null,
      limits: { steps: row.stepLimit },
      instances: counts,
      triggeredAt: date(lastCreatedAt),
    };
  };

  const getWorkflowRow = async (op: string, namespace: string, name: string): Promise<WorkflowRow> => {
    checkWorkflowName(op, name);
    const row = await store.findWorkflow(namespace, name);
    if (!row) throw new PetrelError('WORKFLOW_NOT_FOUND', `${op}: no workflow "${name}"`);
    return row;
  };

  const register = async (definition: WorkflowDefinition, registerOptions?: { namespace?: string }): Promise<VersionInfo> => {
    const op = 'engine.register';
    if (!definition || typeof definition.run !== 'function' || typeof definition.versionKey !== 'string') {
      throw new PetrelError('VALIDATION_FAILED', `${op}: expected a definition made by defineWorkflow`);
    }
    const namespace = ns(registerOptions?.namespace, op);
    const name = checkWorkflowName(op, definition.name);
    const patch = workflowPatchFromConfig(op, definition.config);
    const versionId = derivedUuid('version', namespace, name, definition.versionKey);
    const now = clock.now();
    let graph: WorkflowGraph | null = definition.graph ?? null;
    if (!graph && definition.source) {
      try {
        graph = buildWorkflowGraph({ source: definition.source, className: definition.className }) ?? null;
      } catch (error) {
        logger.warn({ err: error, workflow: name }, 'engine: could not build the step graph');
      }
    }
    const version = await store.upsertVersion({ id: versionId, namespace, workflowName: name, versionKey: definition.versionKey, className: definition.className, createdAt: now, graph });
    await store.upsertWorkflow({ namespace, name, id: derivedUuid('workflow', namespace, name), now, currentVersionId: versionId, className: definition.className, ...patch });
    settingsCache.delete(`${namespace}/${name}`);
    addDefinition(versionId, definition);
    if (patch.schedules !== undefined) void cron?.poke();
    pool?.kick();
    return versionInfo(version);
  };

  const resolve = async (due: { namespace: string; workflowName: string; versionId: string }): Promise<WorkflowDefinition | undefined> => {
    const known = definitions.get(due.versionId);
    if (known) return known;
    if (!options.resolveWorkflow) return undefined;
    const definition = await options.resolveWorkflow(due);
    if (!definition) return undefined;
    if (definition.name !== due.workflowName) {
      logger.warn({ ...due, got: definition.name }, 'engine: resolveWorkflow returned a definition of another workflow');
      return undefined;
    }
    addDefinition(due.versionId, definition);
    return definition;
  };

  // Instances ----------------------------------------------------------------------------------

  const findRow = async (op: string, ref: InstanceRef): Promise<InstanceRow> => {
    const namespace = ns(ref.namespace, op);
    const workflowName = checkWorkflowName(op, ref.workflow);
    const instanceId = checkInstanceId(op, ref.id);
    const row = await store.findInstance({ namespace, workflowName, instanceId });
    if (!row) throw new PetrelError('INSTANCE_NOT_FOUND', `${op}: no instance "${instanceId}" of workflow "${workflowName}"`);
    return row;
  };

  const workflowForCreate = async (op: string, namespace: string, name: string): Promise<WorkflowRow> => {
    const workflow = await getWorkflowRow(op, namespace, name);
    if (!workflow.currentVersionId) throw new PetrelError('WORKFLOW_CODE_MISSING', `${op}: workflow "${name}" has no version yet; register its code first`);
    return workflow;
  };

  const create = async (input: CreateInstanceInput, parent?: ParentRef): Promise<InstanceSummary> => {
    const op = 'instances.create';
    if (!input || typeof input !== 'object') throw new PetrelError('VALIDATION_FAILED', `${op}: expected { workflow, id?, params? }`);
    const namespace = ns(input.namespace, op);
    const workflow = await workflowForCreate(op, namespace, input.workflow);
    const item = prepareItem(op, namespace, workflow, input, parent);
    const [outcome] = await store.createInstances([item], { now: clock.now() });
    if (!outcome?.ok) throw new PetrelError('ALREADY_EXISTS', `${op}: instance "${item.id}" of workflow "${workflow.name}" already exists; restart it to run it again`);
    return summary(outcome.instance);
  };

  const createChild: RunnerDeps['createChild'] = async (input) => {
    try {
      await create({ namespace: input.namespace, workflow: input.workflowName, id: input.id, params: input.params }, input.parent);
    } catch (error) {
      if (isPetrelError(error) && error.code === 'ALREADY_EXISTS') return;
      throw error;
    }
  };

  const details = async (row: InstanceRow, withSteps: boolean, order: 'asc' | 'desc'): Promise<InstanceDetails> => {
    const rows = withSteps ? await store.listSteps(row.pk) : [];
    const stepCount = withSteps ? rows.length : await store.countSteps(row.pk);
    if (order === 'desc') rows.reverse();
    return {
      ...summary(row),
      params: parseJsonText(row.params),
      output: parseJsonText(row.output),
      error: row.error,
      schedule: row.schedule,
      rollback: row.rollback,
      statusReason: row.statusReason,
      pausedAt: date(row.pausedAt),
      stepCount,
      steps: rows.map(stepInfo),
    };
  };

  /** Applies a status change computed from the current row, retrying when the row changed underneath. */
  const transition = async (op: string, ref: InstanceRef, plan: (row: InstanceRow, now: number) => Omit<Transition, 'pk' | 'expect' | 'now'> | 'noop', after?: (row: InstanceRow) => void): Promise<StatusChange> => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = await findRow(op, ref);
      const now = clock.now();
      const planned = plan(row, now);
      if (planned === 'noop') return { status: row.status, timestamp: new Date(now) };
      const applied = await store.applyTransition({ ...planned, pk: row.pk, expect: { status: row.status, epoch: row.epoch }, now });
      if (applied) {
        after?.(row);
        return { status: planned.set.status, timestamp: new Date(now) };
      }
    }
    throw new PetrelError('CONFLICT', `${op}: instance "${ref.id}" kept changing; try again`);
  };

  const purgeAtFor = async (row: InstanceRow, status: 'complete' | 'errored' | 'terminated', now: number): Promise<number> => {
    const settings = await settingsOf(row.namespace, row.workflowName);
    const ms = status === 'complete' ? (row.retention?.successMs ?? settings.retention.successMs) : (row.retention?.errorMs ?? settings.retention.errorMs);
    return now + ms;
  };

  const instances: Engine['instances'] = {
    create: (input) => create(input),

    async createBatch(input) {
      const op = 'instances.createBatch';
      if (!input || !Array.isArray(input.items)) throw new PetrelError('VALIDATION_FAILED', `${op}: items must be an array`);
      if (input.items.length > LIMITS.bulkCreateMax) throw new PetrelError('VALIDATION_FAILED', `${op}: at most ${LIMITS.bulkCreateMax} instances per call, got ${input.items.length}`);
      const namespace = ns(input.namespace, op);
      const workflow = await workflowForCreate(op, namespace, input.workflow);
      const results: Array<BatchCreateResult | undefined> = [];
      const valid: Array<{ index: number; item: NewInstance }> = [];
      const seen = new Set<string>();
      input.items.forEach((raw, index) => {
        try {
          const item = prepareItem(op, namespace, workflow, raw);
          if (seen.has(item.id)) throw new PetrelError('ALREADY_EXISTS', `${op}: id "${item.id}" appears twice in this batch`);
          seen.add(item.id);
          valid.push({ index, item });
          results.push(undefined);
        } catch (error) {
          const e = isPetrelError(error) ? error : new PetrelError('VALIDATION_FAILED', String(error));
          results.push({ ok: false, id: typeof raw?.id === 'string' ? raw.id : undefined, error: { code: e.code, message: e.message } });
        }
      });
      const outcomes = await store.createInstances(
        valid.map((v) => v.item),
        { now: clock.now() },
      );
      valid.forEach((v, i) => {
        const outcome = outcomes[i];
        results[v.index] = outcome?.ok
          ? { ok: true, instance: summary(outcome.instance) }
          : { ok: false, id: v.item.id, error: { code: 'ALREADY_EXISTS', message: `${op}: instance "${v.item.id}" already exists` } };
      });
      return results as BatchCreateResult[];
    },

    async get(ref, getOptions) {
      const row = await findRow('instances.get', ref);
      return details(row, getOptions?.steps ?? true, getOptions?.order ?? 'asc');
    },

    async find(ref, findOptions) {
      const op = 'instances.find';
      const row = await store.findInstance({ namespace: ns(ref.namespace, op), workflowName: checkWorkflowName(op, ref.workflow), instanceId: checkInstanceId(op, ref.id) });
      return row ? details(row, findOptions?.steps ?? true, findOptions?.order ?? 'asc') : undefined;
    },

    async list(query) {
      const op = 'instances.list';
      const namespace = ns(query.namespace, op);
      const workflowName = checkWorkflowName(op, query.workflow);
      const statuses = query.status === undefined ? undefined : Array.isArray(query.status) ? query.status : [query.status];
      for (const status of statuses ?? []) {
        if (!isInstanceStatus(status)) throw new PetrelError('VALIDATION_FAILED', `${op}: status "${String(status)}" is not an instance status`, { details: { field: 'status' } });
      }
      const perPage = query.perPage === undefined ? 25 : checkPositiveInt(op, 'perPage', query.perPage, 1, 1000);
      const page = query.page === undefined ? undefined : checkPositiveInt(op, 'page', query.page, 1, 1_000_000);
      if (page !== undefined && query.cursor !== undefined) throw new PetrelError('VALIDATION_FAILED', `${op}: give a cursor or a page, not both`);
      const toMs = (value: Date | number | undefined, field: string): number | undefined => {
        if (value === undefined) return undefined;
        const ms = value instanceof Date ? value.getTime() : value;
        if (!Number.isFinite(ms)) throw new PetrelError('VALIDATION_FAILED', `${op}: ${field} is not a valid date`, { details: { field } });
        return ms;
      };
      const direction = query.direction ?? 'desc';
      if (direction !== 'asc' && direction !== 'desc') throw new PetrelError('VALIDATION_FAILED', `${op}: direction must be asc or desc`);
      const createdFrom = toMs(query.dateStart, 'dateStart');
      const createdTo = toMs(query.dateEnd, 'dateEnd');
      const { rows, total } = await store.listInstances({
        namespace,
        workflowName,
        ...(statuses ? { statuses } : {}),
        ...(createdFrom === undefined ? {} : { createdFrom }),
        ...(createdTo === undefined ? {} : { createdTo }),
        direction,
        ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
        offset: page === undefined ? 0 : (page - 1) * perPage,
        limit: perPage + 1,
      });
      const more = rows.length > perPage;
      const pageRows = more ? rows.slice(0, perPage) : rows;
      const last = pageRows.at(-1);
      return { instances: pageRows.map(summary), cursor: more && last ? encodeCursor(last) : null, total };
    },

    pause: (ref) =>
      transition(
        'instances.pause',
        ref,
        (row, now) => {
          if (row.status === 'queued' || row.status === 'waiting') return { set: { status: 'paused', pausedAt: now, dueAt: null }, events: [{ kind: 'workflow_paused' }] };
          if (row.status === 'running') return { set: { status: 'waitingForPause' }, events: [{ kind: 'workflow_waiting_for_pause' }] };
          if (row.status === 'paused' || row.status === 'waitingForPause') return 'noop';
          throw invalid('instances.pause', row, 'it cannot be paused');
        },
        (row) => pool?.running.get(row.pk)?.requestPause(),
      ),

    resume: (ref) =>
      transition('instances.resume', ref, (row, now) => {
        if (row.status === 'paused') {
          return {
            set: { status: 'queued', pausedAt: null, dueAt: now },
            shiftWaitsMs: row.pausedAt === null ? 0 : Math.max(0, now - row.pausedAt),
            events: [{ kind: 'workflow_resumed', payload: { pausedMs: row.pausedAt === null ? 0 : now - row.pausedAt } }],
          };
        }
        if (row.status === 'waitingForPause') return { set: { status: 'running' }, events: [{ kind: 'workflow_resumed', payload: { pausedMs: 0 } }] };
        if (isFinalInstanceStatus(row.status)) throw invalid('instances.resume', row, 'a finished instance cannot be resumed; restart it instead');
        throw invalid('instances.resume', row, 'it is not paused');
      }),

    async terminate(ref, terminateOptions) {
      const op = 'instances.terminate';
      const rollback = terminateOptions?.rollback === true;
      let purgeAt = 0;
      const row0 = await findRow(op, ref);
      if (!rollback) purgeAt = await purgeAtFor(row0, 'terminated', clock.now());
      return transition(
        op,
        ref,
        (row, now) => {
          if (isFinalInstanceStatus(row.status) || row.status === 'rollingBack') throw invalid(op, row, 'it cannot be terminated');
          const termination: StepRow = {
            key: `termination:terminate:${row.epoch}`,
            type: 'termination',
            name: 'terminate',
            count: 1,
            seq: 1_000_000_000,
            status: 'complete',
            startedAt: now,
            endedAt: now,
            output: JSON.stringify({ trigger: { source: 'api' }, rollback }),
            error: null,
            config: null,
            attempts: [],
            wakeAt: null,
            eventType: null,
            sensitive: false,
          };
          if (rollback) {
            return {
              set: {
                status: 'rollingBack',
                rollbackCause: 'terminate',
                pendingError: { name: 'WorkflowTerminated', message: `instances.terminate: instance "${row.id}" was terminated` },
                pausedAt: null,
                dueAt: now,
              },
              revokeLease: true,
              addSteps: [termination],
              events: [{ kind: 'rollback_started', payload: { cause: 'terminate' } }],
            };
          }
          return {
            set: { status: 'terminated', endedAt: now, dueAt: null, waitingFor: null, purgeAt },
            revokeLease: true,
            addSteps: [termination],
            events: [{ kind: 'workflow_terminated', payload: { rollback: false } }],
          };
        },
        (row) => pool?.running.get(row.pk)?.abort('revoked', 'the instance was terminated'),
      );
    },

    async restart(ref, restartOptions) {
      const op = 'instances.restart';
      const from = restartOptions?.from;
      let fromKey: string | undefined;
      if (from !== undefined) {
        if (!from || typeof from.name !== 'string') throw new PetrelError('VALIDATION_FAILED', `${op}: from.name is required`);
        const type = from.type ?? 'do';
        if (type !== 'do' && type !== 'sleep' && type !== 'waitForEvent') throw new PetrelError('VALIDATION_FAILED', `${op}: from.type must be do, sleep or waitForEvent`);
        const count = from.count === undefined ? 1 : checkPositiveInt(op, 'from.count', from.count, 1, LIMITS.stepsMax);
        fromKey = `${type}:${from.name}:${count}`;
      }
      const row0 = await findRow(op, ref);
      let fromSeq: number | undefined;
      if (fromKey !== undefined) {
        const step = await store.findStep(row0.pk, fromKey);
        if (!step) throw new PetrelError('STEP_NOT_FOUND', `${op}: step "${from!.name}" (${fromKey.split(':')[0]} #${from!.count ?? 1}) is not in the history of instance "${row0.id}"`);
        fromSeq = step.seq;
      }
      const workflow = await store.findWorkflow(row0.namespace, row0.workflowName);
      return transition(
        op,
        ref,
        (row, now) => ({
          set: {
            status: 'queued',
            dueAt: now,
            versionId: workflow?.currentVersionId ?? row.versionId,
            startedAt: null,
            endedAt: null,
            pausedAt: null,
            output: null,
            error: null,
            rollback: null,
            rollbackCause: null,
            pendingError: null,
            purgeAt: null,
            statusReason: null,
            waitingFor: null,
          },
          revokeLease: true,
          deleteSteps: fromSeq === undefined ? 'all' : { fromSeq },
          events: [{ kind: 'workflow_restarted', payload: from ? { from: { name: from.name, count: from.count ?? 1, type: from.type ?? 'do' } } : {} }, { kind: 'workflow_queued', payload: { trigger: 'restart' } }],
        }),
        (row) => pool?.running.get(row.pk)?.abort('revoked', 'the instance was restarted'),
      );
    },

    async sendEvent(ref) {
      const op = 'instances.sendEvent';
      const namespace = ns(ref.namespace, op);
      const workflowName = checkWorkflowName(op, ref.workflow);
      const instanceId = checkInstanceId(op, ref.id);
      const type = checkEventType(op, ref.type);
      const payload = toPayloadText(op, 'the event payload', ref.payload === undefined ? null : ref.payload);
      await store.sendEvent({ namespace, workflowName, instanceId }, { type, payload, now: clock.now() });
    },

    async getStep(ref) {
      const op = 'instances.getStep';
      const row = await findRow(op, ref);
      const type = ref.type ?? 'do';
      const count = ref.count === undefined ? 1 : checkPositiveInt(op, 'count', ref.count, 1, LIMITS.stepsMax);
      const key = type === 'rollback' ? `rollback:do:${ref.name}:${count}` : `${type}:${ref.name}:${count}`;
      const step = await store.findStep(row.pk, key);
      if (!step) throw new PetrelError('STEP_NOT_FOUND', `${op}: instance "${row.id}" has no ${type} step "${ref.name.slice(0, 64)}" #${count}`);
      return {
        status: step.status,
        output: step.sensitive && step.output !== null ? REDACTED : parseJsonText(step.output),
        error: step.error,
        eventType: step.eventType,
      };
    },

    async waitForStatus(ref, waitOptions) {
      const op = 'instances.waitForStatus';
      const wanted = new Set<InstanceStatus>(waitOptions?.statuses ?? ['complete', 'errored', 'terminated']);
      const deadline = Date.now() + (waitOptions?.timeoutMs ?? 60_000);
      const signal = waitOptions?.signal;
      for (;;) {
        const checked = Date.now();
        const row = await findRow(op, ref);
        if (wanted.has(row.status)) return details(row, true, 'asc');
        if (signal?.aborted) throw signal.reason;
        const left = deadline - Date.now();
        if (left <= 0) throw new PetrelError('TIMEOUT', `${op}: instance "${row.id}" is still ${row.status}`);
        await waitForChange(Math.min(left, 200), signal);
        // Many changes arrive in bursts (a step per event); look again at most every 10 ms.
        const since = Date.now() - checked;
        if (since < 10) await new Promise((resolveDelay) => setTimeout(resolveDelay, 10 - since));
      }
    },
  };

  /** Waits for any store notification, or `ms`. */
  const waitForChange = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolveWait) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener('abort', done);
        resolveWait();
      };
      const timer = setTimeout(done, ms);
      const unsubscribe = store.subscribe(done);
      signal?.addEventListener('abort', done, { once: true });
    });

  const outbox: Engine['outbox'] = {
    read: (query) => store.readOutbox({ afterSeq: query.afterSeq, limit: query.limit ?? 100, ...(query.namespace === undefined ? {} : { namespace: query.namespace }) }),
    latestSeq: () => store.latestOutboxSeq(),
    async wait(query) {
      const deadline = Date.now() + (query.timeoutMs ?? 30_000);
      for (;;) {
        if ((await store.latestOutboxSeq()) > query.afterSeq) return true;
        if (query.signal?.aborted) throw query.signal.reason;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await waitForChange(Math.min(left, pollIntervalMs), query.signal);
      }
    },
    ack: (consumer, seq) => {
      if (typeof consumer !== 'string' || consumer.length === 0 || consumer.length > 128) throw new PetrelError('VALIDATION_FAILED', 'outbox.ack: consumer must be 1 to 128 characters');
      return store.ackOutbox(consumer, seq, clock.now());
    },
    cursor: (consumer) => store.findOutboxCursor(consumer),
    prune: (query) =>
      store.pruneOutbox({
        ...(query.throughSeq === undefined ? {} : { throughSeq: query.throughSeq }),
        ...(query.olderThan === undefined ? {} : { olderThan: query.olderThan instanceof Date ? query.olderThan.getTime() : query.olderThan }),
        limit: query.limit ?? 10_000,
      }),
  };

  const workflows: Engine['workflows'] = {
    async get(ref) {
      return workflowInfo(await getWorkflowRow('workflows.get', ns(ref.namespace, 'workflows.get'), ref.workflow));
    },
    async find(ref) {
      const op = 'workflows.find';
      const row = await store.findWorkflow(ns(ref.namespace, op), checkWorkflowName(op, ref.workflow));
      return row ? workflowInfo(row) : undefined;
    },
    async list(query) {
      const op = 'workflows.list';
      const perPage = query?.perPage === undefined ? 25 : checkPositiveInt(op, 'perPage', query.perPage, 1, 1000);
      const page = query?.page === undefined ? 1 : checkPositiveInt(op, 'page', query.page, 1, 1_000_000);
      const { rows, total } = await store.listWorkflows({
        namespace: ns(query?.namespace, op),
        ...(query?.search === undefined ? {} : { search: query.search }),
        offset: (page - 1) * perPage,
        limit: perPage,
      });
      return { workflows: await Promise.all(rows.map(workflowInfo)), total };
    },
    async update(ref, patch) {
      const op = 'workflows.update';
      const namespace = ns(ref.namespace, op);
      const name = checkWorkflowName(op, ref.workflow);
      const fields = workflowPatchFromConfig(op, {
        ...(patch.concurrency === undefined ? {} : { concurrency: patch.concurrency }),
        ...(patch.schedules === undefined ? {} : { schedules: patch.schedules.map((s) => (typeof s === 'string' ? s : s.cron)) }),
        ...(patch.retention === undefined ? {} : { retention: patch.retention }),
        ...(patch.limits === undefined ? {} : { limits: patch.limits }),
      });
      const row = await store.upsertWorkflow({ namespace, name, id: derivedUuid('workflow', namespace, name), now: clock.now(), ...fields });
      settingsCache.delete(`${namespace}/${name}`);
      if (fields.schedules !== undefined) void cron?.poke();
      pool?.kick();
      return workflowInfo(row);
    },
    async delete(ref) {
      const op = 'workflows.delete';
      return store.deleteWorkflow(ns(ref.namespace, op), checkWorkflowName(op, ref.workflow));
    },
    async listVersions(ref) {
      const op = 'workflows.listVersions';
      const namespace = ns(ref.namespace, op);
      await getWorkflowRow(op, namespace, ref.workflow);
      const perPage = ref.perPage === undefined ? 25 : checkPositiveInt(op, 'perPage', ref.perPage, 1, 1000);
      const page = ref.page === undefined ? 1 : checkPositiveInt(op, 'page', ref.page, 1, 1_000_000);
      const { rows, total } = await store.listVersions({ namespace, workflowName: ref.workflow, offset: (page - 1) * perPage, limit: perPage });
      return { versions: rows.map(versionInfo), total };
    },
    async getVersion(ref) {
      const op = 'workflows.getVersion';
      const row = await store.findVersion(ns(ref.namespace, op), checkWorkflowName(op, ref.workflow), ref.versionId);
      if (!row) throw new PetrelError('NOT_FOUND', `${op}: workflow "${ref.workflow}" has no version ${ref.versionId.slice(0, 64)}`);
      return versionInfo(row);
    },
    async getGraph(ref) {
      const op = 'workflows.getGraph';
      const row = await store.findVersion(ns(ref.namespace, op), checkWorkflowName(op, ref.workflow), ref.versionId);
      if (!row) throw new PetrelError('NOT_FOUND', `${op}: workflow "${ref.workflow}" has no version ${ref.versionId.slice(0, 64)}`);
      return row.graph;
    },
  };

  // Worker, cron and retention --------------------------------------------------------------

  const runnerDeps: RunnerDeps = {
    store,
    clock,
    logger,
    stepDefaults: stepDefaults.stored,
    inlineWaitMs,
    startedMarkerMs,
    stepExtensions,
    createChild,
  };
  const pool: WorkerPool | undefined =
    slots > 0
      ? new WorkerPool({
          store,
          clock,
          logger,
          owner: workerId,
          slots,
          leaseMs,
          pollIntervalMs,
          codeRetryMs,
          runner: runnerDeps,
          definitionOf: (versionId) => definitions.get(versionId),
          versionIds: () => versionIdList,
          resolve,
          settingsOf,
        })
      : undefined;
  const cron: CronScheduler | undefined = slots > 0 ? new CronScheduler({ store, clock, logger, maxSleepMs: 60_000 }) : undefined;
  let purgeTimer: TimerHandle | undefined;
  const purge = async (): Promise<void> => {
    for (;;) {
      const purged = await store.purgeInstances(clock.now(), 500);
      if (purged < 500) break;
    }
    for (;;) {
      const pruned = await store.pruneOutbox({ olderThan: clock.now() - outboxRetentionMs, limit: 10_000 });
      if (pruned < 10_000) break;
    }
  };

  for (const definition of options.workflows ?? []) await register(definition);
  if (pool) {
    if (options.workerId !== undefined) await store.releaseOwner(workerId, clock.now());
    pool.start();
    cron?.start();
    const sweep = (): void => {
      purgeTimer = clock.setTimer(sweep, purgeIntervalMs);
      purge().catch((error: unknown) => logger.warn({ err: error }, 'engine: retention purge failed'));
    };
    purgeTimer = clock.setTimer(sweep, purgeIntervalMs);
  }

  let closed: Promise<void> | undefined;
  const close = (closeOptions?: { graceMs?: number }): Promise<void> => {
    closed ??= (async () => {
      if (purgeTimer) clock.clearTimer(purgeTimer);
      await cron?.stop();
      await pool?.stop(closeOptions?.graceMs ?? 0);
    })();
    return closed;
  };

  return {
    workerId,
    store,
    clock,
    register,
    workflows,
    instances,
    outbox,
    async tick() {
      await cron?.poke();
      await purge();
      pool?.kick();
    },
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** Validates workflow config into the fields the store keeps. */
function workflowPatchFromConfig(
  op: string,
  config: {
    concurrency?: number | null;
    schedules?: string[];
    retention?: { successRetention?: Duration; errorRetention?: Duration } | null;
    limits?: { steps?: number | null };
  },
): { concurrency?: number | null; schedules?: string[]; retention?: Retention | null; stepLimit?: number | null } {
  const patch: { concurrency?: number | null; schedules?: string[]; retention?: Retention | null; stepLimit?: number | null } = {};
  if (config.concurrency !== undefined) patch.concurrency = config.concurrency === null ? null : checkPositiveInt(op, 'concurrency', config.concurrency, 1, 1_000_000);
  if (config.schedules !== undefined) {
    if (!Array.isArray(config.schedules)) throw new PetrelError('VALIDATION_FAILED', `${op}: schedules must be an array`);
    if (config.schedules.length > 100) throw new PetrelError('VALIDATION_FAILED', `${op}: at most 100 cron schedules per workflow`);
    patch.schedules = [...new Set(config.schedules.map((cron) => checkCron(op, cron)))];
  }
  if (config.retention !== undefined) patch.retention = config.retention === null ? null : (toRetention(op, config.retention) ?? null);
  if (config.limits?.steps !== undefined) patch.stepLimit = config.limits.steps === null ? null : checkPositiveInt(op, 'limits.steps', config.limits.steps, 1, LIMITS.stepsMax);
  return patch;
}

