// The agent loop as durable steps. `runAgentTask(step, input, runtime, namespace)` runs inside any
// workflow (the task workflow, a block of a workflow run, a code workflow's `step.task` child):
//
//   [plan]                      skyvern-2.0 only: one planning call
//   agent-step-N                observe → decide → act → checkpoint (agent-step.ts), N = 1..max_steps
//   verification-code-N[...]    after a step that asked for a 2FA code: totp_url (retried step) or a
//                               pushed code (step.waitForEvent(TOTP_EVENT_TYPE), no polling)
//   verify-N                    after `complete`: a cheap model call on the current page
//   extract                     after a verified completion, when there is a schema
//   classify-errors             on failure or termination, when there is an error_code_mapping
//   finish                      closes the browser (final artifacts), unless the caller keeps it
//
// Everything between steps is pure bookkeeping over the step records, so a replay rebuilds the same
// history, checkpoint and notes; the run's browser is the latest checkpoint in that history.
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { RunError } from '@petrel/protocol';
import type { StepConfig, StepContext, WorkflowStepBase } from '@petrel/engine';
import type { BrowserCheckpoint, RunContext } from '@petrel/browser';
import { compileExtractionSchema } from '../extraction/extraction-schema.ts';
import type { ExtractionSchema } from '../extraction/extraction-schema.ts';
import type { ModelHttpExchange } from '../model/language-model.ts';
import type { AgentRuntime, RunSecrets } from '../runtime/agent-runtime.ts';
import {
  ERRORS_SYSTEM_PROMPT,
  PLAN_OUTPUT_SCHEMA,
  PLAN_SYSTEM_PROMPT,
  VERIFY_OUTPUT_SCHEMA,
  VERIFY_SYSTEM_PROMPT,
  buildErrorsPrompt,
  buildPlanPrompt,
  buildVerifyPrompt,
  errorsOutputSchema,
} from './agent-prompts.ts';
import type { HistoryLine } from './agent-prompts.ts';
import { fetchVerificationCode, openRunBrowser, recordExchanges, runAgentStep } from './agent-step.ts';
import type { AgentStepRecord, DownloadedFile } from './agent-step.ts';
import type { AgentTaskInput } from './agent-task-input.ts';
import { addUsage, emptyUsage, extractFromPage } from './page-extraction.ts';
import type { CallUsage } from './page-extraction.ts';

/** The event type a run waits for when it needs a pushed 2FA code; the server sends it to the run when a code arrives for its `totp_identifier`. */
export const TOTP_EVENT_TYPE = 'petrel_totp_code';

/** How an agent task ended (the task workflow's output). */
export type AgentTaskOutcome = {
  status: 'completed' | 'failed' | 'terminated' | 'timed_out';
  /** The extracted data (also partial data on failure); null when nothing was extracted. */
  output: unknown;
  failureReason: string | null;
  /** Codes of the `error_code_mapping` that apply (never others). */
  errors: RunError[];
  stepCount: number;
  downloadedFiles: DownloadedFile[];
  /** Screenshot artifacts, newest first. */
  screenshotArtifactIds: string[];
  recordingArtifactId: string | null;
  usage: CallUsage;
  finalUrl: string | null;
  /** The browser state at the end (a parent workflow continues from it). */
  checkpoint: BrowserCheckpoint | null;
};

type Finish = { status: AgentTaskOutcome['status']; failureReason?: string; errors?: RunError[]; output?: unknown };

const MAX_REASON = 1200;

function messageOf(error: unknown): string {
  if (isPetrelError(error)) return `${error.code}: ${error.message}`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function retriable(error: unknown): boolean {
  if (error instanceof Error && (error as { nonRetryable?: unknown }).nonRetryable === true) return false;
  return !(error instanceof Error && error.name === 'NonRetryableError');
}

/** "Tried: …. Stopped at …" from the history, for failure reasons people can act on. */
export function summarizeRun(history: readonly HistoryLine[], lastPage: { url: string; title: string } | undefined): string {
  const tried = history.slice(-5).map((h) => `${h.step}. ${h.text}`);
  const hidden = history.length - tried.length;
  let text = tried.length > 0 ? ` Tried: ${hidden > 0 ? `(${hidden} earlier steps) ` : ''}${tried.join(' | ')}.` : '';
  if (lastPage) text += ` Stopped at ${lastPage.url}${lastPage.title ? ` ("${lastPage.title}")` : ''}.`;
  return text;
}

function clip(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

/** Runs an agent task as durable steps of the calling workflow (see the file header). */
export async function runAgentTask(step: WorkflowStepBase, input: AgentTaskInput, runtime: AgentRuntime, namespace: string): Promise<AgentTaskOutcome> {
  const p = input.stepPrefix ?? '';
  const stepConfig: StepConfig = {
    retries: { limit: runtime.maxRetriesPerStep, delay: runtime.retryDelayMs, backoff: 'exponential' },
    timeout: runtime.stepTimeoutMs,
  };
  const usage = emptyUsage();
  const history: HistoryLine[] = [];
  const records: AgentStepRecord[] = [];
  const notes: string[] = [];
  let checkpoint: BrowserCheckpoint | null = input.initialCheckpoint ?? null;
  let extractedSoFar: unknown;
  let code: { placeholder: string; slot: string; since: number } | undefined;
  let codeSince = input.createdAt;
  const lastPage = (): { url: string; title: string } | undefined => {
    const last = records.at(-1);
    return last ? { url: last.endUrl, title: last.endUrl === last.url ? last.title : '' } : undefined;
  };

  const followUp = async <T>(name: string, body: (ctx: StepContext) => Promise<T>): Promise<T> => step.do(`${p}${name}`, stepConfig, body);

  /** Error codes of the mapping that apply (a best-effort model call; none on any trouble). */
  const classifyErrors = async (what: string): Promise<RunError[]> => {
    const mapping = input.errorCodeMapping ?? {};
    const codes = Object.keys(mapping);
    if (codes.length === 0) return [];
    try {
      const result = await followUp('classify-errors', async (ctx) => {
        const model = runtime.model(input.model);
        let page = '(the page could not be read)';
        const exchanges: ModelHttpExchange[] = [];
        let run: RunContext | undefined;
        let secrets: RunSecrets;
        try {
          ({ run, secrets } = await openRunBrowser(runtime, namespace, input, checkpoint, ctx.signal));
          page = (await run.observe({ signal: ctx.signal })).text;
        } catch {
          secrets = await runtime.secrets(namespace, input.runId, { parameters: input.parameters, credentials: input.credentials });
        }
        let response;
        try {
          response = await model.generate({
            system: ERRORS_SYSTEM_PROMPT,
            messages: [{ role: 'user', content: buildErrorsPrompt({ goal: input.goal, errorCodeMapping: mapping, what, history, page }) }],
            output: { schema: errorsOutputSchema(codes), name: 'errors' },
            temperature: 0,
            redactor: secrets.redactor,
            signal: ctx.signal,
            onExchange: (e) => exchanges.push(e),
          });
        } finally {
          if (run) await recordExchanges(run, exchanges, 'classify-errors');
        }
        const found = (response.object as { errors?: unknown } | undefined)?.errors;
        const errors: RunError[] = [];
        for (const item of Array.isArray(found) ? found : []) {
          const entry = item as { error_code?: unknown; reasoning?: unknown; confidence_float?: unknown };
          if (typeof entry.error_code !== 'string' || !codes.includes(entry.error_code)) continue;
          errors.push({
            error_code: entry.error_code,
            reasoning: typeof entry.reasoning === 'string' ? secrets.redactor.redact(entry.reasoning) : '',
            confidence_float: typeof entry.confidence_float === 'number' ? Math.min(1, Math.max(0, entry.confidence_float)) : 1,
            error_type: 'USER_DEFINED_ERROR',
          });
        }
        return { errors, usage: toUsage(response) };
      });
      addUsage(usage, result.usage);
      return result.errors;
    } catch (error) {
      runtime.logger.warn({ runId: input.runId, err: messageOf(error) }, 'agent: classifying errors failed; reporting none');
      return [];
    }
  };

  const finish = async (end: Finish): Promise<AgentTaskOutcome> => {
    const released = await step.do(`${p}finish`, { retries: { limit: 2, delay: 1000, backoff: 'constant' }, timeout: '2 minutes' }, async (ctx) => {
      runtime.currentStep.delete(input.runId);
      if (input.keepBrowser) return { artifacts: [] as Array<{ id: string; type: string }>, downloads: [] as DownloadedFile[] };
      const summary = await runtime.browsers.release(input.runId, { signal: ctx.signal });
      runtime.forget(input.runId);
      return {
        artifacts: (summary?.artifacts ?? []).filter((a) => a.type === 'recording' || a.type === 'screenshot_final').map((a) => ({ id: a.artifactId, type: a.type })),
        downloads: (summary?.downloads ?? []).map(
          (d): DownloadedFile => ({ filename: d.fileName, size: d.size, sha256: d.sha256, sourceUrl: d.url, artifactId: d.artifactId ?? null, createdAt: d.createdAt }),
        ),
      };
    });
    const files: DownloadedFile[] = [];
    const seen = new Set<string>();
    for (const file of [...records.flatMap((r) => r.downloads), ...released.downloads]) {
      const key = `${file.sha256}:${file.filename}:${file.createdAt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      files.push(file);
    }
    const screenshots = records.flatMap((r) => r.screenshotArtifactIds);
    const finalShot = released.artifacts.find((a) => a.type === 'screenshot_final');
    if (finalShot) screenshots.push(finalShot.id);
    return {
      status: end.status,
      output: end.output ?? null,
      failureReason: end.failureReason === undefined ? null : clip(end.failureReason),
      errors: end.errors ?? [],
      stepCount: records.length,
      downloadedFiles: files,
      screenshotArtifactIds: screenshots.toReversed(),
      recordingArtifactId: released.artifacts.find((a) => a.type === 'recording')?.id ?? null,
      usage,
      finalUrl: records.at(-1)?.endUrl ?? null,
      checkpoint,
    };
  };

  const fail = async (reason: string, output?: unknown): Promise<AgentTaskOutcome> => {
    const errors = await classifyErrors(reason);
    return finish({ status: 'failed', failureReason: reason, errors, ...(output === undefined ? {} : { output }) });
  };

  let extraction: ExtractionSchema | undefined;
  if (input.dataExtractionSchema !== undefined && input.dataExtractionSchema !== null) {
    try {
      extraction = compileExtractionSchema(input.dataExtractionSchema);
    } catch (error) {
      return finish({ status: 'failed', failureReason: messageOf(error) });
    }
  }

  let plan: string[] | undefined;
  if (input.planning) {
    try {
      const planned = await followUp('plan', async (ctx) => {
        const model = runtime.model(input.model);
        const secrets = await runtime.secrets(namespace, input.runId, { parameters: input.parameters, credentials: input.credentials });
        const response = await model.generate({
          system: PLAN_SYSTEM_PROMPT,
          messages: [{ role: 'user', content: buildPlanPrompt({ goal: input.goal, url: input.url, now: new Date(runtime.now()) }) }],
          output: { schema: PLAN_OUTPUT_SCHEMA, name: 'plan' },
          temperature: 0,
          redactor: secrets.redactor,
          signal: ctx.signal,
        });
        const items = (response.object as { plan?: unknown } | undefined)?.plan;
        if (!Array.isArray(items)) throw new PetrelError('LLM_ERROR', `agent.plan: the model gave no plan (${response.outputError?.message ?? 'no JSON'})`, { nonRetryable: false });
        return { plan: items.filter((i): i is string => typeof i === 'string').slice(0, 6).map((i) => i.slice(0, 300)), usage: toUsage(response) };
      });
      plan = planned.plan;
      addUsage(usage, planned.usage);
    } catch (error) {
      return fail(`Planning failed: ${messageOf(error)}`);
    }
  }

  /** Obtains a verification code after step `n` asked for one; a failure reason when none comes. */
  const obtainCode = async (n: number): Promise<string | undefined> => {
    const slot = String(n);
    const take = (found: { placeholder: string; createdAt: number }): undefined => {
      code = { placeholder: found.placeholder, slot, since: codeSince };
      codeSince = found.createdAt + 1;
      return undefined;
    };
    if (input.totpUrl) {
      try {
        const found = await step.do(`${p}verification-code-${n}`, { retries: { limit: 30, delay: '10 seconds', backoff: 'constant' }, timeout: '1 minute' }, async (ctx) => {
          const value = await fetchVerificationCode(runtime, namespace, input, codeSince, ctx.signal);
          if (!value) throw new PetrelError('TIMEOUT', 'agent.totp: the totp_url has no code yet', { nonRetryable: false });
          return { placeholder: runtime.registerCode(input.runId, slot, value.code), createdAt: value.createdAt };
        });
        return take(found);
      } catch (error) {
        return `No verification code came from totp_url: ${messageOf(error)}`;
      }
    }
    if (!input.totpIdentifier) return 'A verification code was needed but the run has neither a totp_url nor a totp_identifier.';
    const check = (name: string) =>
      step.do(`${p}${name}`, { retries: { limit: 3, delay: 1000, backoff: 'exponential' } }, async (ctx) => {
        const value = await fetchVerificationCode(runtime, namespace, input, codeSince, ctx.signal);
        return value ? { placeholder: runtime.registerCode(input.runId, slot, value.code), createdAt: value.createdAt } : { placeholder: null, createdAt: 0 };
      });
    try {
      let found = await check(`verification-code-${n}`);
      // A stale wake-up (an event for a code already used) finds nothing new: wait again, a few times at most.
      for (let wait = 1; found.placeholder === null && wait <= 5; wait++) {
        await step.waitForEvent(`${p}verification-code-${n}-wait-${wait}`, { type: TOTP_EVENT_TYPE, timeout: runtime.verificationCodeTimeoutMs });
        found = await check(`verification-code-${n}-received-${wait}`);
      }
      if (found.placeholder === null) return `No new verification code was pushed for ${input.totpIdentifier}.`;
      return take({ placeholder: found.placeholder, createdAt: found.createdAt });
    } catch (error) {
      if (isPetrelError(error) && error.code === 'EVENT_TIMEOUT') {
        return `No verification code was pushed for ${input.totpIdentifier} within ${Math.round(runtime.verificationCodeTimeoutMs / 60_000)} minutes.`;
      }
      return `Waiting for a verification code failed: ${messageOf(error)}`;
    }
  };

  for (let n = 1; n <= input.maxSteps; n++) {
    if (input.deadline !== undefined && input.deadline !== null && runtime.now() >= input.deadline) {
      return finish({ status: 'timed_out', failureReason: `The run passed its deadline before step ${n}.${summarizeRun(history, lastPage())}`, output: extractedSoFar });
    }
    let record: AgentStepRecord;
    const verificationCode = code;
    code = undefined;
    try {
      record = await step.do(`${p}agent-step-${n}`, stepConfig, (ctx) =>
        runAgentStep({
          runtime,
          namespace,
          input,
          step: n,
          checkpoint,
          history: [...history],
          notes: [...notes],
          plan,
          verificationCode,
          extraction,
          extractedSoFar,
          ctx,
        }),
      );
    } catch (error) {
      const attempts = retriable(error) ? runtime.maxRetriesPerStep + 1 : 1;
      return fail(`Step ${n} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${messageOf(error)}.${summarizeRun(history, lastPage())}`, extractedSoFar);
    }
    records.push(record);
    addUsage(usage, record.usage);
    if (record.checkpoint) checkpoint = record.checkpoint;
    history.push({ step: n, text: record.history, brief: record.historyBrief });
    notes.length = 0;
    if (record.extracted) extractedSoFar = record.extracted.data;
    const outcome = record.outcome;
    switch (outcome.kind) {
      case 'continue':
        break;
      case 'downloaded':
        return finish({ status: 'completed', ...(extractedSoFar === undefined ? {} : { output: extractedSoFar }) });
      case 'needs_code': {
        const failure = await obtainCode(n);
        if (failure !== undefined) return fail(`${failure}${summarizeRun(history, lastPage())}`, extractedSoFar);
        break;
      }
      case 'terminate': {
        const errors: RunError[] = outcome.errorCode
          ? [{ error_code: outcome.errorCode, reasoning: outcome.reasoning, confidence_float: outcome.confidence ?? 1, error_type: 'USER_DEFINED_ERROR' }]
          : await classifyErrors(`The agent stopped: ${outcome.reasoning}`);
        return finish({
          status: 'terminated',
          failureReason: `${outcome.reasoning || 'The agent decided the goal cannot be achieved.'}${summarizeRun(history, lastPage())}`,
          errors,
          ...(extractedSoFar === undefined ? {} : { output: extractedSoFar }),
        });
      }
      case 'complete': {
        if (input.completeVerification !== false) {
          let verdict: { achieved: boolean; reasoning: string; usage: CallUsage };
          try {
            verdict = await followUp(`verify-${n}`, async (ctx) => {
              const { run, secrets } = await openRunBrowser(runtime, namespace, input, checkpoint, ctx.signal);
              const observation = await run.observe({ signal: ctx.signal });
              const exchanges: ModelHttpExchange[] = [];
              let response;
              try {
                response = await runtime.model(input.model).generate({
                  system: VERIFY_SYSTEM_PROMPT,
                  messages: [
                    {
                      role: 'user',
                      content: buildVerifyPrompt({
                        goal: input.goal,
                        completeCriterion: input.completeCriterion ?? undefined,
                        claim: outcome.reasoning,
                        history: input.includeActionHistoryInVerification ? history : undefined,
                        page: observation.text,
                      }),
                    },
                  ],
                  output: { schema: VERIFY_OUTPUT_SCHEMA, name: 'verification' },
                  temperature: 0,
                  redactor: secrets.redactor,
                  signal: ctx.signal,
                  onExchange: (e) => exchanges.push(e),
                });
              } finally {
                await recordExchanges(run, exchanges, `verify-${n}`);
              }
              const answer = response.object as { user_goal_achieved?: unknown; reasoning?: unknown } | undefined;
              if (typeof answer?.user_goal_achieved !== 'boolean') {
                throw new PetrelError('LLM_ERROR', `agent.verify: the model gave no verdict (${response.outputError?.message ?? 'no JSON'})`, { nonRetryable: false });
              }
              return {
                achieved: answer.user_goal_achieved,
                reasoning: typeof answer.reasoning === 'string' ? secrets.redactor.redact(answer.reasoning).slice(0, 500) : '',
                usage: toUsage(response),
              };
            });
          } catch (error) {
            return fail(`Checking the completion of step ${n} failed: ${messageOf(error)}.${summarizeRun(history, lastPage())}`, extractedSoFar);
          }
          addUsage(usage, verdict.usage);
          if (!verdict.achieved) {
            notes.push(`You called complete, but a check of the page found the goal not achieved: ${verdict.reasoning}`);
            break;
          }
        }
        if (!extraction) return finish({ status: 'completed', ...(extractedSoFar === undefined ? {} : { output: extractedSoFar }) });
        let data: { data: unknown; valid: boolean; issues?: string };
        if (record.extracted?.final) {
          data = record.extracted;
        } else {
          const schema = extraction;
          try {
            const extracted = await followUp('extract', async (ctx) => {
              const { run, secrets } = await openRunBrowser(runtime, namespace, input, checkpoint, ctx.signal);
              const observation = await run.observe({ signal: ctx.signal });
              const exchanges: ModelHttpExchange[] = [];
              try {
                const result = await extractFromPage({
                  run,
                  observation,
                  model: runtime.model(input.model),
                  schema,
                  goal: input.extractionGoal ?? input.goal,
                  previous: extractedSoFar,
                  redactor: secrets.redactor,
                  chunkTokens: runtime.extractionChunkTokens,
                  signal: ctx.signal,
                  onExchange: (e) => exchanges.push(e),
                });
                return { data: result.data, valid: result.valid, ...(result.issues ? { issues: result.issues } : {}), usage: result.usage };
              } finally {
                await recordExchanges(run, exchanges, 'extract');
              }
            });
            addUsage(usage, extracted.usage);
            data = extracted;
          } catch (error) {
            return fail(`Extracting the data failed: ${messageOf(error)}.${summarizeRun(history, lastPage())}`, extractedSoFar);
          }
        }
        if (!data.valid) return fail(`The extracted data does not match data_extraction_schema: ${data.issues ?? 'invalid'}.`, data.data);
        return finish({ status: 'completed', output: data.data });
      }
      default: {
        const unknown: never = outcome;
        throw new PetrelError('INTERNAL', `agent.loop: unknown step outcome ${JSON.stringify(unknown)}`);
      }
    }
  }
  return fail(`Reached the maximum steps (${input.maxSteps}) without completing the goal.${summarizeRun(history, lastPage())}`, extractedSoFar);
}

function toUsage(response: { usage: { inputTokens: number; outputTokens: number }; costUsd?: number; durationMs: number }): CallUsage {
  return {
    inputTokens: response.usage.inputTokens,
    outputTokens: response.usage.outputTokens,
    costUsd: response.costUsd ?? null,
    modelCalls: 1,
    modelMs: response.durationMs,
  };
}
