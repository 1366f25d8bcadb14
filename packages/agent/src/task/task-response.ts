// A task instance as Skyvern's `TaskRunResponse`: the status through `toRunStatus`, the outcome when
// the run ended, and progress (steps, tokens, screenshots) from the recorded steps while it runs.
import { toRunStatus } from '@petrel/protocol';
import type { FileInfo, RunError, TaskRunResponse } from '@petrel/protocol';
import type { InstanceDetails } from '@petrel/engine';
import { TOTP_EVENT_TYPE } from '../loop/agent-loop.ts';
import type { AgentTaskOutcome } from '../loop/agent-loop.ts';
import type { AgentStepRecord, DownloadedFile } from '../loop/agent-step.ts';
import type { TaskWorkflowParams } from './task-workflow.ts';

/** Turns artifact ids into URLs clients can fetch (the server's `/v1/artifacts/{id}/content`). */
export type ArtifactUrlBuilder = (artifactId: string) => string;

/** Options of `toTaskRunResponse`. */
export type TaskResponseOptions = {
  /** URLs of artifacts; default: the artifact id itself. */
  artifactUrl?: ArtifactUrlBuilder;
  /** The dashboard URL of a run; default none (`app_url` null). */
  appUrl?: (runId: string) => string | null;
};

const AGENT_STEP = /(^|[^a-z])agent-step-\d+$/;

/** Header values replaced by `********`, names kept: how a run echoes `cdp_connect_headers` (task and workflow runs alike). No headers stay as they were (null or undefined). */
export function maskHeaders<T extends null | undefined>(headers: Record<string, string> | T): Record<string, string> | T {
  if (!headers) return headers;
  return Object.fromEntries(Object.keys(headers).map((name) => [name, '********']));
}

/** Token counts and cost of an LLM call or a run. */
export type RunUsage = { inputTokens: number; outputTokens: number; costUsd: number | null };

/** A run's token and cost totals: its outcome's once it finished, otherwise the sum of what its steps recorded so far (cost rounded to 1e-6 USD; null while no price is known). */
export function runUsage(outcome: RunUsage | undefined, steps: ReadonlyArray<RunUsage | undefined>): { inputTokens: number; outputTokens: number; cost: number | null } {
  if (outcome) return { inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens, cost: outcome.costUsd };
  let inputTokens = 0;
  let outputTokens = 0;
  let cost: number | null = null;
  for (const usage of steps) {
    if (!usage) continue;
    inputTokens += usage.inputTokens;
    outputTokens += usage.outputTokens;
    if (usage.costUsd !== null) cost = Math.round(((cost ?? 0) + usage.costUsd) * 1e6) / 1e6;
  }
  return { inputTokens, outputTokens, cost };
}

/** The failure reason a run shows: its outcome's, unless the instance errored (its error) or was terminated (a cancel). */
export function runFailureReason(details: Pick<InstanceDetails, 'status' | 'error'>, outcomeReason: string | null | undefined): string | null {
  if (details.status === 'errored' && details.error) return `${details.error.code ?? details.error.name}: ${details.error.message}`;
  if (details.status === 'terminated') return 'The run was canceled.';
  return outcomeReason ?? null;
}

/** The times and dashboard link of a run (Skyvern's `BaseRunResponse` fields), from its instance. */
export function runTimes(
  details: Pick<InstanceDetails, 'id' | 'createdAt' | 'modifiedAt' | 'startedAt' | 'endedAt'>,
  appUrl: ((runId: string) => string | null) | undefined,
): Pick<TaskRunResponse, 'created_at' | 'modified_at' | 'queued_at' | 'started_at' | 'finished_at' | 'app_url'> {
  return {
    created_at: details.createdAt.toISOString(),
    modified_at: details.modifiedAt.toISOString(),
    queued_at: details.createdAt.toISOString(),
    started_at: details.startedAt?.toISOString() ?? null,
    finished_at: details.endedAt?.toISOString() ?? null,
    app_url: appUrl?.(details.id) ?? null,
  };
}

/** The names downloaded files get: the download suffix when one was given (numbered from the second file). */
export function downloadedFileName(file: DownloadedFile, suffix: string | null | undefined, index: number): string {
  if (!suffix) return file.filename;
  const dot = suffix.lastIndexOf('.');
  if (dot > 0) return index === 0 ? suffix : `${suffix.slice(0, dot)}-${index + 1}${suffix.slice(dot)}`;
  const ext = file.filename.lastIndexOf('.');
  const base = ext > 0 ? file.filename.slice(0, ext) : file.filename;
  return `${base}${suffix}${ext > 0 ? file.filename.slice(ext) : ''}`;
}

/** The task run response of an instance of the task workflow. */
export function toTaskRunResponse(details: InstanceDetails, options: TaskResponseOptions = {}): TaskRunResponse {
  const params = (details.params ?? {}) as TaskWorkflowParams;
  const request = params.request;
  const outcome = details.status === 'complete' ? (details.output as AgentTaskOutcome | null) : null;
  const url = (id: string): string => options.artifactUrl?.(id) ?? id;
  const records = details.steps
    .filter((s) => s.type === 'do' && s.status === 'complete' && AGENT_STEP.test(s.name) && typeof s.output === 'object' && s.output !== null)
    .map((s) => s.output as AgentStepRecord);
  const waitingForHuman = details.steps.some((s) => s.type === 'waitForEvent' && s.status === 'waiting' && s.eventType === TOTP_EVENT_TYPE);
  const status = toRunStatus({ instanceStatus: details.status, outcomeStatus: outcome?.status ?? null, waitingForHuman });

  const usage = runUsage(outcome?.usage, records.map((record) => record.usage));
  const files: DownloadedFile[] = outcome ? outcome.downloadedFiles : records.flatMap((r) => r.downloads);
  const downloaded: FileInfo[] = files.map((file, index) => ({
    url: file.artifactId ? url(file.artifactId) : file.sourceUrl,
    checksum: file.sha256,
    filename: downloadedFileName(file, params.downloadSuffix, index),
    file_size: file.size,
    modified_at: file.createdAt,
    artifact_id: file.artifactId,
  }));
  const screenshots = outcome ? outcome.screenshotArtifactIds : records.flatMap((r) => r.screenshotArtifactIds).toReversed();
  const errors: RunError[] = outcome?.errors ?? [];
  const runRequest = params.runRequest ?? (request ? { ...request, cdp_connect_headers: maskHeaders(request.cdp_connect_headers) } : null);
  return {
    run_id: details.id,
    status,
    output: outcome?.output ?? null,
    downloaded_files: downloaded,
    recording_url: outcome?.recordingArtifactId ? url(outcome.recordingArtifactId) : null,
    recording_archived: false,
    screenshot_urls: screenshots.map(url),
    failure_reason: runFailureReason(details, outcome?.failureReason),
    ...runTimes(details, options.appUrl),
    browser_session_id: request?.browser_session_id ?? null,
    browser_profile_id: request?.browser_profile_id ?? null,
    max_screenshot_scrolls: request?.max_screenshot_scrolls ?? null,
    script_run: null,
    errors,
    step_count: outcome ? outcome.stepCount : records.length,
    run_type: request?.engine === 'skyvern-2.0' ? 'task_v2' : 'task_v1',
    run_with: 'agent',
    run_request: runRequest,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_cost: usage.cost,
  };
}
