// One agent step, the body of one durable `step.do`: get the run's browser (live, or restored from the
// run's latest checkpoint), observe the page, ask the model once, execute the actions it chose in
// order, checkpoint the browser, and return a compact JSON record. The observation itself is stored
// as an artifact, not in the record. A crash mid-step redoes the whole step: side effects on the site
// are at least once, the record exactly once.
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { StepContext } from '@petrel/engine';
import type { BrowserAction, BrowserCheckpoint, DownloadRecord, ReplayDescriptor, RunContext } from '@petrel/browser';
import type { ExtractionSchema } from '../extraction/extraction-schema.ts';
import type { ModelContentPart, ModelHttpExchange } from '../model/language-model.ts';
import type { AgentRuntime, RunSecrets } from '../runtime/agent-runtime.ts';
import { fetchTotpFromUrl } from '../secrets/totp-url.ts';
import { ACTION_SYSTEM_PROMPT, buildStepPrompt } from './agent-prompts.ts';
import type { HistoryLine } from './agent-prompts.ts';
import { parseToolCalls, toolsFor } from './agent-tools.ts';
import type { AgentDecision, RejectedToolCall, ToolContext } from './agent-tools.ts';
import type { AgentTaskInput } from './agent-task-input.ts';
import { addUsage, emptyUsage, extractFromPage } from './page-extraction.ts';
import type { CallUsage } from './page-extraction.ts';

/** A file the run downloaded. */
export type DownloadedFile = { filename: string; size: number; sha256: string; sourceUrl: string; artifactId: string | null; createdAt: string };

/** One executed (or skipped) action of a step. */
export type ActionRecord = {
  /** The tool: a browser action type, or `extract`. */
  type: string;
  /** The element as described when the action ran: `button "Sign in"`. */
  target?: string;
  elementId?: string;
  /** The action's argument (typed text with placeholders, option, keys, URL), redacted. */
  value?: string;
  ok: boolean;
  /** Not run because an earlier action of the step failed or loaded a new page. */
  skipped?: true;
  error?: string;
  /** The page URL after the action, when it changed. */
  url?: string;
  /** How to run the action again without a model (sensitive text is not stored). */
  replay?: ReplayDescriptor;
  screenshotArtifactId?: string;
  download?: DownloadedFile;
};

/** How a step ended. */
export type StepOutcome =
  | { kind: 'continue' }
  | { kind: 'complete'; reasoning: string }
  | { kind: 'terminate'; reasoning: string; errorCode?: string; confidence?: number }
  | { kind: 'needs_code' }
  | { kind: 'downloaded' };

/** The durable record of one agent step (the step's output). */
export type AgentStepRecord = {
  step: number;
  /** The page the model saw. */
  url: string;
  title: string;
  /** The page after the actions. */
  endUrl: string;
  actions: ActionRecord[];
  rejected: RejectedToolCall[];
  outcome: StepOutcome;
  /** Data of an `extract` call in this step; `final` when no later action of the step may have changed the page. */
  extracted?: { data: unknown; valid: boolean; issues?: string; final: boolean };
  downloads: DownloadedFile[];
  usage: CallUsage;
  /** Artifacts of the step: the observation, model requests and responses, screenshots. */
  artifactIds: string[];
  screenshotArtifactIds: string[];
  /** The browser state after the step. */
  checkpoint: BrowserCheckpoint | null;
  /** The compact history line of the step. */
  history: string;
  /** The same without typed values, for steps further back. */
  historyBrief: string;
  startedAt: string;
  durationMs: number;
  /** Where the step's time went, in ms: getting the browser, observing, the model, the actions, checkpoint and artifacts. */
  timings: StepTimings;
  /** Length of the observation text in characters (its tokens are in the model request). */
  observationChars: number;
};

/** Where an agent step's time went, in ms. */
export type StepTimings = {
  browser: number;
  observe: number;
  model: number;
  /** The step's part around the actions (with `act`). */
  actions: number;
  /** Inside the browser's `act` (the clicks and typing, waiting for the page): the work itself. */
  act: number;
  /** The checkpoint (and the step's screenshot, taken alongside). */
  checkpoint: number;
  artifacts: number;
};

/** What a step needs besides the runtime. */
export type AgentStepInput = {
  runtime: AgentRuntime;
  namespace: string;
  input: AgentTaskInput;
  step: number;
  checkpoint: BrowserCheckpoint | null;
  history: readonly HistoryLine[];
  notes: readonly string[];
  plan: readonly string[] | undefined;
  /** The placeholder of a verification code to type this step, and how to get the code again in a new process. */
  verificationCode: { placeholder: string; slot: string; since: number } | undefined;
  extraction: ExtractionSchema | undefined;
  /** Data extracted so far (an earlier `extract`), passed on to the next extraction. */
  extractedSoFar: unknown;
  ctx: StepContext;
};

const MAX_ERROR = 300;

function quoteValue(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** `"Sign in"` (or the role when the element has no name), from an action's replay target. */
function targetOf(replay: ReplayDescriptor | undefined): string | undefined {
  const target = replay?.target;
  if (!target) return undefined;
  return target.name ? quoteValue(target.name, 60) : target.role || target.tag;
}

function valueOf(action: BrowserAction): string | undefined {
  switch (action.type) {
    case 'input_text':
      return action.text;
    case 'select_option':
      return action.option;
    case 'keypress':
      return action.keys;
    case 'goto_url':
    case 'new_tab':
      return action.url;
    case 'scroll':
      return action.text ?? action.direction;
    case 'wait':
      return action.text ?? (action.ms === undefined ? undefined : `${action.ms} ms`);
    case 'switch_tab':
    case 'close_tab':
      return action.index === undefined ? undefined : String(action.index);
    case 'accept_dialog':
      return action.promptText;
    case 'upload_file':
      return action.files.join(', ');
    case 'click':
    case 'check':
    case 'uncheck':
    case 'download':
    case 'hover':
    case 'go_back':
    case 'go_forward':
    case 'reload':
    case 'dismiss_dialog':
    case 'read_text':
    case 'read_html':
      return undefined;
    default: {
      const unknown: never = action;
      return String((unknown as { type?: unknown }).type);
    }
  }
}

/** The path (and query) of a URL, for short history lines. */
export function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.origin === 'null' ? url : `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

/** Where a navigation led, for history lines: the path, and its query only when that is short (the current page's full URL is in PAGE). */
function landedAt(url: string): string {
  const short = shortUrl(url);
  const query = short.indexOf('?');
  return query < 0 || short.length <= 32 ? short : short.slice(0, query);
}

/**
 * One history line from a step's actions: `input_text "Email" = "…", "Password" = "…"; click "Sign in" →
 * /login/totp` (consecutive actions of one kind share their name; failures spelled out).
 */
export function historyLine(actions: readonly ActionRecord[], rejected: readonly RejectedToolCall[], outcome: StepOutcome, withValues = true): string {
  const parts: string[] = [];
  let open: string | undefined;
  for (const a of actions) {
    let text = a.target ?? a.elementId ?? '';
    if (a.type === 'goto_url' && a.value) text += `${text ? ' ' : ''}${shortUrl(a.value)}`;
    else if (a.value !== undefined && withValues) text += ` = ${quoteValue(a.value)}`;
    let tail = '';
    if (a.skipped) tail = ' (skipped)';
    else {
      if (!a.ok) tail += ` FAILED: ${a.error ?? 'error'}`;
      if (a.url) tail += ` → ${withValues ? landedAt(a.url) : new URL(a.url, 'http://x').pathname}`;
      if (a.download) tail += ` → downloaded ${a.download.filename}`;
    }
    if (open === a.type && text && parts.length > 0) parts[parts.length - 1] += `, ${text}${tail}`;
    else parts.push(`${a.type}${text ? ` ${text}` : ''}${tail}`);
    open = tail || !text ? undefined : a.type;
  }
  for (const r of rejected) parts.push(`${r.name} REJECTED (${r.reason.slice(0, 120)})`);
  if (outcome.kind === 'complete') parts.push(`complete: ${outcome.reasoning.slice(0, 200)}`);
  if (outcome.kind === 'terminate') parts.push(`terminate: ${outcome.reasoning.slice(0, 200)}`);
  if (outcome.kind === 'needs_code') parts.push('asked for a verification code');
  return parts.join('; ') || 'no action';
}

function downloadedFile(record: DownloadRecord): DownloadedFile {
  return { filename: record.fileName, size: record.size, sha256: record.sha256, sourceUrl: record.url, artifactId: record.artifactId ?? null, createdAt: record.createdAt };
}

/** Opens (or finds) the run's browser with its secrets applied. */
export async function openRunBrowser(
  runtime: AgentRuntime,
  namespace: string,
  input: AgentTaskInput,
  checkpoint: BrowserCheckpoint | null,
  signal: AbortSignal | undefined,
): Promise<{ run: RunContext; secrets: RunSecrets }> {
  const secrets = await runtime.secrets(namespace, input.runId, { parameters: input.parameters, credentials: input.credentials });
  let browserAddress = input.browser?.address ?? undefined;
  const sessionId = input.browser?.sessionId;
  if (!browserAddress && sessionId) {
    if (!runtime.browserSessions) {
      throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'agent.browser: browser sessions are not available in this runtime', { nonRetryable: true });
    }
    browserAddress = (await runtime.browserSessions.get(namespace, sessionId)).browserAddress;
  }
  const sink = runtime.artifacts;
  const runId = input.runId;
  const run = await runtime.browsers.ensure(runId, {
    checkpoint,
    ...(browserAddress ? { browserAddress } : {}),
    ...(signal ? { signal } : {}),
    contextOptions: {
      secrets: secrets.values,
      // Per-step screenshots are taken by the step itself (one instead of one per action).
      screenshots: runtime.screenshots === 'action' ? 'action' : 'final',
      ...(input.browser?.extraHttpHeaders ? { extraHttpHeaders: input.browser.extraHttpHeaders } : {}),
      ...(input.browser?.userAgent ? { userAgent: input.browser.userAgent } : {}),
      ...(sink
        ? {
            onArtifact: async (record) => {
              const step = runtime.currentStep.get(runId);
              await sink.record({ namespace, runId, ...(step === undefined ? {} : { step }) }, record);
            },
          }
        : {}),
    },
  });
  for (const value of secrets.values) {
    run.redact(value);
    // Form posts and URLs carry values URL-encoded (a trace's network entries, for one).
    const encoded = encodeURIComponent(value);
    if (encoded !== value) {
      run.redact(encoded);
      run.redact(encoded.replaceAll('%20', '+'));
    }
  }
  return { run, secrets };
}

/** Stores the HTTP exchanges of model calls as `llm_request` / `llm_response` artifacts; returns their ids. */
export async function recordExchanges(run: RunContext, exchanges: readonly ModelHttpExchange[], label: string): Promise<string[]> {
  const stored = await Promise.all(
    exchanges.flatMap((exchange) => [
      run.recordArtifact('llm_request', exchange.requestBody, { contentType: 'application/json', name: `${label}-${exchange.attempt}-request.json` }),
      run.recordArtifact('llm_response', exchange.responseBody || JSON.stringify({ status: exchange.status ?? null, error: exchange.error ?? null }), {
        contentType: 'application/json',
        name: `${label}-${exchange.attempt}-response.json`,
      }),
    ]),
  );
  return stored.flatMap((record) => (record ? [record.artifactId] : []));
}

/** Runs one agent step (see the file header). Throws on failures that a retry of the whole step may fix. */
export async function runAgentStep(s: AgentStepInput): Promise<AgentStepRecord> {
  const { runtime, input, ctx } = s;
  const started = performance.now();
  const startedAt = new Date(runtime.now()).toISOString();
  const runId = input.runId;
  runtime.currentStep.set(runId, s.step);
  const onAbort = (): void => {
    // Terminate, lost lease, shutdown or timeout: this process no longer runs the step; its browser goes.
    void runtime.browsers.release(runId, { skipHook: true }).catch(() => {});
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    const model = runtime.model(input.model);
    const timings: StepTimings = { browser: 0, observe: 0, model: 0, actions: 0, act: 0, checkpoint: 0, artifacts: 0 };
    let mark = performance.now();
    const lap = (key: keyof StepTimings): void => {
      const now = performance.now();
      timings[key] += Math.round(now - mark);
      mark = now;
    };
    const { run, secrets } = await openRunBrowser(runtime, s.namespace, input, s.checkpoint, ctx.signal);
    // Artifact writes run alongside the step; the step waits for them once, at its end.
    const pendingArtifacts: Array<Promise<string[]>> = [];
    const actions: ActionRecord[] = [];
    const artifactIds: string[] = [];
    const screenshots: string[] = [];
    const usage = emptyUsage();
    const downloadsBefore = run.downloads.length;

    lap('browser');
    if (s.step === 1 && input.url) {
      const result = await run.act({ type: 'goto_url', url: input.url }, { signal: ctx.signal });
      timings.act += result.durationMs;
      actions.push({ type: 'goto_url', value: input.url, ok: result.ok, ...(result.ok ? {} : { error: (result.error?.message ?? 'failed').slice(0, MAX_ERROR) }) });
      if (!result.ok) throw new PetrelError('BROWSER_ERROR', `agent.step: could not open ${input.url}: ${result.error?.message ?? 'failed'}`);
    }
    // A verification code obtained by an earlier step, possibly in another process: make sure it is known here.
    if (s.verificationCode) await ensureVerificationCode(runtime, s.namespace, input, s.verificationCode, ctx.signal);

    lap('actions');
    const observation = await run.observe({ signal: ctx.signal });
    lap('observe');
    if (runtime.onStepObserved) {
      try {
        await runtime.onStepObserved({ namespace: s.namespace, runId, step: s.step, run, observation });
      } catch (error) {
        secrets.logger.warn({ err: error }, 'agent: onStepObserved failed');
      }
    }
    pendingArtifacts.push(
      run
        .recordArtifact('visible_elements_tree', secrets.redactor.redact(observation.text), { contentType: 'text/plain; charset=utf-8', name: `step-${s.step}-page.txt` })
        .then((tree) => (tree ? [tree.artifactId] : [])),
    );
    mark = performance.now();

    const toolContext: ToolContext = {
      errorCodes: Object.keys(input.errorCodeMapping ?? {}),
      extraction: s.extraction !== undefined,
      verificationCode: Boolean(input.totpUrl || input.totpIdentifier),
      files: input.files ?? [],
      downloads: Boolean(input.completeOnDownload || input.downloadTimeoutMs),
    };
    const notes = [...s.notes];
    if (ctx.attempt > 1) notes.push(`attempt ${ctx.attempt} of this step: the previous attempt failed (${lastFailure.get(`${runId}:${s.step}`) ?? 'error'}).`);
    const promptText = buildStepPrompt({
      goal: input.goal,
      completeCriterion: input.completeCriterion ?? undefined,
      terminateCriterion: input.terminateCriterion ?? undefined,
      errorCodeMapping: input.errorCodeMapping ?? undefined,
      parameters: promptParameters(input, secrets.parameters),
      plan: s.plan,
      now: new Date(runtime.now()),
      step: s.step,
      maxSteps: input.maxSteps,
      history: s.history,
      notes,
      verificationCode: s.verificationCode?.placeholder,
      page: observation.text,
    });
    const content: ModelContentPart[] = [{ type: 'text', text: promptText }];
    if (runtime.vision) content.push({ type: 'image', data: await run.screenshot(), mediaType: 'image/png' });
    const exchanges: ModelHttpExchange[] = [];
    const onExchange = (exchange: ModelHttpExchange): void => {
      exchanges.push(exchange);
    };
    let response;
    try {
      response = await model.generate({
        system: ACTION_SYSTEM_PROMPT,
        messages: [{ role: 'user', content: runtime.vision ? content : promptText }],
        tools: toolsFor(observation, toolContext),
        toolChoice: 'required',
        temperature: 0,
        redactor: secrets.redactor,
        signal: ctx.signal,
        onExchange,
      });
    } finally {
      lap('model');
      pendingArtifacts.push(recordExchanges(run, exchanges, `step-${s.step}`));
    }
    addUsage(usage, response);
    const { decisions, rejected } = parseToolCalls(response.toolCalls, toolContext);
    if (decisions.length === 0) {
      const why = rejected.length > 0 ? rejected.map((r) => `${r.name}: ${r.reason}`).join('; ') : response.text ? 'it answered with text instead of a tool call' : 'no tool call';
      throw new PetrelError('LLM_ERROR', `agent.step: the model chose no usable action (${why.slice(0, 400)})`);
    }

    let outcome: StepOutcome = { kind: 'continue' };
    let extracted: AgentStepRecord['extracted'];
    let pageChanged = false;
    for (const decision of decisions) {
      if (decision.kind === 'complete') {
        outcome = { kind: 'complete', reasoning: decision.reasoning };
        break;
      }
      if (decision.kind === 'terminate') {
        outcome = {
          kind: 'terminate',
          reasoning: decision.reasoning,
          ...(decision.errorCode ? { errorCode: decision.errorCode } : {}),
          ...(decision.confidence === undefined ? {} : { confidence: decision.confidence }),
        };
        break;
      }
      if (decision.kind === 'get_verification_code') {
        outcome = { kind: 'needs_code' };
        break;
      }
      if (pageChanged) {
        actions.push({ ...describeDecision(decision, secrets), ok: false, skipped: true });
        continue;
      }
      if (decision.kind === 'extract') {
        if (!s.extraction) continue;
        lap('actions');
        const current = await run.observe({ signal: ctx.signal });
        lap('observe');
        const extractExchanges: ModelHttpExchange[] = [];
        try {
          const result = await extractFromPage({
            run,
            observation: current,
            model,
            schema: s.extraction,
            goal: input.extractionGoal ?? input.goal,
            previous: extracted?.data ?? s.extractedSoFar,
            redactor: secrets.redactor,
            chunkTokens: runtime.extractionChunkTokens,
            signal: ctx.signal,
            onExchange: (e) => extractExchanges.push(e),
          });
          addUsage(usage, result.usage);
          extracted = { data: result.data, valid: result.valid, ...(result.issues ? { issues: result.issues } : {}), final: true };
          actions.push({ type: 'extract', ok: true });
        } finally {
          lap('model');
          pendingArtifacts.push(recordExchanges(run, extractExchanges, `step-${s.step}-extract`));
        }
        continue;
      }
      const action = decision.action;
      const done = await executeAction(run, action, secrets, input, ctx.signal);
      timings.act += done.durationMs;
      actions.push(done.record);
      if (done.record.screenshotArtifactId) screenshots.push(done.record.screenshotArtifactId);
      // Element ids of this observation are stale after a new page (or tab, or dialog); later actions wait for the next turn.
      if (!done.record.ok || done.changedPage) pageChanged = true;
      // Data extracted before a later action that may change the page is no longer the final page's.
      if (extracted && action.type !== 'scroll' && action.type !== 'wait' && action.type !== 'hover') extracted.final = false;
    }

    lap('actions');
    const downloads = run.downloads.slice(downloadsBefore).map(downloadedFile);
    if (input.completeOnDownload && downloads.length > 0 && outcome.kind === 'continue') outcome = { kind: 'downloaded' };
    const acted = actions.some((a) => a.ok && a.type !== 'extract');
    const shot = runtime.screenshots === 'step' && acted ? stepScreenshot(run, s.step) : Promise.resolve(undefined);
    const checkpoint = await runtime.browsers.checkpoint(runId, { signal: ctx.signal });
    const shotId = await shot;
    if (shotId) screenshots.push(shotId);
    lap('checkpoint');
    for (const ids of await Promise.all(pendingArtifacts)) artifactIds.push(...ids);
    lap('artifacts');
    // The start page the agent opened itself is not one of the model's actions (the model saw that page in step 1).
    const modelActions = s.step === 1 && input.url ? actions.slice(1) : actions;
    const record: AgentStepRecord = {
      step: s.step,
      url: observation.url,
      title: observation.title,
      endUrl: run.page.url(),
      actions,
      rejected,
      outcome,
      ...(extracted ? { extracted } : {}),
      downloads,
      usage,
      artifactIds: [...artifactIds, ...screenshots],
      screenshotArtifactIds: screenshots,
      checkpoint,
      history: historyLine(modelActions, rejected, outcome),
      historyBrief: historyLine(modelActions, rejected, outcome, false),
      startedAt,
      durationMs: Math.round(performance.now() - started),
      timings,
      observationChars: observation.text.length,
    };
    lastFailure.delete(`${runId}:${s.step}`);
    return record;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    lastFailure.set(`${runId}:${s.step}`, message.slice(0, 200));
    if (lastFailure.size > 1000) lastFailure.delete(lastFailure.keys().next().value ?? '');
    throw error;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
}

/** One JPEG of the page after a step's actions, stored as a `screenshot_action` artifact; best effort. */
async function stepScreenshot(run: RunContext, step: number): Promise<string | undefined> {
  try {
    const bytes = await run.page.screenshot({ type: 'jpeg', quality: 75, caret: 'initial', timeout: 5000 });
    const record = await run.recordArtifact('screenshot_action', bytes, { contentType: 'image/jpeg', name: `step-${step}.jpg` });
    return record?.artifactId;
  } catch {
    return undefined;
  }
}

/** Why the previous attempt of a step failed, per run and step (in-process; a note for the retry's prompt). */
const lastFailure = new Map<string, string>();

function describeDecision(decision: AgentDecision, secrets: RunSecrets): Omit<ActionRecord, 'ok'> {
  if (decision.kind !== 'browser') return { type: decision.kind };
  const action = decision.action;
  const value = valueOf(action);
  return {
    type: action.type,
    ...('elementId' in action && action.elementId ? { elementId: action.elementId } : {}),
    ...(value === undefined ? {} : { value: secrets.redactor.redact(value) }),
  };
}

/** Runs one browser action: placeholders revealed at typing time (and the text marked sensitive). */
async function executeAction(
  run: RunContext,
  action: BrowserAction,
  secrets: RunSecrets,
  input: AgentTaskInput,
  signal: AbortSignal,
): Promise<{ record: ActionRecord; changedPage: boolean; durationMs: number }> {
  let toRun: BrowserAction = action;
  if (action.type === 'input_text' && secrets.redactor.hasPlaceholder(action.text)) {
    toRun = { ...action, text: secrets.redactor.revealIn(action.text), sensitive: true };
  } else if (action.type === 'select_option' && secrets.redactor.hasPlaceholder(action.option)) {
    toRun = { ...action, option: secrets.redactor.revealIn(action.option) };
  } else if (action.type === 'download' && input.downloadTimeoutMs) {
    toRun = { ...action, timeoutMs: input.downloadTimeoutMs };
  }
  const base = describeDecision({ kind: 'browser', action }, secrets);
  let result;
  try {
    result = await run.act(toRun, { signal });
  } catch (error) {
    // A browser that fails outright (crash, closed) is a step failure; retried with a fresh context.
    if (isPetrelError(error) && (error.code === 'VALIDATION_FAILED' || error.code === 'ELEMENT_NOT_FOUND')) {
      return { record: { ...base, ok: false, error: secrets.redactor.redact(error.message).slice(0, MAX_ERROR) }, changedPage: false, durationMs: 0 };
    }
    throw error;
  }
  const changed = result.changed;
  const target = targetOf(result.replay);
  const record: ActionRecord = {
    ...base,
    ok: result.ok,
    ...(target === undefined ? {} : { target }),
    ...(result.error ? { error: secrets.redactor.redact(result.error.message).slice(0, MAX_ERROR) } : {}),
    ...(changed.url ? { url: changed.url } : {}),
    replay: result.replay,
    ...(result.screenshot ? { screenshotArtifactId: result.screenshot.artifactId } : {}),
    ...(changed.download ? { download: downloadedFile(changed.download) } : {}),
  };
  return { record, changedPage: changed.navigated || changed.newTab !== undefined || changed.dialog !== undefined, durationMs: result.durationMs };
}

/** Makes sure a verification code recorded by an earlier step is registered in this process (fetching it again after a crash). */
async function ensureVerificationCode(
  runtime: AgentRuntime,
  namespace: string,
  input: AgentTaskInput,
  code: { placeholder: string; slot: string; since: number },
  signal: AbortSignal,
): Promise<void> {
  const secrets = await runtime.secrets(namespace, input.runId, { parameters: input.parameters, credentials: input.credentials });
  if (secrets.redactor.findSecret(code.placeholder) !== undefined) return;
  const value = await fetchVerificationCode(runtime, namespace, input, code.since, signal);
  if (value === undefined) throw new PetrelError('TIMEOUT', 'agent.step: the verification code obtained earlier is no longer available');
  runtime.registerCode(input.runId, code.slot, value.code);
}

/** A verification code from the run's `totp_url` or its pushed codes, or undefined when there is none yet. */
export async function fetchVerificationCode(
  runtime: AgentRuntime,
  namespace: string,
  input: AgentTaskInput,
  since: number,
  signal: AbortSignal,
): Promise<{ code: string; createdAt: number } | undefined> {
  if (input.totpUrl) {
    const signingSecret = (await runtime.totpSigningSecret?.(namespace)) ?? '';
    if (signingSecret === '') runtime.logger.warn({ runId: input.runId }, 'agent: totp_url request signed with an empty key (no totpSigningSecret configured)');
    const result = await fetchTotpFromUrl({
      url: input.totpUrl,
      signingSecret,
      payload: { task_id: input.runId, workflow_run_id: null, workflow_permanent_id: null, totp_identifier: input.totpIdentifier ?? null },
      ...(runtime.fetch ? { fetch: runtime.fetch } : {}),
      signal,
      now: () => runtime.now(),
    });
    return result.code === undefined ? undefined : { code: result.code, createdAt: runtime.now() };
  }
  if (input.totpIdentifier) {
    if (!runtime.pushedTotp) {
      throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'agent.totp: this runtime has no source of pushed codes (totp_identifier)', { nonRetryable: true });
    }
    const found = await runtime.pushedTotp.find(namespace, input.totpIdentifier, new Date(since));
    return found ? { code: found.code, createdAt: found.createdAt.getTime() } : undefined;
  }
  return undefined;
}

/**
 * The parameters the prompt shows: this call's clear values and the run's credentials (as their
 * placeholder views), only those named by `shownParameterKeys` when it is given.
 */
function promptParameters(input: AgentTaskInput, withCredentials: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const all: Record<string, unknown> = { ...input.parameters };
  for (const key of Object.keys(input.credentials ?? {})) all[key] = withCredentials?.[key];
  const keys = input.shownParameterKeys ?? Object.keys(all);
  const shown = Object.fromEntries(keys.filter((key) => Object.hasOwn(all, key)).map((key) => [key, all[key]]));
  return Object.keys(shown).length === 0 ? undefined : shown;
}
