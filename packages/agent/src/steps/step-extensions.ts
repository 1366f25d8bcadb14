// Browser steps for code workflows, as `stepExtensions` of the engine:
//
//   step.browser(name, fn, config?)  runs fn({ page, run, signal }) in the instance's browser context
//                                     as one durable step; the context is checkpointed after, and the
//                                     step's output is { value, checkpoint }, so a replay in another
//                                     process restores the browser at the latest recorded state.
//   step.task(name, input, config?)  runs an agent task as a child instance of the task workflow
//                                     (its own run id, `tsk_…`) and waits for it durably; the child
//                                     starts from the instance's latest browser state and the instance
//                                     continues from the child's final state.
//
// The server declares the members on `StepExtensions` (`interface StepExtensions extends
// AgentStepExtensions {}` in `declare module '@petrel/engine'`), so this package adds no global
// augmentation of its own.
import { PetrelError, newId } from '@petrel/protocol';
import type { StepConfig, StepExtension, StepInstanceInfo, WorkflowStepBase } from '@petrel/engine';
import type { BrowserCheckpoint, RunContext } from '@petrel/browser';
import type { Duration, RunError, TaskRunRequestInput } from '@petrel/protocol';
import { TaskRunRequestSchema } from '@petrel/protocol';
import type { AgentTaskOutcome } from '../loop/agent-loop.ts';
import type { AgentRuntime } from '../runtime/agent-runtime.ts';
import { TASK_WORKFLOW_NAME } from '../task/task-workflow.ts';
import type { TaskWorkflowParams } from '../task/task-workflow.ts';

/** What `step.browser`'s callback gets. */
export type BrowserStepContext = {
  /** The active tab of the run's context. */
  page: RunContext['page'];
  /** The run's browser context (observe, act, artifacts). */
  run: RunContext;
  /** Aborts when the step times out or the instance is terminated. */
  signal: AbortSignal;
};

/** The input of `step.task`: an agent task (camelCase twins of the task request's main fields). */
export type TaskStepInput = {
  /** What to do, in plain language. */
  prompt: string;
  /** Where to start; blank continues where the instance's browser is. */
  url?: string;
  /** Most agent steps; default 10. */
  maxSteps?: number;
  /** JSON Schema (or description) of the data to extract. */
  dataExtractionSchema?: unknown;
  errorCodeMapping?: Record<string, string>;
  /** `skyvern-1.0` (default) or `skyvern-2.0`. */
  engine?: 'skyvern-1.0' | 'skyvern-2.0';
  totpIdentifier?: string;
  totpUrl?: string;
  /** Per-run model override. */
  model?: { model_name: string };
  /** Clear parameters shown to the model. */
  parameters?: Record<string, unknown>;
  /** Credentials by parameter key (`cred_…`). */
  credentials?: Record<string, string>;
  /** How long to wait for the task; default 24 hours. */
  timeout?: string | number;
};

/** What `step.task` returns. */
export type TaskStepResult = {
  /** The task's run id (`tsk_…`): `GET /v1/runs/{runId}` shows it. */
  runId: string;
  status: 'completed' | 'failed' | 'terminated' | 'timed_out' | 'canceled';
  /** The extracted data. */
  output: unknown;
  failureReason: string | null;
  errors: RunError[];
  stepCount: number;
};

/** The members `createAgentStepExtensions` adds to `step`. */
export interface AgentStepExtensions {
  /** Runs `fn` with a page in the instance's browser context, as a durable step named `name` (checkpointed after). */
  browser<T>(name: string, fn: (context: BrowserStepContext) => Promise<T>, config?: StepConfig): Promise<T>;
  /** Runs an agent task as a child run and waits for it (steps `name` and `name:wait`). */
  task(name: string, input: TaskStepInput, config?: StepConfig): Promise<TaskStepResult>;
}

type BrowserStepOutput = { value: unknown; checkpoint: BrowserCheckpoint | null };

/** A listener that closes the run's browser when its step is aborted (terminate, lost lease, timeout). */
function releaseOnAbort(runtime: AgentRuntime, runId: string): () => void {
  return () => void runtime.browsers.release(runId, { skipHook: true }).catch(() => {});
}

/** Per-invocation state: the instance's latest browser checkpoint, as replayed so far. */
type InvocationState = { checkpoint: BrowserCheckpoint | null };

/** The `stepExtensions` for `createEngine`: `browser` and `task` (see the file header). */
export function createAgentStepExtensions(runtime: AgentRuntime, options: { taskWorkflow?: string } = {}): Record<string, StepExtension> {
  const taskWorkflow = options.taskWorkflow ?? TASK_WORKFLOW_NAME;
  // One state per invocation, shared by its two members (both are built with the same info object).
  const states = new WeakMap<StepInstanceInfo, InvocationState>();
  const stateOf = (info: StepInstanceInfo): InvocationState => {
    let state = states.get(info);
    if (!state) {
      state = { checkpoint: null };
      states.set(info, state);
    }
    return state;
  };

  const browser: StepExtension = (step: WorkflowStepBase, info: StepInstanceInfo) => {
    const state = stateOf(info);
    return async <T>(name: string, fn: (context: BrowserStepContext) => Promise<T>, config?: StepConfig): Promise<T> => {
      if (typeof fn !== 'function') throw new PetrelError('VALIDATION_FAILED', `step.browser: step "${name}" needs a function`);
      const runId = info.instanceId;
      const output = await step.do<BrowserStepOutput>(name, config ?? {}, async (ctx) => {
        const onAbort = releaseOnAbort(runtime, runId);
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        try {
          const run = await runtime.browsers.ensure(runId, { checkpoint: state.checkpoint, signal: ctx.signal });
          const value = await fn({ page: run.page, run, signal: ctx.signal });
          const checkpoint = await runtime.browsers.checkpoint(runId, { signal: ctx.signal });
          return { value: value === undefined ? null : value, checkpoint };
        } finally {
          ctx.signal.removeEventListener('abort', onAbort);
        }
      });
      if (output.checkpoint) state.checkpoint = output.checkpoint;
      return output.value as T;
    };
  };

  const task: StepExtension = (step: WorkflowStepBase, info: StepInstanceInfo) => {
    const state = stateOf(info);
    return async (name: string, input: TaskStepInput, config?: StepConfig): Promise<TaskStepResult> => {
      const parsed = TaskRunRequestSchema.safeParse({
        prompt: input?.prompt,
        url: input?.url || null,
        max_steps: input?.maxSteps ?? null,
        data_extraction_schema: (input?.dataExtractionSchema ?? null) as TaskRunRequestInput['data_extraction_schema'],
        error_code_mapping: input?.errorCodeMapping ?? null,
        engine: input?.engine ?? 'skyvern-1.0',
        totp_identifier: input?.totpIdentifier ?? null,
        totp_url: input?.totpUrl ?? null,
        model: input?.model ?? null,
      } satisfies TaskRunRequestInput);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new PetrelError('VALIDATION_FAILED', `step.task: ${issue?.path.join('.') || 'input'}: ${issue?.message ?? 'invalid'}`);
      }
      const runId = await step.do(`${name}:run-id`, config ?? {}, () => newId(parsed.data.engine === 'skyvern-2.0' ? 'taskV2' : 'task'));
      const params: TaskWorkflowParams = {
        kind: 'task',
        request: parsed.data,
        initialCheckpoint: state.checkpoint,
        ...(input.parameters ? { parameters: input.parameters } : {}),
        ...(input.credentials ? { credentials: input.credentials } : {}),
      };
      const child = await step.startChild(name, { workflow: taskWorkflow, id: runId, params });
      const result = await step.waitForChild<AgentTaskOutcome>(`${name}:wait`, child, input.timeout === undefined ? {} : { timeout: input.timeout as Duration });
      const outcome = result.output;
      if (outcome?.checkpoint) {
        state.checkpoint = outcome.checkpoint;
      }
      if (result.status === 'complete' && outcome) {
        return { runId, status: outcome.status, output: outcome.output, failureReason: outcome.failureReason, errors: outcome.errors, stepCount: outcome.stepCount };
      }
      return {
        runId,
        status: result.status === 'terminated' ? 'canceled' : 'failed',
        output: null,
        failureReason: result.error ? `${result.error.name}: ${result.error.message}` : `the task run ended ${result.status}`,
        errors: [],
        stepCount: 0,
      };
    };
  };

  return { browser, task };
}
