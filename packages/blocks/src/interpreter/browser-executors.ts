// Executors of the browser blocks, all on the run's one browser context (a blank `url` continues
// where the previous block stopped):
// - agent blocks (task, navigation, login, file_download, task_v2, and action when its selector
//   misses) run the agent loop as durable steps of the run (`runAgentTask` with the block's step
//   name as prefix), starting from the run's latest checkpoint and keeping the browser open;
// - extraction, validation, goto_url and print_page are one step each (one model call at most);
// - the action block tries its `selector` first and hands over to the agent on a miss (`ai_fallback`).
// Each block ends with a browser checkpoint, so the next block (in any process) starts there.
import { PetrelError } from '@petrel/protocol';
import type {
  ActionBlock,
  ExtractionBlock,
  FileDownloadBlock,
  GotoUrlBlock,
  LoginBlock,
  NavigationBlock,
  PrintPageBlock,
  RunError,
  TaskBlock,
  TaskV2Block,
  ValidationBlock,
} from '@petrel/protocol';
import { DEFAULT_LOGIN_PROMPT, DEFAULT_MAX_STEPS, compileExtractionSchema, downloadedFileName, extractFromPage, recordExchanges, runAgentTask } from '@petrel/agent';
import type { AgentTaskInput, AgentTaskOutcome, ModelHttpExchange } from '@petrel/agent';
import type { StepConfig } from '@petrel/engine';
import type { BlockContext, BlockResult, DurableBlockContext } from './block-executor.ts';
import { normalizeDataSchema } from './data-schema.ts';
import { askAboutPage, openBlockBrowser } from './run-context.ts';

const SUPPORTED_ENGINES = new Set(['skyvern-1.0', 'skyvern-2.0']);
const SELECTOR_CONFIG: StepConfig = { retries: { limit: 1, delay: 1000, backoff: 'constant' }, timeout: '2 minutes' };

function agentOf(ctx: BlockContext, op: string): NonNullable<BlockContext['agent']> {
  if (!ctx.agent) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${op}: browser blocks need the interpreter's agent runtime`);
  return ctx.agent;
}

function checkEngine(engine: string | undefined, op: string): void {
  if (engine !== undefined && !SUPPORTED_ENGINES.has(engine)) {
    throw new PetrelError('UNSUPPORTED_ENGINE', `${op}: engine ${engine} is not supported yet; use skyvern-1.0 or skyvern-2.0`, { details: { field: 'engine' } });
  }
}

function nonEmpty(value: string | null | undefined): string | null {
  return value === null || value === undefined || value.trim() === '' ? null : value.trim();
}

/** The step budget of an agent block: its own, capped by what the run has left. */
function maxStepsOf(ctx: BlockContext, own: number | null | undefined): number {
  const wanted = own ?? DEFAULT_MAX_STEPS;
  const left = agentOf(ctx, 'blocks').stepsLeft;
  if (left === null) return wanted;
  if (left <= 0) throw new PetrelError('VALIDATION_FAILED', 'blocks: REACH_MAX_STEPS: the run used all the agent steps of x-max-steps-override');
  return Math.min(wanted, left);
}

type AgentBlockOptions = Pick<
  AgentTaskInput,
  | 'goal'
  | 'url'
  | 'dataExtractionSchema'
  | 'extractionGoal'
  | 'errorCodeMapping'
  | 'completeCriterion'
  | 'terminateCriterion'
  | 'completeVerification'
  | 'includeActionHistoryInVerification'
  | 'totpIdentifier'
  | 'totpUrl'
  | 'completeOnDownload'
  | 'downloadSuffix'
  | 'downloadTimeoutMs'
  | 'planning'
> & { maxSteps: number; retries?: number; continueOnEmpty?: boolean };

/** A Skyvern `TaskOutput` from an agent outcome. */
function taskOutput(outcome: AgentTaskOutcome, files: ReturnType<typeof namedFiles>): Record<string, unknown> {
  return {
    task_id: null,
    status: outcome.status,
    extracted_information: outcome.output ?? null,
    failure_reason: outcome.failureReason,
    errors: outcome.errors,
    downloaded_files: files.map((file) => ({ filename: file.filename, checksum: file.sha256, file_size: file.size, artifact_id: file.artifactId, url: file.sourceUrl })),
    downloaded_file_urls: files.map((file) => file.sourceUrl),
    task_screenshots: outcome.screenshotArtifactIds,
    step_count: outcome.stepCount,
    final_url: outcome.finalUrl,
  };
}

function namedFiles(outcome: AgentTaskOutcome, suffix: string | null | undefined) {
  return outcome.downloadedFiles.map((file, index) => ({
    filename: downloadedFileName(file, suffix, index),
    size: file.size,
    sha256: file.sha256,
    artifactId: file.artifactId,
    sourceUrl: file.sourceUrl,
  }));
}

/** Runs the agent for a block (retried whole `max_retries` times) and maps its outcome. */
async function runAgentBlock(ctx: DurableBlockContext, options: AgentBlockOptions): Promise<BlockResult> {
  const agent = agentOf(ctx, 'blocks');
  const attempts = 1 + Math.max(0, options.retries ?? 0);
  let outcome: AgentTaskOutcome | undefined;
  let steps = 0;
  const usage = { inputTokens: 0, outputTokens: 0, costUsd: null as number | null };
  for (let attempt = 0; attempt < attempts; attempt++) {
    const { retries: _retries, continueOnEmpty: _empty, ...fields } = options;
    const input: AgentTaskInput = {
      ...agent.input,
      ...fields,
      totpIdentifier: options.totpIdentifier ?? agent.input.totpIdentifier ?? null,
      totpUrl: options.totpUrl ?? agent.input.totpUrl ?? null,
      initialCheckpoint: outcome?.checkpoint ?? ctx.checkpoint,
      stepPrefix: attempt === 0 ? `${ctx.position.stepName}/` : `${ctx.position.stepName}/retry-${attempt}/`,
      keepBrowser: true,
    };
    outcome = await runAgentTask(ctx.step, input, agent.runtime, ctx.namespace);
    steps += outcome.stepCount;
    usage.inputTokens += outcome.usage.inputTokens;
    usage.outputTokens += outcome.usage.outputTokens;
    if (outcome.usage.costUsd !== null) usage.costUsd = (usage.costUsd ?? 0) + outcome.usage.costUsd;
    if (outcome.status === 'completed' || outcome.status === 'terminated') break;
  }
  const final = outcome as AgentTaskOutcome;
  const files = namedFiles(final, options.downloadSuffix);
  let status: BlockResult['status'] = final.status;
  let failureReason = final.failureReason ?? undefined;
  if (options.completeOnDownload && status === 'completed' && files.length === 0 && options.continueOnEmpty === false) {
    status = 'failed';
    failureReason = 'The block completed without downloading a file (set continue_on_empty to allow that).';
  }
  return {
    status,
    output: taskOutput(final, files),
    ...(failureReason ? { failureReason } : {}),
    errorCodes: final.errors,
    checkpoint: final.checkpoint,
    downloadedFiles: files,
    stepCount: steps,
    screenshotArtifactIds: final.screenshotArtifactIds,
    usage,
    timeline: { final_url: final.finalUrl, url: options.url ?? null, navigation_goal: options.goal },
  };
}

function criteriaOf(block: { complete_criterion?: string | null | undefined; terminate_criterion?: string | null | undefined; complete_verification?: boolean | undefined; include_action_history_in_verification?: boolean | undefined }) {
  return {
    completeCriterion: nonEmpty(block.complete_criterion),
    terminateCriterion: nonEmpty(block.terminate_criterion),
    completeVerification: block.complete_verification ?? true,
    includeActionHistoryInVerification: block.include_action_history_in_verification ?? false,
  };
}

/** What the navigating blocks (task, navigation) tell the agent: the goal, start page, limits, criteria, 2FA and downloads. */
function navigationOptions(block: TaskBlock | NavigationBlock, ctx: DurableBlockContext, goal: string): AgentBlockOptions {
  return {
    goal,
    url: nonEmpty(block.url),
    maxSteps: maxStepsOf(ctx, block.max_steps_per_run),
    retries: block.max_retries,
    planning: block.engine === 'skyvern-2.0',
    errorCodeMapping: block.error_code_mapping ?? null,
    ...criteriaOf(block),
    totpIdentifier: nonEmpty(block.totp_identifier),
    totpUrl: nonEmpty(block.totp_verification_url),
    completeOnDownload: block.complete_on_download,
    downloadSuffix: nonEmpty(block.download_suffix),
  };
}

/** `task`: navigate towards `navigation_goal`, then extract `data_extraction_goal` (an extraction only when there is no navigation goal). */
export async function executeTaskBlock(block: TaskBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'task');
  const goal = nonEmpty(block.navigation_goal);
  const extractionGoal = nonEmpty(block.data_extraction_goal);
  if (!goal && extractionGoal) return extractInStep(ctx, { label: block.label, url: nonEmpty(block.url), goal: extractionGoal, schema: block.data_schema, retries: block.max_retries });
  if (!goal) throw new PetrelError('VALIDATION_FAILED', 'task: navigation_goal or data_extraction_goal is required', { details: { field: 'navigation_goal' } });
  const schema = normalizeDataSchema(block.data_schema);
  return runAgentBlock(ctx, {
    ...navigationOptions(block, ctx, goal),
    ...(extractionGoal ? { dataExtractionSchema: schema ?? extractionGoal, extractionGoal } : {}),
  });
}

/** `navigation`: the agent until `navigation_goal` is reached. */
export async function executeNavigationBlock(block: NavigationBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'navigation');
  return runAgentBlock(ctx, navigationOptions(block, ctx, block.navigation_goal));
}

/** `login`: the agent logs in with the run's credentials (their values are typed, never shown). */
export async function executeLoginBlock(block: LoginBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'login');
  for (const [index, key] of (block.parameter_keys ?? []).entries()) {
    const unavailable = ctx.unavailableParameters?.[key];
    if (unavailable) throw new PetrelError(unavailable.code, `login: parameter_keys[${index}]: ${unavailable.message}`, { details: { field: `parameter_keys[${index}]` } });
  }
  return runAgentBlock(ctx, {
    goal: nonEmpty(block.navigation_goal) ?? DEFAULT_LOGIN_PROMPT,
    url: nonEmpty(block.url),
    maxSteps: maxStepsOf(ctx, block.max_steps_per_run),
    retries: block.max_retries,
    errorCodeMapping: block.error_code_mapping ?? null,
    ...criteriaOf(block),
    totpIdentifier: nonEmpty(block.totp_identifier),
    totpUrl: nonEmpty(block.totp_verification_url),
  });
}

/** `file_download`: the agent until a file downloads; the file is named after `download_suffix`. */
export async function executeFileDownloadBlock(block: FileDownloadBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'file_download');
  if (block.download_target !== 'website') {
    throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `file_download: download_target ${block.download_target} is not supported; download to the run (website) and add a file_upload block`, {
      details: { field: 'download_target' },
    });
  }
  return runAgentBlock(ctx, {
    goal: `${block.navigation_goal.trim()}\nThe goal is reached when the file download has started; download it with the download tool.`,
    url: nonEmpty(block.url),
    maxSteps: maxStepsOf(ctx, block.max_steps_per_run),
    retries: block.max_retries,
    errorCodeMapping: block.error_code_mapping ?? null,
    totpIdentifier: nonEmpty(block.totp_identifier),
    totpUrl: nonEmpty(block.totp_verification_url),
    completeOnDownload: true,
    downloadSuffix: nonEmpty(block.download_suffix),
    downloadTimeoutMs: block.download_timeout ? Math.round(block.download_timeout * 1000) : null,
    continueOnEmpty: block.continue_on_empty,
  });
}

/** `task_v2`: the planner (skyvern-2.0) over the agent, as a nested run of the block. */
export async function executeTaskV2Block(block: TaskV2Block, ctx: DurableBlockContext): Promise<BlockResult> {
  return runAgentBlock(ctx, {
    goal: block.prompt,
    url: nonEmpty(block.url),
    maxSteps: maxStepsOf(ctx, block.max_steps),
    planning: true,
    totpIdentifier: nonEmpty(block.totp_identifier),
    totpUrl: nonEmpty(block.totp_verification_url),
  });
}

/** `action`: one action; the CSS `selector` is clicked when it matches (`ai_fallback: fallback`), else the agent does it. */
export async function executeActionBlock(block: ActionBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'action');
  const agent = agentOf(ctx, 'action');
  const selector = nonEmpty(block.selector);
  const url = nonEmpty(block.url);
  if (selector && block.ai_fallback === 'fallback') {
    const tried = await ctx.step.do(`${ctx.position.stepName}/selector`, SELECTOR_CONFIG, async (sctx) => {
      const { run } = await openBlockBrowser(agent, ctx.namespace, ctx.checkpoint, sctx.signal);
      if (url) {
        const opened = await run.act({ type: 'goto_url', url }, { signal: sctx.signal });
        if (!opened.ok) throw new PetrelError('BROWSER_ERROR', `action: could not open ${url}: ${opened.error?.message ?? 'failed'}`);
      }
      const downloadsBefore = run.downloads.length;
      try {
        const target = run.page.locator(selector).first();
        await target.click({ timeout: 3000 });
        await run.page.waitForLoadState('domcontentloaded', { timeout: 10_000 }).catch(() => {});
      } catch (error) {
        return { ok: false as const, reason: error instanceof Error ? error.message.split('\n')[0] ?? 'no match' : 'no match', checkpoint: null, downloads: [] };
      }
      const checkpoint = await agent.runtime.browsers.checkpoint(agent.input.runId, { signal: sctx.signal });
      const downloads = run.downloads.slice(downloadsBefore).map((d) => ({ filename: d.fileName, size: d.size, sha256: d.sha256, artifactId: d.artifactId ?? null, sourceUrl: d.url }));
      return { ok: true as const, reason: null, checkpoint, downloads, url: run.page.url() };
    });
    if (tried.ok) {
      return {
        status: 'completed',
        output: { task_id: null, status: 'completed', extracted_information: null, action: 'click', selector, url: tried.url, downloaded_files: tried.downloads },
        checkpoint: tried.checkpoint,
        downloadedFiles: tried.downloads,
        timeline: { selector, ai_fallback_triggered: false },
      };
    }
  }
  const goal = nonEmpty(block.navigation_goal) ?? (selector ? `Click the element matching the CSS selector ${selector}.` : null);
  if (!goal) throw new PetrelError('VALIDATION_FAILED', 'action: navigation_goal or selector is required', { details: { field: 'navigation_goal' } });
  const result = await runAgentBlock(ctx, {
    goal: `Do this one action, then complete: ${goal}`,
    url: selector && block.ai_fallback === 'fallback' ? null : url,
    maxSteps: maxStepsOf(ctx, block.max_steps_per_run ?? 3),
    retries: block.max_retries,
    completeVerification: false,
    errorCodeMapping: block.error_code_mapping ?? null,
    totpIdentifier: nonEmpty(block.totp_identifier),
    totpUrl: nonEmpty(block.totp_verification_url),
    completeOnDownload: block.complete_on_download,
    downloadSuffix: nonEmpty(block.download_suffix),
  });
  return { ...result, timeline: { ...result.timeline, selector, ai_fallback_triggered: selector !== null } };
}

/** One extraction on the current page (inside a durable step). */
async function extractInStep(
  ctx: DurableBlockContext,
  input: { label: string; url: string | null; goal: string; schema: unknown; retries: number },
): Promise<BlockResult> {
  const agent = agentOf(ctx, 'extraction');
  const compiled = compileExtractionSchema(normalizeDataSchema(input.schema) ?? input.goal, 'data_schema');
  const result = await ctx.step.do(`${ctx.position.stepName}/extract`, { retries: { limit: Math.max(1, input.retries), delay: 2000, backoff: 'exponential' }, timeout: '10 minutes' }, async (sctx) => {
    const { run, secrets } = await openBlockBrowser(agent, ctx.namespace, ctx.checkpoint, sctx.signal);
    if (input.url) {
      const opened = await run.act({ type: 'goto_url', url: input.url }, { signal: sctx.signal });
      if (!opened.ok) throw new PetrelError('BROWSER_ERROR', `extraction: could not open ${input.url}: ${opened.error?.message ?? 'failed'}`);
    }
    const observation = await run.observe({ signal: sctx.signal });
    const exchanges: ModelHttpExchange[] = [];
    let extracted;
    try {
      extracted = await extractFromPage({
        run,
        observation,
        model: agent.runtime.model(agent.input.model ?? null),
        schema: compiled,
        goal: input.goal,
        redactor: secrets.redactor,
        chunkTokens: agent.runtime.extractionChunkTokens,
        signal: sctx.signal,
        onExchange: (exchange) => exchanges.push(exchange),
      });
    } finally {
      await recordExchanges(run, exchanges, `${input.label}-extract`).catch(() => []);
    }
    const checkpoint = await agent.runtime.browsers.checkpoint(agent.input.runId, { signal: sctx.signal });
    return { data: extracted.data, valid: extracted.valid, issues: extracted.issues ?? null, usage: extracted.usage, checkpoint, url: observation.url };
  });
  const output = { task_id: null, status: result.valid ? 'completed' : 'failed', extracted_information: result.data, failure_reason: result.valid ? null : result.issues, errors: [], downloaded_files: [], final_url: result.url };
  return {
    status: result.valid ? 'completed' : 'failed',
    output,
    ...(result.valid ? {} : { failureReason: `The extracted data does not match data_schema: ${result.issues ?? 'invalid'}` }),
    checkpoint: result.checkpoint,
    usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, costUsd: result.usage.costUsd },
    timeline: { url: input.url, data_extraction_goal: input.goal, final_url: result.url },
  };
}

/** `extraction`: one extraction call on the current page (no navigation), validated against `data_schema`. */
export async function executeExtractionBlock(block: ExtractionBlock, ctx: DurableBlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'extraction');
  return extractInStep(ctx, { label: block.label, url: nonEmpty(block.url), goal: block.data_extraction_goal, schema: block.data_schema, retries: block.max_retries });
}

const VALIDATION_SCHEMA = {
  type: 'object',
  properties: {
    decision: { type: 'string', enum: ['complete', 'terminate'] },
    reasoning: { type: 'string' },
    error_code: { type: ['string', 'null'] },
  },
  required: ['decision', 'reasoning', 'error_code'],
  additionalProperties: false,
};

/** `validation`: one model judgement of the page against the criteria; `terminate` ends the run as terminated. */
export async function executeValidationBlock(block: ValidationBlock, ctx: BlockContext): Promise<BlockResult> {
  checkEngine(block.engine, 'validation');
  const complete = nonEmpty(block.complete_criterion);
  const terminate = nonEmpty(block.terminate_criterion);
  if (!complete && !terminate) throw new PetrelError('VALIDATION_FAILED', 'validation: complete_criterion or terminate_criterion is required', { details: { field: 'complete_criterion' } });
  const mapping = block.error_code_mapping ?? {};
  const record = ctx.recordArtifact;
  const answer = await askAboutPage({
    agent: agentOf(ctx, 'validation'),
    namespace: ctx.namespace,
    checkpoint: ctx.checkpoint,
    withoutPage: block.without_page_information,
    system: 'You validate the state of a web workflow. Decide "complete" when the COMPLETE criterion holds, "terminate" when the TERMINATE criterion holds (or the complete one clearly cannot hold). Answer with JSON only.',
    prompt: (page) => {
      let text = '';
      if (complete) text += `COMPLETE WHEN: ${complete}\n`;
      if (terminate) text += `TERMINATE WHEN: ${terminate}\n`;
      const codes = Object.entries(mapping);
      if (codes.length > 0) text += `ERROR CODES (name one with terminate when it applies):\n${codes.map(([code, meaning]) => `${code}: ${meaning}`).join('\n')}\n`;
      return `${text}${page === null ? 'There is no page.' : `PAGE:\n${page}`}`;
    },
    schema: VALIDATION_SCHEMA,
    name: 'validation',
    label: block.label,
    signal: ctx.signal,
    recorder: { record: (type, body, options) => (record ? record(type, body, options) : Promise.resolve(undefined)) },
  });
  const object = answer.object as { decision?: unknown; reasoning?: unknown; error_code?: unknown };
  const reasoning = typeof object.reasoning === 'string' ? ctx.redactor.redact(object.reasoning).slice(0, 1000) : '';
  const output = { decision: object.decision, reasoning, url: answer.pageUrl };
  if (object.decision === 'complete') return { status: 'completed', output, usage: answer.usage };
  const code = typeof object.error_code === 'string' && Object.hasOwn(mapping, object.error_code) ? object.error_code : null;
  const errorCodes: RunError[] = code ? [{ error_code: code, reasoning, confidence_float: 1, error_type: 'USER_DEFINED_ERROR' }] : [];
  return { status: 'terminated', output, failureReason: reasoning || 'The validation failed.', errorCodes, usage: answer.usage };
}

/** `goto_url`: navigates the run's browser. */
export async function executeGotoUrlBlock(block: GotoUrlBlock, ctx: BlockContext): Promise<BlockResult> {
  const url = nonEmpty(block.url);
  if (!url) throw new PetrelError('VALIDATION_FAILED', 'goto_url: url is empty', { details: { field: 'url' } });
  if (!ctx.browser) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'goto_url: this run has no browser');
  const run = await ctx.browser();
  const result = await run.act({ type: 'goto_url', url }, { signal: ctx.signal });
  if (!result.ok) return { status: 'failed', output: { url, final_url: run.page.url() }, failureReason: `Could not open ${url}: ${result.error?.message ?? 'failed'}` };
  return { status: 'completed', output: { url, final_url: run.page.url() } };
}

function timestampSuffix(now: Date): string {
  return now.toISOString().replaceAll(/[-:]/g, '').replace('T', '_').slice(0, 15);
}

/** `print_page`: the current page as a PDF file of the run. */
export async function executePrintPageBlock(block: PrintPageBlock, ctx: BlockContext): Promise<BlockResult> {
  if (!ctx.browser) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'print_page: this run has no browser');
  const run = await ctx.browser();
  const pdf = await run.page.pdf({ format: block.format, landscape: block.landscape, printBackground: block.print_background });
  const title = (await run.page.title().catch(() => '')) || 'page';
  let base = nonEmpty(block.custom_filename) ?? title.replaceAll(/[^\w.-]+/g, '_').slice(0, 80);
  if (base.toLowerCase().endsWith('.pdf')) base = base.slice(0, -4);
  const name = `${base}${block.include_timestamp ? `_${timestampSuffix(new Date())}` : ''}.pdf`;
  const saved = await ctx.files.saveDownload(name, new Uint8Array(pdf), { contentType: 'application/pdf', signal: ctx.signal });
  return {
    status: 'completed',
    output: { filename: saved.name, file_size: saved.size, checksum: saved.sha256, artifact_id: saved.artifactId ?? null, url: run.page.url() },
  };
}
