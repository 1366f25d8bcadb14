// The interpreter: one block workflow run as durable steps of the engine. The workflow function is
// called from the top on every replay; every decision below is made from step outputs, so a replay
// in any process takes the same path and a crashed run continues at its first unrecorded step.
//
//   run:setup                         parameters coerced, deadline, browser seed (persisted state, profile, parent)
//   block:<label>                     a step executor's block (render, execute, checkpoint) — or the record of:
//   block:<label>/start               a durable block's rendered fields
//   block:<label>/…                   its own steps (agent steps, sleep, waits, child runs)
//   block:<loop>/values               a for_loop's values (resolved once, so a replay iterates the same list)
//   block:<loop>[<i>]:<label>         blocks of iteration i (nested: block:<a>[0]:<b>[2]:<label>)
//   block:<loop>/condition-<i>        a while_loop's check before iteration i
//   run:finish                        persisted browser state, the browser closed (recording, final screenshot)
//
// Control flow (skyvern.md §2.4): version 1 runs the list in order, version 2 follows
// `next_block_label` and conditional branches (`routeBlocks`, shared with validation and the graph);
// a failed block stops its list unless `continue_on_failure`; inside loops `next_loop_on_failure`
// moves on to the next iteration; `finally_block_label` runs last whatever happened; a run past
// `max_elapsed_time_minutes` stops as `timed_out`. A cancel is an engine terminate: the run stops
// at once and reads `canceled`.
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { Block, ConditionalBlock, Duration, ForLoopBlock, JsonValue, RunError, VaultParameterType, WhileLoopBlock } from '@petrel/protocol';
import type { StepConfig, StepContext, WorkflowEvent, WorkflowStepBase } from '@petrel/engine';
import type { BrowserCheckpoint } from '@petrel/browser';
import { extractFromPage, compileExtractionSchema } from '@petrel/agent';
import type { JsonSchema } from '@petrel/agent';
import type { ParsedBlockWorkflow } from '../definition/parse-definition.ts';
import { MAX_LOOP_ITERATIONS, TEMPLATED_FIELDS, UNSUPPORTED_BLOCK_TYPES, outputParameterKey, withWorkflowErrorCodes } from '../definition/block-fields.ts';
import { conditionalFallbackTarget, routeBlocks } from '../definition/block-routing.ts';
import { resolveContextParameter, resolveRunParameters, unavailableParameterError } from '../parameters/run-parameters.ts';
import { evaluateCondition, renderTemplate, renderValue } from '../templating/render-template.ts';
import { createTemplateContext } from '../templating/template-context.ts';
import type { TemplateContext } from '../templating/template-context.ts';
import { hasTemplateSyntax } from '../templating/jinja-sandbox.ts';
import { blockStepConfig } from '../graph/block-graph.ts';
import type { AgentBlockContext, BlockContext, BlockResult, BlockStatus, DurableBlockContext, RunServices } from './block-executor.ts';
import { humanInteractionLinks, humanInteractionToken } from './human-interaction.ts';
import { persistedStateKey, resolveBrowserSeed, savePersistedState } from './browser-state.ts';
import type { BrowserSeedSource } from './browser-state.ts';
import { currentPublicBaseUrl } from './interpreter-deps.ts';
import type { InterpreterDeps } from './interpreter-deps.ts';
import { askAboutPage, openBlockBrowser, runArtifactRecorder, runSecrets } from './run-context.ts';
import type { AgentInputBase } from './run-context.ts';
import { createRunFiles } from './run-files.ts';
import { normalizeDataSchema } from './data-schema.ts';
import { blockStepName, runOutputOf } from './run-types.ts';
import type { BlockRecord, ExecutedBranch, LoopPosition, RunDownload, WorkflowRunOutcome, WorkflowRunParams } from './run-types.ts';

const RECORD_CONFIG: StepConfig = { retries: { limit: 2, delay: 500, backoff: 'constant' }, timeout: '1 minute' };
const SETUP_CONFIG: StepConfig = { retries: { limit: 3, delay: 1000, backoff: 'exponential' }, timeout: '5 minutes' };
const DECISION_CONFIG: StepConfig = { retries: { limit: 2, delay: 2000, backoff: 'exponential' }, timeout: '10 minutes' };
const FINISH_CONFIG: StepConfig = { retries: { limit: 2, delay: 1000, backoff: 'constant' }, timeout: '5 minutes' };
/** Skyvern's default `max_elapsed_time_minutes`. */
export const DEFAULT_MAX_ELAPSED_MINUTES = 240;
const MAX_OUTCOME_OUTPUTS = 256 * 1024;
const MAX_REASON = 2000;
/** How often a block interrupted by a worker crash runs again before it counts as failed. */
const MAX_INTERRUPTED_RERUNS = 3;

/** What `run:setup` records. */
type Setup = {
  startedAt: string;
  deadline: number;
  values: Record<string, JsonValue>;
  credentials: Record<string, string>;
  contexts: Array<{ key: string; source: string }>;
  unavailable: Array<{ key: string; parameterType: VaultParameterType }>;
  seed: BrowserCheckpoint | null;
  seedSource: BrowserSeedSource;
  error?: string;
};

/** The mutable state of one invocation, rebuilt from step outputs on every replay. */
type RunState = {
  records: BlockRecord[];
  outputs: Record<string, unknown>;
  values: Record<string, unknown>;
  checkpoint: BrowserCheckpoint | null;
  downloads: RunDownload[];
  stepCount: number;
  usage: { inputTokens: number; outputTokens: number; costUsd: number | null };
  screenshots: string[];
};

type ListResult = { records: BlockRecord[]; stop: { record: BlockRecord; block: Block } | null };

function messageOf(error: unknown): string {
  if (isPetrelError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}

function clip(text: string, max = MAX_REASON): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function systemError(error: unknown): RunError[] {
  const code = isPetrelError(error) ? error.code : (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? [{ error_code: code, reasoning: clip(messageOf(error), 500), confidence_float: 1, error_type: 'SYSTEM_DEFINED_ERROR' }] : [];
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'InvocationAbort' || name === 'WorkflowFatal';
}

/** A failed (or timed out) block record's fields from an error. */
function failure(error: unknown, prefix = ''): Partial<BlockRecord> {
  return {
    status: isPetrelError(error) && (error.code === 'TIMEOUT' || error.code === 'STEP_TIMEOUT') ? 'timed_out' : 'failed',
    failureReason: clip(`${prefix}${messageOf(error)}`),
    errorCodes: systemError(error),
  };
}

/** One iteration of a loop's output: Skyvern's `[{ loop_value, output_parameter, output_value }, …]`. */
function iterationOutput(records: readonly BlockRecord[], value: unknown): unknown[] {
  return records.map((record) => ({ loop_value: value, output_parameter: { key: outputParameterKey(record.label) }, output_value: record.output, status: record.status }));
}

/** The fields of a block shown in its timeline record (Skyvern's `WorkflowRunBlock` names), from the rendered block. */
function timelineFields(block: Block): Record<string, unknown> {
  const source = block as unknown as Record<string, unknown>;
  const pick = ['url', 'navigation_goal', 'data_extraction_goal', 'data_schema', 'terminate_criterion', 'complete_criterion', 'engine', 'recipients', 'subject', 'body', 'prompt', 'instructions', 'positive_descriptor', 'negative_descriptor', 'title', 'include_action_history_in_verification'];
  const fields: Record<string, unknown> = {};
  for (const key of pick) if (source[key] !== undefined && source[key] !== null && source[key] !== '') fields[key] = source[key];
  if (block.block_type === 'send_email' && block.file_attachments) fields['attachments'] = block.file_attachments;
  if (block.block_type === 'task_v2') fields['navigation_goal'] = block.prompt;
  return fields;
}

/** Renders the templated fields of a block (skyvern.md §2.5); control-flow expressions are evaluated where they are used. */
export function renderBlock(block: Block, context: TemplateContext): Block {
  const copy: Record<string, unknown> = { ...(block as unknown as Record<string, unknown>) };
  for (const field of TEMPLATED_FIELDS[block.block_type]) {
    if (field === 'loop_variable_reference' || field === 'branch_conditions' || field === 'condition') continue;
    const value = copy[field];
    if (value === undefined || value === null) continue;
    try {
      copy[field] = renderValue(value, context);
    } catch (error) {
      if (isPetrelError(error)) throw new PetrelError(error.code, `block ${block.label}: ${field}: ${error.message}`, { details: { field, ...(typeof error.details === 'object' ? error.details : {}) } });
      throw error;
    }
  }
  return copy as unknown as Block;
}

/** Everything one run of a version needs besides the engine's event and step. */
export type InterpretInput = {
  definition: ParsedBlockWorkflow;
  deps: InterpreterDeps;
};

/** Runs one block workflow run (the body of the version's engine workflow). */
export async function interpretWorkflowRun(event: WorkflowEvent<WorkflowRunParams>, step: WorkflowStepBase, input: InterpretInput): Promise<WorkflowRunOutcome> {
  const { deps, definition } = input;
  const params = event.payload;
  const request = params.request;
  const runId = event.instanceId;
  const namespace = event.namespace;
  const createdAt = event.timestamp.getTime();
  const wd = definition.workflow_definition;
  const runtime = deps.runtime;
  const logger = deps.logger.child({ runId, workflow: params.workflowPermanentId });
  const registry = deps.executors;

  // 1. Setup -----------------------------------------------------------------------------------
  const setup = await step.do<Setup>('run:setup', SETUP_CONFIG, async (ctx) => {
    const startedAt = new Date(deps.now()).toISOString();
    const minutes = request.max_elapsed_time_minutes ?? definition.max_elapsed_time_minutes ?? DEFAULT_MAX_ELAPSED_MINUTES;
    const base: Setup = {
      startedAt,
      deadline: createdAt + minutes * 60_000,
      values: {},
      credentials: {},
      contexts: [],
      unavailable: [],
      seed: null,
      seedSource: 'fresh',
    };
    let resolved;
    try {
      resolved = resolveRunParameters(wd, params.parameters);
    } catch (error) {
      return { ...base, error: messageOf(error) };
    }
    for (const parameter of Object.values(resolved.parameters)) {
      if (parameter.kind === 'value') base.values[parameter.key] = parameter.value;
      else if (parameter.kind === 'credential') base.credentials[parameter.key] = parameter.credentialId;
      else if (parameter.kind === 'context') base.contexts.push({ key: parameter.key, source: parameter.sourceParameterKey });
      else base.unavailable.push({ key: parameter.key, parameterType: parameter.parameterType });
    }
    try {
      const seed = await resolveBrowserSeed({
        blobStore: deps.blobStore,
        namespace,
        runId,
        workflowPermanentId: params.workflowPermanentId,
        developerUserId: params.developerUserId,
        persist: definition.persist_browser_session,
        startFresh: request.start_fresh_browser,
        attached: Boolean(request.browser_session_id || request.browser_address),
        profileId: request.browser_profile_id ?? definition.browser_profile_id ?? null,
        parentCheckpoint: params.parentCheckpoint ?? null,
        loadProfile: deps.loadBrowserProfile,
        takenAt: startedAt,
        signal: ctx.signal,
      });
      return { ...base, seed: seed.checkpoint, seedSource: seed.source };
    } catch (error) {
      if (isPetrelError(error) && error.nonRetryable) return { ...base, error: messageOf(error) };
      throw error;
    }
  });

  const state: RunState = {
    records: [],
    outputs: {},
    values: { ...setup.values },
    checkpoint: setup.seed,
    downloads: [],
    stepCount: 0,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: null },
    screenshots: [],
  };
  const agentInput: AgentInputBase = {
    runId,
    url: null,
    parameters: setup.values,
    credentials: setup.credentials,
    totpIdentifier: request.totp_identifier ?? definition.totp_identifier ?? null,
    totpUrl: request.totp_url ?? definition.totp_verification_url ?? null,
    browser: {
      sessionId: request.browser_session_id ?? null,
      address: request.browser_address ?? null,
      extraHttpHeaders: request.extra_http_headers ?? definition.extra_http_headers ?? null,
    },
    model: request.model ?? definition.model ?? null,
    deadline: setup.deadline,
    createdAt,
    keepBrowser: true,
  };
  const unavailable = Object.fromEntries(setup.unavailable.map((u) => [u.key, unavailableParameterError(u)]));
  const workflowInfo = { title: definition.title, workflowId: params.workflowId, workflowPermanentId: params.workflowPermanentId, workflowRunId: runId };

  const services: RunServices = {
    developerUserId: params.developerUserId,
    humanInteractionLinks: async (label) => {
      const token = humanInteractionToken(await deps.humanInteractionSecret(namespace), namespace, runId, label);
      const base = currentPublicBaseUrl(deps);
      const links = base === undefined ? { approveUrl: null, rejectUrl: null } : humanInteractionLinks(base, namespace, runId, label, token);
      return { token, ...links };
    },
    ...(deps.startChildRun
      ? {
          startChildRun: (child) =>
            (deps.startChildRun as NonNullable<typeof deps.startChildRun>)(namespace, { ...child, parentRunId: runId, developerUserId: params.developerUserId }),
        }
      : {}),
  };

  /**
   * What the agent is given: the run's parameter values as they are now (context parameters
   * included). A block that lists `parameter_keys` shows the model only those, block outputs named
   * there included (Skyvern's navigation payload); every credential stays known to the redactor.
   */
  const agentContext = (block?: Block): AgentBlockContext => {
    const keys = block && 'parameter_keys' in block ? (block.parameter_keys ?? []) : [];
    const parameters: Record<string, unknown> = { ...state.values };
    for (const key of keys) {
      const label = key.endsWith('_output') ? key.slice(0, -'_output'.length) : undefined;
      if (!Object.hasOwn(parameters, key) && label !== undefined && Object.hasOwn(state.outputs, label)) parameters[key] = state.outputs[label];
    }
    return {
      runtime,
      input: { ...agentInput, parameters, ...(keys.length > 0 ? { shownParameterKeys: keys } : {}) },
      stepsLeft: params.maxStepsOverride ? Math.max(0, params.maxStepsOverride - state.stepCount) : null,
    };
  };

  /** The template variables at a position (secrets as placeholders). */
  const templates = async (loops: readonly LoopPosition[]): Promise<TemplateContext> => {
    const secrets = await runSecrets(runtime, namespace, agentInput);
    const parameters: Record<string, unknown> = { ...state.values };
    for (const key of Object.keys(setup.credentials)) parameters[key] = secrets.parameters?.[key];
    const loop = loops.at(-1);
    return createTemplateContext({
      parameters,
      blockOutputs: state.outputs,
      ...(loop ? { loop: { value: loop.value, index: loop.index } } : {}),
      workflow: workflowInfo,
      ...(request.browser_session_id ? { browserSessionId: request.browser_session_id } : {}),
      now: new Date(deps.now()),
    });
  };

  const applyRecord = (record: BlockRecord): void => {
    state.records.push(record);
    state.outputs[record.label] = record.output;
    if (record.checkpoint) state.checkpoint = record.checkpoint;
    state.downloads.push(...record.downloadedFiles);
    state.stepCount += record.stepCount;
    state.screenshots.unshift(...record.screenshotArtifactIds);
    if (record.usage) {
      state.usage.inputTokens += record.usage.inputTokens;
      state.usage.outputTokens += record.usage.outputTokens;
      if (record.usage.costUsd !== null) state.usage.costUsd = Math.round(((state.usage.costUsd ?? 0) + record.usage.costUsd) * 1e6) / 1e6;
    }
    for (const context of setup.contexts) {
      if (context.source === outputParameterKey(record.label) || context.source === record.label) {
        const value = resolveContextParameter({ key: context.key }, record.output);
        if (value !== undefined) state.values[context.key] = value;
      }
    }
  };

  const baseRecord = (block: Block, loops: readonly LoopPosition[], startedAt: string, fields: Partial<BlockRecord>): BlockRecord => ({
    kind: 'petrel.block',
    label: block.label,
    blockType: block.block_type,
    stepName: blockStepName(block.label, loops),
    status: 'completed',
    output: null,
    failureReason: null,
    errorCodes: [],
    startedAt,
    finishedAt: new Date(deps.now()).toISOString(),
    continueOnFailure: block.continue_on_failure,
    loops: [...loops],
    downloadedFiles: [],
    stepCount: 0,
    screenshotArtifactIds: [],
    timeline: timelineFields(block),
    ...fields,
  });

  /** Records a block that did not run its executor (failed before, timed out, unsupported). */
  const recordOnly = async (block: Block, loops: readonly LoopPosition[], fields: Partial<BlockRecord>): Promise<BlockRecord> => {
    const record = await step.do(blockStepName(block.label, loops), RECORD_CONFIG, () => baseRecord(block, loops, new Date(deps.now()).toISOString(), fields));
    applyRecord(record);
    return record;
  };


  /** The context a block's executor gets. */
  const blockContext = (
    block: Block,
    loops: readonly LoopPosition[],
    signal: AbortSignal,
    secrets: Awaited<ReturnType<typeof runSecrets>>,
    files: ReturnType<typeof createRunFiles>,
    recorder: ReturnType<typeof runArtifactRecorder>,
    browserUse: { opened: boolean },
  ): BlockContext => {
    const parameters: Record<string, unknown> = {};
    for (const [label, output] of Object.entries(state.outputs)) parameters[outputParameterKey(label)] = output;
    Object.assign(parameters, state.values);
    for (const key of Object.keys(setup.credentials)) parameters[key] = secrets.parameters?.[key];
    const loop = loops.at(-1);
    if (loop) Object.assign(parameters, { current_value: loop.value, current_item: loop.value, current_index: loop.index });
    const agent = agentContext(block);
    let model;
    try {
      model = runtime.model(block.model ?? agentInput.model ?? null);
    } catch {
      model = undefined;
    }
    let systemPrompt: string | undefined;
    if (wd.workflow_system_prompt && !block.ignore_workflow_system_prompt) {
      try {
        systemPrompt = renderTemplate(wd.workflow_system_prompt, createTemplateContext({ parameters: state.values, blockOutputs: state.outputs, workflow: workflowInfo }));
      } catch {
        systemPrompt = wd.workflow_system_prompt;
      }
    }
    return {
      runId,
      label: block.label,
      signal,
      logger: logger.child({ block: block.label }),
      redactor: secrets.redactor,
      parameters,
      unavailableParameters: unavailable,
      fetch: deps.fetch,
      files,
      ...(model ? { model } : {}),
      ...(systemPrompt ? { systemPrompt } : {}),
      ...(deps.mailer ? { mailer: deps.mailer } : {}),
      ...(deps.createMailer ? { createMailer: deps.createMailer } : {}),
      ...(deps.s3 ? { s3: deps.s3 } : {}),
      ...(deps.codeLimits ? { codeLimits: deps.codeLimits } : {}),
      browser: async () => {
        const { run } = await openBlockBrowser(agent, namespace, state.checkpoint, signal);
        browserUse.opened = true;
        return run;
      },
      recordArtifact: (type, body, options) => recorder.record(type, body, options),
      namespace,
      workflowPermanentId: params.workflowPermanentId,
      workflowId: params.workflowId,
      position: { stepName: blockStepName(block.label, loops), loops: [...loops] },
      checkpoint: state.checkpoint,
      agent,
      services,
    };
  };

  const resultRecord = (
    block: Block,
    rendered: Block,
    loops: readonly LoopPosition[],
    startedAt: string,
    result: BlockResult,
    added: readonly RunDownload[],
  ): BlockRecord => {
    const files: RunDownload[] = [...added];
    const known = new Set(files.map((file) => file.artifactId).filter((id) => id !== null));
    const taken = new Set([...state.downloads, ...files].map((file) => file.name));
    for (const file of result.downloadedFiles ?? []) {
      if (file.artifactId !== null && known.has(file.artifactId)) continue;
      let name = file.filename;
      for (let n = 1; taken.has(name); n++) {
        const dot = file.filename.lastIndexOf('.');
        name = dot > 0 ? `${file.filename.slice(0, dot)} (${n})${file.filename.slice(dot)}` : `${file.filename} (${n})`;
      }
      taken.add(name);
      files.push({
        name,
        size: file.size,
        sha256: file.sha256,
        contentType: null,
        artifactId: file.artifactId,
        key: null,
        sourceUrl: file.sourceUrl ?? null,
        createdAt: new Date(deps.now()).toISOString(),
      });
    }
    const usage = (result as { usage?: BlockRecord['usage'] }).usage;
    return baseRecord(rendered, loops, startedAt, {
      label: block.label,
      status: result.status,
      output: result.output === undefined ? null : result.output,
      failureReason: result.failureReason ? clip(result.failureReason) : null,
      errorCodes: result.errorCodes ?? [],
      downloadedFiles: files,
      ...(result.checkpoint ? { checkpoint: result.checkpoint } : {}),
      stepCount: result.stepCount ?? 0,
      screenshotArtifactIds: [...(result.screenshotArtifactIds ?? [])],
      ...(usage ? { usage } : {}),
      ...(typeof result.timeline?.['child_run_id'] === 'string' ? { childRunId: result.timeline['child_run_id'] } : {}),
      timeline: { ...timelineFields(rendered), ...result.timeline },
    });
  };

  // 2. Blocks ----------------------------------------------------------------------------------
  const runExecutorBlock = async (block: Block, loops: readonly LoopPosition[]): Promise<BlockRecord> => {
    const stepName = blockStepName(block.label, loops);
    const entry = registry.find(block.block_type);
    if (UNSUPPORTED_BLOCK_TYPES.has(block.block_type) || !entry) {
      return recordOnly(block, loops, {
        status: 'failed',
        failureReason: `UNSUPPORTED_BLOCK: ${block.block_type} blocks are not supported by Petrel yet`,
        errorCodes: [{ error_code: 'UNSUPPORTED_BLOCK', reasoning: `${block.block_type} blocks are not supported by Petrel yet`, confidence_float: 1, error_type: 'SYSTEM_DEFINED_ERROR' }],
      });
    }

    if (entry.kind === 'step') {
      const execute = async (ctx: StepContext): Promise<BlockRecord> => {
        const startedAt = new Date(deps.now()).toISOString();
        const secrets = await runSecrets(runtime, namespace, agentInput);
        let rendered: Block;
        try {
          rendered = renderBlock(withWorkflowErrorCodes(block, wd.error_code_mapping), await templates(loops));
        } catch (error) {
          return baseRecord(block, loops, startedAt, failure(error));
        }
        const recorder = runArtifactRecorder(runtime, deps.blobStore, namespace, runId, logger);
        const files = createRunFiles({
          runId,
          blobStore: deps.blobStore,
          downloads: state.downloads,
          recorder,
          ...(deps.resolveFile ? { resolveFile: (reference, options) => (deps.resolveFile as NonNullable<typeof deps.resolveFile>)(namespace, reference, options) } : {}),
          now: deps.now,
        });
        const browserUse = { opened: false };
        const context = blockContext(block, loops, ctx.signal, secrets, files, recorder, browserUse);
        // Thrown errors are retried per the block's config; the last one becomes a failed record.
        let result = await entry.run(rendered, context);
        if (browserUse.opened && !result.checkpoint) {
          try {
            result = { ...result, checkpoint: await runtime.browsers.checkpoint(runId, { signal: ctx.signal }) };
          } catch (error) {
            logger.warn({ err: messageOf(error), block: block.label }, 'blocks: no checkpoint after the block used the browser');
          }
        }
        return resultRecord(block, rendered, loops, startedAt, result, files.added);
      };
      let record: BlockRecord | undefined;
      // A worker that died mid-block leaves the attempt interrupted; the block runs again (at least once), as a new step of the same name.
      for (let interrupted = 0; record === undefined; interrupted++) {
        try {
          record = await step.do(stepName, blockStepConfigOf(block), execute);
        } catch (error) {
          if (isAbort(error)) throw error;
          if (isPetrelError(error) && error.code === 'ATTEMPT_INTERRUPTED' && interrupted < MAX_INTERRUPTED_RERUNS) continue;
          record = await step.do(stepName, RECORD_CONFIG, () => baseRecord(block, loops, new Date(deps.now()).toISOString(), failure(error)));
        }
      }
      applyRecord(record);
      return record;
    }

    // A durable executor: its rendered fields first, then its own steps, then its record.
    const start = await step.do(`${stepName}/start`, RECORD_CONFIG, async () => {
      const startedAt = new Date(deps.now()).toISOString();
      try {
        return { startedAt, rendered: renderBlock(withWorkflowErrorCodes(block, wd.error_code_mapping), await templates(loops)) as unknown as Record<string, unknown>, error: null };
      } catch (error) {
        return { startedAt, rendered: null, error: failure(error) };
      }
    });
    if (start.error || !start.rendered) {
      const record = await step.do(stepName, RECORD_CONFIG, () => baseRecord(block, loops, start.startedAt, start.error ?? {}));
      applyRecord(record);
      return record;
    }
    const rendered = start.rendered as unknown as Block;
    let thrown: unknown;
    const secrets = await runSecrets(runtime, namespace, agentInput).catch((error: unknown) => {
      thrown = error;
      return undefined;
    });
    let result: BlockResult | undefined;
    if (secrets) {
      const recorder = runArtifactRecorder(runtime, deps.blobStore, namespace, runId, logger);
      const files = createRunFiles({ runId, blobStore: deps.blobStore, downloads: state.downloads, recorder, now: deps.now });
      // A durable executor's work happens in its own steps, each with its own signal; this one never fires.
      const never = new AbortController().signal;
      const context: DurableBlockContext = { ...blockContext(block, loops, never, secrets, files, recorder, { opened: false }), step };
      try {
        result = await entry.run(rendered, context);
      } catch (error) {
        if (isAbort(error)) throw error;
        thrown = error;
      }
    }
    const record = await step.do(stepName, RECORD_CONFIG, () =>
      result ? resultRecord(block, rendered, loops, start.startedAt, result, []) : baseRecord(rendered, loops, start.startedAt, failure(thrown)),
    );
    applyRecord(record);
    return record;
  };

  const deadlinePassed = (): boolean => deps.now() >= setup.deadline;

  const runBlock = async (block: Block, loops: readonly LoopPosition[], fallThrough: string | undefined): Promise<BlockRecord> => {
    if (deadlinePassed()) {
      const minutes = Math.round((setup.deadline - createdAt) / 60_000);
      return recordOnly(block, loops, {
        status: 'timed_out',
        failureReason: `The run passed its time limit (max_elapsed_time_minutes ${minutes}) before block ${block.label}.`,
        errorCodes: [{ error_code: 'TIMEOUT', reasoning: 'max_elapsed_time_minutes reached', confidence_float: 1, error_type: 'SYSTEM_DEFINED_ERROR' }],
      });
    }
    if (block.block_type === 'for_loop') return runForLoop(block, loops);
    if (block.block_type === 'while_loop') return runWhileLoop(block, loops);
    if (block.block_type === 'conditional') return runConditional(block, loops, fallThrough);
    return runExecutorBlock(block, loops);
  };

  const runList = async (blocks: readonly Block[], loops: readonly LoopPosition[], finallyLabel?: string | null): Promise<ListResult> => {
    const routing = routeBlocks(blocks, finallyLabel);
    const byLabel = new Map(routing.flow.map((block) => [block.label, block]));
    const position = new Map(routing.flow.map((block, index) => [block.label, index]));
    const visits = new Map<string, number>();
    const records: BlockRecord[] = [];
    let current = routing.entry;
    while (current !== undefined) {
      const block = byLabel.get(current);
      if (!block) break;
      const visit = (visits.get(current) ?? 0) + 1;
      visits.set(current, visit);
      if (visit > MAX_LOOP_ITERATIONS) {
        const record = await recordOnly(block, loops, { status: 'failed', failureReason: `Block ${block.label} ran ${MAX_LOOP_ITERATIONS} times; the graph is looping without end.` });
        records.push(record);
        return { records, stop: { record, block } };
      }
      const fallThrough = routing.flow[(position.get(current) ?? -1) + 1]?.label;
      const record = await runBlock(block, loops, fallThrough);
      records.push(record);
      if (record.status !== 'completed' && record.status !== 'skipped' && !block.continue_on_failure) return { records, stop: { record, block } };
      current = block.block_type === 'conditional' ? (record.branch?.next ?? undefined) : routing.successors.get(block.label)?.[0];
    }
    return { records, stop: null };
  };

  /** Runs one iteration's blocks; `next_loop_on_failure` (of the failed block or the loop) moves on. */
  const runIteration = async (loop: ForLoopBlock | WhileLoopBlock, position: LoopPosition[]): Promise<{ records: BlockRecord[]; stop: BlockRecord | null }> => {
    const result = await runList(loop.loop_blocks, position);
    if (!result.stop) return { records: result.records, stop: null };
    if (result.stop.block.next_loop_on_failure || loop.next_loop_on_failure) return { records: result.records, stop: null };
    return { records: result.records, stop: result.stop.record };
  };


  const resolveLoopValues = async (block: ForLoopBlock, loops: readonly LoopPosition[], signal: AbortSignal): Promise<{ values: unknown[]; usage?: BlockRecord['usage'] }> => {
    const context = await templates(loops);
    const reference = (block.loop_variable_reference ?? '').trim();
    let value: unknown;
    if (reference === '') {
      const key = block.loop_over_parameter_key.trim();
      if (key === '') throw new PetrelError('VALIDATION_FAILED', `for_loop ${block.label}: give loop_variable_reference or loop_over_parameter_key`, { details: { field: 'loop_variable_reference' } });
      const label = key.endsWith('_output') ? key.slice(0, -'_output'.length) : key;
      value = Object.hasOwn(state.values, key) ? state.values[key] : state.outputs[label];
    } else if (hasTemplateSyntax(reference)) {
      const whole = /^\{\{([\s\S]*)\}\}$/.exec(reference);
      value = whole && !whole[1]?.includes('}}') ? renderValue(`{{ ${whole[1]?.trim()} | json }}`, context) : renderTemplate(reference, context);
    } else if (Object.hasOwn(state.values, reference) || Object.hasOwn(state.outputs, reference.replace(/_output$/, ''))) {
      value = Object.hasOwn(state.values, reference) ? state.values[reference] : state.outputs[reference.replace(/_output$/, '')];
    } else {
      // A description of the list: extract it from the current page (Skyvern's natural-language loop).
      const agent = agentContext();
      const { run, secrets } = await openBlockBrowser(agent, namespace, state.checkpoint, signal);
      const itemSchema = normalizeDataSchema(block.data_schema ?? { type: 'string' });
      const schema = compileExtractionSchema({ type: 'object', properties: { loop_values: { type: 'array', items: typeof itemSchema === 'object' && itemSchema !== null ? itemSchema : { type: 'string', description: typeof itemSchema === 'string' ? itemSchema : 'an item' } } }, required: ['loop_values'] }, 'data_schema');
      const extracted = await extractFromPage({
        run,
        observation: await run.observe({ signal }),
        model: runtime.model(agentInput.model ?? null),
        schema,
        goal: `Extract the list to loop over: ${reference}`,
        redactor: secrets.redactor,
        chunkTokens: runtime.extractionChunkTokens,
        signal,
      });
      value = (extracted.data as { loop_values?: unknown } | null)?.loop_values;
      return { values: normalizeLoopValues(block.label, value), usage: { inputTokens: extracted.usage.inputTokens, outputTokens: extracted.usage.outputTokens, costUsd: extracted.usage.costUsd } };
    }
    return { values: normalizeLoopValues(block.label, value) };
  };

  const runForLoop = async (block: ForLoopBlock, loops: readonly LoopPosition[]): Promise<BlockRecord> => {
    const stepName = blockStepName(block.label, loops);
    const resolved = await step.do(`${stepName}/values`, DECISION_CONFIG, async (ctx) => {
      const startedAt = new Date(deps.now()).toISOString();
      try {
        const found = await resolveLoopValues(block, loops, ctx.signal);
        return { startedAt, values: found.values, usage: found.usage ?? null, error: null };
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        if (isPetrelError(error) && !error.nonRetryable && ctx.attempt <= 2) throw error;
        return { startedAt, values: null, usage: null, error: failure(error, 'loop values: ') };
      }
    });
    const loopFields = (fields: Partial<BlockRecord>): Partial<BlockRecord> => ({ ...fields, ...(resolved.usage ? { usage: resolved.usage } : {}) });
    if (resolved.error || !resolved.values) return recordOnly(block, loops, loopFields({ ...resolved.error, startedAt: resolved.startedAt }));
    const values = resolved.values;
    if (values.length > MAX_LOOP_ITERATIONS) {
      return recordOnly(block, loops, loopFields({ status: 'failed', failureReason: `The loop has ${values.length} values, more than the limit of ${MAX_LOOP_ITERATIONS}.`, loopValues: values.slice(0, 20) }));
    }
    if (values.length === 0) {
      return recordOnly(
        block,
        loops,
        loopFields(block.complete_if_empty ? { output: [], loopValues: [] } : { status: 'failed', failureReason: 'The loop has no values to iterate over (set complete_if_empty to complete instead).', output: [], loopValues: [] }),
      );
    }
    const iterations: unknown[] = [];
    let stop: BlockRecord | null = null;
    let failedIterations = 0;
    for (let index = 0; index < values.length; index++) {
      const position = [...loops, { label: block.label, index, value: values[index] }];
      const iteration = await runIteration(block, position);
      iterations.push(iterationOutput(iteration.records, values[index]));
      if (iteration.records.some((record) => record.status !== 'completed' && record.status !== 'skipped')) failedIterations++;
      if (iteration.stop) {
        stop = iteration.stop;
        break;
      }
    }
    const record = await step.do(stepName, RECORD_CONFIG, () =>
      baseRecord(block, loops, resolved.startedAt, {
        status: stop ? stop.status : 'completed',
        output: iterations,
        loopValues: values,
        failureReason: stop ? clip(`Iteration ${stop.loops.at(-1)?.index ?? '?'}: block ${stop.label} ${stop.status}: ${stop.failureReason ?? ''}`) : null,
        errorCodes: stop ? stop.errorCodes : [],
        ...(resolved.usage ? { usage: resolved.usage } : {}),
        timeline: { ...timelineFields(block), loop_values: values, failed_iterations: failedIterations },
      }),
    );
    applyRecord(record);
    return record;
  };

  /** Evaluates a criteria (Jinja, or a question about the page) at a position. */
  const evaluateCriteria = async (
    criteria: { criteria_type: 'jinja2_template' | 'prompt'; expression: string },
    loops: readonly LoopPosition[],
    label: string,
    signal: AbortSignal,
  ): Promise<{ result: boolean; usage?: BlockRecord['usage'] }> => {
    const context = await templates(loops);
    if (criteria.criteria_type === 'jinja2_template') {
      const expression = hasTemplateSyntax(criteria.expression) ? criteria.expression : `{{ ${criteria.expression} }}`;
      return { result: evaluateCondition(expression, context) };
    }
    const answers = await askPrompts([renderTemplate(criteria.expression, context)], label, signal);
    return { result: answers.results[0] ?? false, usage: answers.usage };
  };

  /** Asks the model, in one call, which of these statements hold on the current page. */
  const askPrompts = async (statements: readonly string[], label: string, signal: AbortSignal): Promise<{ results: boolean[]; usage: BlockRecord['usage'] }> => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        results: {
          type: 'array',
          items: { type: 'object', properties: { index: { type: 'integer' }, result: { type: 'boolean' }, reasoning: { type: 'string' } }, required: ['index', 'result', 'reasoning'], additionalProperties: false },
        },
      },
      required: ['results'],
      additionalProperties: false,
    };
    const answer = await askAboutPage({
      agent: agentContext(),
      namespace,
      checkpoint: state.checkpoint,
      system: 'You evaluate conditions of a workflow against the current web page and the data given. For each numbered condition answer true or false. Answer with JSON only.',
      prompt: (page) =>
        `CONDITIONS:\n${statements.map((text, index) => `${index}: ${text}`).join('\n')}\n${page === null ? 'There is no page open.' : `PAGE:\n${page}`}`,
      schema,
      name: 'conditions',
      label,
      signal,
      recorder: runArtifactRecorder(runtime, deps.blobStore, namespace, runId, logger),
    });
    const list = (answer.object as { results?: Array<{ index?: unknown; result?: unknown }> }).results ?? [];
    const results = statements.map((_, index) => list.find((item) => item.index === index)?.result === true);
    return { results, usage: answer.usage };
  };

  const runConditional = async (block: ConditionalBlock, loops: readonly LoopPosition[], fallThrough: string | undefined): Promise<BlockRecord> => {
    const stepName = blockStepName(block.label, loops);
    let record: BlockRecord;
    try {
      record = await step.do(stepName, DECISION_CONFIG, async (ctx) => {
        const startedAt = new Date(deps.now()).toISOString();
        const context = await templates(loops);
        const branches = block.branch_conditions;
        const results: Array<boolean | null> = branches.map(() => null);
        let chosen = -1;
        let usage: BlockRecord['usage'] | undefined;
        // Jinja branches in order; the prompt branches (one model call) only when no earlier Jinja branch decided.
        const firstPrompt = branches.findIndex((branch) => branch.criteria?.criteria_type === 'prompt');
        for (const [index, branch] of branches.entries()) {
          if (!branch.criteria || branch.criteria.criteria_type !== 'jinja2_template') continue;
          const expression = hasTemplateSyntax(branch.criteria.expression) ? branch.criteria.expression : `{{ ${branch.criteria.expression} }}`;
          results[index] = evaluateCondition(expression, context);
        }
        const jinjaWinner = results.findIndex((result) => result === true);
        if (jinjaWinner >= 0 && (firstPrompt < 0 || jinjaWinner < firstPrompt)) {
          chosen = jinjaWinner;
        } else if (firstPrompt >= 0) {
          const promptIndexes = branches.flatMap((branch, index) => (branch.criteria?.criteria_type === 'prompt' ? [index] : []));
          const asked = await askPrompts(
            promptIndexes.map((index) => renderTemplate(branches[index]?.criteria?.expression ?? '', context)),
            block.label,
            ctx.signal,
          );
          usage = asked.usage;
          promptIndexes.forEach((branchIndex, i) => (results[branchIndex] = asked.results[i] ?? false));
          chosen = results.findIndex((result) => result === true);
        }
        if (chosen < 0) chosen = branches.findIndex((branch) => branch.is_default);
        const branch = chosen >= 0 ? branches[chosen] : undefined;
        const next = branch ? (branch.next_block_label || fallThrough) : conditionalFallbackTarget(block, fallThrough);
        const executed: ExecutedBranch = {
          id: chosen >= 0 ? `${block.label}:${chosen}` : `${block.label}:none`,
          expression: branch ? (branch.is_default ? 'default' : (branch.criteria?.expression ?? null)) : null,
          result: branch ? (branch.is_default ? null : (results[chosen] ?? null)) : null,
          next: next ?? null,
        };
        return baseRecord(block, loops, startedAt, {
          output: {
            executed_branch_id: executed.id,
            executed_branch_expression: executed.expression,
            executed_branch_result: executed.result,
            executed_branch_next_block: executed.next,
            branch_results: results,
          },
          branch: executed,
          ...(usage ? { usage } : {}),
        });
      });
    } catch (error) {
      if (isAbort(error)) throw error;
      record = await step.do(stepName, RECORD_CONFIG, () => baseRecord(block, loops, new Date(deps.now()).toISOString(), failure(error)));
    }
    applyRecord(record);
    return record;
  };

  const runWhileLoop = async (block: WhileLoopBlock, loops: readonly LoopPosition[]): Promise<BlockRecord> => {
    const stepName = blockStepName(block.label, loops);
    const startedAt = await step.do(`${stepName}/start`, RECORD_CONFIG, () => new Date(deps.now()).toISOString());
    const iterations: unknown[] = [];
    let stop: BlockRecord | null = null;
    let usage: BlockRecord['usage'] | undefined;
    for (let index = 0; ; index++) {
      if (index >= MAX_LOOP_ITERATIONS) {
        stop = baseRecord(block, loops, startedAt, { status: 'failed', failureReason: `The loop ran ${MAX_LOOP_ITERATIONS} iterations without its condition turning false.` });
        break;
      }
      const position = [...loops, { label: block.label, index, value: null }];
      const check = await step.do(`${stepName}/condition-${index}`, DECISION_CONFIG, async (ctx) => {
        try {
          const found = await evaluateCriteria(block.condition, position, `${block.label}-condition-${index}`, ctx.signal);
          return { result: found.result, usage: found.usage ?? null, error: null };
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          return { result: false, usage: null, error: failure(error, 'condition: ') };
        }
      });
      if (check.usage) {
        usage ??= { inputTokens: 0, outputTokens: 0, costUsd: null };
        usage.inputTokens += check.usage.inputTokens;
        usage.outputTokens += check.usage.outputTokens;
        if (check.usage.costUsd !== null) usage.costUsd = (usage.costUsd ?? 0) + check.usage.costUsd;
      }
      if (check.error) {
        stop = baseRecord(block, loops, startedAt, check.error);
        break;
      }
      if (!check.result) break;
      const iteration = await runIteration(block, position);
      iterations.push(iterationOutput(iteration.records, null));
      if (iteration.stop) {
        stop = iteration.stop;
        break;
      }
    }
    const record = await step.do(stepName, RECORD_CONFIG, () =>
      baseRecord(block, loops, startedAt, {
        status: stop ? stop.status : 'completed',
        output: iterations,
        failureReason: stop ? clip(stop.label === block.label ? (stop.failureReason ?? '') : `Iteration ${stop.loops.at(-1)?.index ?? '?'}: block ${stop.label} ${stop.status}: ${stop.failureReason ?? ''}`) : null,
        errorCodes: stop ? stop.errorCodes : [],
        ...(usage ? { usage } : {}),
      }),
    );
    applyRecord(record);
    return record;
  };

  // 3. The run ---------------------------------------------------------------------------------
  let status: WorkflowRunOutcome['status'] = 'completed';
  let failureReason: string | null = null;
  if (setup.error) {
    status = 'failed';
    failureReason = clip(`The run could not start: ${setup.error}`);
  } else {
    const finallyLabel = wd.finally_block_label ?? null;
    const main = await runList(wd.blocks, [], finallyLabel);
    if (main.stop) {
      status = toRunOutcomeStatus(main.stop.record.status);
      failureReason = clip(`Block ${main.stop.record.label} ${main.stop.record.status}: ${main.stop.record.failureReason ?? 'no reason given'}`);
    }
    const finallyBlock = finallyLabel ? wd.blocks.find((block) => block.label === finallyLabel) : undefined;
    if (finallyBlock) {
      const record = await runBlock(finallyBlock, [], undefined);
      if (status === 'completed' && record.status !== 'completed' && record.status !== 'skipped' && !finallyBlock.continue_on_failure) {
        status = toRunOutcomeStatus(record.status);
        failureReason = clip(`Block ${record.label} ${record.status}: ${record.failureReason ?? 'no reason given'}`);
      }
    }
  }

  const finish = await step.do('run:finish', FINISH_CONFIG, async (ctx) => {
    if (definition.persist_browser_session && state.checkpoint && !request.browser_session_id && !request.browser_address) {
      try {
        await savePersistedState(deps.blobStore, persistedStateKey(namespace, params.workflowPermanentId, params.developerUserId), runId, state.checkpoint, deps.now());
      } catch (error) {
        logger.warn({ err: messageOf(error) }, 'blocks: saving the persisted browser state failed');
      }
    }
    const summary = await runtime.browsers.release(runId, { signal: ctx.signal }).catch((error: unknown) => {
      logger.warn({ err: messageOf(error) }, 'blocks: closing the run browser failed');
      return undefined;
    });
    runtime.forget(runId);
    const artifacts = summary?.artifacts ?? [];
    return {
      recording: artifacts.find((artifact) => artifact.type === 'recording')?.artifactId ?? null,
      finalScreenshot: artifacts.find((artifact) => artifact.type === 'screenshot_final')?.artifactId ?? null,
    };
  });

  const outputs = runOutputOf(state.records);
  const errors: RunError[] = [];
  for (const record of state.records) if (record.status !== 'completed') errors.push(...record.errorCodes);
  const screenshots = finish.finalScreenshot ? [finish.finalScreenshot, ...state.screenshots] : state.screenshots;
  return {
    kind: 'petrel.workflow_run',
    status,
    failureReason,
    errors,
    outputs: Buffer.byteLength(JSON.stringify(outputs)) <= MAX_OUTCOME_OUTPUTS ? outputs : null,
    downloadedFiles: state.downloads,
    stepCount: state.stepCount,
    screenshotArtifactIds: screenshots.slice(0, 50),
    recordingArtifactId: finish.recording,
    usage: state.usage,
    checkpoint: state.checkpoint,
    browserSeedSource: setup.seedSource,
  };
}

function toRunOutcomeStatus(status: BlockStatus): WorkflowRunOutcome['status'] {
  switch (status) {
    case 'terminated':
      return 'terminated';
    case 'timed_out':
      return 'timed_out';
    case 'canceled':
      return 'canceled';
    case 'completed':
    case 'skipped':
      return 'completed';
    case 'failed':
      return 'failed';
    default: {
      const unknown: never = status;
      return unknown;
    }
  }
}

/** A loop's values as a list: arrays as they are, JSON text parsed, Skyvern's output shapes unwrapped. */
export function normalizeLoopValues(label: string, value: unknown): unknown[] {
  let current = value;
  if (typeof current === 'string') {
    const text = current.trim();
    if (text === '') return [];
    try {
      current = JSON.parse(text) as unknown;
    } catch {
      throw new PetrelError('VALIDATION_FAILED', `for_loop ${label}: loop_variable_reference rendered text that is not a list: ${JSON.stringify(text.slice(0, 200))}`, { details: { field: 'loop_variable_reference' } });
    }
  }
  if (current === null || current === undefined) return [];
  if (Array.isArray(current)) return current;
  if (typeof current === 'object') {
    const record = current as Record<string, unknown>;
    for (const path of [['extracted_information'], ['extracted_information', 'results'], ['results'], ['loop_values']]) {
      let found: unknown = record;
      for (const key of path) found = typeof found === 'object' && found !== null && !Array.isArray(found) ? (found as Record<string, unknown>)[key] : undefined;
      if (Array.isArray(found)) return found;
    }
    const arrays = Object.values(record).filter((item) => Array.isArray(item));
    if (arrays.length === 1) return arrays[0] as unknown[];
    throw new PetrelError('VALIDATION_FAILED', `for_loop ${label}: loop_variable_reference must give a list, got an object with keys ${Object.keys(record).slice(0, 10).join(', ')}`, {
      details: { field: 'loop_variable_reference' },
    });
  }
  return [current];
}

/** The step config a block runs with (`blockStepConfig`, in the engine's terms). */
function blockStepConfigOf(block: Block): StepConfig {
  const config = blockStepConfig(block);
  return { retries: { limit: config.retries.limit, delay: config.retries.delay as Duration, backoff: config.retries.backoff }, timeout: config.timeout as Duration };
}
