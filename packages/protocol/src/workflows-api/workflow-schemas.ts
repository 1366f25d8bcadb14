// Wire schemas of the Workflows API's workflow routes (`/client/v4/accounts/{account_id}/workflows`),
// as Cloudflare publishes them (seed 004) and its `cloudflare` npm client sends them. Request bodies
// ignore unknown fields, as Cloudflare's API does.
import { z } from 'zod';
import { INSTANCE_STATUSES, TRIGGER_SOURCES } from '../status.ts';

/** A duration as the API takes it: milliseconds, or a string such as `"5 minutes"`. */
export const CfDurationSchema = z.union([z.number().int().min(0), z.string().min(1).max(64)]).describe('Milliseconds, or a string such as `"10 seconds"` or `"7 days"`.');

/** How long finished instances are kept: `success_retention` for complete ones, `error_retention` for errored and terminated ones. */
export const CfRetentionSchema = z
  .object({
    success_retention: CfDurationSchema.optional(),
    error_retention: CfDurationSchema.optional(),
  })
  .meta({ id: 'CfRetention' });

/** Path parameters of every route: the account (an organization id). */
export const CfAccountParamSchema = z.object({
  account_id: z.string().min(1).max(64).describe('The organization id (`o_…`), Cloudflare\'s account id.'),
});

/** Path parameters of the routes of one workflow. */
export const CfWorkflowParamSchema = CfAccountParamSchema.extend({
  workflow_name: z.string().min(1).max(64).describe('The workflow name: letters, digits, `_` and `-`.'),
});

/** Query of `GET …/workflows`. */
export const CfWorkflowListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).optional().describe('Page number, from 1. A page past the last one is empty.'),
  per_page: z.coerce.number().int().min(1).max(1000).optional().describe('Items per page; default 25.'),
  search: z.string().max(64).optional().describe('Only workflows whose name contains this text.'),
});

/** The body of `PUT …/workflows/{workflow_name}`: create or update a workflow. */
export const CfWorkflowPutRequestSchema = z
  .object({
    class_name: z.string().min(1).max(255).describe('The `WorkflowEntrypoint` class (or `defineWorkflow` name) a worker loaded with `--workflows DIR` runs.'),
    script_name: z.string().min(1).max(255).describe('The script (module) the class lives in; informational.'),
    default_retention: CfRetentionSchema.optional(),
    limits: z.object({ steps: z.number().int().min(1).max(25_000).optional() }).optional(),
    schedules: z.array(z.object({ cron: z.string().min(1).max(256) })).max(100).optional(),
    concurrency: z.object({ limit: z.number().int().min(1).max(1_000_000).optional() }).optional(),
  })
  .meta({ id: 'CfWorkflowPutRequest' });
/** A workflow create/update body. */
export type CfWorkflowPutRequest = z.infer<typeof CfWorkflowPutRequestSchema>;

/** Instance counts of a workflow, per status (Cloudflare's snake_case keys). */
export const CfInstanceCountsSchema = z
  .object({
    queued: z.number().int(),
    running: z.number().int(),
    paused: z.number().int(),
    errored: z.number().int(),
    terminated: z.number().int(),
    complete: z.number().int(),
    waiting: z.number().int(),
    waiting_for_pause: z.number().int(),
    rolling_back: z.number().int(),
  })
  .meta({ id: 'CfInstanceCounts' });

/** A workflow as `GET` and the list answer it. */
export const CfWorkflowSchema = z
  .object({
    id: z.string().describe('A UUID, stable for the organization and name.'),
    name: z.string(),
    class_name: z.string(),
    script_name: z.string(),
    created_on: z.string(),
    modified_on: z.string(),
    triggered_on: z.string().nullable().describe('When its newest instance was created.'),
    instances: CfInstanceCountsSchema,
    schedules: z.array(z.object({ cron: z.string(), next_instance: z.string().nullable() })),
    class_loaded: z.boolean().describe('Petrel: whether a running worker has loaded the class.'),
  })
  .meta({ id: 'CfWorkflow' });
/** A workflow. */
export type CfWorkflow = z.infer<typeof CfWorkflowSchema>;

/** The answer to `PUT …/workflows/{workflow_name}`. */
export const CfWorkflowPutResponseSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    class_name: z.string(),
    script_name: z.string(),
    created_on: z.string(),
    modified_on: z.string(),
    triggered_on: z.string().nullable(),
    version_id: z.string().describe('The current version: the loaded code\'s, or a placeholder until a worker with the class starts.'),
    is_deleted: z.number().int(),
    terminator_running: z.number().int(),
  })
  .meta({ id: 'CfWorkflowPutResponse' });
/** A PUT answer. */
export type CfWorkflowPutResponse = z.infer<typeof CfWorkflowPutResponseSchema>;

/** The answer to `DELETE …/workflows/{workflow_name}`. */
export const CfWorkflowDeleteResponseSchema = z
  .object({ status: z.literal('ok'), success: z.boolean().nullable() })
  .meta({ id: 'CfWorkflowDeleteResponse' });

/** Statuses of an instance. */
export const CfInstanceStatusSchema = z.enum(INSTANCE_STATUSES);
/** How an instance was created. */
export const CfTriggerSourceSchema = z.enum(TRIGGER_SOURCES);

/** An account as `GET /client/v4/accounts` lists it (the key's organization). */
export const CfAccountSchema = z.object({ id: z.string(), name: z.string(), type: z.literal('standard') }).meta({ id: 'CfAccount' });
