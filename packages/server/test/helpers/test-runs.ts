// A run kind for tests of the runs infrastructure: runs backed by small code workflows, shown with a
// minimal run response (status through `toRunStatus`, output, screenshot URLs from the artifacts
// table), and a saved browser state read from the instance's output. Stands in for the task and
// workflow services until they land.
import { defineWorkflow } from '@petrel/engine';
import type { WorkflowDefinition } from '@petrel/engine';
import { newId, toRunStatus } from '@petrel/protocol';
import type { RunOutcomeStatus } from '@petrel/protocol';
import { engineRunKind } from '@petrel/server';
import type { AppDeps, EngineHost, RunRow } from '@petrel/server';

/** The kind name of test runs. */
export const TEST_KIND = 'test_run';

const OUTCOMES = new Set(['completed', 'failed', 'terminated', 'timed_out', 'canceled']);

/** Registers the test run kind on the deps' runs registry; returns its remover. */
export function registerTestRunKind(deps: AppDeps): () => void {
  return deps.runs.registerRunKind(
    TEST_KIND,
    engineRunKind({
      async toResponse(details, row, ctx) {
        const output = details.output as { status?: string; screenshots?: string[]; state?: unknown } | null | undefined;
        const outcome = typeof output?.status === 'string' && OUTCOMES.has(output.status) ? (output.status as RunOutcomeStatus) : null;
        const artifacts = await deps.store.artifacts.listForRun(row.organization_id, row.run_id, ['screenshot_action', 'screenshot_final']);
        return {
          run_id: row.run_id,
          status: toRunStatus({ instanceStatus: details.status, outcomeStatus: outcome }),
          run_type: row.run_type,
          output: details.output ?? null,
          failure_reason: details.error?.message ?? null,
          screenshot_urls: artifacts.map((a) => ctx.artifactUrl(a.artifact_id)).toReversed(),
          created_at: details.createdAt.toISOString(),
          started_at: details.startedAt?.toISOString() ?? null,
          finished_at: details.endedAt?.toISOString() ?? null,
        };
      },
      async browserState(row, ctx) {
        const details = await ctx.engine?.instances.find({ namespace: row.organization_id, workflow: row.engine_workflow, id: row.engine_instance_id });
        const state = (details?.output as { state?: { cookies: never[]; origins: never[] } } | null | undefined)?.state;
        return state ?? undefined;
      },
    }),
  );
}

/** A workflow that waits for a `go` event, then completes with `{ status: 'completed', ...payload }`. */
export const WAIT_FOR_GO = defineWorkflow({
  name: 'wait-for-go',
  async run(_event, step) {
    const first = await step.do('first', async () => ({ screenshotArtifactIds: [] as string[] }));
    const go = await step.waitForEvent<Record<string, unknown>>('go', { type: 'go', timeout: '1 hour' });
    return { status: 'completed', first, ...go.payload };
  },
});

/** A workflow that completes at once with its params as output. */
export const ECHO = defineWorkflow<Record<string, unknown>>({
  name: 'echo',
  async run(event, step) {
    const value = await step.do('echo', async () => event.payload);
    return { status: 'completed', ...value };
  },
});

/** Registers `definition` in the organization and starts a run of the test kind on it. */
export async function startTestRun(
  deps: AppDeps,
  host: EngineHost,
  organizationId: string,
  definition: WorkflowDefinition,
  options: { params?: unknown; webhookUrl?: string; title?: string; runId?: string } = {},
): Promise<RunRow> {
  await host.register(definition, { namespace: organizationId });
  const runId = options.runId ?? newId('workflowRun');
  await host.engine.instances.create({ namespace: organizationId, workflow: definition.name, id: runId, params: options.params ?? {} });
  return deps.runs.insert({
    runId,
    organizationId,
    kind: TEST_KIND,
    runType: 'workflow_run',
    engineWorkflow: definition.name,
    engineInstanceId: runId,
    status: 'queued',
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
  });
}

/** Polls `condition` until it holds (generous timeout for a loaded machine). */
export async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
