// Wire schemas of block workflows as saved objects and as runs (skyvern.md §1.2, §1.3, §1.5, §1.9):
// the `Workflow` response of the CRUD and versions API with its list and get queries, the body of
// `POST /v1/run/workflows` (`WorkflowRunRequest`), the run response (`WorkflowRunResponse`), the
// per-block timeline (`WorkflowRunBlock`, `WorkflowRunTimeline`), and Petrel's answer to a
// `human_interaction` block. Request bodies are strict: Skyvern's documented fields are declared,
// an unknown one is a 422 naming it.
import { z } from 'zod';
import { RUN_STATUSES } from '../status.ts';
import { PageQuerySchema } from './pagination.ts';
import { BASE_RUN_RESPONSE_FIELDS, ModelOverrideSchema, RUN_USAGE_FIELDS } from './task-run-schemas.ts';
import { BLOCK_WORKFLOW_STATUSES } from './workflow-definition.ts';

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (value === undefined || Array.isArray(value) ? value : [value]), z.array(item).max(20).optional());

const booleanQuery = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean()).optional();

const HeadersSchema = z.record(z.string(), z.string()).nullish();

/** A saved block workflow version (Skyvern's `Workflow`). */
export const WorkflowResponseSchema = z
  .object({
    workflow_id: z.string().describe('`w_…`: this version.'),
    organization_id: z.string(),
    title: z.string(),
    workflow_permanent_id: z.string().describe('`wpid_…`: stable across versions; runs name it.'),
    agent_id: z.string().describe('The same as `workflow_permanent_id` (Skyvern\'s newer name).'),
    version: z.int().min(1),
    is_saved_task: z.boolean(),
    is_template: z.boolean(),
    description: z.string().nullable(),
    workflow_definition: z.record(z.string(), z.unknown()).describe('`{ version, parameters, blocks, finally_block_label, … }` as parsed (defaults filled in).'),
    proxy_location: z.unknown().nullable(),
    webhook_callback_url: z.string().nullable(),
    totp_verification_url: z.string().nullable(),
    totp_identifier: z.string().nullable(),
    persist_browser_session: z.boolean(),
    pin_saved_session_ip: z.boolean(),
    browser_profile_id: z.string().nullable(),
    browser_profile_key: z.string().nullable(),
    model: z.record(z.string(), z.unknown()).nullable(),
    status: z.enum(BLOCK_WORKFLOW_STATUSES),
    max_screenshot_scrolls: z.int().nullable(),
    max_elapsed_time_minutes: z.int().nullable(),
    extra_http_headers: z.record(z.string(), z.string()).nullable(),
    cdp_connect_headers: z.record(z.string(), z.string()).nullable().describe('Values are masked.'),
    run_with: z.string(),
    ai_fallback: z.boolean(),
    cache_key: z.string().nullable(),
    run_sequentially: z.boolean(),
    sequential_key: z.string().nullable(),
    folder_id: z.string().nullable(),
    warnings: z.array(z.object({ path: z.string(), message: z.string(), line: z.int().optional(), column: z.int().optional() })).describe('Petrel: what the definition had that was dropped or rewritten (unknown fields, sanitised labels).'),
    created_at: z.string(),
    modified_at: z.string(),
    deleted_at: z.string().nullable(),
  })
  .meta({ id: 'Workflow' });
/** A saved workflow version as the API shows it. */
export type WorkflowResponse = z.infer<typeof WorkflowResponseSchema>;

/** The query of `GET /v1/workflows` (`/v1/agents`). */
export const ListWorkflowsQuerySchema = PageQuerySchema.extend({
  only_saved_tasks: booleanQuery,
  only_workflows: booleanQuery,
  only_templates: booleanQuery,
  search_key: z.string().max(200).optional().describe('Only workflows whose title contains this text (case-insensitive).'),
  title: z.string().max(500).optional().describe('Only workflows with exactly this title.'),
  folder_id: z.string().max(100).optional(),
  status: oneOrMany(z.enum(BLOCK_WORKFLOW_STATUSES)),
  template: booleanQuery,
});
/** Parsed workflow list query. */
export type ListWorkflowsQuery = z.infer<typeof ListWorkflowsQuerySchema>;

/** The query of `GET /v1/workflows/{wpid}`. */
export const GetWorkflowQuerySchema = z.object({
  version: z.coerce.number().int().min(1).optional().describe('A version number; default the latest.'),
  template: booleanQuery,
});

/** Path parameter of the workflow routes. */
export const WorkflowPermanentIdParamSchema = z.object({ workflow_permanent_id: z.string().max(100).describe('`wpid_…`') });

/** The body of `POST /v1/run/workflows` (`/v1/run/agents`). */
export const WorkflowRunRequestSchema = z
  .strictObject({
    workflow_id: z.string().min(1).max(100).optional().describe('`wpid_…` of the workflow to run.'),
    agent_id: z.string().min(1).max(100).optional().describe('Alias of `workflow_id`.'),
    parameters: z.record(z.string(), z.unknown()).nullish().describe('Values of the workflow parameters by key.'),
    title: z.string().max(500).nullish(),
    proxy_location: z.unknown().optional().describe('Accepted for compatibility; Petrel has no managed proxies.'),
    webhook_url: z.string().max(2048).nullish(),
    webhook_callback_url: z.string().max(2048).nullish().describe('Legacy name of `webhook_url`.'),
    totp_url: z.string().max(2048).nullish(),
    totp_identifier: z.string().max(255).nullish(),
    browser_session_id: z.string().max(100).nullish(),
    reuse_browser_session: z.boolean().nullish(),
    browser_profile_id: z.string().max(100).nullish().describe('`bp_…`: seeds the run\'s browser with the profile\'s cookies and storage.'),
    start_fresh_browser: z.boolean().default(false).describe('Ignore the workflow\'s persisted browser state for this run.'),
    max_screenshot_scrolls: z.int().nullish(),
    max_elapsed_time_minutes: z.int().min(1).max(480).nullish().describe('Stop the run as `timed_out` after this long; default the workflow\'s, else 240.'),
    extra_http_headers: HeadersSchema,
    cdp_connect_headers: HeadersSchema,
    browser_address: z.string().regex(/^(https?|wss?):\/\//, 'must be an http(s):// or ws(s):// CDP address').max(2048).nullish(),
    ai_fallback: z.boolean().nullish(),
    run_with: z.string().nullish(),
    model: ModelOverrideSchema.nullish(),
    run_metadata: z
      .record(z.string().max(64), z.string().max(256))
      .refine((value) => Object.keys(value).length <= 20, { message: 'at most 20 keys' })
      .nullish(),
    developer_user_id: z.string().min(1).max(255).nullish().describe('Petrel (seed 000): the end user the run is for; stored, filterable, and it scopes persisted browser state.'),
  })
  .superRefine((request, ctx) => {
    if (!request.workflow_id && !request.agent_id) ctx.addIssue({ code: 'custom', path: ['workflow_id'], message: 'workflow_id (or agent_id) is required' });
    if (request.workflow_id && request.agent_id && request.workflow_id !== request.agent_id) {
      ctx.addIssue({ code: 'custom', path: ['agent_id'], message: 'agent_id and workflow_id name different workflows' });
    }
  })
  .meta({ id: 'WorkflowRunRequest' });
/** A workflow run request after parsing. */
export type WorkflowRunRequest = z.infer<typeof WorkflowRunRequestSchema>;
/** A workflow run request as a client writes it. */
export type WorkflowRunRequestInput = z.input<typeof WorkflowRunRequestSchema>;

/** The response of workflow runs (`POST /v1/run/workflows`, `GET /v1/runs/{wr_id}`). */
export const WorkflowRunResponseSchema = z
  .object({
    run_id: z.string().describe('`wr_…`'),
    status: z.enum(RUN_STATUSES),
    output: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('`{ "<label>_output": …, "extracted_information": [...] }` for every block that ran (also while running and after a failure).'),
    ...BASE_RUN_RESPONSE_FIELDS,
    run_type: z.literal('workflow_run'),
    run_with: z.literal('agent'),
    ai_fallback: z.boolean().nullable(),
    script_id: z.null(),
    browser_seed_source: z.enum(['fresh', 'own_memory', 'profile', 'session']).nullable().describe('Where the run\'s browser state came from.'),
    run_request: z.record(z.string(), z.unknown()).nullable(),
    workflow_permanent_id: z.string().describe('Petrel: the workflow (`wpid_…`).'),
    workflow_id: z.string().describe('Petrel: the version the run is pinned to (`w_…`).'),
    workflow_version: z.int().describe('Petrel: that version\'s number.'),
    workflow_title: z.string().nullable(),
    parameters: z.record(z.string(), z.unknown()).describe('The run\'s parameter values (credentials as their ids).'),
    developer_user_id: z.string().nullable(),
    parent_run_id: z.string().nullable().describe('Petrel: the run whose workflow_trigger block started this one.'),
    ...RUN_USAGE_FIELDS,
  })
  .meta({ id: 'WorkflowRunResponse' });
/** A workflow run as the API shows it. */
export type WorkflowRunResponse = z.infer<typeof WorkflowRunResponseSchema>;

/** Statuses of one block of a run (Skyvern's `BlockStatus`). */
export const BLOCK_RUN_STATUSES = ['running', 'completed', 'failed', 'terminated', 'canceled', 'timed_out', 'skipped'] as const;

/** One block of a run in the timeline (Skyvern's `WorkflowRunBlock`). */
export const WorkflowRunBlockSchema = z
  .object({
    workflow_run_block_id: z.string().describe('Stable per block execution: the run id and the durable step name.'),
    block_workflow_run_id: z.string().nullable().describe('A child run started by a workflow_trigger block.'),
    workflow_run_id: z.string(),
    organization_id: z.string(),
    description: z.string().nullable(),
    parent_workflow_run_block_id: z.string().nullable(),
    block_type: z.string(),
    label: z.string(),
    status: z.enum(BLOCK_RUN_STATUSES),
    output: z.unknown(),
    continue_on_failure: z.boolean(),
    failure_reason: z.string().nullable(),
    error_codes: z.array(z.string()),
    engine: z.string().nullable(),
    task_id: z.string().nullable(),
    url: z.string().nullable(),
    navigation_goal: z.string().nullable(),
    navigation_payload: z.unknown().nullable(),
    data_extraction_goal: z.string().nullable(),
    data_schema: z.unknown().nullable(),
    terminate_criterion: z.string().nullable(),
    complete_criterion: z.string().nullable(),
    actions: z.array(z.unknown()),
    created_at: z.string(),
    modified_at: z.string(),
    include_action_history_in_verification: z.boolean().nullable(),
    duration: z.number().nullable().describe('Seconds.'),
    loop_values: z.array(z.unknown()).nullable(),
    current_value: z.unknown().nullable(),
    current_index: z.int().nullable(),
    recipients: z.array(z.string()).nullable(),
    attachments: z.array(z.string()).nullable(),
    subject: z.string().nullable(),
    body: z.string().nullable(),
    prompt: z.string().nullable(),
    instructions: z.string().nullable(),
    positive_descriptor: z.string().nullable(),
    negative_descriptor: z.string().nullable(),
    executed_branch_id: z.string().nullable(),
    executed_branch_expression: z.string().nullable(),
    executed_branch_result: z.boolean().nullable(),
    executed_branch_next_block: z.string().nullable(),
    script_run: z.null(),
    downloaded_file_count: z.int().nullable(),
    step_name: z.string().describe('Petrel: the durable step that recorded the block (`block:<label>`, `block:<loop>[<i>]:<label>`).'),
  })
  .meta({ id: 'WorkflowRunBlock' });
/** One block of a run's timeline. */
export type WorkflowRunBlock = z.infer<typeof WorkflowRunBlockSchema>;

/** One node of `GET /v1/runs/{wr_id}/timeline`: a block with the blocks it ran (a loop's iterations). */
export type WorkflowRunTimeline = {
  type: 'block' | 'thought';
  block: WorkflowRunBlock | null;
  thought: null;
  children: WorkflowRunTimeline[];
  created_at: string;
  modified_at: string;
};

/** The schema of a timeline node (recursive). */
export const WorkflowRunTimelineSchema: z.ZodType<WorkflowRunTimeline> = z
  .object({
    type: z.enum(['block', 'thought']),
    block: WorkflowRunBlockSchema.nullable(),
    thought: z.null(),
    get children(): z.ZodArray<z.ZodType<WorkflowRunTimeline>> {
      return z.array(WorkflowRunTimelineSchema);
    },
    created_at: z.string(),
    modified_at: z.string(),
  })
  .meta({ id: 'WorkflowRunTimeline' });

/** A reviewer's answer to a `human_interaction` block (what the approve/reject links carry). */
export const HumanInteractionResponseSchema = z
  .object({
    decision: z.enum(['approve', 'reject']),
    token: z.string().min(16).max(200).describe('The token of the link in the email.'),
  })
  .meta({ id: 'HumanInteractionResponse' });
/** A reviewer's answer. */
export type HumanInteractionResponse = z.infer<typeof HumanInteractionResponseSchema>;

/** The query of `GET /v1/workflows/{wpid}/runs` and `GET /v1/workflows/runs`. */
export const ListWorkflowRunsQuerySchema = PageQuerySchema.extend({
  status: oneOrMany(z.enum(RUN_STATUSES)),
  developer_user_id: z.string().max(255).optional().describe('Petrel: only runs started for this end user.'),
});
/** Parsed workflow run list query. */
export type ListWorkflowRunsQuery = z.infer<typeof ListWorkflowRunsQuerySchema>;
