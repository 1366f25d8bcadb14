// Wire schemas of a whole block workflow: Skyvern's `WorkflowCreateYAMLRequest` (the top-level
// fields) with its `workflow_definition`, the `WorkflowRequest` wrapper of the create/update API,
// and seed 000's simple "list of tasks" shape. Shape only: the semantic checks (identifiers,
// references, versions) and YAML line/column reporting live in `@petrel/blocks`.
import { z } from 'zod';
import { BlockSchema } from './workflow-blocks.ts';
import { BlockWorkflowParameterSchema } from './workflow-parameters.ts';

/** Statuses of a saved workflow. */
export const BLOCK_WORKFLOW_STATUSES = ['published', 'draft', 'auto_generated', 'importing', 'import_failed'] as const;
/** A status of a saved workflow. */
export type BlockWorkflowStatus = (typeof BLOCK_WORKFLOW_STATUSES)[number];

/** Policy for retrying finished runs that ended in a listed status. */
export const WorkflowRetryPolicySchema = z.object({
  max_retries: z.number().int().min(1).max(5).default(1),
  delay_seconds: z.number().int().min(0).max(3600).default(0),
  webhook_on_retry: z.enum(['final_only', 'every_attempt']).default('final_only'),
  retry_on: z
    .array(
      z.object({
        status: z.enum(['completed', 'failed', 'terminated', 'canceled', 'timed_out']),
        error_codes: z.array(z.string().min(1)).nullish(),
      }),
    )
    .min(1),
});

/** The `workflow_definition` object: parameters, blocks and workflow-wide settings. */
export const BlockWorkflowDefinitionSchema = z.object({
  /** 1 runs blocks in list order; 2 follows `next_block_label` edges. Absent: detected (2 when any conditional or edge). */
  version: z.number().int().min(1).nullish(),
  parameters: z.array(BlockWorkflowParameterSchema),
  blocks: z.array(BlockSchema),
  /** A block that always runs last, even after a failure. */
  finally_block_label: z.string().nullish(),
  error_code_mapping: z.record(z.string(), z.string()).nullish(),
  retry_policy: WorkflowRetryPolicySchema.nullish(),
  /** Jinja; inherited by every LLM block unless it sets ignore_workflow_system_prompt. */
  workflow_system_prompt: z.string().nullish(),
  completion_contract: z.record(z.string(), z.unknown()).nullish(),
});
/** The `workflow_definition` object, after parsing. */
export type BlockWorkflowDefinition = z.infer<typeof BlockWorkflowDefinitionSchema>;

/** A whole block workflow as created or updated (Skyvern's `WorkflowCreateYAMLRequest`). */
export const BlockWorkflowCreateRequestSchema = z.object({
  title: z.string(),
  description: z.string().nullish(),
  recording_id: z.string().nullish(),
  proxy_location: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
  webhook_callback_url: z.string().nullish(),
  totp_verification_url: z.string().nullish(),
  totp_identifier: z.string().nullish(),
  persist_browser_session: z.boolean().default(false),
  reuse_browser_session: z.boolean().default(false),
  mask_secrets: z.boolean().nullish(),
  pin_saved_session_ip: z.boolean().default(false),
  browser_profile_id: z.string().nullish(),
  browser_profile_key: z.string().nullish(),
  model: z.record(z.string(), z.unknown()).nullish(),
  workflow_definition: BlockWorkflowDefinitionSchema,
  is_saved_task: z.boolean().default(false),
  max_screenshot_scrolls: z.number().int().min(0).nullish(),
  max_elapsed_time_minutes: z.number().int().min(1).max(480).nullish(),
  extra_http_headers: z.record(z.string(), z.string()).nullish(),
  cdp_connect_headers: z.record(z.string(), z.string()).nullish(),
  status: z.enum(BLOCK_WORKFLOW_STATUSES).default('published'),
  run_with: z.string().default('agent'),
  browser_type: z.string().nullish(),
  ai_fallback: z.boolean().default(true),
  cache_key: z.string().nullish().default('default'),
  adaptive_caching: z.boolean().default(false),
  enable_self_healing: z.boolean().nullish(),
  code_version: z.number().int().min(1).max(2).nullish(),
  generate_script_on_terminal: z.boolean().default(false),
  run_sequentially: z.boolean().default(false),
  sequential_key: z.string().nullish(),
  folder_id: z.string().nullish(),
});
/** A whole block workflow, after parsing (defaults filled in). */
export type BlockWorkflowCreateRequest = z.infer<typeof BlockWorkflowCreateRequestSchema>;
/** A whole block workflow as a client may write it (defaults optional). */
export type BlockWorkflowCreateRequestInput = z.input<typeof BlockWorkflowCreateRequestSchema>;

/** Body of the create/update workflow API: exactly one of a JSON definition or a YAML text. */
export const BlockWorkflowRequestSchema = z
  .strictObject({
    json_definition: z.record(z.string(), z.unknown()).nullish(),
    yaml_definition: z.string().nullish(),
  })
  .check((ctx) => {
    const count = (ctx.value.json_definition == null ? 0 : 1) + (ctx.value.yaml_definition == null ? 0 : 1);
    if (count !== 1) {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: [], message: 'send exactly one of json_definition or yaml_definition' });
    }
  });
/** Body of the create/update workflow API. */
export type BlockWorkflowRequest = z.infer<typeof BlockWorkflowRequestSchema>;

/** One step of a seed-000 task list: instructions (with optional start pages) or a saved task id. */
export const TaskListStepSchema = z
  .object({
    instructions: z.string().min(1).nullish(),
    target_url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).nullish(),
    task_id: z.string().min(1).nullish(),
  })
  .check((ctx) => {
    const step = ctx.value;
    if (step.instructions != null && step.task_id != null) {
      ctx.issues.push({ code: 'custom', input: step, path: ['task_id'], message: 'give either instructions or task_id, not both' });
    } else if (step.instructions == null && step.task_id == null) {
      ctx.issues.push({ code: 'custom', input: step, path: ['instructions'], message: 'give instructions or a task_id' });
    }
  });
/** One step of a seed-000 task list. */
export type TaskListStep = z.infer<typeof TaskListStepSchema>;

/** Seed 000's simple workflow: a name and a list of tasks, compiled to blocks by `@petrel/blocks`. */
export const TaskListWorkflowSchema = z.object({
  name: z.string().min(1),
  description: z.string().nullish(),
  tasks: z.array(TaskListStepSchema).min(1),
});
/** Seed 000's simple workflow. */
export type TaskListWorkflow = z.infer<typeof TaskListWorkflowSchema>;
