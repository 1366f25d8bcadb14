// @petrel/protocol: ids, statuses, limits, durations, the error table and the logging port.
// Zod schemas of the wire types of both APIs are added here as the server is built.
export { ID_PREFIXES, newId, isId, findIdTime } from './ids.ts';
export type { IdKind } from './ids.ts';
export { ERROR_CODES, PetrelError, isPetrelError, isErrorCode, getHttpStatus } from './errors.ts';
export type { ErrorCode, PetrelErrorOptions } from './errors.ts';
export { parseDuration, formatDuration } from './duration.ts';
export type { Duration, DurationUnit } from './duration.ts';
export {
  INSTANCE_STATUSES,
  FINAL_INSTANCE_STATUSES,
  isFinalInstanceStatus,
  isInstanceStatus,
  STEP_TYPES,
  STEP_STATUSES,
  RUN_STATUSES,
  FINAL_RUN_STATUSES,
  TRIGGER_SOURCES,
} from './status.ts';
export type { InstanceStatus, StepType, StepStatus, RunStatus, TriggerSource } from './status.ts';
export { NAME_PATTERN, LIMITS } from './limits.ts';
export { silentLogger } from './logger.ts';
export type { Logger, LogFn } from './logger.ts';
