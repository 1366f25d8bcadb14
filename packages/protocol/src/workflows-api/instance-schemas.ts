// Wire schemas of the Workflows API's instance routes (`…/workflows/{workflow_name}/instances…`), as
// Cloudflare publishes them (seed 004, reference/cfworkflows.md §2.3–2.4). `params` is taken as a
// JSON value or as a JSON string (the `cloudflare` client types it as a string); a bulk create is a
// bare JSON array; the status change takes `status` (or `action`, as wrangler's local API does).
import { z } from 'zod';
import { CfInstanceStatusSchema, CfRetentionSchema, CfTriggerSourceSchema, CfWorkflowParamSchema } from './workflow-schemas.ts';

/** Path parameters of one instance's routes. */
export const CfInstanceParamSchema = CfWorkflowParamSchema.extend({
  instance_id: z.string().min(1).max(300).describe('The instance id (percent-encoded in the path when needed).'),
});

/** Path parameters of the event route. */
export const CfEventParamSchema = CfInstanceParamSchema.extend({
  event_type: z.string().min(1).max(100).describe('The event type a `step.waitForEvent` waits for.'),
});

/** One instance to create (the body of `POST …/instances`, an item of the bulk array). */
export const CfInstanceCreateItemSchema = z
  .object({
    instance_id: z.string().min(1).max(100).optional().describe('Default: a generated id. Letters, digits, `_` and `-`.'),
    params: z.unknown().optional().describe('The event payload: any JSON value, or a JSON-encoded string (parsed; a string that is not JSON is kept as a string).'),
    instance_retention: CfRetentionSchema.optional(),
    location_hint: z.string().max(16).optional().describe('Accepted and ignored.'),
  })
  .meta({ id: 'CfInstanceCreateRequest' });
/** One instance to create. */
export type CfInstanceCreateItem = z.infer<typeof CfInstanceCreateItemSchema>;

/** The body of `POST …/instances/batch`: a bare array of up to 100 items. */
export const CfInstanceBulkRequestSchema = z.array(CfInstanceCreateItemSchema).max(100).meta({ id: 'CfInstanceBulkRequest' });

/** An instance as create, bulk and list answer it. */
export const CfInstanceSummarySchema = z
  .object({
    id: z.string(),
    status: CfInstanceStatusSchema,
    version_id: z.string(),
    workflow_id: z.string(),
    trigger_source: CfTriggerSourceSchema,
    created_on: z.string(),
    modified_on: z.string(),
    started_on: z.string().nullable(),
    ended_on: z.string().nullable(),
  })
  .meta({ id: 'CfInstanceSummary' });
/** An instance in a list. */
export type CfInstanceSummary = z.infer<typeof CfInstanceSummarySchema>;

/** Query of `GET …/instances`. `page` and `cursor` are exclusive. */
export const CfInstanceListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).optional().describe('Page number, from 1 (deprecated by Cloudflare, still used by its client). A page past the last one is empty.'),
  per_page: z.coerce.number().int().min(1).max(1000).optional().describe('Items per page; default 25.'),
  cursor: z.string().max(512).optional().describe('From `result_info.cursor` of the previous page.'),
  direction: z.enum(['asc', 'desc']).optional().describe('Creation order; default `desc` (newest first).'),
  status: CfInstanceStatusSchema.optional(),
  date_start: z.string().max(64).optional().describe('Created at or after (ISO 8601; no offset means UTC).'),
  date_end: z.string().max(64).optional().describe('Created at or before (ISO 8601; no offset means UTC).'),
});

/** Query of `GET …/instances/{instance_id}`. */
export const CfInstanceGetQuerySchema = z.object({
  order: z.enum(['asc', 'desc']).optional().describe('Step order: `asc` (default, oldest first) or `desc`.'),
  simple: z.enum(['true', 'false']).optional().describe('`true` omits the steps and answers only `step_count`.'),
});

/** Query of `GET …/instances/{instance_id}/step`. */
export const CfStepQuerySchema = z.object({
  name: z.string().min(1).max(300).describe('The step name as the instance answer lists it (`fetch-1`), or the bare name (occurrence 1).'),
  type: z.enum(['step', 'waitForEvent', 'sleep', 'rollback']).optional().describe('Default `step` (a `step.do`).'),
  attempt: z.coerce.number().int().min(1).max(100_000).optional().describe('One attempt\'s outcome instead of the step\'s.'),
});

const StoredErrorSchema = z.object({ name: z.string(), message: z.string() });

/** One attempt of a step in the instance answer. */
export const CfAttemptSchema = z.object({
  start: z.string(),
  end: z.string().nullable(),
  success: z.boolean().nullable(),
  error: StoredErrorSchema.nullable(),
});

/** The resolved config of a step (durations as Cloudflare echoes them: `"10 seconds"` or ms). */
export const CfStepConfigSchema = z.object({
  retries: z.object({ limit: z.number().int(), delay: z.union([z.number(), z.string()]), backoff: z.enum(['constant', 'linear', 'exponential']).optional() }),
  timeout: z.union([z.number(), z.string()]),
  sensitive: z.literal('output').optional(),
});

/** A `step.do` (or rollback handler) in the instance answer. */
export const CfDoStepSchema = z.object({
  type: z.enum(['step', 'rollback']),
  name: z.string().describe('`<name>-<occurrence>`, as `…/step?name=` takes it.'),
  start: z.string(),
  end: z.string().nullable(),
  success: z.boolean().nullable(),
  output: z.string().nullable().describe('A preview (JSON text, at most 1024 characters); `"[REDACTED]"` for sensitive steps. The full output: `…/step`.'),
  attempts: z.array(CfAttemptSchema),
  config: CfStepConfigSchema,
});

/** A `step.sleep`/`sleepUntil` in the instance answer. */
export const CfSleepStepSchema = z.object({
  type: z.literal('sleep'),
  name: z.string(),
  start: z.string(),
  end: z.string().describe('When the sleep ends (or ended).'),
  finished: z.boolean(),
  error: StoredErrorSchema.nullable(),
});

/** A `step.waitForEvent` in the instance answer. */
export const CfWaitStepSchema = z.object({
  type: z.literal('waitForEvent'),
  name: z.string(),
  start: z.string(),
  end: z.string().describe('When the event arrived, or when the wait times out.'),
  finished: z.boolean(),
  error: StoredErrorSchema.nullable(),
  event_type: z.string().optional(),
  output: z.string().optional().describe('The event received (`{payload, timestamp, type}`) as JSON text, once finished.'),
});

/** The termination record of a terminated instance. */
export const CfTerminationStepSchema = z.object({
  type: z.literal('termination'),
  trigger: z.object({ source: z.string() }),
});

/** One entry of an instance's steps. */
export const CfInstanceStepSchema = z.union([CfDoStepSchema, CfSleepStepSchema, CfWaitStepSchema, CfTerminationStepSchema]);

/** The answer to `GET …/instances/{instance_id}`. */
export const CfInstanceDetailsSchema = z
  .object({
    status: CfInstanceStatusSchema,
    params: z.unknown(),
    output: z.unknown().describe('What `run()` returned; null before completion.'),
    error: StoredErrorSchema.nullable(),
    success: z.boolean().nullable(),
    queued: z.string(),
    start: z.string().nullable(),
    end: z.string().nullable(),
    versionId: z.string().describe('camelCase, as Cloudflare answers it.'),
    trigger: z.object({ source: CfTriggerSourceSchema }),
    schedule: z.object({ cron: z.string(), scheduledTime: z.number() }).optional(),
    rollback: z.object({ outcome: z.enum(['complete', 'failed']), error: StoredErrorSchema.nullable() }).nullable(),
    step_count: z.number().int(),
    steps: z.array(CfInstanceStepSchema),
    status_reason: z.object({ code: z.string(), message: z.string() }).nullable().describe('Petrel: why a queued instance is not running (e.g. `WORKFLOW_CODE_MISSING`).'),
  })
  .meta({ id: 'CfInstanceDetails' });
/** An instance with its steps. */
export type CfInstanceDetails = z.infer<typeof CfInstanceDetailsSchema>;

/** The answer to `GET …/instances/{instance_id}/step`: one step's full output. */
export const CfStepOutputSchema = z
  .object({
    status: CfInstanceStatusSchema.describe('The step\'s: `complete`, `errored`, `running` (with an error: retrying) or `waiting`.'),
    error: StoredErrorSchema.nullable(),
    output: z.unknown().optional().describe('The full output when complete; `"[REDACTED]"` for sensitive steps.'),
    event_type: z.string().optional(),
  })
  .meta({ id: 'CfStepOutput' });

const StatusActionSchema = z.enum(['pause', 'resume', 'terminate', 'restart']);

/** The body of `PATCH …/instances/{instance_id}/status`. */
export const CfStatusEditRequestSchema = z
  .object({
    status: StatusActionSchema.optional().describe('What to do.'),
    action: StatusActionSchema.optional().describe('The same, as wrangler\'s local API names it.'),
    rollback: z.boolean().optional().describe('`terminate` only: run rollback handlers first.'),
    from: z
      .object({
        name: z.string().min(1).max(256),
        count: z.number().int().min(1).optional(),
        type: z.enum(['do', 'sleep', 'waitForEvent']).optional(),
      })
      .optional()
      .describe('`restart` only: keep the steps before this one.'),
  })
  .refine((body) => body.status !== undefined || body.action !== undefined, { message: 'status is required (pause, resume, terminate or restart)', path: ['status'] })
  .meta({ id: 'CfStatusEditRequest' });
/** A status change body. */
export type CfStatusEditRequest = z.infer<typeof CfStatusEditRequestSchema>;

/** The answer to a status change. */
export const CfStatusEditResponseSchema = z
  .object({ status: CfInstanceStatusSchema, timestamp: z.string() })
  .meta({ id: 'CfStatusEditResponse' });
