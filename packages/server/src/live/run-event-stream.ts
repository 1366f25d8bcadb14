// Live updates of a run as Server-Sent Events, fed by the engine outbox: the events of the run's
// instance and of its child instances (found through their parent links, once per instance), shaped
// by the run's kind (`mapEvent`) or by the default mapping below, with `id:` = the outbox sequence
// number. Without `Last-Event-ID` the stream opens with a `snapshot` (the run's current answer) and
// goes on from the outbox's end; with it, it replays what came after that id first. A comment line
// is sent while nothing happens (heartbeat); after the run's own instance ends, a `done` event closes
// the stream. The outbox is in the database, so any process serves any run; `outbox.wait` makes
// waiting cheap (in-process notification, polling across SQLite processes, NOTIFY on PostgreSQL).
import type { Engine, OutboxEvent } from '@petrel/engine';
import { isFinalInstanceStatus, toRunStatus } from '@petrel/protocol';
import type { InstanceStatus, RunOutcomeStatus } from '@petrel/protocol';
import type { LiveEvent, RunKindContext, RunService } from '../runs/run-service.ts';
import type { RunRow } from '../store/run-store.ts';

/** One SSE frame to write. */
export type SseFrame = { id?: string; event?: string; data?: string; comment?: string };

/** Where frames go (Hono's `SSEStreamingApi` fits). */
export type SseWriter = {
  writeSSE(frame: { id?: string; event?: string; data: string }): Promise<void>;
  write(text: string): Promise<unknown>;
};

/** Options of `streamRunEvents`. */
export type RunEventStreamOptions = {
  engine: Engine;
  runs: RunService;
  row: RunRow;
  /** The `Last-Event-ID` the client sent (an outbox seq), or undefined for a fresh stream. */
  lastEventId: number | undefined;
  /** Quiet time after which a heartbeat comment is sent, in ms. Default 15 000. */
  heartbeatMs?: number;
  /** Ends the stream (client gone, server shutting down). */
  signal: AbortSignal;
};

const PAGE = 200;
const FINAL_KINDS = new Set(['workflow_completed', 'workflow_errored', 'workflow_terminated']);

const INSTANCE_STATUS_OF: Record<string, InstanceStatus> = {
  workflow_queued: 'queued',
  workflow_started: 'running',
  workflow_running: 'running',
  workflow_resumed: 'running',
  workflow_waiting: 'waiting',
  workflow_waiting_for_pause: 'waitingForPause',
  workflow_paused: 'paused',
  workflow_completed: 'complete',
  workflow_errored: 'errored',
  workflow_terminated: 'terminated',
  workflow_restarted: 'queued',
};

const OUTCOMES = new Set<RunOutcomeStatus>(['completed', 'failed', 'terminated', 'timed_out', 'canceled']);

function outcomeOf(payload: Record<string, unknown>): RunOutcomeStatus | null {
  const output = payload['output'];
  const status = output !== null && typeof output === 'object' ? (output as Record<string, unknown>)['status'] : undefined;
  return typeof status === 'string' && OUTCOMES.has(status as RunOutcomeStatus) ? (status as RunOutcomeStatus) : null;
}

function screenshotIds(output: unknown): string[] {
  if (output === null || typeof output !== 'object') return [];
  const record = output as Record<string, unknown>;
  const ids = record['screenshotArtifactIds'] ?? record['screenshot_artifact_ids'];
  return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string' && id.startsWith('a_')) : [];
}

/**
 * The default live events of an outbox event: `status` for lifecycle events (Skyvern's status via
 * `toRunStatus`), `step` for step, attempt, sleep, wait and rollback events, and `screenshot` (a signed
 * URL) for each id in a completed step's `screenshotArtifactIds`. Run kinds refine this with `mapEvent`.
 */
export function defaultLiveEvents(event: OutboxEvent, ctx: RunKindContext): LiveEvent[] {
  const payload = event.payload;
  const instanceStatus = INSTANCE_STATUS_OF[event.kind];
  if (instanceStatus !== undefined) {
    return [
      {
        type: 'status',
        data: {
          status: toRunStatus({ instanceStatus, outcomeStatus: event.kind === 'workflow_completed' ? outcomeOf(payload) : null }),
          instance_status: instanceStatus,
          engine_event: event.kind,
          ...(payload['error'] === undefined ? {} : { error: payload['error'] }),
        },
      },
    ];
  }
  const step = (payload['step'] ?? {}) as Record<string, unknown>;
  const base = { engine_event: event.kind, step: step['name'] ?? null, count: step['count'] ?? null };
  const status =
    event.kind === 'step_completed' || event.kind.endsWith('_completed')
      ? 'completed'
      : event.kind === 'attempt_errored'
        ? payload['retryDelayMs'] === undefined ? 'failed' : 'retrying'
        : event.kind.endsWith('_errored') || event.kind === 'wait_timed_out'
          ? 'failed'
          : 'running';
  const live: LiveEvent[] = [
    {
      type: 'step',
      data: {
        ...base,
        status,
        ...(payload['attempt'] === undefined ? {} : { attempt: payload['attempt'] }),
        ...(payload['error'] === undefined ? {} : { error: payload['error'] }),
        ...(payload['retryDelayMs'] === undefined ? {} : { retry_delay_ms: payload['retryDelayMs'] }),
        ...(payload['output'] === undefined ? {} : { output: payload['output'] }),
        ...(payload['eventType'] === undefined ? {} : { event_type: payload['eventType'] }),
      },
    },
  ];
  if (event.kind === 'step_completed') {
    for (const id of screenshotIds(payload['output'])) live.push({ type: 'screenshot', data: { ...base, artifact_id: id, url: ctx.artifactUrl(id) } });
  }
  return live;
}

/** Decides whether outbox events belong to a run: its own instance, or a descendant (parent links, cached). */
export function createInstanceFilter(engine: Engine, row: RunRow): (event: OutboxEvent) => Promise<boolean> {
  const rootKey = `${row.engine_workflow}\u0000${row.engine_instance_id}`;
  const known = new Map<string, boolean>([[rootKey, true]]);
  const belongs = async (workflowName: string, instanceId: string, depth: number): Promise<boolean> => {
    const key = `${workflowName}\u0000${instanceId}`;
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    let result = false;
    if (depth < 16) {
      const instance = await engine.store.findInstance({ namespace: row.organization_id, workflowName, instanceId });
      const parent = instance?.parent ?? null;
      result = parent !== null && parent.namespace === row.organization_id && (await belongs(parent.workflowName, parent.instanceId, depth + 1));
    }
    known.set(key, result);
    return result;
  };
  return (event) => (event.namespace === row.organization_id ? belongs(event.workflowName, event.instanceId, 0) : Promise.resolve(false));
}

/** Writes a run's live events to `writer` until the run ends, the client leaves or the server stops. */
export async function streamRunEvents(writer: SseWriter, options: RunEventStreamOptions): Promise<void> {
  const { engine, runs, row, signal } = options;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const ctx = runs.context(row.organization_id);
  const kind = runs.findKind(row.kind);
  const belongs = createInstanceFilter(engine, row);
  const isRoot = (event: OutboxEvent) => event.workflowName === row.engine_workflow && event.instanceId === row.engine_instance_id;
  const send = async (seq: number, type: string, at: number, data: Record<string, unknown>): Promise<void> => {
    await writer.writeSSE({ id: String(seq), event: type, data: JSON.stringify({ run_id: row.run_id, seq, type, at: new Date(at).toISOString(), ...data }) });
  };
  const rootIsFinal = async (): Promise<boolean> => {
    const instance = await engine.instances.find({ namespace: row.organization_id, workflow: row.engine_workflow, id: row.engine_instance_id });
    return instance === undefined || isFinalInstanceStatus(instance.status);
  };

  let cursor: number;
  if (options.lastEventId === undefined) {
    cursor = await engine.outbox.latestSeq();
    const snapshot = await runs.response(row.organization_id, row.run_id).catch(() => undefined);
    await send(cursor, 'snapshot', Date.now(), { run: snapshot ?? null, status: snapshot?.status ?? row.status });
    if (await rootIsFinal()) {
      await send(cursor, 'done', Date.now(), { status: snapshot?.status ?? row.status });
      return;
    }
  } else {
    cursor = options.lastEventId;
  }

  let caughtUp = false;
  while (!signal.aborted) {
    // Read after taking the latest seq: a short page then proves that nothing of this organization is
    // left up to `latest`, and the cursor may skip other organizations' events (or `wait` would spin).
    const latest = await engine.outbox.latestSeq();
    const events = await engine.outbox.read({ afterSeq: cursor, limit: PAGE, namespace: row.organization_id });
    for (const event of events) {
      if (signal.aborted) return;
      cursor = event.seq;
      if (!(await belongs(event))) continue;
      const mapped = (await kind?.mapEvent?.(event, row, ctx)) ?? defaultLiveEvents(event, ctx);
      const extra = isRoot(event) ? {} : { instance: { workflow: event.workflowName, instance_id: event.instanceId } };
      if (isRoot(event) && FINAL_KINDS.has(event.kind)) {
        // The run's own end: its answer (through its kind) rides on the last status event.
        const response = await runs.refreshStatus(row).catch(() => undefined);
        for (const live of mapped) {
          await send(event.seq, live.type, event.timestamp, live.type === 'status' && response !== undefined ? { ...live.data, status: response.status, run: response } : live.data);
        }
        await send(event.seq, 'done', event.timestamp, { status: response?.status ?? null });
        return;
      }
      for (const live of mapped) await send(event.seq, live.type, event.timestamp, { ...live.data, ...extra });
    }
    if (events.length === PAGE) continue;
    cursor = Math.max(cursor, latest);
    if (events.length > 0) continue;
    // Caught up after a replay: a run that had already ended has nothing more to say.
    if (!caughtUp) {
      caughtUp = true;
      if (options.lastEventId !== undefined && (await rootIsFinal())) {
        await send(cursor, 'done', Date.now(), { status: (await runs.find(row.organization_id, row.run_id))?.status ?? row.status });
        return;
      }
    }
    let woke = false;
    try {
      woke = await engine.outbox.wait({ afterSeq: cursor, timeoutMs: heartbeatMs, signal });
    } catch {
      return;
    }
    if (!woke && !signal.aborted) await writer.write(': heartbeat\n\n');
  }
}
