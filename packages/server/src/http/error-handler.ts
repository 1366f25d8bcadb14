// The app's one error handler. A `PetrelError` answers with its status and `{ detail, code }`; a
// request that fails its schema answers 422 with FastAPI's `{ detail: [{ loc, msg, type }] }`;
// malformed JSON is a 400, an oversized body a 413, a wrong Content-Type a 415; anything else is a
// 500 whose cause is logged and never shown. No answer echoes the value that was sent.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { ErrorCode, ErrorResponse, ValidationErrorResponse, ValidationIssue } from '@petrel/protocol';
import type { AppEnv } from './app-env.ts';

/** Request parts as validation targets name them, and as FastAPI's `loc` names them. */
const LOCATIONS: Record<string, string> = { json: 'body', form: 'body', query: 'query', param: 'path', header: 'header', cookie: 'cookie' };

/** A request that failed validation; carries FastAPI-style issues. */
export class RequestValidationError extends Error {
  override name = 'RequestValidationError';
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    super('request validation failed');
    this.issues = issues;
  }
}

type ZodIssue = ZodError['issues'][number];

function issueType(issue: ZodIssue, missing: boolean): string {
  switch (issue.code) {
    case 'invalid_type':
      return missing ? 'missing' : `${issue.expected}_type`;
    case 'too_small':
      return issue.origin === 'string' || issue.origin === 'array' ? 'too_short' : 'greater_than_equal';
    case 'too_big':
      return issue.origin === 'string' || issue.origin === 'array' ? 'too_long' : 'less_than_equal';
    case 'invalid_value':
      return 'enum';
    case 'invalid_format':
      return issue.format === 'regex' ? 'string_pattern_mismatch' : `${issue.format}_format`;
    case 'invalid_union':
      return 'union_tag_invalid';
    case 'unrecognized_keys':
      return 'extra_forbidden';
    case 'not_multiple_of':
      return 'multiple_of';
    case 'invalid_key':
    case 'invalid_element':
      return 'value_error';
    case 'custom':
      return 'value_error';
    default:
      return 'value_error';
  }
}

function issueMessage(issue: ZodIssue, missing: boolean): string {
  if (issue.code === 'invalid_type' && missing) return 'Field required';
  if (issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator') {
    const options = (issue as { options?: unknown[] }).options;
    return Array.isArray(options) && options.length > 0
      ? `Input tag does not match any of the expected tags: ${options.map((tag) => `'${String(tag)}'`).join(', ')}`
      : 'Input tag does not match any of the expected tags';
  }
  return issue.message;
}

// Zod does not report the input of an issue (and must not: it may be a secret), so whether a field
// is missing is read from the request part itself. Only `undefined`-ness is looked at.
function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return true;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current === undefined;
}

/** Turns zod issues of one request part into FastAPI-style issues (one per unknown key). */
export function toValidationIssues(target: string, error: ZodError, input?: unknown): ValidationIssue[] {
  const where = LOCATIONS[target] ?? target;
  const out: ValidationIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map((part) => (typeof part === 'number' ? part : String(part)));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ loc: [where, ...path, key], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
      continue;
    }
    const missing = issue.code === 'invalid_type' && isMissing(input, issue.path);
    out.push({ loc: [where, ...path], msg: issueMessage(issue, missing), type: issueType(issue, missing) });
  }
  return out;
}

/** The `defaultHook` of the app: a failed validation becomes a `RequestValidationError`. */
export function validationHook(result: { success: boolean; target: string; error?: ZodError; data?: unknown }): void {
  if (!result.success && result.error !== undefined) throw new RequestValidationError(toValidationIssues(result.target, result.error, result.data));
}

function errorBody(code: ErrorCode, detail: string, extra: { details?: unknown; requestId?: string } = {}): ErrorResponse {
  const body: ErrorResponse = { detail, code };
  if (extra.details !== undefined) body.details = extra.details;
  if (extra.requestId !== undefined) body.request_id = extra.requestId;
  return body;
}

/** The `PetrelError` an `HTTPException` of a middleware (bad JSON, 413, 415) stands for. */
export function fromHttpException(error: HTTPException): PetrelError {
  const status: number = error.status;
  if (status === 400) {
    return new PetrelError('INVALID_INPUT', error.message === 'Malformed JSON in request body' ? 'Malformed JSON in request body' : 'Bad request');
  }
  if (status === 413) return new PetrelError('PAYLOAD_TOO_LARGE', 'Request body is too large');
  if (status === 415) return new PetrelError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: send application/json');
  if (status === 401 || status === 403) return new PetrelError('UNAUTHENTICATED', 'Invalid credentials');
  if (status === 404) return new PetrelError('NOT_FOUND', 'Not Found');
  return status >= 500 ? new PetrelError('INTERNAL', 'Internal error') : new PetrelError('INVALID_INPUT', 'Bad request');
}

/** Renders any thrown value as the API's error answer. */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  const requestId = c.get('requestId');
  if (error instanceof RequestValidationError) {
    const body: ValidationErrorResponse = { detail: error.issues, code: 'VALIDATION_FAILED' };
    return c.json(body, 422);
  }
  const known = error instanceof HTTPException ? fromHttpException(error) : isPetrelError(error) ? error : undefined;
  if (known !== undefined) {
    if (known.status >= 500) c.get('logger')?.error({ err: error, code: known.code }, 'request failed');
    if (known.retryAfterMs !== undefined) c.header('retry-after', String(Math.ceil(known.retryAfterMs / 1000)));
    const body = errorBody(known.code, known.message, {
      details: known.details,
      ...(known.status >= 500 ? { requestId } : {}),
    });
    return c.json(body, known.status as 400);
  }
  c.get('logger')?.error({ err: error }, 'unexpected error');
  return c.json(errorBody('INTERNAL', 'Internal error', { requestId }), 500);
}

/** The answer to a path no route matches (FastAPI's words). */
export function handleNotFound(c: Context<AppEnv>): Response {
  return c.json(errorBody('NOT_FOUND', 'Not Found'), 404);
}
