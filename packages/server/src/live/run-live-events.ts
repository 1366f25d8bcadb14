// The live events of agent and block runs, over the default mapping: an `agent_step` event per
// agent step (started, completed with its page, outcome, history line and usage), an `action` event
// per action it took, a `block` event per finished block of a workflow run, and a `screenshot` event
// (a signed URL) per screenshot. Step outputs never carry browser checkpoints (cookies, storage) to a
// client: they are cut from every output this mapping passes on. A step output over the outbox's
// size limit arrives truncated; the step's stored output is read instead.
import type { AgentStepRecord } from '@petrel/agent';
import type { OutboxEvent } from '@petrel/engine';
import type { LiveEvent, RunKindContext } from '../runs/run-service.ts';
import { defaultLiveEvents } from './run-event-stream.ts';

const AGENT_STEP = /(?:^|[^a-z])agent-step-(\d+)$/;

type StepRef = { name: string; count: number };

function stepOf(event: OutboxEvent): StepRef | undefined {
  const step = event.payload['step'] as { name?: unknown; count?: unknown } | undefined;
  return typeof step?.name === 'string' ? { name: step.name, count: typeof step.count === 'number' ? step.count : 1 } : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A step output without browser checkpoints (they hold cookies and storage). */
export function withoutCheckpoints(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'checkpoint' || key === 'initialCheckpoint' || key === 'parentCheckpoint') continue;
    out[key] = isRecord(inner) && 'takenAt' in inner && 'storageState' in inner ? null : inner;
  }
  return out;
}

function isAgentStepRecord(value: unknown): value is AgentStepRecord {
  return isRecord(value) && typeof value['step'] === 'number' && Array.isArray(value['actions']) && typeof value['history'] === 'string';
}

type BlockLike = {
  kind: 'petrel.block';
  label: string;
  blockType: string;
  stepName: string;
  status: string;
  output: unknown;
  failureReason: string | null;
  loops?: unknown[];
  stepCount?: number;
  screenshotArtifactIds?: string[];
  downloadedFiles?: unknown[];
  startedAt?: string;
  finishedAt?: string;
};

function isBlockRecord(value: unknown): value is BlockLike {
  return isRecord(value) && value['kind'] === 'petrel.block' && typeof value['label'] === 'string';
}

/** Reads a completed step's output, from the event or (when truncated there) from the store. */
async function outputOf(event: OutboxEvent, step: StepRef, ctx: RunKindContext): Promise<unknown> {
  const output = event.payload['output'];
  if (!(isRecord(output) && output['truncated'] === true)) return output;
  const stored = await ctx.engine
    ?.instances.getStep({ namespace: event.namespace, workflow: event.workflowName, id: event.instanceId, name: step.name, count: step.count, type: 'do' })
    .catch(() => undefined);
  return stored?.output ?? output;
}

function screenshots(base: Record<string, unknown>, ids: readonly string[], ctx: RunKindContext): LiveEvent[] {
  return ids.filter((id) => typeof id === 'string' && id.startsWith('a_')).map((id) => ({ type: 'screenshot', data: { ...base, artifact_id: id, url: ctx.artifactUrl(id) } }));
}

/**
 * Live events of one outbox event of an agent task or a block workflow run: `agent_step`, `action`,
 * `block` and `screenshot` for the steps it knows, else the default mapping with checkpoints cut out.
 */
export async function agentLiveEvents(event: OutboxEvent, ctx: RunKindContext): Promise<LiveEvent[]> {
  const step = stepOf(event);
  if (step !== undefined && (event.kind === 'step_started' || event.kind === 'step_completed')) {
    const base = { engine_event: event.kind, step: step.name, count: step.count };
    const agentStep = AGENT_STEP.exec(step.name);
    if (agentStep !== null) {
      const stepNumber = Number(agentStep[1]);
      if (event.kind === 'step_started') return [{ type: 'agent_step', data: { ...base, step_number: stepNumber, status: 'running' } }];
      const record = await outputOf(event, step, ctx);
      if (isAgentStepRecord(record)) {
        const live: LiveEvent[] = [
          {
            type: 'agent_step',
            data: {
              ...base,
              step_number: record.step,
              status: 'completed',
              url: record.url,
              title: record.title,
              end_url: record.endUrl,
              outcome: record.outcome.kind,
              ...('reasoning' in record.outcome ? { reasoning: record.outcome.reasoning } : {}),
              history: record.history,
              action_count: record.actions.length,
              extracted: record.extracted === undefined ? null : record.extracted.data,
              usage: record.usage,
              duration_ms: record.durationMs,
              screenshot_urls: record.screenshotArtifactIds.map((id) => ctx.artifactUrl(id)),
            },
          },
        ];
        record.actions.forEach((action, index) => {
          live.push({
            type: 'action',
            data: {
              ...base,
              step_number: record.step,
              index,
              action_type: action.type,
              target: action.target ?? null,
              value: action.value ?? null,
              ok: action.ok,
              skipped: action.skipped === true,
              error: action.error ?? null,
              url: action.url ?? null,
              screenshot_url: action.screenshotArtifactId === undefined ? null : ctx.artifactUrl(action.screenshotArtifactId),
            },
          });
        });
        live.push(...screenshots(base, record.screenshotArtifactIds, ctx));
        return live;
      }
    } else if (event.kind === 'step_completed') {
      const record = await outputOf(event, step, ctx);
      if (isBlockRecord(record)) {
        return [
          {
            type: 'block',
            data: {
              ...base,
              label: record.label,
              block_type: record.blockType,
              status: record.status,
              failure_reason: record.failureReason,
              output: withoutCheckpoints(record.output),
              loops: record.loops ?? [],
              step_count: record.stepCount ?? 0,
              downloaded_file_count: record.downloadedFiles?.length ?? 0,
              started_at: record.startedAt ?? null,
              finished_at: record.finishedAt ?? null,
              screenshot_urls: (record.screenshotArtifactIds ?? []).map((id) => ctx.artifactUrl(id)),
            },
          },
          ...screenshots(base, record.screenshotArtifactIds ?? [], ctx),
        ];
      }
    }
  }
  const live = defaultLiveEvents(event, ctx).map((item) =>
    item.data['output'] === undefined ? item : { type: item.type, data: { ...item.data, output: withoutCheckpoints(item.data['output']) } },
  );
  // The screenshot a run takes as its browser closes (`finish` steps of tasks and workflow runs).
  const output = event.payload['output'];
  if (step !== undefined && event.kind === 'step_completed' && isRecord(output) && typeof output['finalScreenshot'] === 'string') {
    live.push(...screenshots({ engine_event: event.kind, step: step.name, count: step.count, final: true }, [output['finalScreenshot']], ctx));
  }
  return live;
}
