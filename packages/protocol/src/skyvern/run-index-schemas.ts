// Wire schemas of the runs index (skyvern.md §1.3, §1.4, §1.7): the run list, cancel (one and
// bulk), webhook replay, Petrel's webhook delivery log, and the Server-Sent Events of a run.
import { z } from 'zod';
import { RUN_STATUSES } from '../status.ts';
import { PageQuerySchema } from './pagination.ts';
import { RUN_TYPES } from './task-run-schemas.ts';

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).max(20).optional());

/** One run in `GET /v1/runs` (Skyvern's `TaskRunListItem`). */
export const RunListItemSchema = z
  .object({
    task_run_id: z.string().describe('The same id as `run_id` (Skyvern keeps both).'),
    run_id: z.string(),
    task_run_type: z.enum(RUN_TYPES),
    status: z.enum(RUN_STATUSES),
    title: z.string().nullable(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    created_at: z.string(),
    workflow_permanent_id: z.string().nullable(),
    workflow_deleted: z.boolean(),
    script_run: z.boolean(),
    trigger_type: z.string().nullable(),
    developer_user_id: z.string().nullable().describe('Petrel: the end user the run was started for.'),
    webhook_failure_reason: z.string().nullable().describe('Petrel: why the last webhook delivery failed; empty after a success, null when none was sent.'),
  })
  .meta({ id: 'TaskRunListItem' });
/** A run list item. */
export type RunListItem = z.infer<typeof RunListItemSchema>;

/** The query of `GET /v1/runs`. */
export const ListRunsQuerySchema = PageQuerySchema.extend({
  status: oneOrMany(z.enum(RUN_STATUSES)).describe('Only runs in these statuses (repeat the parameter for several).'),
  run_type: oneOrMany(z.enum(RUN_TYPES)).describe('Only runs of these types.'),
  search_key: z.string().max(200).optional().describe('Only runs whose id or title contains this text.'),
  developer_user_id: z.string().max(255).optional().describe('Petrel (seed 000): only runs started for this end user.'),
});
/** Parsed run list query. */
export type ListRunsQuery = z.infer<typeof ListRunsQuerySchema>;

/** Path parameter of the run routes. */
export const RunIdParamSchema = z.object({ run_id: z.string().max(100).describe('`tsk_…`, `wr_…`') });

/** The body of `POST /v1/runs/cancel`. */
export const BulkCancelRunsRequestSchema = z
  .strictObject({ run_ids: z.array(z.string().max(100)).min(1).max(100) })
  .meta({ id: 'BulkCancelRunsRequest' });

/** The answer of `POST /v1/runs/cancel`. */
export const BulkCancelRunsResponseSchema = z
  .object({
    cancelled: z.array(z.string()).describe('Runs canceled by this call.'),
    failed: z.array(z.string()).describe('Runs not canceled: unknown here, already final, or their cancel failed.'),
  })
  .meta({ id: 'BulkCancelRunsResponse' });
/** A bulk cancel's answer. */
export type BulkCancelRunsResponse = z.infer<typeof BulkCancelRunsResponseSchema>;

/** The body of `POST /v1/runs/{run_id}/retry_webhook` (optional). */
export const RetryRunWebhookRequestSchema = z
  .strictObject({ webhook_url: z.url({ protocol: /^https?$/ }).nullish().describe('Send to this URL instead of the run\'s.') })
  .meta({ id: 'RetryRunWebhookRequest' });

/** The answer of `POST /v1/runs/{run_id}/retry_webhook`: what one signed delivery did. */
export const RunWebhookReplayResponseSchema = z
  .object({
    run_id: z.string(),
    run_type: z.string(),
    default_webhook_url: z.string().nullable().describe('The run\'s own webhook URL.'),
    target_webhook_url: z.string().describe('Where this delivery went.'),
    payload: z.string().describe('The exact body that was signed and sent (JSON text).'),
    headers: z.record(z.string(), z.string()).describe('The headers sent, signature and timestamp included.'),
    status_code: z.int().nullable(),
    latency_ms: z.int(),
    response_body: z.string().nullable().describe('The first 2 KiB of the receiver\'s answer.'),
    error: z.string().nullable(),
  })
  .meta({ id: 'RunWebhookReplayResponse' });
/** A webhook replay's answer. */
export type RunWebhookReplayResponse = z.infer<typeof RunWebhookReplayResponseSchema>;

/** One Server-Sent Event of `GET /v1/runs/{run_id}/events` (the `data:` field, JSON). */
export const RunStreamEventSchema = z
  .object({
    run_id: z.string(),
    seq: z.int().describe('The outbox sequence number; also the SSE `id:` (send it back as `Last-Event-ID` to resume).'),
    type: z.string().describe('`snapshot`, `status`, `step`, `block`, `action`, `screenshot`, … (also the SSE `event:`).'),
    at: z.string().describe('When it happened (ISO-8601, UTC).'),
  })
  .loose()
  .meta({ id: 'RunStreamEvent' });
/** An SSE event's data. */
export type RunStreamEvent = z.infer<typeof RunStreamEventSchema>;
