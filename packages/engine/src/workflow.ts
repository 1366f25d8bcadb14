// Code workflows: `defineWorkflow({ name, run })` and Cloudflare's `WorkflowEntrypoint` class. A
// definition carries its version key (a hash of the code, or the caller's key), the class name, the
// source the graph is parsed from, and the workflow-level config to apply when it is registered.
import { createHash } from 'node:crypto';
import { PetrelError } from '@petrel/protocol';
import type { Duration } from '@petrel/protocol';
import type { WorkflowGraph } from './graph-types.ts';
import type { DelayFunction, StepConfig, StepContext } from './step-config.ts';
import { checkWorkflowName } from './validation.ts';

/** The event a run receives: Cloudflare's `WorkflowEvent` plus the namespace. */
export type WorkflowEvent<Params = unknown> = {
  /** The params the instance was created with (treat as read-only: changes are not persisted). */
  payload: Params;
  /** When the instance was created. */
  timestamp: Date;
  instanceId: string;
  workflowName: string;
  namespace: string;
  /** Set when a cron schedule created the instance. */
  schedule?: { cron: string; scheduledTime: number };
};

/** What `waitForEvent` returns. */
export type WorkflowStepEvent<Payload = unknown> = { payload: Payload; timestamp: Date; type: string };

/** The argument of a rollback handler. */
export type RollbackContext<Output> = {
  ctx: StepContext;
  /** The error that failed the instance (or a termination error). */
  error: Error;
  /** The step's output; `undefined` when the step failed. */
  output: Output | undefined;
  stepName: string;
};

/** A rollback handler and its config, the last argument of `step.do`. */
export type RollbackOptions<Output> = {
  rollback: (context: RollbackContext<Output>) => Promise<void> | void;
  rollbackConfig?: { retries?: { limit?: number; delay?: Duration | DelayFunction; backoff?: 'constant' | 'linear' | 'exponential' }; timeout?: Duration };
};

/** A child instance started by `step.startChild`. */
export type ChildHandle = { workflowName: string; instanceId: string; eventType: string };

/** How a child instance ended, as `step.waitForChild` returns it. */
export type ChildResult<Output = unknown> = {
  status: 'complete' | 'errored' | 'terminated';
  output: Output | undefined;
  error: { name: string; message: string } | null;
};

/** Who is running: what step extensions get to build helpers with. */
export type StepInstanceInfo = { namespace: string; workflowName: string; instanceId: string; versionId: string };

/** The durable primitives of a run. */
export interface WorkflowStepBase {
  /** Runs `callback` once (retried per config) and memoizes its result under `name` plus its occurrence count. */
  do<T>(name: string, callback: (ctx: StepContext) => Promise<T> | T, rollback?: RollbackOptions<T>): Promise<T>;
  do<T>(name: string, config: StepConfig, callback: (ctx: StepContext) => Promise<T> | T, rollback?: RollbackOptions<T>): Promise<T>;
  /** Sleeps durably (milliseconds or `"10 seconds"`); paused time does not count. */
  sleep(name: string, duration: Duration): Promise<void>;
  /** Sleeps until a time; a time already past completes at once. */
  sleepUntil(name: string, timestamp: Date | number): Promise<void>;
  /** Waits for an event of `type` (buffered FIFO when sent earlier); throws `EVENT_TIMEOUT` after `timeout` (default 24 hours). */
  waitForEvent<T = unknown>(name: string, options: { type: string; timeout?: Duration }): Promise<WorkflowStepEvent<T>>;
  /** Starts a child instance (idempotently) and returns a handle whose end `waitForChild` awaits. */
  startChild(name: string, options: { workflow: string; id?: string; params?: unknown }): Promise<ChildHandle>;
  /** Waits durably for a child instance to end. */
  waitForChild<T = unknown>(name: string, child: ChildHandle, options?: { timeout?: Duration }): Promise<ChildResult<T>>;
  /** The instance this run belongs to. */
  readonly instance: StepInstanceInfo;
}

/**
 * Members added to `step` by `createEngine({ stepExtensions })`. Packages declare theirs by
 * augmenting this interface (`declare module '@petrel/engine' { interface StepExtensions { … } }`).
 */
// oxlint-disable-next-line typescript/no-empty-interface, typescript/no-empty-object-type -- an augmentation point
export interface StepExtensions {}

/** The `step` object of a run. */
export type WorkflowStep = WorkflowStepBase & StepExtensions;

/** Builds one `step` member from the base primitives, once per invocation. */
export type StepExtension = (step: WorkflowStepBase, info: StepInstanceInfo) => unknown;

/** The body of a code workflow. */
export type WorkflowRun<Params = unknown, Output = unknown> = (event: WorkflowEvent<Params>, step: WorkflowStep) => Promise<Output>;

/** Workflow-level config applied when a definition is first registered (later changes go through `engine.workflows.update`). */
export type WorkflowConfig = {
  /** Most instances running at once (sleeping and waiting ones do not count); unlimited when omitted. */
  concurrency?: number;
  /** Cron expressions that create instances (trigger source `cron`). */
  schedules?: string[];
  /** How long finished instances are kept. */
  retention?: { successRetention?: Duration; errorRetention?: Duration };
  /** Most `step.do` calls per instance (default 10,000, at most 25,000). */
  limits?: { steps?: number };
};

/** The context a `WorkflowEntrypoint` is constructed with. */
export type WorkflowEntrypointContext = { namespace: string; workflowName: string; instanceId: string };

/** Cloudflare's class form of a workflow: extend it and implement `run(event, step)`. */
export abstract class WorkflowEntrypoint<Env = unknown, Params = unknown> {
  readonly ctx: WorkflowEntrypointContext;
  readonly env: Env;
  /** Called by the engine once per invocation. */
  constructor(ctx: WorkflowEntrypointContext, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
  /** The body of the workflow. */
  abstract run(event: WorkflowEvent<Params>, step: WorkflowStep): Promise<unknown>;
}

/** A class extending `WorkflowEntrypoint`. */
export type WorkflowEntrypointClass<Env = unknown, Params = unknown> = new (ctx: WorkflowEntrypointContext, env: Env) => WorkflowEntrypoint<Env, Params>;

/** A workflow the engine can run. Built by `defineWorkflow`. */
export type WorkflowDefinition<Params = unknown, Output = unknown> = {
  readonly name: string;
  /** The body (a method signature, so a definition with typed params is assignable to `WorkflowDefinition`). */
  run(event: WorkflowEvent<Params>, step: WorkflowStep): Promise<Output>;
  /** Identity of the code: a hash of its source, or the caller's key. */
  readonly versionKey: string;
  readonly className: string;
  /** The source the step graph is parsed from (absent when `graph` is given or the code is dynamic). */
  readonly source: string | undefined;
  /** A caller-supplied step graph (blocks derive theirs from blocks). */
  readonly graph: WorkflowGraph | undefined;
  readonly config: WorkflowConfig;
};

/** Input of `defineWorkflow`: a `run` function or an `entrypoint` class. */
export type DefineWorkflowInput<Params, Output, Env> = {
  name: string;
  /** Explicit version key; default: a hash of the code. */
  versionKey?: string;
  /** Explicit step graph; default: parsed from the code. */
  graph?: WorkflowGraph;
  /** Class name shown by versions; default: the entrypoint's name or `"Workflow"`. */
  className?: string;
} & WorkflowConfig &
  ({ run: WorkflowRun<Params, Output>; entrypoint?: never; env?: never } | { entrypoint: WorkflowEntrypointClass<Env, Params>; env?: Env; run?: never });

/** A hash of source text, as version keys are made. */
export function hashSource(source: string): string {
  return `sha256:${createHash('sha256').update(source).digest('hex').slice(0, 32)}`;
}

/** Defines a code workflow from a `run` function or a `WorkflowEntrypoint` class. */
export function defineWorkflow<Params = unknown, Output = unknown, Env = unknown>(input: DefineWorkflowInput<Params, Output, Env>): WorkflowDefinition<Params, Output> {
  checkWorkflowName('defineWorkflow', input.name);
  const config: WorkflowConfig = {};
  if (input.concurrency !== undefined) config.concurrency = input.concurrency;
  if (input.schedules !== undefined) config.schedules = input.schedules;
  if (input.retention !== undefined) config.retention = input.retention;
  if (input.limits !== undefined) config.limits = input.limits;
  if (input.versionKey !== undefined && (typeof input.versionKey !== 'string' || input.versionKey.length === 0 || input.versionKey.length > 256)) {
    throw new PetrelError('VALIDATION_FAILED', 'defineWorkflow: versionKey must be a string of 1 to 256 characters');
  }
  if (typeof input.run === 'function') {
    const run = input.run;
    const source = run.toString();
    return Object.freeze({
      name: input.name,
      run,
      versionKey: input.versionKey ?? hashSource(source),
      className: input.className ?? 'Workflow',
      source: input.graph ? undefined : source,
      graph: input.graph,
      config,
    });
  }
  const Entrypoint = input.entrypoint as WorkflowEntrypointClass<Env, Params> | undefined;
  if (typeof Entrypoint !== 'function') throw new PetrelError('VALIDATION_FAILED', `defineWorkflow: workflow "${input.name}" needs a run function or an entrypoint class`);
  const env = input.env as Env;
  const source = Entrypoint.toString();
  const run: WorkflowRun<Params, Output> = async (event, step) =>
    (await new Entrypoint({ namespace: event.namespace, workflowName: event.workflowName, instanceId: event.instanceId }, env).run(event, step)) as Output;
  return Object.freeze({
    name: input.name,
    run,
    versionKey: input.versionKey ?? hashSource(source),
    className: input.className ?? (Entrypoint.name || 'Workflow'),
    source: input.graph ? undefined : source,
    graph: input.graph,
    config,
  });
}

/** A stable UUID-shaped id derived from parts (versions and workflows get the same id on every worker). */
export function derivedUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
