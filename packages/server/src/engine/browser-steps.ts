// Browser steps in code workflows:
//   step.browser(name, fn, config?)   runs `fn({ page, run, signal })` in the instance's browser context, as a durable step
//   step.task(name, input, config?)   runs an agent task as a child run (`tsk_…`) and waits for it durably
// Both come from the agent (`createAgentStepExtensions`) over the process's agent runtime. A process
// without one (no browser pool: `noBrowsers`, or an engine built without the agent) gets stand-ins
// that fail the step with `INTEGRATION_NOT_CONFIGURED` (not retried), so a workflow that uses them
// says why it cannot run there instead of pretending.
import { createAgentStepExtensions } from '@petrel/agent';
import type { AgentRuntime, AgentStepExtensions } from '@petrel/agent';
import type { StepConfig, StepExtension, WorkflowStepBase } from '@petrel/engine';
import { PetrelError } from '@petrel/protocol';

export type { BrowserStepContext, TaskStepInput, TaskStepResult } from '@petrel/agent';

declare module '@petrel/engine' {
  // `step.browser` and `step.task` are typed members of `step` in code workflows.
  // oxlint-disable-next-line typescript/no-empty-interface, typescript/no-empty-object-type
  interface StepExtensions extends AgentStepExtensions {}
}

function notConfigured(member: string): PetrelError {
  return new PetrelError('INTEGRATION_NOT_CONFIGURED', `step.${member}: browser steps are not available in this process (it runs no browser pool)`, { nonRetryable: true });
}

function failing(member: string): StepExtension {
  return (step: WorkflowStepBase) => (name: string, _input: unknown, config?: StepConfig) =>
    step.do(name, config ?? {}, () => {
      throw notConfigured(member);
    });
}

/** Options of `createBrowserStepExtensions`. */
export type BrowserStepExtensionsOptions = {
  /**
   * Makes sure the task workflow is registered in a namespace before `step.task` starts a child task
   * there (a child can only be created in a workflow that exists). Default none.
   */
  ensureTaskWorkflow?: (namespace: string) => Promise<void>;
};

/** The `stepExtensions` of the engine for browser steps: the agent's over `runtime`, else stand-ins failing with `INTEGRATION_NOT_CONFIGURED`. */
export function createBrowserStepExtensions(runtime: AgentRuntime | undefined, options: BrowserStepExtensionsOptions = {}): Record<string, StepExtension> {
  if (runtime === undefined) return { browser: failing('browser'), task: failing('task') };
  const agent = createAgentStepExtensions(runtime);
  const { ensureTaskWorkflow } = options;
  const task = agent['task'];
  if (ensureTaskWorkflow === undefined || task === undefined) return agent;
  return {
    ...agent,
    task: (step, info) => {
      const member = task(step, info) as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        await ensureTaskWorkflow(info.namespace);
        return member(...args);
      };
    },
  };
}
