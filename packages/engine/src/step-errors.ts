// Errors as steps see them: NonRetryableError (Cloudflare's, detected by name as Cloudflare does),
// and the stored form of an error, { name, message, code? }, which a replay rethrows so that a
// try/catch around a failed step takes the same branch on every replay.
import { PetrelError, isErrorCode } from '@petrel/protocol';
import type { StoredError } from './store.ts';

/** Thrown from a step to stop its retries at once; the error is rethrown into `run()`. */
export class NonRetryableError extends Error {
  /** Creates the error; `name` defaults to `"NonRetryableError"` as in Cloudflare Workflows. */
  constructor(message: string, name = 'NonRetryableError') {
    super(message);
    this.name = name;
  }
}

/**
 * True when a step error must not be retried: a `NonRetryableError` (by class, by name, or by a
 * message starting with its name, as after an RPC boundary), or any error whose `nonRetryable` is true.
 */
export function isNonRetryableError(error: unknown): boolean {
  if (error instanceof NonRetryableError) return true;
  if (!(error instanceof Error)) return false;
  if (error.name === 'NonRetryableError' || error.message.startsWith('NonRetryableError')) return true;
  return (error as { nonRetryable?: unknown }).nonRetryable === true;
}

const MAX_MESSAGE = 4096;

/** The stored form of anything thrown: name, message (capped at 4 KiB) and the Petrel code when there is one. */
export function toStoredError(error: unknown): StoredError {
  if (error instanceof Error) {
    const stored: StoredError = { name: error.name || 'Error', message: error.message.slice(0, MAX_MESSAGE) };
    const code = (error as { code?: unknown }).code;
    if (isErrorCode(code)) stored.code = code;
    return stored;
  }
  return { name: 'Error', message: String(error).slice(0, MAX_MESSAGE) };
}

/** Rebuilds a throwable error from its stored form (a `PetrelError` when it has a code). */
export function fromStoredError(stored: StoredError): Error {
  if (stored.code !== undefined && isErrorCode(stored.code)) {
    const error = new PetrelError(stored.code, stored.message);
    if (stored.name !== 'PetrelError') error.name = stored.name;
    return error;
  }
  if (stored.name === 'NonRetryableError') return new NonRetryableError(stored.message);
  const error = new Error(stored.message);
  error.name = stored.name;
  return error;
}

/** Why an invocation stopped without recording anything (lease lost, terminate, restart, shutdown). */
export class InvocationAbort extends Error {
  override name = 'InvocationAbort';
  readonly reason: 'lease_lost' | 'shutdown' | 'revoked';
  constructor(reason: 'lease_lost' | 'shutdown' | 'revoked', message: string) {
    super(message);
    this.reason = reason;
  }
}

/** A rule of the engine was broken (bad step config, non-serialisable output, step limit): the instance errors without rollbacks. */
export class WorkflowFatal extends Error {
  override name = 'WorkflowFatal';
  readonly stored: StoredError;
  readonly skipRollback: boolean;
  constructor(error: PetrelError, skipRollback: boolean) {
    super(error.message, { cause: error });
    this.stored = toStoredError(error);
    this.skipRollback = skipRollback;
  }
}
