// From configuration to a running engine host: the engine's store (SQLite in the data directory, or
// the PostgreSQL database of `PETREL_DATABASE_URL`), the code of `--workflows DIR`, and the worker.
// `startServer` and `startWorker` both build theirs here.
import { openStore } from '@petrel/engine';
import type { StepExtension, Store, WorkflowResolver } from '@petrel/engine';
import type { Logger } from '@petrel/protocol';
import type { ServerConfig } from '../config/server-config.ts';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { ServerStore } from '../store/server-store.ts';
import type { AgentRuntime } from '@petrel/agent';
import { createEngineHost } from './engine-host.ts';
import type { EngineHost } from './engine-host.ts';
import { loadWorkflowModules } from './workflow-loader.ts';

/** What callers of `startServer` / `startWorker` may plug into the engine. */
export type EngineWiringOptions = {
  /** The agent runtime behind `step.browser` / `step.task`. Default none (they fail with `INTEGRATION_NOT_CONFIGURED`). */
  agentRuntime?: AgentRuntime;
  /** More `step` members. Default none. */
  stepExtensions?: Record<string, StepExtension>;
  /** Resolvers of dynamic code (block workflows, tasks). Default none. */
  resolvers?: WorkflowResolver[];
  /** How often bindings are synced and the code heartbeat written, in ms. Default 5000. */
  syncIntervalMs?: number;
  /** Engine polling interval for work made due by other processes, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** How often finished instances past their retention are purged, in ms. Default 60 000. */
  purgeIntervalMs?: number;
  /** How long a version nobody has code for is left before asking again, in ms. Default 30 000. */
  codeRetryMs?: number;
};

/** Opens the engine's store: SQLite `<dataDir>/petrel.db` (the server's file), or PostgreSQL at the database URL. */
export function openEngineStore(config: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>): Promise<Store> {
  return openStore(config.databaseUrl, { dataDir: config.dataDir, applicationName: 'petrel-server' });
}

/** Loads the configured workflows, opens the store and starts the engine host (which closes the store). */
export async function startEngineHost(input: {
  config: ServerConfig;
  serverStore: ServerStore;
  logger: Logger;
  metrics: ServerMetrics;
  options?: EngineWiringOptions;
}): Promise<EngineHost> {
  const { config, logger } = input;
  const options = input.options ?? {};
  // Load the code first: a module that does not load stops start-up before anything is opened.
  const workflows = config.workflowsDir === undefined ? undefined : await loadWorkflowModules(config.workflowsDir);
  if (workflows !== undefined) {
    logger.info({ dir: workflows.dir, classes: workflows.units.map((unit) => unit.className) }, `loaded ${workflows.units.length} code workflow(s)`);
  }
  const store = await openEngineStore(config);
  return createEngineHost({
    store,
    closeStore: true,
    serverStore: input.serverStore,
    slots: config.workerSlots,
    logger,
    metrics: input.metrics,
    ...(workflows === undefined ? {} : { workflows }),
    ...(config.workerId === undefined ? {} : { workerId: config.workerId }),
    ...(options.agentRuntime === undefined ? {} : { agentRuntime: options.agentRuntime }),
    ...(options.stepExtensions === undefined ? {} : { stepExtensions: options.stepExtensions }),
    ...(options.resolvers === undefined ? {} : { resolvers: options.resolvers }),
    ...(options.syncIntervalMs === undefined ? {} : { syncIntervalMs: options.syncIntervalMs }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(options.purgeIntervalMs === undefined ? {} : { purgeIntervalMs: options.purgeIntervalMs }),
    ...(options.codeRetryMs === undefined ? {} : { codeRetryMs: options.codeRetryMs }),
  });
}
