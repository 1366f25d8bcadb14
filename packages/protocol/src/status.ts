// Status sets. The engine's are Cloudflare Workflows' exactly; Skyvern's run statuses are a view
// over them, computed by the server in one place.

/** Statuses of an engine instance, exactly as Cloudflare Workflows names them. */
export const INSTANCE_STATUSES = [
  'queued',
  'running',
  'paused',
  'errored',
  'terminated',
  'complete',
  'waiting',
  'waitingForPause',
  'rollingBack',
] as const;
/** A status of an engine instance. */
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Instance statuses from which nothing moves on its own (restart still may). */
export const FINAL_INSTANCE_STATUSES: readonly InstanceStatus[] = ['errored', 'terminated', 'complete'];

/** True when an instance status is final. */
export function isFinalInstanceStatus(status: InstanceStatus): boolean {
  return status === 'errored' || status === 'terminated' || status === 'complete';
}

/** True when `value` is an instance status. */
export function isInstanceStatus(value: unknown): value is InstanceStatus {
  return typeof value === 'string' && (INSTANCE_STATUSES as readonly string[]).includes(value);
}

/** Kinds of records in an instance's step history. */
export const STEP_TYPES = ['do', 'sleep', 'waitForEvent', 'rollback', 'termination'] as const;
/** A kind of step record. */
export type StepType = (typeof STEP_TYPES)[number];

/** Statuses of one step record. */
export const STEP_STATUSES = ['running', 'complete', 'errored', 'waiting'] as const;
/** A status of one step record. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Skyvern's run statuses (`skyvern/schemas/run_enums.py`). */
export const RUN_STATUSES = [
  'created',
  'queued',
  'running',
  'paused',
  'timed_out',
  'failed',
  'terminated',
  'completed',
  'canceled',
] as const;
/** A Skyvern run status. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Run statuses that are final. */
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['timed_out', 'failed', 'terminated', 'completed', 'canceled'];

/** How an instance was created. */
export const TRIGGER_SOURCES = ['api', 'cron', 'binding', 'event', 'unknown'] as const;
/** The source that created an instance. */
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];
