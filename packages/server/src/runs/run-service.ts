// The runs index and the run-kind registry. Every run (a task, a workflow run) has a row in `runs`
// pointing at its engine instance; what a run *is* — how to read it, show it, cancel it — belongs to
// the service of its kind, registered here with `registerRunKind(kind, { get, toResponse, cancel })`.
// The routes (`GET /v1/runs`, cancel, retry_webhook, events), the webhook delivery workflow and the
// status snapshot all go through this registry, so the task and workflow services plug in without
// touching them. `registerRunResponseBuilder(kind, fn)` overrides the webhook payload of a kind (by
// default the payload is the kind's run response, as `GET /v1/runs/{id}` would show it).
import type { StorageState } from '@petrel/browser';
import type { Engine, InstanceDetails, OutboxEvent } from '@petrel/engine';
import { FINAL_RUN_STATUSES, PetrelError, RUN_STATUSES } from '@petrel/protocol';
import type { RunListItem, RunStatus, WorkflowRunTimeline } from '@petrel/protocol';
import type { RunListFilter, RunRow } from '../store/run-store.ts';
import type { ServerStore } from '../store/server-store.ts';

/** Turns an artifact id into a URL a client can open (a signed `/v1/artifacts/{id}/content` URL). */
export type ArtifactUrlBuilder = (artifactId: string) => string;

/** What run-kind handlers get besides the run row. */
export type RunKindContext = {
  /** The organization the run belongs to (the engine namespace). */
  organizationId: string;
  /** Signed artifact URLs (`screenshot_urls`, `recording_url`, `downloaded_files[].url`). */
  artifactUrl: ArtifactUrlBuilder;
  /** The engine, when this process has one. */
  engine: Engine | undefined;
};

/** A run as the API shows it: Skyvern's `TaskRunResponse` / `WorkflowRunResponse` (at least `run_id` and `status`). */
export type RunResponse = { run_id: string; status: RunStatus; started_at?: string | null; finished_at?: string | null } & Record<string, unknown>;

/** One Server-Sent Event of a run, before the server adds `id` (the outbox seq) and the common fields. */
export type LiveEvent = { type: string; data: Record<string, unknown> };

/** How a kind of run is read, shown and canceled. */
export type RunKind<Run = unknown> = {
  /** Reads the run (e.g. its engine instance with steps); undefined when it is gone (purged). */
  get(row: RunRow, ctx: RunKindContext): Promise<Run | undefined>;
  /** The API answer of the run (`GET /v1/runs/{id}`), and by default its webhook payload. */
  toResponse(run: Run, row: RunRow, ctx: RunKindContext): RunResponse | Promise<RunResponse>;
  /** Cancels the run; throws `INVALID_TRANSITION` when it is already final. */
  cancel(row: RunRow, ctx: RunKindContext): Promise<void>;
  /** The run's timeline (Skyvern's `WorkflowRunTimeline[]`: blocks with their actions); without it the timeline route answers 400. */
  timeline?(row: RunRow, ctx: RunKindContext): Promise<WorkflowRunTimeline[] | undefined>;
  /** The browser state a finished run saved (for `POST /v1/browser_profiles` with `workflow_run_id`). Default none. */
  browserState?(row: RunRow, ctx: RunKindContext): Promise<StorageState | undefined>;
  /**
   * Shapes an outbox event of the run (or of a child instance) as live events for
   * `GET /v1/runs/{id}/events`; `undefined` uses the default mapping, `[]` drops it.
   */
  mapEvent?(event: OutboxEvent, row: RunRow, ctx: RunKindContext): LiveEvent[] | undefined | Promise<LiveEvent[] | undefined>;
  /**
   * True for the engine workflows whose instances are runs of this kind. With `adopt`, the outbox
   * consumer indexes such an instance that has no row yet: the repair of a crash between creating the
   * instance and inserting its row, and the way runs started by the engine itself (a code workflow's
   * `step.task`, a `workflow_trigger` block) get indexed.
   */
  claims?(engineWorkflow: string): boolean;
  /** The index row of an instance of a claimed workflow (from its params), or undefined to leave it unindexed. */
  adopt?(instance: InstanceDetails, ctx: RunKindContext): NewRun | undefined | Promise<NewRun | undefined>;
};

/** Builds the webhook payload of a run of one kind. */
export type RunResponseBuilder = (row: RunRow, ctx: RunKindContext) => Promise<unknown>;

/** A new run for the index (`runs.insert`). */
export type NewRun = {
  runId: string;
  organizationId: string;
  /** The registry key of the run's kind. */
  kind: string;
  /** Skyvern's `run_type` (`task_v1`, `workflow_run`, …). */
  runType: string;
  /** The engine instance behind the run. */
  engineWorkflow: string;
  engineInstanceId: string;
  status?: RunStatus;
  title?: string | null;
  webhookUrl?: string | null;
  workflowPermanentId?: string | null;
  workflowId?: string | null;
  developerUserId?: string | null;
  browserSessionId?: string | null;
  triggerType?: string | null;
  createdAt?: Date;
  /** The `totp_identifier`s the run may wait on for a pushed code (a push to one wakes the run). */
  totpIdentifiers?: readonly string[];
};

/** The runs index and the run-kind registry. */
export type RunService = {
  /** Registers how runs of `kind` are read, shown and canceled; returns the remover. A kind registered twice is an error. */
  registerRunKind<Run>(kind: string, handlers: RunKind<Run>): () => void;
  /** Overrides the webhook payload of runs of `kind`; returns the remover. */
  registerRunResponseBuilder(kind: string, build: RunResponseBuilder): () => void;
  /** The handlers of a kind, or undefined. */
  findKind(kind: string): RunKind | undefined;
  /**
   * Adds a run to the index and returns the row as inserted. Insert it right after creating the run's
   * engine instance: when the consumer indexed the instance first (`adopt`), this sets the
   * descriptive columns on that row and keeps its status snapshot.
   */
  insert(run: NewRun): Promise<RunRow>;
  /**
   * Indexes instances of claimed workflows that have no row yet (see `RunKind.claims`); returns the
   * rows inserted. Instances of workflows no kind claims are ignored.
   */
  adoptInstances(namespace: string, instances: ReadonlyArray<{ workflow: string; instanceId: string }>): Promise<RunRow[]>;
  /** Unfinished runs of the organization that may wait for a code pushed for `identifier`, newest first. */
  listWaitingForTotp(organizationId: string, identifier: string): Promise<RunRow[]>;
  /** A run of the organization; throws `RUN_NOT_FOUND`. */
  get(organizationId: string, runId: string): Promise<RunRow>;
  /** A run of the organization, or undefined. */
  find(organizationId: string, runId: string): Promise<RunRow | undefined>;
  /** A page of the organization's runs, newest first. */
  list(organizationId: string, filter: RunListFilter): Promise<RunRow[]>;
  /** Records a run's status snapshot (and its start and end times). */
  updateStatus(organizationId: string, runId: string, patch: { status: RunStatus; startedAt?: Date | null; finishedAt?: Date | null }): Promise<void>;
  /** The run's API answer through its kind; throws `RUN_NOT_FOUND` (also when its instance is gone). */
  response(organizationId: string, runId: string): Promise<RunResponse>;
  /** The run's timeline through its kind; throws `RUN_NOT_FOUND`, or `INVALID_INPUT` for a kind without one. */
  timeline(organizationId: string, runId: string): Promise<WorkflowRunTimeline[]>;
  /** Reads the run through its kind and stores its status snapshot; returns the response, or undefined when gone. */
  refreshStatus(row: RunRow): Promise<RunResponse | undefined>;
  /** Cancels a run through its kind and refreshes its snapshot. */
  cancel(organizationId: string, runId: string): Promise<void>;
  /** The webhook payload of a run (the kind's builder, else its response). */
  webhookPayload(row: RunRow): Promise<unknown>;
  /** The context handed to kind handlers for an organization. */
  context(organizationId: string): RunKindContext;
  /** A row in Skyvern's `TaskRunListItem` shape. */
  toListItem(row: RunRow): RunListItem;
};

/** Options of `createRunService`. */
export type RunServiceOptions = {
  store: ServerStore;
  /** Signed artifact URLs. Default: the artifact id itself. */
  artifactUrl?: ArtifactUrlBuilder;
  /** The engine (read lazily: the host may be created after the service). */
  engine?: () => Engine | undefined;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
};

function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

/** Creates the runs index over the store, with an empty registry. */
export function createRunService(options: RunServiceOptions): RunService {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const kinds = new Map<string, RunKind>();
  const builders = new Map<string, RunResponseBuilder>();

  const context = (organizationId: string): RunKindContext => ({
    organizationId,
    artifactUrl: options.artifactUrl ?? ((id) => id),
    engine: options.engine?.(),
  });
  const kindOf = (row: RunRow, op: string): RunKind => {
    const kind = kinds.get(row.kind);
    if (kind === undefined) throw new PetrelError('UNAVAILABLE', `${op}: runs of kind "${row.kind}" are not served by this process`);
    return kind;
  };
  const find = (organizationId: string, runId: string) => store.runs.find(organizationId, runId);
  const get = async (organizationId: string, runId: string): Promise<RunRow> => {
    const row = await find(organizationId, runId);
    if (row === undefined) throw new PetrelError('RUN_NOT_FOUND', `runs.get: run ${runId.slice(0, 100)} not found`);
    return row;
  };
  const responseOf = async (row: RunRow): Promise<RunResponse | undefined> => {
    const kind = kindOf(row, 'runs.response');
    const ctx = context(row.organization_id);
    const run = await kind.get(row, ctx);
    return run === undefined ? undefined : kind.toResponse(run, row, ctx);
  };
  const updateStatus: RunService['updateStatus'] = async (organizationId, runId, patch) => {
    await store.runs.updateStatus(organizationId, runId, {
      status: patch.status,
      modifiedAt: now().toISOString(),
      ...(patch.startedAt === undefined ? {} : { startedAt: patch.startedAt === null ? null : patch.startedAt.toISOString() }),
      ...(patch.finishedAt === undefined ? {} : { finishedAt: patch.finishedAt === null ? null : patch.finishedAt.toISOString() }),
    });
  };
  const refreshStatus = async (row: RunRow): Promise<RunResponse | undefined> => {
    const response = await responseOf(row);
    if (response === undefined || !isRunStatus(response.status)) return response;
    const started = typeof response.started_at === 'string' ? new Date(response.started_at) : undefined;
    const finished = typeof response.finished_at === 'string' ? new Date(response.finished_at) : FINAL_RUN_STATUSES.includes(response.status) ? now() : undefined;
    if (response.status !== row.status || (started !== undefined && row.started_at === null) || (finished !== undefined && row.finished_at === null)) {
      await updateStatus(row.organization_id, row.run_id, {
        status: response.status,
        ...(started === undefined || row.started_at !== null ? {} : { startedAt: started }),
        ...(finished === undefined || row.finished_at !== null ? {} : { finishedAt: finished }),
      });
    }
    return response;
  };

  const toRow = (run: NewRun): RunRow => {
    const at = (run.createdAt ?? now()).toISOString();
    return {
      run_id: run.runId,
      organization_id: run.organizationId,
      kind: run.kind,
      run_type: run.runType,
      engine_workflow: run.engineWorkflow,
      engine_instance_id: run.engineInstanceId,
      workflow_permanent_id: run.workflowPermanentId ?? null,
      workflow_id: run.workflowId ?? null,
      title: run.title ?? null,
      status: run.status ?? 'created',
      webhook_url: run.webhookUrl ?? null,
      webhook_failure_reason: null,
      developer_user_id: run.developerUserId ?? null,
      browser_session_id: run.browserSessionId ?? null,
      trigger_type: run.triggerType ?? null,
      created_at: at,
      modified_at: at,
      started_at: null,
      finished_at: null,
    };
  };

  return {
    registerRunKind(kind, handlers) {
      if (kinds.has(kind)) throw new PetrelError('ALREADY_EXISTS', `runs.registerRunKind: kind "${kind}" is already registered`);
      kinds.set(kind, handlers);
      return () => {
        if (kinds.get(kind) === (handlers as RunKind)) kinds.delete(kind);
      };
    },
    registerRunResponseBuilder(kind, build) {
      builders.set(kind, build);
      return () => {
        if (builders.get(kind) === build) builders.delete(kind);
      };
    },
    findKind: (kind) => kinds.get(kind),
    async insert(run) {
      const row = toRow(run);
      await store.runs.insert(row);
      await store.runs.addTotpIdentifiers(run.organizationId, run.runId, run.totpIdentifiers ?? [], row.created_at);
      return row;
    },
    async adoptInstances(namespace, instances) {
      const adopted: RunRow[] = [];
      const engine = options.engine?.();
      if (engine === undefined) return adopted;
      const ctx = context(namespace);
      for (const { workflow, instanceId } of instances) {
        const kind = [...kinds.values()].find((k) => k.adopt !== undefined && k.claims?.(workflow) === true);
        if (kind?.adopt === undefined) continue;
        const details = await engine.instances.find({ namespace, workflow, id: instanceId });
        if (details === undefined) continue;
        const run = await kind.adopt(details, ctx);
        if (run === undefined || run.organizationId !== namespace) continue;
        const row = toRow(run);
        if (await store.runs.insertIfAbsent(row)) {
          await store.runs.addTotpIdentifiers(run.organizationId, run.runId, run.totpIdentifiers ?? [], row.created_at);
          adopted.push(row);
        }
      }
      return adopted;
    },
    listWaitingForTotp: (organizationId, identifier) => store.runs.listWaitingForTotp(organizationId, identifier, FINAL_RUN_STATUSES, 100),
    get,
    find,
    list: (organizationId, filter) => store.runs.list(organizationId, filter),
    updateStatus,
    async response(organizationId, runId) {
      const response = await responseOf(await get(organizationId, runId));
      if (response === undefined) throw new PetrelError('RUN_NOT_FOUND', `runs.get: run ${runId.slice(0, 100)} is gone (past its retention)`);
      return response;
    },
    refreshStatus,
    async timeline(organizationId, runId) {
      const row = await get(organizationId, runId);
      const kind = kindOf(row, 'runs.timeline');
      if (kind.timeline === undefined) throw new PetrelError('INVALID_INPUT', `runs.timeline: timeline not available for runs of type ${row.run_type}`);
      const timeline = await kind.timeline(row, context(organizationId));
      if (timeline === undefined) throw new PetrelError('RUN_NOT_FOUND', `runs.timeline: run ${runId.slice(0, 100)} is gone (past its retention)`);
      return timeline;
    },
    async cancel(organizationId, runId) {
      const row = await get(organizationId, runId);
      await kindOf(row, 'runs.cancel').cancel(row, context(organizationId));
      await refreshStatus(row).catch(() => undefined);
    },
    async webhookPayload(row) {
      const build = builders.get(row.kind);
      if (build !== undefined) return build(row, context(row.organization_id));
      const response = await responseOf(row);
      if (response === undefined) throw new PetrelError('RUN_NOT_FOUND', `runs.webhookPayload: run ${row.run_id} is gone`);
      return response;
    },
    context,
    toListItem(row) {
      return {
        task_run_id: row.run_id,
        run_id: row.run_id,
        task_run_type: row.run_type as RunListItem['task_run_type'],
        status: isRunStatus(row.status) ? row.status : 'created',
        title: row.title,
        started_at: row.started_at,
        finished_at: row.finished_at,
        created_at: row.created_at,
        workflow_permanent_id: row.workflow_permanent_id,
        workflow_deleted: false,
        script_run: false,
        trigger_type: row.trigger_type,
        developer_user_id: row.developer_user_id,
        webhook_failure_reason: row.webhook_failure_reason,
      };
    },
  };
}

function engineOf(ctx: RunKindContext, op: string): Engine {
  if (ctx.engine === undefined) throw new PetrelError('UNAVAILABLE', `${op}: the workflow engine is not running in this process`);
  return ctx.engine;
}

/** Options of `engineRunKind`. */
export type EngineRunKindOptions<Response extends RunResponse> = {
  /** The run's answer from its instance (with steps). */
  toResponse(details: InstanceDetails, row: RunRow, ctx: RunKindContext): Response | Promise<Response>;
  browserState?: RunKind<InstanceDetails>['browserState'];
  mapEvent?: RunKind<InstanceDetails>['mapEvent'];
  /** The run's timeline from its instance (with steps). */
  timeline?(details: InstanceDetails, row: RunRow, ctx: RunKindContext): WorkflowRunTimeline[] | Promise<WorkflowRunTimeline[]>;
};

function readInstance(row: RunRow, ctx: RunKindContext): Promise<InstanceDetails | undefined> {
  return engineOf(ctx, 'runs.get').instances.find({ namespace: row.organization_id, workflow: row.engine_workflow, id: row.engine_instance_id }, { steps: true });
}

/**
 * A run kind backed by one engine instance (`row.engine_workflow` / `row.engine_instance_id` in the
 * organization's namespace): `get` reads the instance with its steps, `cancel` terminates it.
 */
export function engineRunKind<Response extends RunResponse>(options: EngineRunKindOptions<Response>): RunKind<InstanceDetails> {
  return {
    get: readInstance,
    toResponse: (details, row, ctx) => options.toResponse(details, row, ctx),
    async cancel(row, ctx) {
      try {
        await engineOf(ctx, 'runs.cancel').instances.terminate({ namespace: row.organization_id, workflow: row.engine_workflow, id: row.engine_instance_id });
      } catch (error) {
        if ((error as { code?: unknown } | null)?.code === 'INVALID_TRANSITION') {
          throw new PetrelError('INVALID_TRANSITION', `runs.cancel: run ${row.run_id} is already final`, { cause: error });
        }
        if ((error as { code?: unknown } | null)?.code === 'INSTANCE_NOT_FOUND') {
          throw new PetrelError('RUN_NOT_FOUND', `runs.cancel: run ${row.run_id} is gone`, { cause: error });
        }
        throw error;
      }
    },
    ...(options.browserState === undefined ? {} : { browserState: options.browserState }),
    ...(options.mapEvent === undefined ? {} : { mapEvent: options.mapEvent }),
    ...(options.timeline === undefined
      ? {}
      : {
          async timeline(row: RunRow, ctx: RunKindContext) {
            const details = await readInstance(row, ctx);
            return details === undefined ? undefined : options.timeline?.(details, row, ctx);
          },
        }),
  };
}
