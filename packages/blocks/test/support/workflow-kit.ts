// Helpers of the interpreter tests: skip without Chromium (never in CI), run a definition to its end
// on a local Petrel, and read a run's timeline and steps.
import type { TestContext } from 'node:test';
import { findChromium } from '@petrel/browser';
import type { WorkflowRunResponse, WorkflowRunTimeline } from '@petrel/protocol';
import { startLocalPetrel } from './local-petrel.ts';
import type { LocalPetrel, LocalPetrelOptions } from './local-petrel.ts';

/** `{ skip }` for suites that need Chromium: a reason outside CI when it is missing; in CI they run (and fail). */
export const skipWithoutChromium: { skip: string | false } = {
  skip: findChromium() || process.env.CI === 'true' ? false : 'Chromium is not installed (run npm run setup)',
};

/** Starts a local Petrel closed after the test (or suite) context. */
export async function startPetrel(t: { after: (fn: () => Promise<void>) => void } | TestContext, options: LocalPetrelOptions = {}): Promise<LocalPetrel> {
  const petrel = await startLocalPetrel(options);
  t.after(() => petrel.close());
  return petrel;
}

/** Creates a workflow from YAML and runs it to its end; returns the finished run. */
export async function runYaml(
  petrel: LocalPetrel,
  yaml: string,
  parameters: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
  timeoutMs = 120_000,
): Promise<WorkflowRunResponse> {
  const workflow = await petrel.service.createWorkflow(petrel.namespace, { yaml_definition: yaml });
  const started = await petrel.service.runWorkflow(petrel.namespace, { workflow_id: workflow.workflow_permanent_id, parameters, ...extra });
  return petrel.service.waitForWorkflowRun(petrel.namespace, started.run_id, { timeoutMs });
}

/** A block's output in a run response (`<label>_output`); throws when the run has none. */
// oxlint-disable-next-line typescript/no-unnecessary-type-parameters -- a typed read of test data
export function outputOf<T>(run: WorkflowRunResponse, label: string): T {
  const output = run.output?.[`${label}_output`];
  if (output === undefined) throw new Error(`run ${run.run_id} has no ${label}_output (${run.status}: ${run.failure_reason ?? ''})`);
  return output as T;
}

/** `label status` lines of a timeline, children indented (for readable assertions). */
export function timelineLines(nodes: readonly WorkflowRunTimeline[], depth = 0): string[] {
  return nodes.flatMap((node) => [`${'  '.repeat(depth)}${node.block?.label ?? '?'} ${node.block?.status ?? '?'}`, ...timelineLines(node.children, depth + 1)]);
}

/** Waits until `check` holds (polling), failing after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
