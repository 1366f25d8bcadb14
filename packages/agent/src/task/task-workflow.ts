// The task workflow: one engine code workflow (`petrel_task`) whose instances are task runs (the
// instance id is the run id, `tsk_…`). Its params are the parsed Skyvern request plus what the
// helpers add (credentials, download settings, a parent's browser state); its output is the task's
// outcome. Bump `TASK_WORKFLOW_VERSION` whenever the step structure changes, so instances recorded
// with the old structure keep their own version.
import { defineWorkflow } from '@petrel/engine';
import type { WorkflowDefinition, WorkflowResolver } from '@petrel/engine';
import type { BrowserCheckpoint } from '@petrel/browser';
import type { TaskRunRequest } from '@petrel/protocol';
import { runAgentTask } from '../loop/agent-loop.ts';
import type { AgentTaskOutcome } from '../loop/agent-loop.ts';
import { DEFAULT_MAX_STEPS } from '../loop/agent-task-input.ts';
import type { AgentTaskInput } from '../loop/agent-task-input.ts';
import type { AgentRuntime } from '../runtime/agent-runtime.ts';

/** The engine workflow name of task runs. */
export const TASK_WORKFLOW_NAME = 'petrel_task';
/** The version key of the task workflow's step structure. */
export const TASK_WORKFLOW_VERSION = 'petrel-task-1';

/** Which API made the run. */
export type TaskKind = 'task' | 'login' | 'download_files';

/** The params of a task instance. */
export type TaskWorkflowParams = {
  kind: TaskKind;
  /** The task request, parsed (defaults applied). */
  request: TaskRunRequest;
  /** What the client sent, echoed as `run_request` (the helper's own request for login and downloads); default `request`. */
  runRequest?: Record<string, unknown>;
  /** `x-max-steps-override`: wins over `request.max_steps`. */
  maxStepsOverride?: number | null;
  /** Credentials by parameter key (`cred_…`). */
  credentials?: Record<string, string>;
  /** Clear parameters shown to the model. */
  parameters?: Record<string, unknown>;
  completeOnDownload?: boolean;
  downloadSuffix?: string | null;
  downloadTimeoutMs?: number | null;
  /** Browser state to start from (a parent code workflow's). */
  initialCheckpoint?: BrowserCheckpoint | null;
  /** ISO time after which the run stops with `timed_out`. */
  deadline?: string | null;
};

/** The agent input of a task instance. */
export function taskInput(params: TaskWorkflowParams, runId: string, createdAt: number): AgentTaskInput {
  const r = params.request;
  return {
    runId,
    goal: r.prompt,
    url: r.url ?? null,
    planning: r.engine === 'skyvern-2.0',
    maxSteps: params.maxStepsOverride ?? r.max_steps ?? DEFAULT_MAX_STEPS,
    ...(r.data_extraction_schema === undefined || r.data_extraction_schema === null ? {} : { dataExtractionSchema: r.data_extraction_schema }),
    errorCodeMapping: r.error_code_mapping ?? null,
    includeActionHistoryInVerification: r.include_action_history_in_verification,
    ...(params.parameters ? { parameters: params.parameters } : {}),
    ...(params.credentials ? { credentials: params.credentials } : {}),
    totpIdentifier: r.totp_identifier ?? null,
    totpUrl: r.totp_url ?? null,
    browser: {
      sessionId: r.browser_session_id ?? null,
      address: r.browser_address ?? null,
      extraHttpHeaders: r.extra_http_headers ?? null,
      userAgent: r.user_agent ?? null,
    },
    completeOnDownload: params.completeOnDownload ?? false,
    downloadSuffix: params.downloadSuffix ?? null,
    downloadTimeoutMs: params.downloadTimeoutMs ?? null,
    model: r.model ?? null,
    initialCheckpoint: params.initialCheckpoint ?? null,
    deadline: params.deadline ? Date.parse(params.deadline) : null,
    createdAt,
  };
}

/** Builds the task workflow over a runtime (register it in every namespace that runs tasks, or resolve it). */
export function createTaskWorkflow(runtime: AgentRuntime): WorkflowDefinition<TaskWorkflowParams, AgentTaskOutcome> {
  return defineWorkflow<TaskWorkflowParams, AgentTaskOutcome>({
    name: TASK_WORKFLOW_NAME,
    versionKey: TASK_WORKFLOW_VERSION,
    className: 'PetrelTask',
    run: async (event, step) => runAgentTask(step, taskInput(event.payload, event.instanceId, event.timestamp.getTime()), runtime, event.namespace),
  });
}

/** A `WorkflowResolver` that answers the task workflow in any namespace (for `createEngine({ resolveWorkflow })`). */
export function taskWorkflowResolver(definition: WorkflowDefinition<TaskWorkflowParams, AgentTaskOutcome>): WorkflowResolver {
  return (ref) => Promise.resolve(ref.workflowName === TASK_WORKFLOW_NAME ? (definition as WorkflowDefinition) : undefined);
}
