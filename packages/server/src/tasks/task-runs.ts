// Task runs in the runs registry: the `task` kind (instances of the agent's `petrel_task` workflow,
// shown as Skyvern's `TaskRunResponse`), its webhook payload (Skyvern's legacy task fields merged
// with the run response), its live events (agent steps, actions, screenshots), the browser state a
// finished task leaves (for profiles), and the index row of a task instance that has none (a child
// task of a code workflow's `step.task`, or a create cut short before its row was written).
import { TASK_WORKFLOW_NAME, toTaskRunResponse } from '@petrel/agent';
import type { AgentRuntime, AgentTaskOutcome, TaskWorkflowParams } from '@petrel/agent';
import { loadCheckpoint } from '@petrel/browser';
import type { BlobStore } from '@petrel/browser';
import type { InstanceDetails } from '@petrel/engine';
import type { TaskRunResponse } from '@petrel/protocol';
import { agentLiveEvents } from '../live/run-live-events.ts';
import { engineRunKind } from '../runs/run-service.ts';
import type { NewRun, RunKindContext, RunService } from '../runs/run-service.ts';
import type { RunRow } from '../store/run-store.ts';
import { taskTimeline } from './task-timeline.ts';

/** The registry key of task runs. */
export const TASK_RUN_KIND = 'task';

/** Options of `registerTaskRuns`. */
export type TaskRunsOptions = {
  runs: RunService;
  /** Where large checkpoints are (profiles from a finished task). Default none. */
  blobStore?: BlobStore | undefined;
  /** This process's agent runtime: a cancel also closes the run's browser here. Default none. */
  runtime?: AgentRuntime | undefined;
  /** The dashboard link of a run. Default none (`app_url` null). */
  appUrl?: (runId: string) => string | null;
};

/** The task run answer of an instance of the task workflow. */
export function taskResponse(details: InstanceDetails, ctx: RunKindContext, appUrl?: (runId: string) => string | null): TaskRunResponse {
  return toTaskRunResponse(details, { artifactUrl: ctx.artifactUrl, ...(appUrl === undefined ? {} : { appUrl }) });
}

/** The index row of a task instance, from its params. */
export function taskIndexRow(details: InstanceDetails, organizationId: string, extra: Partial<NewRun> = {}): NewRun {
  const params = (details.params ?? {}) as Partial<TaskWorkflowParams>;
  const request = params.request;
  return {
    runId: details.id,
    organizationId,
    kind: TASK_RUN_KIND,
    runType: request?.engine === 'skyvern-2.0' ? 'task_v2' : 'task_v1',
    engineWorkflow: TASK_WORKFLOW_NAME,
    engineInstanceId: details.id,
    status: 'queued',
    title: request?.title ?? null,
    webhookUrl: request?.webhook_url ?? null,
    browserSessionId: request?.browser_session_id ?? null,
    triggerType: details.triggerSource,
    createdAt: details.createdAt,
    totpIdentifiers: request?.totp_identifier ? [request.totp_identifier] : [],
    ...extra,
  };
}

/** Skyvern's webhook body of a task: the legacy `TaskResponse` fields, updated with the run response. */
export function taskWebhookPayload(response: TaskRunResponse, row: RunRow): Record<string, unknown> {
  const screenshots = response.screenshot_urls ?? [];
  // The shared fields (status, failure_reason, recording_url, downloaded_files, errors) come from the response.
  return {
    task_id: response.run_id,
    request: response.run_request,
    extracted_information: response.output,
    screenshot_url: screenshots[0] ?? null,
    action_screenshot_urls: screenshots,
    webhook_callback_url: row.webhook_url,
    webhook_failure_reason: row.webhook_failure_reason,
    title: row.title,
    ...response,
  };
}

/** Registers the `task` kind and its webhook payload; returns the remover. */
export function registerTaskRuns(options: TaskRunsOptions): () => void {
  const { runs } = options;
  const base = engineRunKind<TaskRunResponse>({
    toResponse: (details, _row, ctx) => taskResponse(details, ctx, options.appUrl),
    mapEvent: (event, _row, ctx) => agentLiveEvents(event, ctx),
    timeline: (details, row, ctx) => taskTimeline(details, taskResponse(details, ctx, options.appUrl), row.organization_id, ctx),
    async browserState(row, ctx) {
      const details = await ctx.engine?.instances.find({ namespace: row.organization_id, workflow: row.engine_workflow, id: row.engine_instance_id });
      const outcome = details?.status === 'complete' ? (details.output as AgentTaskOutcome | null) : null;
      if (!outcome?.checkpoint) return undefined;
      return (await loadCheckpoint(outcome.checkpoint, options.blobStore === undefined ? {} : { blobStore: options.blobStore })).storageState;
    },
  });
  const removeKind = runs.registerRunKind(TASK_RUN_KIND, {
    ...base,
    async cancel(row, ctx) {
      await base.cancel(row, ctx);
      // The in-flight step sees its signal abort; the context is closed now rather than when it idles out.
      await options.runtime?.browsers.release(row.run_id, { skipHook: true }).catch(() => undefined);
      options.runtime?.forget(row.run_id);
    },
    claims: (workflow) => workflow === TASK_WORKFLOW_NAME,
    adopt: (details, ctx) => taskIndexRow(details, ctx.organizationId),
  });
  const removeBuilder = runs.registerRunResponseBuilder(TASK_RUN_KIND, async (row, ctx) => {
    const details = await base.get(row, ctx);
    if (details === undefined) return { run_id: row.run_id, status: row.status, task_id: row.run_id };
    return taskWebhookPayload(taskResponse(details, ctx, options.appUrl), row);
  });
  return () => {
    removeKind();
    removeBuilder();
  };
}
