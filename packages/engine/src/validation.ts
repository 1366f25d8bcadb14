// Input checks shared by the engine's API and its runner. Each failure is a PetrelError whose
// message names the operation and the field; nothing is written when a check fails.
import { LIMITS, NAME_PATTERN, PetrelError } from '@petrel/protocol';
import type { ErrorCode } from '@petrel/protocol';

/** Longest namespace (an organization id, or `"default"`). */
export const NAMESPACE_MAX_LENGTH = 64;

function checkName(op: string, field: string, value: unknown, max: number): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new PetrelError('INVALID_ID', `${op}: ${field} must be a non-empty string`, { details: { field } });
  }
  if (value.length > max) {
    throw new PetrelError('INVALID_ID', `${op}: ${field} is ${value.length} characters; the limit is ${max}`, { details: { field } });
  }
  if (!NAME_PATTERN.test(value)) {
    throw new PetrelError('INVALID_ID', `${op}: ${field} "${value}" may contain only letters, digits, "_" and "-", and may not start with "-"`, {
      details: { field },
    });
  }
  return value;
}

/** Checks a namespace. */
export function checkNamespace(op: string, value: unknown): string {
  return checkName(op, 'namespace', value, NAMESPACE_MAX_LENGTH);
}

/** Checks a workflow name (≤ 64 characters of `[a-zA-Z0-9_-]`). */
export function checkWorkflowName(op: string, value: unknown): string {
  return checkName(op, 'workflow name', value, LIMITS.workflowNameLength);
}

/** Checks an instance id (≤ 100 characters of `[a-zA-Z0-9_-]`). */
export function checkInstanceId(op: string, value: unknown): string {
  return checkName(op, 'instance id', value, LIMITS.instanceIdLength);
}

/** Checks an event type (≤ 100 characters of `[a-zA-Z0-9_-]`). */
export function checkEventType(op: string, value: unknown): string {
  return checkName(op, 'event type', value, LIMITS.eventTypeLength);
}

// oxlint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Checks a step name: 1–256 characters, no control characters. */
export function checkStepName(op: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new PetrelError('INVALID_STEP_CONFIG', `${op}: the step name must be a non-empty string`);
  }
  if (value.length > LIMITS.stepNameLength) {
    throw new PetrelError('INVALID_STEP_CONFIG', `${op}: step name is ${value.length} characters; the limit is ${LIMITS.stepNameLength}`);
  }
  if (CONTROL_CHARS.test(value)) throw new PetrelError('INVALID_STEP_CONFIG', `${op}: step name "${value.slice(0, 64)}" contains control characters`);
  return value;
}

function strictReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`${key ? `"${key}" is` : 'the value is'} a ${typeof value}`);
  }
  if (value instanceof Map || value instanceof Set) throw new TypeError(`${key ? `"${key}" is` : 'the value is'} a ${value.constructor.name}`);
  return value;
}

/**
 * Serialises a value to JSON text, refusing what JSON cannot carry faithfully (functions, symbols,
 * bigints, Maps, Sets, cycles), and checks its size in UTF-8 bytes. `undefined` gives null.
 */
export function toJsonText(op: string, what: string, value: unknown, maxBytes: number, codes: { invalid: ErrorCode; tooLarge: ErrorCode }): string | null {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, strictReplacer);
  } catch (error) {
    throw new PetrelError(codes.invalid, `${op}: ${what} is not JSON-serialisable (${(error as Error).message})`);
  }
  if (text === undefined) return null;
  // Byte length only matters near the limit; UTF-8 uses at most 3 bytes per UTF-16 unit.
  if (text.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > maxBytes) {
      throw new PetrelError(codes.tooLarge, `${op}: ${what} is ${bytes} bytes of JSON; the limit is ${maxBytes}`, { details: { bytes, limit: maxBytes } });
    }
  }
  return text;
}

/** Serialises instance params or an event payload (≤ 1 MiB; `undefined` becomes `{}` for params). */
export function toPayloadText(op: string, what: string, value: unknown): string {
  return toJsonText(op, what, value, LIMITS.payloadBytes, { invalid: 'VALIDATION_FAILED', tooLarge: 'PAYLOAD_TOO_LARGE' }) ?? 'null';
}

/** Parses JSON text written by the engine; null text is `undefined`. */
export function parseJsonText(text: string | null): unknown {
  return text === null ? undefined : JSON.parse(text);
}
