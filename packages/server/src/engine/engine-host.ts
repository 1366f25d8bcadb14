// The engine inside the server: one `Engine` over the engine store, with a worker (slots from the
// config) and its cron scheduler and retention sweep, plus what the engine does not know about —
// organizations and code loaded from `--workflows DIR`.
//
// - The organization id is the engine namespace. Code units register in the default organization
//   (the oldest, i.e. the bootstrap one) under their own name, and in every organization whose
//   `PUT workflow` names their class (a binding row). A periodic sync registers bindings made by other
//   processes; each registration of changed code is a new version.
// - A binding to a class this process has not loaded gets a placeholder version (no graph) so its
//   instances can be created; they stay `queued`, with the engine's `WORKFLOW_CODE_MISSING` reason,
//   until a worker that has the class claims them. Any worker maps a version to its code by class name
//   (the resolver below), so instances pinned to a placeholder or to older code run on the code loaded now.
// - Workers advertise the classes they loaded (`worker_code`, refreshed by a heartbeat) so an API-only
//   process can tell a `PUT` whether anyone runs the class.
// - Step durations are measured around `step.do` callbacks of loaded code (only attempts that run in
//   this process); instance counts per status are collected when `/metrics` is scraped.
import { createHash } from 'node:crypto';
import { createEngine } from '@petrel/engine';
import type { Clock, Engine, StepExtension, Store, VersionInfo, WorkflowDefinition, WorkflowResolver, WorkflowStep } from '@petrel/engine';
import { INSTANCE_STATUSES, silentLogger } from '@petrel/protocol';
import type { InstanceStatus, Logger } from '@petrel/protocol';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { ServerStore } from '../store/server-store.ts';
import { createBrowserStepExtensions } from './browser-steps.ts';
import { createTaskWorkflow } from '@petrel/agent';
import type { AgentRuntime } from '@petrel/agent';
import { noWorkflows } from './workflow-loader.ts';
import type { CodeUnit, LoadedWorkflows } from './workflow-loader.ts';

/** Options of `createEngineHost`. */
export type EngineHostOptions = {
  /** The engine's store (SQLite file or PostgreSQL). The host closes it only with `closeStore`. */
  store: Store;
  /** Close `store` when the host closes. Default false. */
  closeStore?: boolean;
  /** The server's store: organizations, workflow bindings, worker code. */
  serverStore: ServerStore;
  /** Code loaded from `--workflows DIR`. Default none. */
  workflows?: LoadedWorkflows;
  /** Instances run at once by this process; 0 = no worker (API only: no cron, no retention sweep). Default 10. */
  slots?: number;
  /** This worker's id; a stable one lets a restarted worker take its instances back at once. Default random. */
  workerId?: string;
  /** Logger. Default silent. */
  logger?: Logger;
  /** Metrics to feed (step durations, instances by status, queue depth). Default none. */
  metrics?: ServerMetrics;
  /** The agent runtime behind `step.browser` / `step.task`. Default none: they fail with `INTEGRATION_NOT_CONFIGURED`. */
  agentRuntime?: AgentRuntime;
  /** More `step` members (added after `browser` and `task`). Default none. */
  stepExtensions?: Record<string, StepExtension>;
  /** Resolvers of dynamic code (block workflows, tasks), asked before the class-name mapping. More can be added with `addResolver`. */
  resolvers?: WorkflowResolver[];
  /** How often bindings are synced and the code heartbeat is written, in ms. Default 5000. */
  syncIntervalMs?: number;
  /** A worker whose heartbeat is older than this no longer counts as having its classes, in ms. Default 30 000. */
  codeStaleMs?: number;
  /** Engine tuning, passed through (see `EngineOptions`). */
  leaseMs?: number;
  pollIntervalMs?: number;
  purgeIntervalMs?: number;
  codeRetryMs?: number;
  inlineWaitMs?: number;
  /** Clock of the engine. Default the system clock. */
  clock?: Clock;
};

/** What binding a workflow to a class did. */
export type BindOutcome = {
  /** The workflow's current version after the binding. */
  versionId: string;
  /** True when this process has the class (the version is the code's own; otherwise a placeholder or an earlier version of the class). */
  codeInProcess: boolean;
  /** True when some running worker (this one or another) has loaded the class. */
  classLoaded: boolean;
};

/** The engine and its code, as the server runs them. Dispose it (or `close`) after HTTP has drained. */
export type EngineHost = AsyncDisposable & {
  /** The engine; namespaces are organization ids. */
  readonly engine: Engine;
  /** This process's worker id. */
  readonly workerId: string;
  /** Instances run at once here (0: API only). */
  readonly slots: number;
  /** The code units loaded from `--workflows`. */
  readonly workflows: LoadedWorkflows;
  /** Binds a workflow of an organization to a class (Cloudflare's `PUT workflow`); creates the workflow when needed. */
  bindWorkflow(input: { organizationId: string; workflowName: string; className: string; scriptName: string }): Promise<BindOutcome>;
  /** The binding of a workflow, or undefined. */
  findBinding(organizationId: string, workflowName: string): Promise<{ className: string; scriptName: string; createdAt: Date; modifiedAt: Date } | undefined>;
  /** Deletes a workflow (its versions, instances and binding); false when there was none. */
  deleteWorkflow(organizationId: string, workflowName: string): Promise<boolean>;
  /** True when a running worker (this process's or one whose heartbeat is fresh) has loaded the class. */
  isClassLoaded(className: string): Promise<boolean>;
  /** Registers code in an organization (like `engine.register`, with its steps timed for `/metrics`). */
  register(definition: WorkflowDefinition, options: { namespace: string }): Promise<VersionInfo>;
  /** Adds a resolver of dynamic code (its definitions are timed too); returns its remover. */
  addResolver(resolver: WorkflowResolver): () => void;
  /** Registers bindings made elsewhere and writes the heartbeat now (it also runs every `syncIntervalMs`). */
  sync(): Promise<void>;
  /** Stops syncing, then the worker: in-flight invocations get `graceMs` to finish, then they are aborted and their leases released. */
  close(options?: { graceMs?: number }): Promise<void>;
};

/** A stable UUID-shaped id for the placeholder version of a class not loaded here. */
function placeholderVersionId(namespace: string, workflowName: string, className: string): string {
  const hex = createHash('sha256').update(['placeholder', namespace, workflowName, className].join('\u0000')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function key(namespace: string, workflowName: string): string {
  return `${namespace}\u0000${workflowName}`;
}

/** The version key of a placeholder: no code. */
export const PLACEHOLDER_VERSION_PREFIX = 'unloaded:';

/** Creates the engine (starting its worker when `slots > 0`) and registers the loaded code. */
export async function createEngineHost(options: EngineHostOptions): Promise<EngineHost> {
  const logger = options.logger ?? silentLogger;
  const workflows = options.workflows ?? noWorkflows();
  const slots = options.slots ?? 10;
  const syncIntervalMs = options.syncIntervalMs ?? 5000;
  const codeStaleMs = options.codeStaleMs ?? 30_000;
  const { serverStore, metrics } = options;
  const resolvers: WorkflowResolver[] = [...(options.resolvers ?? [])];

  const observeStep = metrics === undefined ? undefined : (seconds: number): void => {
    try {
      metrics.stepDuration.observe({ step_type: 'do' }, seconds);
    } catch {
      // Metrics are best effort.
    }
  };

  /** Wraps a definition so `step.do` callbacks that run here are timed (replays do not call them). */
  const instrument = (definition: WorkflowDefinition): WorkflowDefinition => {
    if (observeStep === undefined) return definition;
    const time =
      (fn: unknown) =>
      async (ctx: unknown): Promise<unknown> => {
        const started = performance.now();
        try {
          return await (fn as (ctx: unknown) => unknown)(ctx);
        } finally {
          observeStep((performance.now() - started) / 1000);
        }
      };
    return Object.freeze({
      ...definition,
      run: (event: Parameters<WorkflowDefinition['run']>[0], step: WorkflowStep) => {
        const timed = {
          ...step,
          do: (name: string, a: unknown, b?: unknown, c?: unknown) =>
            typeof a === 'function' ? step.do(name, time(a) as never, b as never) : step.do(name, a as never, time(b) as never, c as never),
        } as WorkflowStep;
        return definition.run(event, timed);
      },
    });
  };

  let engine: Engine | undefined;
  // `step.task` creates child instances of the task workflow, which must exist in the namespace first.
  const taskWorkflows = new Map<string, Promise<unknown>>();
  const taskDefinition = options.agentRuntime === undefined ? undefined : createTaskWorkflow(options.agentRuntime);
  const ensureTaskWorkflow = async (namespace: string): Promise<void> => {
    if (engine === undefined || taskDefinition === undefined) return;
    let pending = taskWorkflows.get(namespace);
    if (pending === undefined) {
      pending = engine.register(taskDefinition, { namespace });
      taskWorkflows.set(namespace, pending);
      pending.catch(() => taskWorkflows.delete(namespace));
    }
    await pending;
  };
  const codeForVersion = async (ref: { namespace: string; workflowName: string; versionId: string }): Promise<CodeUnit | undefined> => {
    if (engine === undefined || workflows.units.length === 0) return undefined;
    const version = await engine.store.findVersion(ref.namespace, ref.workflowName, ref.versionId);
    return version === undefined ? undefined : workflows.find(version.className);
  };
  const resolveWorkflow: WorkflowResolver = async (ref) => {
    for (const resolver of resolvers) {
      const definition = await resolver(ref);
      if (definition !== undefined) return instrument(definition);
    }
    const unit = await codeForVersion(ref);
    if (unit === undefined) return undefined;
    logger.info({ namespace: ref.namespace, workflow: ref.workflowName, version_id: ref.versionId, class_name: unit.className }, 'engine: running a version with the loaded code of its class');
    return instrument(unit.definitionFor(ref.workflowName));
  };

  try {
    engine = await createEngine({
      store: options.store,
      slots,
      logger,
      resolveWorkflow,
      stepExtensions: { ...createBrowserStepExtensions(options.agentRuntime, { ensureTaskWorkflow: (namespace) => ensureTaskWorkflow(namespace) }), ...options.stepExtensions },
      ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.purgeIntervalMs === undefined ? {} : { purgeIntervalMs: options.purgeIntervalMs }),
      ...(options.codeRetryMs === undefined ? {} : { codeRetryMs: options.codeRetryMs }),
      ...(options.inlineWaitMs === undefined ? {} : { inlineWaitMs: options.inlineWaitMs }),
    });
  } catch (error) {
    if (options.closeStore === true) await options.store.close();
    throw error;
  }
  const theEngine = engine;
  const clockNow = (): Date => new Date(theEngine.clock.now());

  // Which (organization, workflow) this process registered, with which code, so syncs register once per change.
  const registered = new Map<string, string>();

  const register = async (unit: CodeUnit, namespace: string, workflowName: string, withConfig: boolean): Promise<string> => {
    const version = await theEngine.register(instrument(unit.definitionFor(workflowName, { withConfig })), { namespace });
    registered.set(key(namespace, workflowName), unit.versionKey);
    return version.id;
  };

  let defaultOrganization: string | undefined;
  const registerDefaults = async (): Promise<void> => {
    if (defaultOrganization !== undefined || workflows.units.length === 0) return;
    const [oldest] = await serverStore.organizations.list();
    if (oldest === undefined) return;
    defaultOrganization = oldest.organization_id;
    for (const unit of workflows.units) {
      const name = unit.defaultWorkflowName;
      if (name === undefined) continue;
      const binding = await serverStore.workflowBindings.find(defaultOrganization, name);
      if (binding !== undefined && workflows.find(binding.class_name) !== unit) {
        logger.warn({ workflow: name, class_name: binding.class_name }, 'engine: a PUT bound this workflow name to another class; not registering the code under it');
        continue;
      }
      await register(unit, defaultOrganization, name, true);
      const at = clockNow().toISOString();
      await serverStore.workflowBindings.upsert({
        organization_id: defaultOrganization,
        workflow_name: name,
        class_name: binding?.class_name ?? unit.className,
        script_name: unit.scriptName,
        created_at: at,
        modified_at: at,
      });
      logger.info({ workflow: name, class_name: unit.className, script: unit.scriptName }, 'engine: registered code workflow');
    }
  };

  const names = workflows.units.flatMap((unit) => [unit.className, ...unit.aliases]);
  const syncBindings = async (): Promise<void> => {
    if (names.length === 0) return;
    for (const row of await serverStore.workflowBindings.listClasses(names)) {
      const unit = workflows.find(row.class_name);
      if (unit === undefined || registered.get(key(row.organization_id, row.workflow_name)) === unit.versionKey) continue;
      await register(unit, row.organization_id, row.workflow_name, false);
      logger.info({ namespace: row.organization_id, workflow: row.workflow_name, class_name: row.class_name }, 'engine: registered code for a bound workflow');
    }
  };

  const advertises = slots > 0 && workflows.units.length > 0;
  let lastPurge = 0;
  const heartbeat = async (first: boolean): Promise<void> => {
    if (!advertises) return;
    const now = clockNow();
    // A worker stalled past the stale purge lost its rows: the refresh finds none and it announces again.
    if (first || (await serverStore.workerCode.refresh(theEngine.workerId, now.toISOString())) === 0) {
      await serverStore.workerCode.announce(
        theEngine.workerId,
        workflows.units.flatMap((unit) => [unit.className, ...unit.aliases].map((className) => ({ className, scriptName: unit.scriptName }))),
        now.toISOString(),
      );
    }
    if (now.getTime() - lastPurge > codeStaleMs * 10) {
      lastPurge = now.getTime();
      await serverStore.workerCode.purgeStale(new Date(now.getTime() - codeStaleMs * 10).toISOString());
    }
  };

  let syncing: Promise<void> | undefined;
  const sync = (): Promise<void> => {
    syncing ??= (async () => {
      try {
        await heartbeat(false);
        await registerDefaults();
        await syncBindings();
      } finally {
        syncing = undefined;
      }
    })();
    return syncing;
  };

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    if (closed || workflows.units.length === 0) return;
    timer = setTimeout(() => {
      sync()
        .catch((error: unknown) => logger.warn({ err: error }, 'engine: workflow sync failed'))
        .finally(schedule);
    }, syncIntervalMs);
    timer.unref();
  };

  const removeCollector = metrics?.addCollector(collectInstanceMetrics(theEngine, serverStore, metrics));

  try {
    await heartbeat(true);
    await registerDefaults();
    await syncBindings();
  } catch (error) {
    removeCollector?.();
    await theEngine.close();
    if (options.closeStore === true) await options.store.close();
    throw error;
  }
  schedule();

  const isClassLoaded = async (className: string): Promise<boolean> => {
    if (advertises && workflows.find(className) !== undefined) return true;
    return serverStore.workerCode.isLoaded(className, new Date(clockNow().getTime() - codeStaleMs).toISOString());
  };

  let closing: Promise<void> | undefined;
  const close = (closeOptions?: { graceMs?: number }): Promise<void> => {
    closing ??= (async () => {
      closed = true;
      clearTimeout(timer);
      removeCollector?.();
      await syncing?.catch(() => {});
      if (advertises) await serverStore.workerCode.remove(theEngine.workerId).catch((error: unknown) => logger.warn({ err: error }, 'engine: could not withdraw the code heartbeat'));
      await theEngine.close(closeOptions?.graceMs === undefined ? {} : { graceMs: closeOptions.graceMs });
      if (options.closeStore === true) await options.store.close();
    })();
    return closing;
  };

  return {
    engine: theEngine,
    workerId: theEngine.workerId,
    slots,
    workflows,
    async bindWorkflow(input) {
      const { organizationId: namespace, workflowName, className, scriptName } = input;
      const unit = workflows.find(className);
      let versionId: string;
      if (unit !== undefined) {
        versionId = await register(unit, namespace, workflowName, false);
      } else {
        const existing = (await theEngine.store.findWorkflow(namespace, workflowName)) ?? (await theEngine.workflows.update({ namespace, workflow: workflowName }, {}));
        const current = existing.currentVersionId === null ? undefined : await theEngine.store.findVersion(namespace, workflowName, existing.currentVersionId);
        if (current !== undefined && current.className === className) {
          versionId = current.id;
        } else {
          // Nothing here runs this class: a code-less version lets instances be created and wait for a worker that has it.
          const now = theEngine.clock.now();
          versionId = placeholderVersionId(namespace, workflowName, className);
          await theEngine.store.upsertVersion({ id: versionId, namespace, workflowName, versionKey: `${PLACEHOLDER_VERSION_PREFIX}${className}`, className, createdAt: now, graph: null });
          await theEngine.store.upsertWorkflow({ namespace, name: workflowName, id: existing.id, now, currentVersionId: versionId, className });
          registered.delete(key(namespace, workflowName));
        }
      }
      const at = clockNow().toISOString();
      await serverStore.workflowBindings.upsert({ organization_id: namespace, workflow_name: workflowName, class_name: className, script_name: scriptName, created_at: at, modified_at: at });
      return { versionId, codeInProcess: unit !== undefined, classLoaded: await isClassLoaded(className) };
    },
    async findBinding(organizationId, workflowName) {
      const row = await serverStore.workflowBindings.find(organizationId, workflowName);
      return row === undefined ? undefined : { className: row.class_name, scriptName: row.script_name, createdAt: new Date(row.created_at), modifiedAt: new Date(row.modified_at) };
    },
    async deleteWorkflow(organizationId, workflowName) {
      const deleted = await theEngine.workflows.delete({ namespace: organizationId, workflow: workflowName });
      const unbound = await serverStore.workflowBindings.delete(organizationId, workflowName);
      registered.delete(key(organizationId, workflowName));
      return deleted || unbound;
    },
    isClassLoaded,
    register: (definition, registerOptions) => theEngine.register(instrument(definition), registerOptions),
    addResolver(resolver) {
      resolvers.push(resolver);
      return () => {
        const index = resolvers.indexOf(resolver);
        if (index >= 0) resolvers.splice(index, 1);
      };
    },
    sync,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** A `/metrics` collector: instances by status and queue depth over every organization (at most every 10 s). */
function collectInstanceMetrics(engine: Engine, serverStore: ServerStore, metrics: ServerMetrics): () => Promise<void> {
  let last = 0;
  return async () => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    const totals = new Map<InstanceStatus, number>(INSTANCE_STATUSES.map((status) => [status, 0]));
    for (const organization of await serverStore.organizations.list()) {
      for (let page = 1; ; page++) {
        const { workflows } = await engine.workflows.list({ namespace: organization.organization_id, page, perPage: 1000 });
        for (const workflow of workflows) {
          for (const [status, count] of Object.entries(workflow.instances) as Array<[InstanceStatus, number]>) totals.set(status, (totals.get(status) ?? 0) + count);
        }
        if (workflows.length < 1000) break;
      }
    }
    for (const [status, count] of totals) metrics.instancesByStatus.set({ status }, count);
    metrics.queueDepth.set(totals.get('queued') ?? 0);
  };
}
