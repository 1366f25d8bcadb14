// Names, ids and sizes the engine accepts, following Cloudflare Workflows' published limits.

/** Workflow names and user-chosen instance ids: letters, digits, `_` and `-`, not starting with `-`. */
export const NAME_PATTERN = /^[a-zA-Z0-9_][a-zA-Z0-9_-]*$/;

/** Engine limits. */
export const LIMITS = {
  /** Longest workflow name. */
  workflowNameLength: 64,
  /** Longest instance id. */
  instanceIdLength: 100,
  /** Longest step name. */
  stepNameLength: 256,
  /** Longest event type. */
  eventTypeLength: 100,
  /** Largest step output, as JSON bytes. */
  stepOutputBytes: 1024 * 1024,
  /** Largest instance params or event payload, as JSON bytes. */
  payloadBytes: 1024 * 1024,
  /** Default and highest step count of one instance. */
  stepsDefault: 10_000,
  stepsMax: 25_000,
  /** Most retries of one step. */
  retriesMax: 10_000,
  /** Longest sleep. */
  sleepMaxMs: 365 * 86_400_000,
  /** Most items in one bulk create. */
  bulkCreateMax: 100,
} as const;
