// The API shapes of block workflows, built from rows and engine instances: Skyvern's `Workflow`
// (a saved version), `WorkflowRunResponse` (a run: the status through `toRunStatus`, outputs and
// files read back from the block records even while the run is going), and the timeline (a tree of
// `WorkflowRunBlock`s: a loop's iterations are its children; a block still running shows as
// `running`).
import { createHash } from 'node:crypto';
import { toRunStatus } from '@petrel/protocol';
import type { FileInfo, RunError, WorkflowResponse, WorkflowRunBlock, WorkflowRunResponse, WorkflowRunTimeline } from '@petrel/protocol';
import type { InstanceDetails, StepInfo } from '@petrel/engine';
import { TOTP_EVENT_TYPE, maskHeaders, runFailureReason, runTimes, runUsage } from '@petrel/agent';
import type { ParsedBlockWorkflow } from '../definition/parse-definition.ts';
import { walkBlocks } from '../definition/block-fields.ts';
import { blockStepName, isBlockRecord, isWorkflowRunOutcome, runOutputOf } from '../interpreter/run-types.ts';
import type { BlockRecord, RunDownload, WorkflowRunParams } from '../interpreter/run-types.ts';
import type { WorkflowVersionRow } from './workflow-repository.ts';

/** How artifact ids and runs become URLs in responses. */
export type WorkflowResponseOptions = {
  /** URL of an artifact's content (the server's signed `/v1/artifacts/{id}/content`); default the artifact id. */
  artifactUrl?: (artifactId: string) => string;
  /** The dashboard URL of a run; default none. */
  appUrl?: (runId: string) => string | null;
};

/** Skyvern's `Workflow` of a saved version. */
export function toWorkflowResponse(row: WorkflowVersionRow): WorkflowResponse {
  const definition = row.definition as unknown as ParsedBlockWorkflow;
  return {
    workflow_id: row.workflowId,
    organization_id: row.namespace,
    title: row.title,
    workflow_permanent_id: row.workflowPermanentId,
    agent_id: row.workflowPermanentId,
    version: row.version,
    is_saved_task: row.isSavedTask,
    is_template: row.isTemplate,
    description: row.description,
    workflow_definition: definition.workflow_definition,
    proxy_location: definition.proxy_location ?? null,
    webhook_callback_url: definition.webhook_callback_url ?? null,
    totp_verification_url: definition.totp_verification_url ?? null,
    totp_identifier: definition.totp_identifier ?? null,
    persist_browser_session: definition.persist_browser_session,
    pin_saved_session_ip: definition.pin_saved_session_ip,
    browser_profile_id: definition.browser_profile_id ?? null,
    browser_profile_key: definition.browser_profile_key ?? null,
    model: definition.model ?? null,
    status: row.status,
    max_screenshot_scrolls: definition.max_screenshot_scrolls ?? null,
    max_elapsed_time_minutes: definition.max_elapsed_time_minutes ?? null,
    extra_http_headers: definition.extra_http_headers ?? null,
    cdp_connect_headers: maskHeaders(definition.cdp_connect_headers ?? null),
    run_with: definition.run_with,
    ai_fallback: definition.ai_fallback,
    cache_key: definition.cache_key ?? null,
    run_sequentially: definition.run_sequentially,
    sequential_key: definition.sequential_key ?? null,
    folder_id: row.folderId,
    warnings: row.warnings.map((warning) => ({
      path: warning.path,
      message: warning.message,
      ...(warning.line === undefined ? {} : { line: warning.line }),
      ...(warning.column === undefined ? {} : { column: warning.column }),
    })),
    created_at: row.createdAt,
    modified_at: row.modifiedAt,
    deleted_at: row.deletedAt,
  };
}

/** The block records of an instance, in the order they were recorded. */
export function blockRecordsOf(details: Pick<InstanceDetails, 'steps'>): Array<{ record: BlockRecord; step: StepInfo }> {
  return details.steps
    .filter((s) => s.type === 'do' && s.status === 'complete' && isBlockRecord(s.output))
    .map((s) => ({ record: s.output as BlockRecord, step: s }));
}

/** True while the run waits for a person (a human_interaction answer or a pushed 2FA code): shown as `paused`. */
export function isWaitingForHuman(details: Pick<InstanceDetails, 'steps'>): boolean {
  return details.steps.some(
    (s) => s.type === 'waitForEvent' && s.status === 'waiting' && (s.eventType === TOTP_EVENT_TYPE || (s.eventType ?? '').startsWith('human_interaction_')),
  );
}

function fileInfo(file: RunDownload, url: (id: string) => string): FileInfo {
  return {
    url: file.artifactId ? url(file.artifactId) : (file.sourceUrl ?? ''),
    checksum: file.sha256,
    filename: file.name,
    file_size: file.size,
    modified_at: file.createdAt,
    artifact_id: file.artifactId,
  };
}

/** Skyvern's `WorkflowRunResponse` of a run instance (also while it runs: outputs of the blocks so far). */
export function toWorkflowRunResponse(details: InstanceDetails, options: WorkflowResponseOptions & { title?: string | null } = {}): WorkflowRunResponse {
  const params = (details.params ?? {}) as WorkflowRunParams;
  const request = params.request ?? ({} as WorkflowRunParams['request']);
  const outcome = details.status === 'complete' && isWorkflowRunOutcome(details.output) ? details.output : null;
  const records = blockRecordsOf(details).map((entry) => entry.record);
  const url = (id: string): string => options.artifactUrl?.(id) ?? id;
  const status = toRunStatus({ instanceStatus: details.status, outcomeStatus: outcome?.status ?? null, waitingForHuman: isWaitingForHuman(details) });

  const usage = runUsage(outcome?.usage, records.map((record) => record.usage));
  const files = outcome ? outcome.downloadedFiles : records.flatMap((record) => record.downloadedFiles);
  const screenshots = outcome ? outcome.screenshotArtifactIds : records.flatMap((record) => record.screenshotArtifactIds).toReversed();
  const errors: RunError[] = outcome ? outcome.errors : records.filter((record) => record.status !== 'completed').flatMap((record) => record.errorCodes);
  const output = outcome?.outputs ?? (records.length > 0 || outcome ? runOutputOf(records) : null);
  const setup = details.steps.find((s) => s.type === 'do' && s.name === 'run:setup' && s.status === 'complete')?.output as { seedSource?: string } | undefined;
  const seed = outcome?.browserSeedSource ?? setup?.seedSource ?? null;
  return {
    run_id: details.id,
    status,
    output,
    downloaded_files: files.map((file) => fileInfo(file, url)),
    recording_url: outcome?.recordingArtifactId ? url(outcome.recordingArtifactId) : null,
    recording_archived: false,
    screenshot_urls: screenshots.map(url),
    failure_reason: runFailureReason(details, outcome?.failureReason),
    ...runTimes(details, options.appUrl),
    browser_session_id: request.browser_session_id ?? null,
    browser_profile_id: request.browser_profile_id ?? null,
    max_screenshot_scrolls: request.max_screenshot_scrolls ?? null,
    script_run: null,
    errors,
    step_count: outcome ? outcome.stepCount : records.reduce((sum, record) => sum + record.stepCount, 0),
    run_type: 'workflow_run',
    run_with: 'agent',
    ai_fallback: request.ai_fallback ?? null,
    script_id: null,
    browser_seed_source: seed === 'fresh' || seed === 'own_memory' || seed === 'profile' || seed === 'session' ? seed : null,
    run_request: { ...request, workflow_id: params.workflowPermanentId, cdp_connect_headers: maskHeaders(request.cdp_connect_headers ?? null) },
    workflow_permanent_id: params.workflowPermanentId,
    workflow_id: params.workflowId,
    workflow_version: params.version,
    workflow_title: options.title ?? null,
    parameters: params.parameters ?? {},
    developer_user_id: params.developerUserId ?? null,
    parent_run_id: params.parentRunId ?? null,
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    total_cost: usage.cost,
  };
}

function blockId(runId: string, stepName: string, count: number): string {
  return `wrb_${createHash('sha256').update(`${runId}\u0000${stepName}\u0000${count}`).digest('hex').slice(0, 26).toUpperCase()}`;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function toRunBlock(details: InstanceDetails, record: BlockRecord, count: number, parentId: string | null): WorkflowRunBlock {
  const t = record.timeline;
  const started = Date.parse(record.startedAt);
  const finished = Date.parse(record.finishedAt);
  const loop = record.loops.at(-1);
  return {
    workflow_run_block_id: blockId(details.id, record.stepName, count),
    block_workflow_run_id: record.childRunId ?? null,
    workflow_run_id: details.id,
    organization_id: details.namespace,
    description: null,
    parent_workflow_run_block_id: parentId,
    block_type: record.blockType,
    label: record.label,
    status: record.status,
    output: record.output,
    continue_on_failure: record.continueOnFailure,
    failure_reason: record.failureReason,
    error_codes: record.errorCodes.map((error) => error.error_code),
    engine: text(t['engine']),
    task_id: null,
    url: text(t['url']),
    navigation_goal: text(t['navigation_goal']),
    navigation_payload: null,
    data_extraction_goal: text(t['data_extraction_goal']),
    data_schema: t['data_schema'] ?? null,
    terminate_criterion: text(t['terminate_criterion']),
    complete_criterion: text(t['complete_criterion']),
    actions: [],
    created_at: record.startedAt,
    modified_at: record.finishedAt,
    include_action_history_in_verification: typeof t['include_action_history_in_verification'] === 'boolean' ? t['include_action_history_in_verification'] : null,
    duration: Number.isFinite(finished - started) ? Math.max(0, finished - started) / 1000 : null,
    loop_values: record.loopValues ?? null,
    current_value: loop ? loop.value : null,
    current_index: loop ? loop.index : null,
    recipients: Array.isArray(t['recipients']) ? (t['recipients'] as unknown[]).map(String) : null,
    attachments: Array.isArray(t['attachments']) ? (t['attachments'] as unknown[]).map(String) : null,
    subject: text(t['subject']),
    body: text(t['body']),
    prompt: text(t['prompt']),
    instructions: text(t['instructions']),
    positive_descriptor: text(t['positive_descriptor']),
    negative_descriptor: text(t['negative_descriptor']),
    executed_branch_id: record.branch?.id ?? null,
    executed_branch_expression: record.branch?.expression ?? null,
    executed_branch_result: record.branch?.result ?? null,
    executed_branch_next_block: record.branch?.next ?? null,
    script_run: null,
    downloaded_file_count: record.downloadedFiles.length,
    step_name: record.stepName,
  };
}

type Node = WorkflowRunTimeline;

/** The label and loop path of a block step name (`block:<a>[0]:<b>[2]:<label>`), without its sub-step suffix. */
function parseStepName(name: string): { path: string; label: string; loops: Array<{ label: string; index: number }> } | undefined {
  if (!name.startsWith('block:')) return undefined;
  const path = name.split('/')[0] ?? name;
  const parts = path.slice('block:'.length).split(':');
  const label = parts.pop() ?? '';
  const loops = parts.map((part) => {
    const match = /^(.*)\[(\d+)\]$/.exec(part);
    return { label: match?.[1] ?? part, index: Number(match?.[2] ?? 0) };
  });
  return { path, label, loops };
}

/** The run's timeline: one node per block execution, loop iterations as children of their loop, blocks still running last. */
export function buildRunTimeline(details: InstanceDetails, definition?: ParsedBlockWorkflow): WorkflowRunTimeline[] {
  const roots: Node[] = [];
  // Children recorded before their loop's record, by the loop's step name.
  const pending = new Map<string, Node[]>();
  const counts = new Map<string, number>();
  const types = new Map<string, string>();
  if (definition) walkBlocks(definition.workflow_definition.blocks, ({ block }) => types.set(block.label, block.block_type), []);
  const open = new Map<string, StepInfo>();
  const place = (node: Node, record: { loops: Array<{ label: string; index: number }> }): void => {
    const parent = record.loops.at(-1);
    if (!parent) {
      roots.push(node);
      return;
    }
    const key = blockStepName(parent.label, record.loops.slice(0, -1).map((loop) => ({ ...loop, value: null })));
    const list = pending.get(key) ?? [];
    list.push(node);
    pending.set(key, list);
  };
  for (const step of details.steps) {
    const parsed = parseStepName(step.name);
    if (!parsed) continue;
    if (step.type === 'do' && step.status === 'complete' && isBlockRecord(step.output) && step.name === parsed.path) {
      open.delete(parsed.path);
      const record = step.output;
      const count = (counts.get(record.stepName) ?? 0) + 1;
      counts.set(record.stepName, count);
      const node: Node = { type: 'block', block: toRunBlock(details, record, count, null), thought: null, children: [], created_at: record.startedAt, modified_at: record.finishedAt };
      const children = pending.get(record.stepName);
      if (children) {
        pending.delete(record.stepName);
        for (const child of children) {
          if (child.block) child.block.parent_workflow_run_block_id = node.block?.workflow_run_block_id ?? null;
          node.children.push(child);
        }
      }
      place(node, record);
    } else if (!open.has(parsed.path)) {
      open.set(parsed.path, step);
    }
  }
  const final = details.status === 'complete' || details.status === 'errored' || details.status === 'terminated';
  // Loops whose record is not written yet (still iterating) and blocks still running.
  const running = (path: string, startedAt: Date): Node => {
    const parsed = parseStepName(path) ?? { label: path, loops: [] };
    const at = startedAt.toISOString();
    const block: WorkflowRunBlock = {
      ...toRunBlock(
        details,
        {
          kind: 'petrel.block',
          label: parsed.label,
          blockType: types.get(parsed.label) ?? 'unknown',
          stepName: path,
          status: final ? 'canceled' : 'failed',
          output: null,
          failureReason: null,
          errorCodes: [],
          startedAt: at,
          finishedAt: at,
          continueOnFailure: false,
          loops: parsed.loops.map((loop) => ({ ...loop, value: null })),
          downloadedFiles: [],
          stepCount: 0,
          screenshotArtifactIds: [],
          timeline: {},
        },
        (counts.get(path) ?? 0) + 1,
        null,
      ),
      status: final ? 'canceled' : 'running',
      duration: null,
    };
    return { type: 'block', block, thought: null, children: [], created_at: at, modified_at: at };
  };
  for (const [path, step] of open) {
    if (pending.has(path)) continue;
    const parsed = parseStepName(path);
    place(running(path, step.startedAt), { loops: parsed?.loops ?? [] });
  }
  // Loops still iterating (no record yet): a running node holding the iterations so far; inner ones first land in their parent's list.
  while (pending.size > 0) {
    const [key, children] = pending.entries().next().value as [string, Node[]];
    pending.delete(key);
    const first = children[0]?.created_at;
    const node = running(key, first ? new Date(first) : details.createdAt);
    for (const child of children) {
      if (child.block) child.block.parent_workflow_run_block_id = node.block?.workflow_run_block_id ?? null;
      node.children.push(child);
    }
    place(node, { loops: parseStepName(key)?.loops ?? [] });
  }
  return roots;
}
