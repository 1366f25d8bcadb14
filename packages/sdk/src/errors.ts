// Errors the SDK throws. An HTTP answer with an error status is an `ApiError` (a subclass for the
// statuses Skyvern's SDK names), carrying the status, the body as the server sent it, Petrel's
// stable `code` and the request id. A call that got no answer is a `ConnectionError`; one that ran
// out of time is a `TimeoutError`. A run that failed is not an error: it is a result.

/** Options of `ApiError`. */
export type ApiErrorOptions = {
  /** HTTP status of the answer. */
  statusCode: number;
  /** The parsed JSON body of the answer (the text when it is not JSON), as the server sent it. */
  body: unknown;
  /** The `x-request-id` of the answer. */
  requestId?: string | undefined;
  /** Headers of the answer. */
  headers?: Headers | undefined;
};

function detailOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body.length > 0 ? body.slice(0, 500) : undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    // FastAPI-style validation issues: `loc` and `msg` of each.
    return detail
      .map((issue: { loc?: unknown; msg?: unknown }) => {
        const loc = Array.isArray(issue.loc) ? issue.loc.join('.') : '';
        return loc.length > 0 ? `${loc}: ${String(issue.msg)}` : String(issue.msg);
      })
      .join('; ');
  }
  return undefined;
}

/** An HTTP answer with an error status. */
export class ApiError extends Error {
  override name = 'ApiError';
  /** HTTP status of the answer. */
  readonly statusCode: number;
  /** The body as the server sent it (parsed JSON, or text). */
  readonly body: unknown;
  /** Petrel's stable error code (`NOT_FOUND`, `VALIDATION_FAILED`, ...), when the body has one. */
  readonly code: string | undefined;
  /** The server's `detail` (validation issues joined), when the body has one. */
  readonly detail: string | undefined;
  /** The `x-request-id` of the answer, to find the server's log line. */
  readonly requestId: string | undefined;
  /** Headers of the answer. */
  readonly headers: Headers | undefined;

  constructor(message: string, options: ApiErrorOptions) {
    const detail = detailOf(options.body);
    super(detail === undefined ? message : `${message}: ${detail}`);
    this.statusCode = options.statusCode;
    this.body = options.body;
    const code = typeof options.body === 'object' && options.body !== null ? (options.body as { code?: unknown }).code : undefined;
    this.code = typeof code === 'string' ? code : undefined;
    this.detail = detail;
    this.requestId = options.requestId;
    this.headers = options.headers;
  }
}

/** 400: the request is malformed or the operation is not allowed for this input. */
export class BadRequestError extends ApiError {
  override name = 'BadRequestError';
}

/** 403: no API key, or an invalid or revoked one. */
export class ForbiddenError extends ApiError {
  override name = 'ForbiddenError';
}

/** 404: no such resource in this organization (or no such route). */
export class NotFoundError extends ApiError {
  override name = 'NotFoundError';
}

/** 409: conflicts with the current state, or an `Idempotency-Key` reused with another body. */
export class ConflictError extends ApiError {
  override name = 'ConflictError';
}

/** 422: the request does not match the schema; `detail` names each field. */
export class UnprocessableEntityError extends ApiError {
  override name = 'UnprocessableEntityError';
}

/** The error class for an HTTP status. */
export function createApiError(message: string, options: ApiErrorOptions): ApiError {
  switch (options.statusCode) {
    case 400:
      return new BadRequestError(message, options);
    case 403:
      return new ForbiddenError(message, options);
    case 404:
      return new NotFoundError(message, options);
    case 409:
      return new ConflictError(message, options);
    case 422:
      return new UnprocessableEntityError(message, options);
    default:
      return new ApiError(message, options);
  }
}

/** A request or a wait ran out of time. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  /** The time limit that passed, in milliseconds. */
  readonly timeoutMs: number;
  /** For `waitForCompletion`: the run as last seen (still not final). */
  readonly lastRun: unknown;

  constructor(message: string, options: { timeoutMs: number; lastRun?: unknown; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.timeoutMs = options.timeoutMs;
    this.lastRun = options.lastRun;
  }
}

/** The server could not be reached, or the connection broke before an answer (the cause says why). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}
