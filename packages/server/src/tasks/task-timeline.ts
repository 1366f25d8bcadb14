// The timeline of a task run in Skyvern's `WorkflowRunTimeline` shape: one `task` block (the goal,
// URL, status, extraction schema) whose `actions` are every action of every agent step, in order,
// with the step's reasoning and screenshot. Skyvern answers 400 for a v1 task's timeline; Petrel has
// the steps recorded, so it shows them in the same shape a workflow run's blocks use.
import type { ActionRecord, AgentStepRecord, AgentTaskOutcome, TaskWorkflowParams } from '@petrel/agent';
import type { InstanceDetails } from '@petrel/engine';
import type { TaskRunResponse, WorkflowRunBlock, WorkflowRunTimeline } from '@petrel/protocol';
import type { RunKindContext } from '../runs/run-service.ts';

const AGENT_STEP = /(?:^|[^a-z])agent-step-\d+$/;

/** One action in a timeline block (the fields of Skyvern's `Action` that Petrel records). */
export type TimelineAction = {
  action_id: string;
  action_type: string;
  status: 'completed' | 'failed' | 'skipped';
  step_order: number;
  action_order: number;
  element_id: string | null;
  description: string | null;
  text: string | null;
  reasoning: string | null;
  response: string | null;
  url: string | null;
  screenshot_url: string | null;
  created_at: string;
};

/** The actions of agent step records, in order (step by step). */
export function timelineActions(records: readonly AgentStepRecord[], runId: string, ctx: Pick<RunKindContext, 'artifactUrl'>): TimelineAction[] {
  return records.flatMap((record) =>
    record.actions.map((action: ActionRecord, index): TimelineAction => ({
      action_id: `${runId}:${record.step}:${index}`,
      action_type: action.type,
      status: action.skipped === true ? 'skipped' : action.ok ? 'completed' : 'failed',
      step_order: record.step,
      action_order: index,
      element_id: action.elementId ?? null,
      description: action.target ?? null,
      text: action.value ?? null,
      reasoning: 'reasoning' in record.outcome ? record.outcome.reasoning : record.history,
      response: action.error ?? null,
      url: action.url ?? record.endUrl,
      screenshot_url: action.screenshotArtifactId === undefined ? (record.screenshotArtifactIds[0] === undefined ? null : ctx.artifactUrl(record.screenshotArtifactIds[0])) : ctx.artifactUrl(action.screenshotArtifactId),
      created_at: record.startedAt,
    })),
  );
}

/** The agent step records of an instance's completed steps, oldest first. */
export function agentStepRecords(details: InstanceDetails): AgentStepRecord[] {
  return details.steps
    .filter((s) => s.type === 'do' && s.status === 'complete' && AGENT_STEP.test(s.name) && typeof s.output === 'object' && s.output !== null)
    .map((s) => s.output as AgentStepRecord)
    .sort((a, b) => a.step - b.step);
}

/** A task run's timeline: one `task` block with its actions. */
export function taskTimeline(details: InstanceDetails, response: TaskRunResponse, organizationId: string, ctx: Pick<RunKindContext, 'artifactUrl'>): WorkflowRunTimeline[] {
  const params = (details.params ?? {}) as Partial<TaskWorkflowParams>;
  const request = params.request;
  const outcome = details.status === 'complete' ? (details.output as AgentTaskOutcome | null) : null;
  const records = agentStepRecords(details);
  const status: WorkflowRunBlock['status'] =
    response.status === 'completed' || response.status === 'failed' || response.status === 'terminated' || response.status === 'canceled' || response.status === 'timed_out'
      ? response.status
      : 'running';
  const created = details.createdAt.toISOString();
  const modified = details.modifiedAt.toISOString();
  const block: WorkflowRunBlock = {
    workflow_run_block_id: `${details.id}:task`,
    block_workflow_run_id: null,
    workflow_run_id: details.id,
    organization_id: organizationId,
    description: request?.title ?? null,
    parent_workflow_run_block_id: null,
    block_type: params.kind === 'login' ? 'login' : params.kind === 'download_files' ? 'file_download' : 'task',
    label: params.kind ?? 'task',
    status,
    output: outcome?.output ?? null,
    continue_on_failure: false,
    failure_reason: response.failure_reason,
    error_codes: response.errors.map((e) => e.error_code),
    engine: request?.engine ?? null,
    task_id: details.id,
    url: request?.url ?? null,
    navigation_goal: request?.prompt ?? null,
    navigation_payload: params.parameters ?? null,
    data_extraction_goal: null,
    data_schema: request?.data_extraction_schema ?? null,
    terminate_criterion: null,
    complete_criterion: null,
    actions: timelineActions(records, details.id, ctx),
    created_at: created,
    modified_at: modified,
    include_action_history_in_verification: request?.include_action_history_in_verification ?? null,
    duration: details.startedAt === null ? null : ((details.endedAt ?? new Date()).getTime() - details.startedAt.getTime()) / 1000,
    loop_values: null,
    current_value: null,
    current_index: null,
    recipients: null,
    attachments: null,
    subject: null,
    body: null,
    prompt: request?.prompt ?? null,
    instructions: null,
    positive_descriptor: null,
    negative_descriptor: null,
    executed_branch_id: null,
    executed_branch_expression: null,
    executed_branch_result: null,
    executed_branch_next_block: null,
    script_run: null,
    downloaded_file_count: response.downloaded_files?.length ?? 0,
    step_name: 'petrel_task',
  };
  return [{ type: 'block', block, thought: null, children: [], created_at: created, modified_at: modified }];
}
