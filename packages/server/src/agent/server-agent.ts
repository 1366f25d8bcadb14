// The agent runtime of a server or worker process: the run browsers over the process's browser pool,
// the model of `PETREL_LLM_*` (a run's `model.model_name` may pick another id, within the
// allow-list), and the server's implementations of the agent's ports. The task workflow is served to
// the engine as a resolver (any process with this runtime runs task instances of any organization),
// and `step.browser` / `step.task` of code workflows run on the same runtime.
import { createAgentRuntime, createAgentStepExtensions, createRunBrowserManager, createTaskWorkflow, taskWorkflowResolver } from '@petrel/agent';
import type { AgentRuntime, AgentRuntimeOptions, LanguageModel, ModelConfig, RunBrowserManager } from '@petrel/agent';
import type { StepExtension, WorkflowResolver } from '@petrel/engine';
import type { BrowserPool } from '@petrel/browser';
import type { AppDeps } from '../app-deps.ts';
import { createSessionResolver, createStoredTotpSource, createTotpSigningSecret, createVaultCredentialResolver, outboundFetchLike } from './agent-ports.ts';

/** Options of `createServerAgent`. */
export type ServerAgentOptions = {
  /** The browser pool runs open their contexts in. */
  browserPool: BrowserPool;
  /** The configured model; undefined means runs that need one fail with `LLM_NOT_CONFIGURED`. Default none. */
  model?: ModelConfig | undefined;
  /** Model ids a run may pick with `model.model_name`; default any. */
  allowedModels?: readonly string[] | undefined;
  /** Builds a language model from a configuration (tests); default the AI SDK adapter. */
  createModel?: (config: ModelConfig) => LanguageModel;
  /** Further runtime settings (screenshots, retries, timeouts). Default the agent's. */
  runtime?: Pick<AgentRuntimeOptions, 'screenshots' | 'vision' | 'maxRetriesPerStep' | 'retryDelayMs' | 'stepTimeout' | 'verificationCodeTimeout' | 'now'>;
};

/** The agent of a process. Dispose it after the engine has stopped and before the browser pool. */
export type ServerAgent = AsyncDisposable & {
  readonly runtime: AgentRuntime;
  readonly browsers: RunBrowserManager;
  /** `step.browser` and `step.task` for code workflows. */
  readonly stepExtensions: Record<string, StepExtension>;
  /** The task workflow (`petrel_task`), for the engine host. */
  readonly resolver: WorkflowResolver;
};

/** Builds the agent runtime over the deps (vault, pushed codes, artifacts table, sessions, outbound policy). */
export function createServerAgent(deps: AppDeps, options: ServerAgentOptions): ServerAgent {
  const now = deps.now ?? (() => new Date());
  const browsers = createRunBrowserManager({ pool: options.browserPool, logger: deps.logger });
  const runtime = createAgentRuntime({
    browsers,
    model: options.model ?? null,
    ...(options.allowedModels === undefined ? {} : { allowedModels: options.allowedModels }),
    ...(options.createModel === undefined ? {} : { createModel: options.createModel }),
    credentials: createVaultCredentialResolver(deps.store, deps.vault),
    pushedTotp: createStoredTotpSource(deps.store, now),
    ...(deps.artifactSink === undefined ? {} : { artifacts: deps.artifactSink }),
    browserSessions: createSessionResolver(deps.browserSessions),
    fetch: outboundFetchLike(deps.outboundFetch),
    totpSigningSecret: createTotpSigningSecret(deps.store, deps.vault, now),
    logger: deps.logger,
    ...options.runtime,
  });
  const resolver = taskWorkflowResolver(createTaskWorkflow(runtime));
  return { runtime, browsers, stepExtensions: createAgentStepExtensions(runtime), resolver, [Symbol.asyncDispose]: () => browsers.close() };
}
