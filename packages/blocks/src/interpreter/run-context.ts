// Per-run helpers the interpreter and the browser executors share: the run's secrets (always asked
// for with the same parameters and credentials, so whichever step of a process asks first, every
// step sees the same placeholders), the run's browser opened with those secrets, a question to the
// model about the current page, and an artifact recorder for blocks without a browser.
import type { AgentRuntime, AgentTaskInput, RunSecrets } from '@petrel/agent';
import { openRunBrowser, recordExchanges } from '@petrel/agent';
import type { ModelHttpExchange } from '@petrel/agent';
import type { ArtifactRecorder, BlobStore, BrowserCheckpoint, RunContext } from '@petrel/browser';
import { createArtifactRecorder } from '@petrel/browser';
import type { JsonSchema } from '@petrel/agent';
import { PetrelError } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { AgentBlockContext } from './block-executor.ts';

/** The agent input every browser block of a run starts from (everything but the goal and the step budget). */
export type AgentInputBase = AgentBlockContext['input'];

/** The run's secrets (the vault is read once per process; placeholders are the same in every process). */
export function runSecrets(runtime: AgentRuntime, namespace: string, input: AgentInputBase): Promise<RunSecrets> {
  return runtime.secrets(namespace, input.runId, { parameters: input.parameters, credentials: input.credentials });
}

/** Opens (or finds) the run's browser at `checkpoint`, with the run's secrets and artifact sink; releases it when `signal` aborts. */
export async function openBlockBrowser(
  agent: AgentBlockContext,
  namespace: string,
  checkpoint: BrowserCheckpoint | null,
  signal: AbortSignal,
): Promise<{ run: RunContext; secrets: RunSecrets }> {
  const input: AgentTaskInput = { ...agent.input, goal: '', maxSteps: 1 };
  const opened = await openRunBrowser(agent.runtime, namespace, input, checkpoint, signal);
  signal.addEventListener('abort', () => void agent.runtime.browsers.release(input.runId, { skipHook: true }).catch(() => {}), { once: true });
  return opened;
}

/** An artifact recorder for a run (artifacts of blocks that have no browser), reporting to the runtime's sink. */
export function runArtifactRecorder(runtime: AgentRuntime, blobStore: BlobStore, namespace: string, runId: string, logger: Logger): ArtifactRecorder {
  const sink = runtime.artifacts;
  return createArtifactRecorder({
    runId,
    blobStore,
    logger,
    ...(sink ? { onArtifact: (record) => sink.record({ namespace, runId }, record) } : {}),
  });
}

/** What `askAboutPage` returns. */
export type PageAnswer = { object: unknown; usage: { inputTokens: number; outputTokens: number; costUsd: number | null }; pageUrl: string | null };

/**
 * One structured model call about the run's current page: the page is observed when the run has a
 * browser (a checkpoint, or a live context in this process), else the question is asked without one.
 * The exchange is stored as `llm_request` / `llm_response` artifacts of the run.
 */
export async function askAboutPage(input: {
  agent: AgentBlockContext;
  namespace: string;
  checkpoint: BrowserCheckpoint | null;
  /** Ask without the page even when there is one. */
  withoutPage?: boolean;
  system: string;
  prompt: (page: string | null) => string;
  schema: JsonSchema;
  name: string;
  label: string;
  signal: AbortSignal;
  /** Stores the model exchange when there is no browser to store it with. */
  recorder: { record(type: 'llm_request' | 'llm_response', body: string, options: { contentType: string; name?: string }): Promise<unknown> };
}): Promise<PageAnswer> {
  const { agent } = input;
  const model = agent.runtime.model(agent.input.model ?? null);
  const hasBrowser = input.checkpoint !== null || agent.runtime.browsers.find(agent.input.runId) !== undefined;
  let run: RunContext | undefined;
  let secrets: RunSecrets;
  let page: string | null = null;
  let pageUrl: string | null = null;
  if (hasBrowser && !input.withoutPage) {
    ({ run, secrets } = await openBlockBrowser(agent, input.namespace, input.checkpoint, input.signal));
    const observation = await run.observe({ signal: input.signal });
    page = observation.text;
    pageUrl = observation.url;
  } else {
    secrets = await runSecrets(agent.runtime, input.namespace, agent.input);
  }
  const exchanges: ModelHttpExchange[] = [];
  let response;
  try {
    response = await model.generate({
      system: input.system,
      messages: [{ role: 'user', content: input.prompt(page) }],
      output: { schema: input.schema, name: input.name },
      temperature: 0,
      redactor: secrets.redactor,
      signal: input.signal,
      onExchange: (exchange) => exchanges.push(exchange),
    });
  } finally {
    if (run) await recordExchanges(run, exchanges, input.label).catch(() => []);
    else {
      for (const exchange of exchanges) {
        await input.recorder.record('llm_request', exchange.requestBody, { contentType: 'application/json', name: `${input.label}-${exchange.attempt}-request.json` });
        await input.recorder.record('llm_response', exchange.responseBody || '{}', { contentType: 'application/json', name: `${input.label}-${exchange.attempt}-response.json` });
      }
    }
  }
  if (response.object === undefined) {
    throw new PetrelError('LLM_ERROR', `blocks.${input.name}: the model gave no usable answer (${response.outputError?.message ?? 'no JSON'})`, { nonRetryable: false });
  }
  return { object: response.object, usage: { inputTokens: response.usage.inputTokens, outputTokens: response.usage.outputTokens, costUsd: response.costUsd ?? null }, pageUrl };
}
