// The executor interface: how one block runs inside a workflow run. The interpreter owns control flow
// (routing, loops, conditionals, finally, failure semantics, outputs); an executor owns one block type.
//
// Two kinds:
// - a **step executor** (`BlockExecutor`) runs inside one durable `step.do` the interpreter opens
//   (named `block:<label>` or `block:<loop>[<i>]:<label>`, config from `blockStepConfig`). It gets a
//   `BlockContext` (an `ExecutorContext` plus where it runs) with the block's templated fields already
//   rendered (secrets as placeholders; `code` and `http_request` reveal them through `ctx.redactor`).
//   It returns a `BlockResult` (or throws: a thrown error is a failed block whose failure_reason is the
//   error's message; `PetrelError`s keep their code in `error_codes`).
// - a **durable executor** (`DurableBlockExecutor`) drives steps itself (browser blocks run the agent
//   loop as several steps; human_interaction waits for an event; workflow_trigger starts and waits for a
//   child run). Only the interpreter's own executors are durable.
//
// The registry maps block types to executors; `createBlockExecutorRegistry()` starts empty and the
// interpreter's default registry (`defaultBlockExecutors`) registers every built-in executor.
//
// Stability: additive changes only. Executors engineer: ask for more by adding a
// `// REQUEST(executors): …` line at the end of this file.
import type { Block, BlockType } from '@petrel/protocol';
import type { BrowserCheckpoint } from '@petrel/browser';
import type { WorkflowStepBase } from '@petrel/engine';
import type { AgentRuntime, AgentTaskInput } from '@petrel/agent';
import type { ExecutorContext, ExecutorResult } from '../executors/executor-context.ts';

/** Statuses a block can end with (Skyvern's `BlockStatus` minus `running`). */
export const BLOCK_STATUSES = ['completed', 'failed', 'terminated', 'canceled', 'timed_out', 'skipped'] as const;

/** A final block status. */
export type BlockStatus = (typeof BLOCK_STATUSES)[number];

/** The block of a given type. */
export type BlockOfType<T extends BlockType> = Extract<Block, { block_type: T }>;

/** Where in the run a block executes. */
export type BlockPosition = {
  /** The durable step name prefix of this block (`block:<label>` or `block:<loop>[<i>]:<label>`). */
  stepName: string;
  /** Loops around the block, outermost first: their labels, 0-based indexes and current values. */
  loops: ReadonlyArray<{ label: string; index: number; value: unknown }>;
};

/** What a step executor receives: the executors' `ExecutorContext` plus the run it belongs to. */
export type BlockContext = ExecutorContext & {
  /** The organization's namespace. */
  namespace: string;
  /** The workflow's permanent id (`wpid_…`). */
  workflowPermanentId: string;
  /** The workflow version the run is pinned to (`w_…`). */
  workflowId: string;
  /** Where the block runs. */
  position: BlockPosition;
  /** The run's latest browser checkpoint (null before the first browser block). */
  checkpoint: BrowserCheckpoint | null;
  /** What browser blocks need to run the agent on the run's browser (set by the interpreter; absent in standalone executor tests). */
  agent?: AgentBlockContext;
  /** Run-level services of the interpreter's own executors (human_interaction, workflow_trigger). */
  services?: RunServices;
};

/** Run-level services for the control executors. */
export type RunServices = {
  /** The end user the run is for. */
  developerUserId: string | null;
  /** The token and the approve/reject links of a human_interaction block (links null without a public base URL). */
  humanInteractionLinks(label: string): Promise<{ token: string; approveUrl: string | null; rejectUrl: string | null }>;
  /** Prepares a child run for workflow_trigger (absent: the block fails with `INTEGRATION_NOT_CONFIGURED`). */
  startChildRun?: (request: {
    workflowPermanentId: string;
    parameters: Record<string, unknown>;
    parentCheckpoint: BrowserCheckpoint | null;
    browserSessionId: string | null;
  }) => Promise<{ workflow: string; runId: string; params: unknown }>;
};

/** The agent side of a block: the runtime, the run's agent input without the goal, and the run's step budget. */
export type AgentBlockContext = {
  runtime: AgentRuntime;
  /** Run id, parameters and credentials (all of the run's, so every step sees the same secrets), browser options, TOTP, model, deadline. */
  input: Omit<AgentTaskInput, 'goal' | 'maxSteps'>;
  /** Agent steps left of the run's budget (`x-max-steps-override`); null when unlimited. */
  stepsLeft: number | null;
};

/** What a durable executor receives: a `BlockContext` whose `signal` is the run's, plus the run's `step`. */
export type DurableBlockContext = BlockContext & {
  /** The run's durable primitives; name every step under `position.stepName`. */
  step: WorkflowStepBase;
};

/** A block's result: the executors' `ExecutorResult` plus what browser and control blocks add. */
export type BlockResult = ExecutorResult & {
  /** The browser state after the block (browser blocks); the next browser block starts from it. */
  checkpoint?: BrowserCheckpoint | null;
  /** Files the block downloaded into the run (already in the run's files). */
  downloadedFiles?: ReadonlyArray<{ filename: string; size: number; sha256: string; artifactId: string | null; sourceUrl?: string | null }>;
  /** Agent steps the block took (counted into the run's `step_count`). */
  stepCount?: number;
  /** Screenshot artifact ids, newest first. */
  screenshotArtifactIds?: readonly string[];
  /** Extra fields for the block's timeline record (task_id, recipients, executed branch, …). */
  timeline?: Readonly<Record<string, unknown>>;
  /** Model usage of the block (browser blocks). */
  usage?: { inputTokens: number; outputTokens: number; costUsd: number | null };
};

/** Runs one block inside one durable step. Plain executors (`executeHttpRequestBlock`, …) fit this type. */
export type BlockExecutor<B extends Block = Block> = (block: B, ctx: BlockContext) => Promise<BlockResult>;

/** Runs one block as its own durable steps (browser blocks, human_interaction, workflow_trigger). */
export type DurableBlockExecutor<B extends Block = Block> = (block: B, ctx: DurableBlockContext) => Promise<BlockResult>;

/** A registered executor. */
export type RegisteredExecutor = { kind: 'step'; run: BlockExecutor } | { kind: 'durable'; run: DurableBlockExecutor };

/** Block types to executors. */
export type BlockExecutorRegistry = {
  /** Registers a step executor for a block type (replaces an earlier one). */
  register<T extends BlockType>(type: T, executor: BlockExecutor<BlockOfType<T>>): BlockExecutorRegistry;
  /** Registers a durable executor for a block type (replaces an earlier one). */
  registerDurable<T extends BlockType>(type: T, executor: DurableBlockExecutor<BlockOfType<T>>): BlockExecutorRegistry;
  /** The executor of a block type, if any. */
  find(type: BlockType): RegisteredExecutor | undefined;
  /** The registered block types. */
  types(): BlockType[];
};

/** Creates an empty executor registry. */
export function createBlockExecutorRegistry(): BlockExecutorRegistry {
  const executors = new Map<BlockType, RegisteredExecutor>();
  const registry: BlockExecutorRegistry = {
    register(type, executor) {
      executors.set(type, { kind: 'step', run: executor as BlockExecutor });
      return registry;
    },
    registerDurable(type, executor) {
      executors.set(type, { kind: 'durable', run: executor as DurableBlockExecutor });
      return registry;
    },
    find(type) {
      return executors.get(type);
    },
    types() {
      return [...executors.keys()];
    },
  };
  return registry;
}

// REQUEST(executors): the non-browser executors are registered with `registerNonBrowserExecutors(registry)` (executors/non-browser-executors.ts); they return `BlockResult` (http_request and code fill `downloadedFiles`, send_email fills `timeline`).
// REQUEST(executors): a thrown `CANCELED` from an executor means the run is being canceled (ctx.signal fired), not a failed block.
// REQUEST(executors): after a step executor that called `ctx.browser()` (the code block's `page`), take a browser checkpoint as after a browser block: the code may have logged in or navigated.
// REQUEST(executors): `ctx.files.listDownloads()` must see every download of the run, also after a replay on another worker (read them from the BlobStore `download` artifacts, not only the local folder), and `saveDownload` must store a `download` artifact so the run's `downloaded_files` lists it.
// REQUEST(executors): `ctx.fetch` = the server's `createOutboundFetch(...)` (it is assignable to `OutboundFetchLike`); `ctx.mailer` = the server's SMTP mailer (`createSmtpMailer`), also for human_interaction; `ctx.s3` = the server's S3 settings for upload_to_s3/download_to_s3.
// REQUEST(executors): `ctx.model` should already be the model for this block (the block's `model.model_name` / text_prompt `llm_key` override applied); the executors use `ctx.model` as given.
// REQUEST(executors): `ctx.recordArtifact` should work for blocks without a browser too (llm_request/llm_response of text_prompt and the file parsers, the code block's console_log).
// REQUEST(executors): step retries re-run side effects (send_email sends again, http_request POSTs again); executors report remote failures as failed results rather than throws, so a retry only follows a thrown error (e.g. UNAVAILABLE from SMTP/S3).
