// @petrel/engine: durable code workflows in the shape of Cloudflare Workflows — steps with retries,
// sleeps, events, pause/resume/terminate/restart, rollbacks, versions and graphs, cron, leases and a
// transactional outbox — over an asynchronous Store port with two adapters: SQLite (embedded, the
// default) and PostgreSQL (any number of worker processes on any number of hosts).
export { createEngine } from './engine.ts';
export type {
  Engine,
  EngineOptions,
  WorkflowResolver,
  WorkflowRef,
  InstanceRef,
  WorkflowInfo,
  VersionInfo,
  InstanceSummary,
  InstanceDetails,
  InstancePage,
  StepInfo,
  AttemptInfo,
  StepOutput,
  StatusChange,
  BatchCreateResult,
  CreateInstanceInput,
} from './engine.ts';
export { defineWorkflow, WorkflowEntrypoint, hashSource } from './workflow.ts';
export type {
  WorkflowDefinition,
  DefineWorkflowInput,
  WorkflowConfig,
  WorkflowEvent,
  WorkflowStep,
  WorkflowStepBase,
  WorkflowStepEvent,
  WorkflowRun,
  WorkflowEntrypointClass,
  WorkflowEntrypointContext,
  StepExtensions,
  StepExtension,
  StepInstanceInfo,
  RollbackOptions,
  RollbackContext,
  ChildHandle,
  ChildResult,
} from './workflow.ts';
export { NonRetryableError, isNonRetryableError } from './step-errors.ts';
export { DEFAULT_STEP_CONFIG, retryDelayMs } from './step-config.ts';
export type { StepConfig, StepContext, DelayFunction } from './step-config.ts';
export { createSqliteStore, sqliteDatabasePath, applyPragmas } from './sqlite-store.ts';
export type { SqliteStoreOptions } from './sqlite-store.ts';
export { SQLITE_MIGRATIONS } from './sqlite-migrations.ts';
export type { EngineMigration } from './store-rows.ts';
export { createPostgresStore, isConnectionError } from './postgres-store.ts';
export { openStore, isPostgresUrl } from './open-store.ts';
export type { OpenStoreOptions } from './open-store.ts';
export { runWorker } from './run-worker.ts';
export type { RunWorkerOptions } from './run-worker.ts';
export type { PostgresStoreOptions } from './postgres-store.ts';
export { POSTGRES_MIGRATIONS } from './postgres-migrations.ts';
export type {
  Store,
  StoreNotification,
  InstanceRow,
  InstanceListRow,
  InstanceKey,
  InstanceQuery,
  InstancePatch,
  InstanceSnapshot,
  StepRow,
  StepRecordStatus,
  StepWrite,
  AttemptRecord,
  StoredError,
  StoredStepConfig,
  Backoff,
  Lease,
  ClaimRequest,
  ClaimedInstance,
  NewInstance,
  CreateOutcome,
  CronMark,
  CronSchedule,
  DueVersion,
  Finish,
  Suspension,
  SuspendOutcome,
  Transition,
  PendingEvent,
  ParentRef,
  Retention,
  RollbackOutcome,
  StatusReason,
  ScheduleRow,
  SendEventOutcome,
  WorkflowRow,
  WorkflowUpsert,
  VersionRow,
  OutboxEvent,
  OutboxEventInput,
} from './store.ts';
export { OUTBOX_EVENT_KINDS } from './outbox-events.ts';
export type { OutboxEventKind } from './outbox-events.ts';
export { buildWorkflowGraph } from './graph-builder.ts';
export type { WorkflowGraph, GraphNode, GraphBlock, GraphFunction, GraphDuration, JsonShape } from './graph-types.ts';
export { createSystemClock, createManualClock } from './clock.ts';
export type { Clock, ManualClock, TimerHandle } from './clock.ts';
export { checkCron, cronInstanceId, nextCronRun } from './cron-scheduler.ts';
