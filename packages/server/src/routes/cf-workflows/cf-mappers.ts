// Engine values in the Workflows API's wire shapes (reference/cfworkflows.md §2.3–2.4): ISO times,
// Cloudflare's snake_case counts, steps with `name-<occurrence>` names, durations as Cloudflare echoes
// them ("10 seconds"), step outputs as a short JSON preview (the full value is at `…/step`).
import type { InstanceDetails, InstanceSummary, StepInfo, StoredError, StoredStepConfig, VersionInfo, WorkflowInfo } from '@petrel/engine';
import { formatDuration } from '@petrel/protocol';
import type { CfInstanceDetails, CfInstanceSummary, CfVersion, CfWorkflow } from '@petrel/protocol';
import type { z } from 'zod';
import type { CfInstanceStepSchema, CfStepConfigSchema } from '@petrel/protocol';

type CfInstanceStep = z.infer<typeof CfInstanceStepSchema>;
type CfStepConfig = z.infer<typeof CfStepConfigSchema>;

/** Longest step output preview in the instance answer. */
export const OUTPUT_PREVIEW_CHARS = 1024;

/** An ISO string, or null. */
export function iso(date: Date | null): string | null {
  return date === null ? null : date.toISOString();
}

function error(stored: StoredError | null): { name: string; message: string } | null {
  return stored === null ? null : { name: stored.name, message: stored.message };
}

/** A workflow with its binding. */
export function toCfWorkflow(info: WorkflowInfo, binding: { className: string; scriptName: string; modifiedAt: Date } | undefined, classLoaded: boolean): CfWorkflow {
  const counts = info.instances;
  const modified = binding !== undefined && binding.modifiedAt > info.modifiedAt ? binding.modifiedAt : info.modifiedAt;
  return {
    id: info.id,
    name: info.name,
    class_name: binding?.className ?? info.className ?? '',
    script_name: binding?.scriptName ?? '',
    created_on: info.createdAt.toISOString(),
    modified_on: modified.toISOString(),
    triggered_on: iso(info.triggeredAt),
    instances: {
      queued: counts.queued ?? 0,
      running: counts.running ?? 0,
      paused: counts.paused ?? 0,
      errored: counts.errored ?? 0,
      terminated: counts.terminated ?? 0,
      complete: counts.complete ?? 0,
      waiting: counts.waiting ?? 0,
      waiting_for_pause: counts.waitingForPause ?? 0,
      rolling_back: counts.rollingBack ?? 0,
    },
    schedules: info.schedules.map((s) => ({ cron: s.cron, next_instance: iso(s.nextInstance) })),
    class_loaded: classLoaded,
  };
}

/** An instance as create, bulk and list answer it. */
export function toCfInstanceSummary(instance: InstanceSummary, workflowId: string): CfInstanceSummary {
  return {
    id: instance.id,
    status: instance.status,
    version_id: instance.versionId,
    workflow_id: workflowId,
    trigger_source: instance.triggerSource,
    created_on: instance.createdAt.toISOString(),
    modified_on: instance.modifiedAt.toISOString(),
    started_on: iso(instance.startedAt),
    ended_on: iso(instance.endedAt),
  };
}

function preview(step: StepInfo): string | null {
  if (step.output === undefined) return null;
  if (step.sensitive) return '[REDACTED]';
  const text = typeof step.output === 'string' ? step.output : JSON.stringify(step.output);
  return text.length > OUTPUT_PREVIEW_CHARS ? text.slice(0, OUTPUT_PREVIEW_CHARS) : text;
}

function duration(ms: number | string): number | string {
  return typeof ms === 'number' ? formatDuration(ms) : ms;
}

function config(stored: StoredStepConfig | null): CfStepConfig {
  if (stored === null) return { retries: { limit: 0, delay: 0 }, timeout: 0 };
  return {
    retries: { limit: stored.retries.limit, delay: duration(stored.retries.delay), backoff: stored.retries.backoff },
    timeout: duration(stored.timeout),
    ...(stored.sensitive === undefined ? {} : { sensitive: stored.sensitive }),
  };
}

/** One record of an instance's history. */
export function toCfStep(step: StepInfo): CfInstanceStep {
  const start = step.startedAt.toISOString();
  switch (step.type) {
    case 'do':
    case 'rollback':
      return {
        type: step.type === 'do' ? 'step' : 'rollback',
        name: step.displayName,
        start,
        end: iso(step.endedAt),
        success: step.success,
        output: preview(step),
        attempts: step.attempts.map((a) => ({ start: a.startedAt.toISOString(), end: iso(a.endedAt), success: a.success, error: error(a.error) })),
        config: config(step.config),
      };
    case 'sleep':
      return { type: 'sleep', name: step.displayName, start, end: (step.endedAt ?? step.wakeAt ?? step.startedAt).toISOString(), finished: step.status === 'complete', error: error(step.error) };
    case 'waitForEvent':
      return {
        type: 'waitForEvent',
        name: step.displayName,
        start,
        end: (step.endedAt ?? step.wakeAt ?? step.startedAt).toISOString(),
        finished: step.status === 'complete',
        error: error(step.error),
        ...(step.eventType === null ? {} : { event_type: step.eventType }),
        ...(step.status === 'complete' && step.output !== undefined ? { output: step.sensitive ? '[REDACTED]' : JSON.stringify(step.output) } : {}),
      };
    case 'termination':
      break;
  }
  const source = (step.output as { trigger?: { source?: unknown } } | undefined)?.trigger?.source;
  return { type: 'termination', trigger: { source: typeof source === 'string' ? source : 'api' } };
}

/** An instance with its steps. */
export function toCfInstanceDetails(instance: InstanceDetails): CfInstanceDetails {
  return {
    status: instance.status,
    params: instance.params ?? null,
    output: instance.output ?? null,
    error: error(instance.error),
    success: instance.status === 'complete' ? true : instance.status === 'errored' || instance.status === 'terminated' ? false : null,
    queued: instance.createdAt.toISOString(),
    start: iso(instance.startedAt),
    end: iso(instance.endedAt),
    versionId: instance.versionId,
    trigger: { source: instance.triggerSource },
    ...(instance.schedule === null ? {} : { schedule: instance.schedule }),
    rollback: instance.rollback === null ? null : { outcome: instance.rollback.outcome, error: error(instance.rollback.error) },
    step_count: instance.stepCount,
    steps: instance.steps.map(toCfStep),
    status_reason: instance.statusReason,
  };
}

/** A version, with the workflow's current retention, limits and concurrency. */
export function toCfVersion(version: VersionInfo, workflow: { id: string; retention: WorkflowInfo['retention']; limits: WorkflowInfo['limits']; concurrency: number | null }): CfVersion {
  const retention = workflow.retention;
  return {
    id: version.id,
    workflow_id: workflow.id,
    class_name: version.className,
    created_on: version.createdAt.toISOString(),
    modified_on: version.createdAt.toISOString(),
    has_dag: version.hasGraph,
    language: 'javascript',
    ...(retention === null
      ? {}
      : {
          default_retention: {
            ...(retention.successRetentionMs === null ? {} : { success_retention: retention.successRetentionMs }),
            ...(retention.errorRetentionMs === null ? {} : { error_retention: retention.errorRetentionMs }),
          },
        }),
    ...(workflow.limits.steps === null ? {} : { limits: { steps: workflow.limits.steps } }),
    ...(workflow.concurrency === null ? {} : { concurrency: { limit: workflow.concurrency } }),
  };
}
