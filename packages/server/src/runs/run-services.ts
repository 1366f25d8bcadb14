// The run services of a process with an engine: the task service over the agent runtime, and the
// run kinds they register (`task`, and `workflow_run` with the workflow service), so routes, the
// outbox consumer and webhook payloads know every run. Both `startServer` and `startWorker` attach
// them right after the engine host starts and before the outbox consumer handles its backlog.
import { createTaskService } from '@petrel/agent';
import type { AgentRuntime } from '@petrel/agent';
import type { AppDeps } from '../app-deps.ts';
import type { EngineHost } from '../engine/engine-host.ts';
import { registerTaskRuns } from '../tasks/task-runs.ts';

/** Options of `attachRunServices`. */
export type RunServicesOptions = {
  /** The agent runtime; without one (no browser pool) task runs are still shown, but none can be started here. */
  runtime: AgentRuntime | undefined;
  /** Check at `POST /v1/run/tasks` that a model is configured; off for an API process whose workers hold the model settings. */
  requireModel: boolean;
};

/** Registers the run kinds on `deps.runs` and sets `deps.tasks`; returns a remover of the kinds. */
export function attachRunServices(deps: AppDeps, host: EngineHost, options: RunServicesOptions): () => void {
  const artifactUrl = (id: string): string => deps.urls.artifactUrl(id);
  if (options.runtime !== undefined) {
    deps.tasks = createTaskService({ engine: host.engine, runtime: options.runtime, response: { artifactUrl }, requireModel: options.requireModel });
  }
  const removeTasks = registerTaskRuns({ runs: deps.runs, blobStore: deps.blobStore, runtime: options.runtime });
  return () => {
    removeTasks();
  };
}
