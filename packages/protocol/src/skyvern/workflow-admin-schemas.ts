// Wire schemas around saved block workflows (skyvern.md §1.9, §1.17, seed 001): folders, moving a
// workflow into one, cron schedules of a workflow, the create body as the API documents it, and the
// older `/api/v1/workflows` run routes of seed 001 that existing integrations still call. Every
// request body is strict: an unknown field is a 422 naming it. The create body is checked by the
// workflow service: its envelope (`json_definition`/`yaml_definition`) strictly, a definition as a
// document (unknown block fields are warnings, so a Skyvern YAML loads without edits).
import { z } from 'zod';
import { RUN_STATUSES } from '../status.ts';
import { PageQuerySchema } from './pagination.ts';

/** A folder of workflows (`fld_…`). */
export const FolderSchema = z
  .object({
    folder_id: z.string().describe('`fld_…`'),
    organization_id: z.string(),
    title: z.string(),
    description: z.string().nullable(),
    workflow_count: z.int().describe('Workflows (not deleted) in the folder.'),
    created_at: z.string(),
    modified_at: z.string(),
  })
  .meta({ id: 'Folder' });
/** A folder as the API shows it. */
export type Folder = z.infer<typeof FolderSchema>;

/** The body of `POST /v1/folders`. */
export const CreateFolderRequestSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    description: z.string().max(2000).nullish(),
  })
  .meta({ id: 'CreateFolderRequest' });

/** The body of `PUT /v1/folders/{folder_id}` (fields left out are kept). */
export const UpdateFolderRequestSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).nullish(),
  })
  .meta({ id: 'UpdateFolderRequest' });

/** Path parameter of the folder routes. */
export const FolderIdParamSchema = z.object({ folder_id: z.string().max(100).describe('`fld_…`') });

/** The query of `GET /v1/folders`. */
export const ListFoldersQuerySchema = PageQuerySchema.extend({
  search: z.string().max(200).optional().describe('Only folders whose title contains this text.'),
});

/** The body of `PUT /v1/workflows/{wpid}/folder`. */
export const SetWorkflowFolderRequestSchema = z
  .strictObject({ folder_id: z.string().max(100).nullable().describe('The folder, or null to take the workflow out of its folder.') })
  .meta({ id: 'UpdateWorkflowFolderRequest' });

/** The query of `POST /v1/workflows`: Skyvern's `folder_id` (and `template`, accepted and ignored). */
export const CreateWorkflowQuerySchema = z.object({
  folder_id: z.string().max(100).optional().describe('Put the new workflow in this folder (`fld_…`).'),
});

/** The fields of the create body's envelope (Skyvern's `WorkflowRequest`). */
const WORKFLOW_REQUEST_FIELDS: ReadonlySet<string> = new Set(['json_definition', 'yaml_definition']);

/**
 * The JSON body of `POST /v1/workflows` and of updates, as documented: `{ json_definition }` or
 * `{ yaml_definition }` (Skyvern's `WorkflowRequest`), a whole definition (`{ title,
 * workflow_definition }`), or seed 000's `{ name, tasks }`. An envelope with another field is
 * refused here (422 naming it); the rest is checked in full by the workflow service, which names the
 * field (and the line and column of YAML) at fault.
 */
export const WorkflowCreateBodySchema = z
  .record(z.string(), z.unknown())
  .superRefine((body, ctx) => {
    if ('workflow_definition' in body || 'tasks' in body) return;
    const unknown = Object.keys(body).filter((key) => !WORKFLOW_REQUEST_FIELDS.has(key));
    if (unknown.length > 0) ctx.addIssue({ code: 'unrecognized_keys', keys: unknown, input: body, message: `Unrecognized key(s): ${unknown.join(', ')}` });
  })
  .describe('`{"json_definition": {...}}`, `{"yaml_definition": "..."}`, a definition `{"title", "workflow_definition"}`, or seed 000\'s `{"name", "tasks"}`. YAML may also be sent raw with `Content-Type: application/x-yaml`.')
  .meta({ id: 'WorkflowCreateBody' });

/** A cron schedule of a block workflow (`wfs_…`). */
export const WorkflowScheduleSchema = z
  .object({
    workflow_schedule_id: z.string().describe('`wfs_…`'),
    organization_id: z.string(),
    workflow_permanent_id: z.string(),
    name: z.string().nullable(),
    cron_expression: z.string().describe('Five fields (minute hour day month weekday), or six with seconds first.'),
    timezone: z.string().describe('IANA time zone the expression is read in.'),
    parameters: z.record(z.string(), z.unknown()).describe('The parameters of every run it starts.'),
    webhook_url: z.string().nullable(),
    enabled: z.boolean(),
    next_run_at: z.string().nullable().describe('When it fires next (null while disabled).'),
    last_run_at: z.string().nullable(),
    last_run_id: z.string().nullable().describe('The run the last firing started.'),
    last_error: z.string().nullable().describe('Why the last firing could not start a run.'),
    created_at: z.string(),
    modified_at: z.string(),
  })
  .meta({ id: 'WorkflowSchedule' });
/** A schedule as the API shows it. */
export type WorkflowSchedule = z.infer<typeof WorkflowScheduleSchema>;

/** The body of creating or replacing a schedule (Skyvern's `WorkflowScheduleUpsertRequest`). */
export const WorkflowScheduleUpsertRequestSchema = z
  .strictObject({
    cron_expression: z.string().trim().min(1).max(256),
    timezone: z.string().min(1).max(64).default('UTC'),
    parameters: z.record(z.string(), z.unknown()).default({}),
    name: z.string().max(200).nullish(),
    webhook_url: z.url({ protocol: /^https?$/ }).max(2048).nullish(),
    enabled: z.boolean().default(true),
  })
  .meta({ id: 'WorkflowScheduleUpsertRequest' });
/** A parsed schedule body. */
export type WorkflowScheduleUpsertRequest = z.infer<typeof WorkflowScheduleUpsertRequestSchema>;

/** Path parameters of one schedule. */
export const WorkflowScheduleParamSchema = z.object({
  workflow_permanent_id: z.string().max(100).describe('`wpid_…`'),
  workflow_schedule_id: z.string().max(100).describe('`wfs_…`'),
});

/** The body of seed 001's `POST /api/v1/workflows/{workflow_permanent_id}/run`. */
export const LegacyWorkflowRunRequestSchema = z
  .strictObject({
    data: z.record(z.string(), z.unknown()).nullish().describe('The workflow\'s parameters by key.'),
    webhook_callback_url: z.string().max(2048).nullish(),
    proxy_location: z.unknown().optional().describe('Accepted for compatibility; Petrel has no managed proxies.'),
    title: z.string().max(500).nullish(),
    totp_identifier: z.string().max(255).nullish(),
    totp_url: z.string().max(2048).nullish(),
    browser_session_id: z.string().max(100).nullish(),
  })
  .meta({ id: 'LegacyWorkflowRunRequest' });

/** The answer of seed 001's run route. */
export const LegacyWorkflowRunCreatedSchema = z
  .object({
    workflow_permanent_id: z.string(),
    workflow_run_id: z.string().describe('`wr_…`: match the webhook with it.'),
  })
  .meta({ id: 'LegacyWorkflowRunCreated' });

/** Seed 001's `GET /api/v1/workflows/runs/{workflow_run_id}` (also the legacy fields of a workflow webhook). */
export const LegacyWorkflowRunResponseSchema = z
  .object({
    workflow_id: z.string().describe('The `wpid_…` (seed 001 calls it the workflow id).'),
    workflow_run_id: z.string(),
    status: z.enum(RUN_STATUSES),
    failure_reason: z.string().nullable(),
    proxy_location: z.unknown(),
    webhook_callback_url: z.string().nullable(),
    webhook_failure_reason: z.string().nullable(),
    created_at: z.string(),
    modified_at: z.string(),
    parameters: z.record(z.string(), z.unknown()),
    screenshot_urls: z.array(z.string()).nullable(),
    recording_url: z.string().nullable(),
    downloaded_files: z.array(z.unknown()).nullable(),
    outputs: z.record(z.string(), z.unknown()).describe('`{ "<label>_output": … }` of every block that ran.'),
    total_steps: z.int().nullable(),
    total_cost: z.number().nullable(),
  })
  .meta({ id: 'LegacyWorkflowRunResponse' });

/** Path parameter of seed 001's run routes. */
export const WorkflowRunIdParamSchema = z.object({ workflow_run_id: z.string().max(100).describe('`wr_…`') });

/** The answer to a human_interaction block, by its link or through the API. */
export const HumanInteractionQuerySchema = z.object({
  ns: z.string().max(100).optional().describe('The organization (from the emailed link; not needed with an API key).'),
  decision: z.enum(['approve', 'reject']).optional(),
  token: z.string().max(200).optional(),
});

/** The JSON body of `POST /v1/runs/{run_id}/human_interaction/{label}` (either field may come in the query instead). */
export const HumanInteractionAnswerRequestSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']).optional(),
    token: z.string().max(200).optional().describe('The token of the emailed links.'),
  })
  .meta({ id: 'HumanInteractionAnswerRequest' });
/** An answer's JSON body. */
export type HumanInteractionAnswerRequest = z.infer<typeof HumanInteractionAnswerRequestSchema>;

/** Path parameters of the human_interaction route. */
export const HumanInteractionParamSchema = z.object({
  run_id: z.string().max(100).describe('`wr_…`'),
  label: z.string().max(200).describe('The human_interaction block\'s label.'),
});
