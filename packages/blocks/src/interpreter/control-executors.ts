// Executors of the blocks that wait or hand over: `wait` (a durable sleep: a run waiting an hour holds
// no worker), `terminate`, `human_interaction` (email the reviewers, then wait durably for their
// answer or the timeout; the run reads `paused` meanwhile), and `workflow_trigger` (a child run
// through the engine's child API, waited for durably or not).
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { HumanInteractionBlock, TerminateBlock, WaitBlock, WorkflowTriggerBlock } from '@petrel/protocol';
import type { StepConfig } from '@petrel/engine';
import { humanInteractionEventType } from '../graph/block-graph.ts';
import type { BlockContext, BlockResult, DurableBlockContext } from './block-executor.ts';
import { isWorkflowRunOutcome } from './run-types.ts';

const SEND_CONFIG: StepConfig = { retries: { limit: 3, delay: 5000, backoff: 'exponential' }, timeout: '2 minutes' };
const CHILD_CONFIG: StepConfig = { retries: { limit: 2, delay: 2000, backoff: 'exponential' }, timeout: '2 minutes' };

/** `wait`: sleeps durably for `wait_sec` seconds. */
export async function executeWaitBlock(block: WaitBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  const seconds = block.wait_sec;
  if (seconds > 0) await ctx.step.sleep(`${ctx.position.stepName}/sleep`, seconds * 1000);
  return { status: 'completed', output: { wait_sec: seconds } };
}

/** `terminate`: ends the run as terminated with its (rendered) reason. */
export async function executeTerminateBlock(block: TerminateBlock, _ctx: BlockContext): Promise<BlockResult> {
  return { status: 'terminated', output: { reason: block.reason }, failureReason: block.reason };
}

/** `human_interaction`: emails the reviewers the approve/reject links, then waits for an answer. */
export async function executeHumanInteractionBlock(block: HumanInteractionBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  const stepName = ctx.position.stepName;
  const services = ctx.services;
  if (!services) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'human_interaction: the run has no interaction services');
  const recipients = block.recipients.map((r) => r.trim()).filter(Boolean);
  const request = await ctx.step.do(`${stepName}/request`, SEND_CONFIG, async (sctx) => {
    const links = await services.humanInteractionLinks(block.label);
    const lines = [
      block.body,
      '',
      block.instructions,
      '',
      links.approveUrl ? `${block.positive_descriptor}: ${links.approveUrl}` : '',
      links.rejectUrl ? `${block.negative_descriptor}: ${links.rejectUrl}` : '',
      '',
      `Run ${ctx.runId}, block ${block.label}. You can also answer through the API: POST /v1/runs/${ctx.runId}/human_interaction/${block.label} with {"decision": "approve" | "reject", "token": "${links.token}"}.`,
    ];
    if (!ctx.mailer || recipients.length === 0) {
      return { mailed: false, messageId: null, recipients, requestedAt: new Date().toISOString(), note: ctx.mailer ? 'no recipients' : 'no mailer is configured; answer through the API' };
    }
    const sent = await ctx.mailer.send(
      { from: block.sender, to: recipients, subject: block.subject, text: lines.filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n') },
      { signal: sctx.signal },
    );
    return { mailed: true, messageId: sent.messageId, recipients, requestedAt: new Date().toISOString(), note: null };
  });
  let decision: unknown;
  try {
    const event = await ctx.step.waitForEvent<{ decision?: unknown }>(`${stepName}/response`, {
      type: humanInteractionEventType(block.label),
      timeout: `${block.timeout_seconds} seconds`,
    });
    decision = event.payload?.decision;
  } catch (error) {
    if (isPetrelError(error) && error.code === 'EVENT_TIMEOUT') {
      return {
        status: 'timed_out',
        output: { decision: null, mailed: request.mailed, recipients },
        failureReason: `No reviewer answered within ${block.timeout_seconds} seconds.`,
        timeline: { recipients },
      };
    }
    throw error;
  }
  if (decision === 'approve') {
    return { status: 'completed', output: { decision: 'approve', descriptor: block.positive_descriptor, mailed: request.mailed, recipients }, timeline: { recipients } };
  }
  return {
    status: 'terminated',
    output: { decision: 'reject', descriptor: block.negative_descriptor, mailed: request.mailed, recipients },
    failureReason: `A reviewer answered "${block.negative_descriptor}".`,
    timeline: { recipients },
  };
}

/** `workflow_trigger`: starts a child run of another workflow and, with `wait_for_completion`, waits for it. */
export async function executeWorkflowTriggerBlock(block: WorkflowTriggerBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  const stepName = ctx.position.stepName;
  const start = ctx.services?.startChildRun;
  if (!start) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'workflow_trigger: this runtime cannot start child runs');
  const payload = typeof block.payload === 'object' && block.payload !== null ? block.payload : {};
  const prepared = await ctx.step.do(`${stepName}/prepare`, CHILD_CONFIG, () =>
    start({
      workflowPermanentId: block.workflow_permanent_id.trim(),
      parameters: payload,
      parentCheckpoint: block.use_parent_browser_session ? ctx.checkpoint : null,
      browserSessionId: block.browser_session_id?.trim() || null,
    }),
  );
  const handle = await ctx.step.startChild(`${stepName}/child`, { workflow: prepared.workflow, id: prepared.runId, params: prepared.params });
  const timeline = { child_run_id: prepared.runId, workflow_permanent_id: block.workflow_permanent_id };
  if (!block.wait_for_completion) {
    return { status: 'completed', output: { workflow_run_id: prepared.runId, workflow_permanent_id: block.workflow_permanent_id, status: 'queued' }, timeline };
  }
  const result = await ctx.step.waitForChild(`${stepName}/wait`, handle, { timeout: '24 hours' });
  const outcome = isWorkflowRunOutcome(result.output) ? result.output : undefined;
  const childStatus = result.status === 'complete' ? (outcome?.status ?? 'completed') : result.status === 'terminated' ? 'canceled' : 'failed';
  const output = {
    workflow_run_id: prepared.runId,
    workflow_permanent_id: block.workflow_permanent_id,
    status: childStatus,
    output: outcome?.outputs ?? null,
    failure_reason: outcome?.failureReason ?? result.error?.message ?? null,
    downloaded_files: (outcome?.downloadedFiles ?? []).map((file) => ({ filename: file.name, checksum: file.sha256, file_size: file.size, artifact_id: file.artifactId })),
  };
  const checkpoint = block.use_parent_browser_session && outcome?.checkpoint ? { checkpoint: outcome.checkpoint } : {};
  if (childStatus === 'completed') return { status: 'completed', output, timeline, ...checkpoint };
  return { status: 'failed', output, failureReason: `Child run ${prepared.runId} ended ${childStatus}${output.failure_reason ? `: ${output.failure_reason}` : ''}`, timeline, ...checkpoint };
}
