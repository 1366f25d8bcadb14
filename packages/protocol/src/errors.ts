// The one table of error codes. Every error that crosses a package or process boundary carries one
// of these codes; the table maps it to the HTTP status the APIs answer with. Add a code here (with a
// status and one line of meaning) rather than inventing a string elsewhere.

/** Every stable error code, its HTTP status and what it means. */
export const ERROR_CODES = {
  // Bad input (4xx)
  INVALID_INPUT: { status: 400, meaning: 'The request is malformed: bad JSON, a wrong type, an unknown field.' },
  VALIDATION_FAILED: { status: 422, meaning: 'The request is well-formed but a field value is not acceptable.' },
  INVALID_DURATION: { status: 400, meaning: 'A duration is not milliseconds or "<n> <unit>".' },
  INVALID_ID: { status: 400, meaning: 'An id or name does not match its allowed pattern or length.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'A body, parameter, event payload or step output is over its size limit.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The request body has a Content-Type the route does not accept.' },
  RANGE_NOT_SATISFIABLE: { status: 416, meaning: 'A Range header asks for bytes outside the content.' },
  UNAUTHENTICATED: { status: 403, meaning: 'No API key was sent, or it is not a valid key.' },
  FORBIDDEN: { status: 403, meaning: 'The key is valid but may not do this.' },
  NOT_FOUND: { status: 404, meaning: 'No such resource in this organization.' },
  WORKFLOW_NOT_FOUND: { status: 404, meaning: 'No workflow of that name or id in this organization.' },
  INSTANCE_NOT_FOUND: { status: 404, meaning: 'No workflow instance of that id.' },
  STEP_NOT_FOUND: { status: 404, meaning: 'The instance has no step of that name.' },
  RUN_NOT_FOUND: { status: 404, meaning: 'No run of that id in this organization.' },
  ALREADY_EXISTS: { status: 409, meaning: 'A resource with that id or name already exists.' },
  INVALID_TRANSITION: { status: 409, meaning: 'The resource is in a state that does not allow this operation.' },
  CONFLICT: { status: 409, meaning: 'The request conflicts with the current state (e.g. a session in use).' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, meaning: 'The Idempotency-Key was used with a different body, or its first request is still running.' },
  RATE_LIMITED: { status: 429, meaning: 'Too many requests; retry after the indicated delay.' },
  UNSUPPORTED_ENGINE: { status: 400, meaning: 'The requested run engine is not supported yet.' },
  TEMPLATE_ERROR: { status: 422, meaning: 'A Jinja template could not be parsed or rendered (syntax, an undefined variable in strict mode, misuse of | json).' },
  UNSUPPORTED_BLOCK: { status: 422, meaning: 'The block type parses, but Petrel cannot run it yet.' },

  // Workflow and step failures (recorded on instances; 4xx/5xx only when surfaced by an API call)
  NON_RETRYABLE: { status: 422, meaning: 'A step threw NonRetryableError; no further attempts were made.' },
  STEP_FAILED: { status: 500, meaning: 'A step failed after its last attempt.' },
  STEP_TIMEOUT: { status: 504, meaning: 'A step attempt ran longer than its timeout.' },
  EVENT_TIMEOUT: { status: 504, meaning: 'waitForEvent timed out before an event of its type arrived.' },
  STEP_OUTPUT_TOO_LARGE: { status: 413, meaning: 'A step returned more than 1 MiB of JSON.' },
  STEP_OUTPUT_NOT_SERIALIZABLE: { status: 422, meaning: 'A step returned a value that is not JSON-serialisable.' },
  STEP_LIMIT_EXCEEDED: { status: 422, meaning: 'The instance ran more steps than its workflow allows.' },
  INVALID_STEP_CONFIG: { status: 422, meaning: 'A step config is malformed (unknown key, bad retries or timeout).' },
  WORKFLOW_CODE_MISSING: { status: 409, meaning: 'No worker has loaded the code of this workflow version.' },
  LEASE_LOST: { status: 409, meaning: 'The worker no longer holds the lease on the instance it was running.' },
  ATTEMPT_INTERRUPTED: { status: 500, meaning: 'A step attempt was cut short by a worker crash or a lost lease; it counts as a failed attempt.' },
  WORKFLOW_FATAL: { status: 500, meaning: 'The workflow broke a rule of the engine (e.g. an invalid step config) and was stopped without retries.' },

  // Runtime and integrations
  LLM_NOT_CONFIGURED: { status: 400, meaning: 'No language model is configured for this run.' },
  LLM_ERROR: { status: 502, meaning: 'The language model provider answered with an error.' },
  BROWSER_ERROR: { status: 500, meaning: 'The browser failed or crashed.' },
  BROWSER_NOT_FOUND: { status: 500, meaning: 'No Chromium executable could be found.' },
  BROWSER_SESSION_NOT_FOUND: { status: 404, meaning: 'No browser session of that id.' },
  BROWSER_SESSION_BUSY: { status: 409, meaning: 'The browser session is occupied by another run.' },
  BROWSER_PROFILE_NOT_FOUND: { status: 404, meaning: 'No browser profile of that id.' },
  ELEMENT_NOT_FOUND: { status: 422, meaning: 'An element id or recorded selector matches nothing on the page; observe again.' },
  ACTION_FAILED: { status: 422, meaning: 'A browser action could not be performed on the page.' },
  INTEGRATION_NOT_CONFIGURED: { status: 400, meaning: 'A feature needs an integration that is not configured.' },
  OUTBOUND_BLOCKED: { status: 400, meaning: 'An outbound request was refused by the outbound policy.' },
  WEBHOOK_DELIVERY_FAILED: { status: 502, meaning: 'A webhook receiver did not accept a delivery (network error, timeout or a non-2xx answer).' },
  CANCELED: { status: 409, meaning: 'The operation was canceled.' },
  TIMEOUT: { status: 504, meaning: 'The operation did not finish in time.' },
  STORE_UNAVAILABLE: { status: 503, meaning: 'The database cannot be reached.' },
  UNAVAILABLE: { status: 503, meaning: 'The service is starting, stopping or overloaded.' },
  INVALID_CONFIG: { status: 500, meaning: 'The server configuration is invalid (an env var, a flag, or the master key file).' },
  INTERNAL: { status: 500, meaning: 'An unexpected error; the log has details.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** A stable error code from `ERROR_CODES`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of a `PetrelError` beyond its code and message. */
export type PetrelErrorOptions = {
  /** The underlying error, chained for logs (never shown to API clients). */
  cause?: unknown;
  /** Structured detail safe to show a client, e.g. `{ field: 'name' }` or per-field issues. */
  details?: unknown;
  /** When true, retrying the same operation cannot succeed. Defaults to true for 4xx codes. */
  nonRetryable?: boolean;
  /** When set, the caller should wait this long before retrying. */
  retryAfterMs?: number;
};

/** The error type of Petrel: a stable `code`, an HTTP `status` from the table, and retry hints. */
export class PetrelError extends Error {
  override name = 'PetrelError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly nonRetryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: PetrelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options.details;
    this.nonRetryable = options.nonRetryable ?? this.status < 500;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The JSON form clients see: code, message and details; never the cause or stack. */
  toJSON(): { code: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `value` is a `PetrelError` (also across copies of this module). */
export function isPetrelError(value: unknown): value is PetrelError {
  if (value instanceof PetrelError) return true;
  if (!(value instanceof Error) || !('status' in value)) return false;
  return isErrorCode((value as Error & { code?: unknown }).code);
}

/** True when `value` is one of the codes of the table. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The HTTP status of an error code. */
export function getHttpStatus(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
