// Wire schemas of error bodies. Errors keep FastAPI's shape (`{ "detail": ... }`) so Skyvern's
// clients read them, and add Petrel's stable `code` from the error table.
import { z } from 'zod';

/** The body of every error except request validation: a message in `detail` plus a stable `code`. */
export const ErrorResponseSchema = z
  .object({
    detail: z.string().describe('What went wrong, prefixed with the operation.'),
    code: z.string().describe('A stable error code from the error table, e.g. `NOT_FOUND`.'),
    details: z.unknown().optional().describe('Structured detail safe to show, when the error has some.'),
    request_id: z.string().optional().describe('The request id, on 5xx answers, to find the log line.'),
  })
  .meta({ id: 'ErrorResponse', description: 'An error: a message in `detail` and a stable `code`.' });
/** An error body. */
export type ErrorResponse = z.infer<typeof ErrorResponseSchema>;

/** One problem with a request, in FastAPI's shape: where (`loc`), what (`msg`) and its kind (`type`). */
export const ValidationIssueSchema = z
  .object({
    loc: z
      .array(z.union([z.string(), z.number()]))
      .describe('Where the problem is: the part of the request (`body`, `query`, `path`, `header`) then the field path.'),
    msg: z.string().describe('What is wrong, without the value that was sent.'),
    type: z.string().describe('The kind of problem, e.g. `missing`, `string_type`, `extra_forbidden`.'),
  })
  .meta({ id: 'ValidationIssue' });
/** One validation problem. */
export type ValidationIssue = z.infer<typeof ValidationIssueSchema>;

/** The 422 body of a request that failed validation. */
export const ValidationErrorResponseSchema = z
  .object({
    detail: z.array(ValidationIssueSchema),
    code: z.literal('VALIDATION_FAILED'),
  })
  .meta({ id: 'ValidationErrorResponse', description: 'The request did not match the schema; one entry per problem.' });
/** A validation error body. */
export type ValidationErrorResponse = z.infer<typeof ValidationErrorResponseSchema>;
