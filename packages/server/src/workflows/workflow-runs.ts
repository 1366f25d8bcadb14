// Block workflow runs in the runs registry: the `workflow_run` kind (instances of a workflow's
// engine workflow, named by its `wpid_…`, shown as Skyvern's `WorkflowRunResponse`), its timeline,
// cancel (child runs too), live events (blocks, agent steps, actions, screenshots), the browser
// state it leaves (profiles), its webhook payload (Skyvern's legacy `WorkflowRunResponseBase`
// fields merged with the run response; seed 001's `workflow_id` is the `wpid_…`), and the index row
// of a run the engine started itself (a `workflow_trigger` child) or whose create was cut short.
import { loadCheckpoint } from '@petrel/browser';
import type { BlobStore } from '@petrel/browser';
import { isWorkflowRunOutcome, toWorkflowRunResponse } from '@petrel/blocks';
import type { WorkflowRunParams, WorkflowService } from '@petrel/blocks';
import type { AgentStepRecord } from '@petrel/agent';
import type { InstanceDetails } from '@petrel/engine';
import { FINAL_RUN_STATUSES, PetrelError } from '@petrel/protocol';
import type { WorkflowRunResponse, WorkflowRunTimeline } from '@petrel/protocol';
import { agentLiveEvents } from '../live/run-live-events.ts';
import { engineRunKind } from '../runs/run-service.ts';
import type { NewRun, RunKindContext, RunService } from '../runs/run-service.ts';
import type { RunRow } from '../store/run-store.ts';
import { timelineActions } from '../tasks/task-timeline.ts';

/** The registry key of block workflow runs. */
export const WORKFLOW_RUN_KIND = 'workflow_run';

/** True for the engine workflow names of block workflows. */
export function isBlockWorkflowName(name: string): boolean {
  return name.startsWith('wpid_');
}

/** The `totp_identifier`s a run may wait on: the request's, the workflow's and its blocks'. */
export function workflowTotpIdentifiers(params: Partial<WorkflowRunParams>, definition?: unknown): string[] {
  const found = new Set<string>();
  if (params.request?.totp_identifier) found.add(params.request.totp_identifier);
  // The definition is walked as JSON: any `totp_identifier` string in the workflow or its blocks.
  const walk = (value: unknown, depth: number): void => {
    if (depth > 12 || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) walk(item, depth + 1);
      return;
    }
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'totp_identifier' && typeof inner === 'string' && inner !== '' && !inner.includes('{{')) found.add(inner);
      else walk(inner, depth + 1);
    }
  };
  walk(definition, 0);
  return [...found];
}

/** The index row of a workflow run instance, from its params. */
export function workflowIndexRow(details: InstanceDetails, organizationId: string, extra: Partial<NewRun> = {}): NewRun {
  const params = (details.params ?? {}) as Partial<WorkflowRunParams>;
  const request = params.request;
  return {
    runId: details.id,
    organizationId,
    kind: WORKFLOW_RUN_KIND,
    runType: 'workflow_run',
    engineWorkflow: details.workflowName,
    engineInstanceId: details.id,
    status: 'queued',
    title: request?.title ?? null,
    webhookUrl: request?.webhook_url ?? request?.webhook_callback_url ?? null,
    workflowPermanentId: params.workflowPermanentId ?? details.workflowName,
    workflowId: params.workflowId ?? null,
    developerUserId: params.developerUserId ?? null,
    browserSessionId: request?.browser_session_id ?? null,
    triggerType: params.parentRunId ? 'workflow_trigger' : details.triggerSource,
    createdAt: details.createdAt,
    totpIdentifiers: workflowTotpIdentifiers(params),
    ...extra,
  };
}

/** Skyvern's legacy fields of a workflow run (seed 001's `GET /api/v1/workflows/runs/{id}` and the webhook body). */
export function legacyWorkflowRunFields(response: WorkflowRunResponse, row: Pick<RunRow, 'webhook_url' | 'webhook_failure_reason'>): Record<string, unknown> {
  const outputs: Record<string, unknown> = { ...response.output };
  delete outputs['extracted_information'];
  const request = response.run_request ?? {};
  return {
    workflow_id: response.workflow_permanent_id,
    workflow_run_id: response.run_id,
    agent_id: response.workflow_permanent_id,
    agent_run_id: response.run_id,
    status: response.status,
    failure_reason: response.failure_reason,
    proxy_location: request['proxy_location'] ?? null,
    webhook_callback_url: row.webhook_url,
    webhook_failure_reason: row.webhook_failure_reason,
    created_at: response.created_at,
    modified_at: response.modified_at,
    parameters: response.parameters,
    screenshot_urls: response.screenshot_urls,
    recording_url: response.recording_url,
    downloaded_files: response.downloaded_files,
    outputs,
    total_steps: response.step_count,
    total_cost: response.total_cost,
    credits_used: null,
  };
}

/** The webhook body of a workflow run: legacy fields updated with the run response; `workflow_id` stays the `wpid_…` (seed 001). */
export function workflowWebhookPayload(response: WorkflowRunResponse, row: RunRow): Record<string, unknown> {
  return { ...legacyWorkflowRunFields(response, row), ...response, workflow_id: response.workflow_permanent_id, workflow_version_id: response.workflow_id };
}

/**
 * Fills each block of a timeline with the actions of its agent steps (`<step_name>/agent-step-N`),
 * in order, as the timeline of a task shows them.
 */
export function withAgentActions(timeline: WorkflowRunTimeline[], details: InstanceDetails, ctx: Pick<RunKindContext, 'artifactUrl'>): WorkflowRunTimeline[] {
  const byBlock = new Map<string, AgentStepRecord[]>();
  for (const step of details.steps) {
    if (step.type !== 'do' || step.status !== 'complete' || step.output === null || typeof step.output !== 'object') continue;
    const match = /^(.*)\/agent-step-\d+$/.exec(step.name);
    if (match?.[1] === undefined) continue;
    byBlock.set(match[1], [...(byBlock.get(match[1]) ?? []), step.output as AgentStepRecord]);
  }
  const fill = (nodes: WorkflowRunTimeline[]): WorkflowRunTimeline[] =>
    nodes.map((node) => {
      const records = node.block === null ? undefined : byBlock.get(node.block.step_name);
      const block = node.block === null || records === undefined || node.block.actions.length > 0
        ? node.block
        : { ...node.block, actions: timelineActions(records.toSorted((a, b) => a.step - b.step), details.id, ctx) };
      return { ...node, block, children: fill(node.children) };
    });
  return fill(timeline);
}

/** Options of `registerWorkflowRuns`. */
export type WorkflowRunsOptions = {
  runs: RunService;
  /** The workflow service (timeline, cancel with children); without it runs are shown from their instance only. */
  service: WorkflowService | undefined;
  /** Where large checkpoints are (profiles from a finished run). */
  blobStore?: BlobStore | undefined;
  /** Signed artifact URLs are the kind context's; the dashboard link of a run. Default none. */
  appUrl?: (runId: string) => string | null;
};

/** The run response of a workflow run instance (the title from the index row). */
export function workflowRunResponse(details: InstanceDetails, row: Pick<RunRow, 'title'>, ctx: RunKindContext, appUrl?: (runId: string) => string | null): WorkflowRunResponse {
  return toWorkflowRunResponse(details, { artifactUrl: ctx.artifactUrl, title: row.title, ...(appUrl === undefined ? {} : { appUrl }) });
}

/** Registers the `workflow_run` kind and its webhook payload; returns the remover. */
export function registerWorkflowRuns(options: WorkflowRunsOptions): () => void {
  const { runs, service } = options;
  const base = engineRunKind<WorkflowRunResponse>({
    toResponse: (details, row, ctx) => workflowRunResponse(details, row, ctx, options.appUrl),
    mapEvent: (event, _row, ctx) => agentLiveEvents(event, ctx),
    async browserState(row, ctx) {
      const details = await ctx.engine?.instances.find({ namespace: row.organization_id, workflow: row.engine_workflow, id: row.engine_instance_id });
      const outcome = details?.status === 'complete' && isWorkflowRunOutcome(details.output) ? details.output : null;
      if (!outcome?.checkpoint) return undefined;
      return (await loadCheckpoint(outcome.checkpoint, options.blobStore === undefined ? {} : { blobStore: options.blobStore })).storageState;
    },
  });
  const removeKind = runs.registerRunKind(WORKFLOW_RUN_KIND, {
    ...base,
    async cancel(row, ctx) {
      if (service === undefined) return base.cancel(row, ctx);
      const current = await base.get(row, ctx);
      if (current === undefined) throw new PetrelError('RUN_NOT_FOUND', `runs.cancel: run ${row.run_id} is gone`);
      const status = workflowRunResponse(current, row, ctx).status;
      if (FINAL_RUN_STATUSES.includes(status)) throw new PetrelError('INVALID_TRANSITION', `runs.cancel: run ${row.run_id} is already final`);
      // The service terminates the instance, closes its browser here, and cancels its child runs.
      await service.cancelWorkflowRun(row.organization_id, row.run_id);
    },
    async timeline(row, ctx) {
      if (service === undefined) throw new PetrelError('UNAVAILABLE', 'runs.timeline: the workflow service is not running in this process');
      const timeline = await service.getWorkflowRunTimeline(row.organization_id, row.run_id);
      const details = await base.get(row, ctx);
      return details === undefined ? timeline : withAgentActions(timeline, details, ctx);
    },
    claims: isBlockWorkflowName,
    adopt: (details, ctx) => (details.id.startsWith('wr_') ? workflowIndexRow(details, ctx.organizationId) : undefined),
  });
  const removeBuilder = runs.registerRunResponseBuilder(WORKFLOW_RUN_KIND, async (row, ctx) => {
    const details = await base.get(row, ctx);
    if (details === undefined) return { run_id: row.run_id, workflow_run_id: row.run_id, status: row.status };
    return workflowWebhookPayload(workflowRunResponse(details, row, ctx, options.appUrl), row);
  });
  return () => {
    removeKind();
    removeBuilder();
  };
}
