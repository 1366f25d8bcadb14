// The extension points of browser steps in code workflows:
//   step.browser(name, fn, config?)   runs `fn` with a page in the run's browser context, as a durable step
//   step.task(name, input, config?)   runs an agent task (a prompt and a URL) as a durable step
// They need the browser runtime and the agent loop, which are not wired into the server yet. Until a
// `BrowserStepRuntime` is given to the engine host, calling either fails the step with
// `INTEGRATION_NOT_CONFIGURED` (not retried), so a workflow that uses them says why it cannot run
// instead of pretending. The runs/agent work supplies the runtime; nothing here drives a browser.
import type { StepConfig, StepExtension, StepInstanceInfo, WorkflowStepBase } from '@petrel/engine';
import type { RunContext } from '@petrel/browser';
import { PetrelError } from '@petrel/protocol';

/** What `step.browser`'s callback gets: the active tab and the run's browser context. */
export type BrowserStepContext = {
  /** The active Playwright page of the run's context. */
  page: RunContext['page'];
  /** The run's browser context (observe, act, artifacts). */
  run: RunContext;
  /** Aborts when the step times out or the instance is terminated. */
  signal: AbortSignal;
};

/** The input of `step.task`: an agent task in Skyvern's terms. */
export type TaskStepInput = {
  /** What to do, in plain language. */
  prompt: string;
  /** Where to start; blank continues where the run's browser is. */
  url?: string;
  /** Most agent steps. Default the agent's. */
  maxSteps?: number;
  /** JSON Schema of the data to extract. */
  dataExtractionSchema?: unknown;
};

/** What `step.task` returns. */
export type TaskStepResult = {
  status: 'completed' | 'failed' | 'terminated';
  /** The extracted data or the agent's answer. */
  output: unknown;
  failureReason: string | null;
};

/** The browser runtime behind `step.browser` and `step.task` (supplied by the runs/agent work). */
export type BrowserStepRuntime = {
  /** Runs `fn` with the instance's browser context (created or restored from its checkpoint). */
  withBrowser<T>(instance: StepInstanceInfo, fn: (context: BrowserStepContext) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Runs an agent task in the instance's browser context. */
  runTask(instance: StepInstanceInfo, input: TaskStepInput, signal: AbortSignal): Promise<TaskStepResult>;
};

declare module '@petrel/engine' {
  interface StepExtensions {
    /** Runs `fn` with a page in the run's browser context, as a durable step named `name`. */
    browser<T>(name: string, fn: (context: BrowserStepContext) => Promise<T>, config?: StepConfig): Promise<T>;
    /** Runs an agent task (prompt, url) in the run's browser context, as a durable step named `name`. */
    task(name: string, input: TaskStepInput, config?: StepConfig): Promise<TaskStepResult>;
  }
}

function notConfigured(member: string): PetrelError {
  return new PetrelError(
    'INTEGRATION_NOT_CONFIGURED',
    `step.${member}: browser steps are not available in this server yet (the browser runtime is not wired into code workflows)`,
    { nonRetryable: true },
  );
}

/** The `stepExtensions` of the engine for browser steps; without a runtime they fail with `INTEGRATION_NOT_CONFIGURED`. */
export function createBrowserStepExtensions(runtime: BrowserStepRuntime | undefined): Record<string, StepExtension> {
  return {
    browser: (step: WorkflowStepBase, instance: StepInstanceInfo) =>
      <T>(name: string, fn: (context: BrowserStepContext) => Promise<T>, config?: StepConfig): Promise<T> =>
        step.do(name, config ?? {}, async (ctx) => {
          if (runtime === undefined) throw notConfigured('browser');
          return runtime.withBrowser(instance, fn, ctx.signal);
        }),
    task: (step: WorkflowStepBase, instance: StepInstanceInfo) =>
      (name: string, input: TaskStepInput, config?: StepConfig): Promise<TaskStepResult> =>
        step.do(name, config ?? {}, async (ctx) => {
          if (runtime === undefined) throw notConfigured('task');
          return runtime.runTask(instance, input, ctx.signal);
        }),
  };
}
