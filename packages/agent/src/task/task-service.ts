// The entry point the server calls for task runs: `runTask` (`POST /v1/run/tasks`), `getTaskRun`
// (`GET /v1/runs/{tsk_…}`), `cancelTaskRun`, and the `login` / `downloadFiles` helpers. Requests are
// validated here once more (so the service is safe to call directly), bad input fails before any
// instance exists, and every answer is Skyvern's `TaskRunResponse`.
import { DownloadFilesRequestSchema, LoginRequestSchema, PetrelError, TaskRunRequestSchema, isFinalInstanceStatus, newId } from '@petrel/protocol';
import type { DownloadFilesRequest, LoginRequest, RunEngine, TaskRunRequest, TaskRunResponse } from '@petrel/protocol';
import type { Engine } from '@petrel/engine';
import type { z } from 'zod';
import { compileExtractionSchema } from '../extraction/extraction-schema.ts';
import type { AgentRuntime } from '../runtime/agent-runtime.ts';
import { maskHeaders, toTaskRunResponse } from './task-response.ts';
import type { TaskResponseOptions } from './task-response.ts';
import { TASK_WORKFLOW_NAME, createTaskWorkflow } from './task-workflow.ts';
import type { TaskWorkflowParams } from './task-workflow.ts';

/** The goal of a login run when the request has no prompt. */
export const DEFAULT_LOGIN_PROMPT =
  'Log in with the credential in the parameters. If this is not a login page, find the login page first. Dismiss cookie banners or pop-ups that block the page. ' +
  'When a verification (2FA) code is asked for, type the credential\'s totp placeholder if it has one, otherwise request a code. ' +
  'Complete when you are signed in (the page shows the account, a dashboard or a sign-out control). Terminate when the login is refused.';

/** Engines that run on the agent loop. */
const SUPPORTED_ENGINES: ReadonlySet<RunEngine> = new Set(['skyvern-1.0', 'skyvern-2.0']);

/** Options of `createTaskService`. */
export type TaskServiceOptions = {
  /** The engine task instances are created in (its workers, here or elsewhere, run them). */
  engine: Engine;
  /** The agent runtime (model check, vault lookups for login; local browser release on cancel). */
  runtime: AgentRuntime;
  /** Artifact URLs and app URLs in responses; default ids and null. */
  response?: TaskResponseOptions;
  /** Check at `runTask` that a model is configured (`LLM_NOT_CONFIGURED` at once); default true. Turn off for an API process whose workers hold the model configuration. */
  requireModel?: boolean;
};

/** Per-call options of `runTask`. */
export type RunTaskOptions = {
  /** `x-max-steps-override`: wins over `max_steps`. */
  maxStepsOverride?: number | null;
  /** Clear parameters shown to the model (not part of Skyvern's task request). */
  parameters?: Record<string, unknown>;
  /** Credentials the run may use, by parameter key (`cred_…`). */
  credentials?: Record<string, string>;
  /** Stop with `timed_out` after this long; default none. */
  timeoutMs?: number;
};

/** Task runs. */
export type TaskService = {
  /** Validates and starts a task; answers at once with status `queued`. */
  runTask(namespace: string, request: unknown, options?: RunTaskOptions): Promise<TaskRunResponse>;
  /** The run; throws `RUN_NOT_FOUND`. */
  getTaskRun(namespace: string, runId: string): Promise<TaskRunResponse>;
  /** The run, or undefined. */
  findTaskRun(namespace: string, runId: string): Promise<TaskRunResponse | undefined>;
  /** Cancels a run (at its next step boundary; an in-flight model call is aborted); a finished run is left as it is. */
  cancelTaskRun(namespace: string, runId: string): Promise<TaskRunResponse>;
  /** Logs in with a stored credential (`POST /v1/run/tasks/login`). */
  login(namespace: string, request: unknown): Promise<TaskRunResponse>;
  /** Navigates until a file downloads (`POST /v1/run/tasks/download_files`); `options` as for `runTask` (credentials, parameters). */
  downloadFiles(namespace: string, request: unknown, options?: RunTaskOptions): Promise<TaskRunResponse>;
  /** Resolves when the run has finished (tests, examples, the SDK's wait_for_completion); throws `TIMEOUT`. */
  waitForTaskRun(namespace: string, runId: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<TaskRunResponse>;
};

function parse<T>(schema: z.ZodType<T>, input: unknown, op: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  const first = issues[0];
  throw new PetrelError('VALIDATION_FAILED', `${op}: ${first ? `${first.field}: ${first.message}` : 'invalid request'}`, { details: issues });
}

/** The task fields of what the login and download helpers share (Skyvern's `BaseRunBlockRequest`). */
function runBlockTaskFields(block: LoginRequest | DownloadFilesRequest): Partial<TaskRunRequest> {
  return {
    url: block.url,
    webhook_url: block.webhook_url,
    totp_identifier: block.totp_identifier,
    totp_url: block.totp_url,
    browser_session_id: block.browser_session_id,
    browser_address: block.browser_address,
    extra_http_headers: block.extra_http_headers,
    cdp_connect_headers: block.cdp_connect_headers,
  };
}

/** A helper's request as the run echoes it: the CDP handshake headers masked. */
function maskedRunRequest(block: LoginRequest | DownloadFilesRequest): Record<string, unknown> {
  return { ...block, cdp_connect_headers: maskHeaders(block.cdp_connect_headers) };
}

function isTaskRunId(runId: string): boolean {
  return /^tsk_(v2_)?[0-9A-HJKMNP-TV-Z]{26}$/.test(runId);
}

/** Creates the task service. */
export function createTaskService(options: TaskServiceOptions): TaskService {
  const { engine, runtime } = options;
  const definition = createTaskWorkflow(runtime);
  const registered = new Map<string, Promise<unknown>>();
  const requireModel = options.requireModel ?? true;

  const ensureRegistered = async (namespace: string): Promise<void> => {
    let pending = registered.get(namespace);
    if (!pending) {
      pending = engine.register(definition, { namespace });
      registered.set(namespace, pending);
      pending.catch(() => registered.delete(namespace));
    }
    await pending;
  };

  const check = (request: TaskRunRequest, op: string): void => {
    if (!SUPPORTED_ENGINES.has(request.engine)) {
      throw new PetrelError('UNSUPPORTED_ENGINE', `${op}: engine ${request.engine} is not supported yet; use skyvern-1.0 or skyvern-2.0`, { details: { field: 'engine' } });
    }
    if (request.browser_profile_id) {
      throw new PetrelError('VALIDATION_FAILED', `${op}: browser_profile_id is not supported for task runs (workflow runs only, as in Skyvern)`, {
        details: { field: 'browser_profile_id' },
      });
    }
    if (request.data_extraction_schema !== undefined && request.data_extraction_schema !== null) {
      compileExtractionSchema(request.data_extraction_schema);
    }
    if (requireModel) runtime.model(request.model ?? null);
  };

  const start = async (namespace: string, params: TaskWorkflowParams): Promise<TaskRunResponse> => {
    await ensureRegistered(namespace);
    const id = newId(params.request.engine === 'skyvern-2.0' ? 'taskV2' : 'task');
    await engine.instances.create({ namespace, workflow: TASK_WORKFLOW_NAME, id, params });
    return service.getTaskRun(namespace, id);
  };

  const find = async (namespace: string, runId: string): Promise<TaskRunResponse | undefined> => {
    if (typeof runId !== 'string' || !isTaskRunId(runId)) return undefined;
    const details = await engine.instances.find({ namespace, workflow: TASK_WORKFLOW_NAME, id: runId }, { steps: true });
    return details ? toTaskRunResponse(details, options.response) : undefined;
  };

  const service: TaskService = {
    async runTask(namespace, body, runOptions = {}) {
      const request = parse(TaskRunRequestSchema, body, 'runs.task');
      check(request, 'runs.task');
      const override = runOptions.maxStepsOverride;
      if (override !== undefined && override !== null && (!Number.isInteger(override) || override < 1 || override > 200)) {
        throw new PetrelError('VALIDATION_FAILED', 'runs.task: x-max-steps-override must be an integer from 1 to 200', { details: { field: 'x-max-steps-override' } });
      }
      return start(namespace, {
        kind: 'task',
        request,
        ...(override === undefined ? {} : { maxStepsOverride: override }),
        ...(runOptions.parameters ? { parameters: runOptions.parameters } : {}),
        ...(runOptions.credentials ? { credentials: runOptions.credentials } : {}),
        ...(runOptions.timeoutMs ? { deadline: new Date(runtime.now() + runOptions.timeoutMs).toISOString() } : {}),
      });
    },

    async getTaskRun(namespace, runId) {
      const found = await find(namespace, runId);
      if (!found) throw new PetrelError('RUN_NOT_FOUND', `runs.get: no run ${runId.slice(0, 100)}`, { details: { run_id: runId } });
      return found;
    },

    findTaskRun: find,

    async cancelTaskRun(namespace, runId) {
      const current = await service.getTaskRun(namespace, runId);
      const ref = { namespace, workflow: TASK_WORKFLOW_NAME, id: runId };
      const details = await engine.instances.get(ref);
      if (isFinalInstanceStatus(details.status)) return current;
      try {
        await engine.instances.terminate(ref);
      } catch (error) {
        // It finished meanwhile: report what it is now.
        if (!(error instanceof PetrelError && error.code === 'INVALID_TRANSITION')) throw error;
      }
      await runtime.browsers.release(runId, { skipHook: true }).catch(() => {});
      runtime.forget(runId);
      return service.getTaskRun(namespace, runId);
    },

    async login(namespace, body) {
      const login: LoginRequest = parse(LoginRequestSchema, body, 'runs.login');
      if (login.credential_type !== 'skyvern') {
        throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `runs.login: credential_type ${login.credential_type} is not supported; store the credential in Petrel (credential_type skyvern)`, {
          details: { field: 'credential_type' },
        });
      }
      if (!login.credential_id) throw new PetrelError('VALIDATION_FAILED', 'runs.login: credential_id is required', { details: { field: 'credential_id' } });
      if (!runtime.credentials) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', 'runs.login: this server has no credential vault');
      await runtime.credentials.get(namespace, login.credential_id);
      const request = parse(
        TaskRunRequestSchema,
        { ...runBlockTaskFields(login), prompt: login.prompt ?? DEFAULT_LOGIN_PROMPT, max_steps: 10 },
        'runs.login',
      );
      check(request, 'runs.login');
      return start(namespace, {
        kind: 'login',
        request,
        runRequest: maskedRunRequest(login),
        credentials: { credential: login.credential_id },
      });
    },

    async downloadFiles(namespace, body, runOptions = {}) {
      const download: DownloadFilesRequest = parse(DownloadFilesRequestSchema, body, 'runs.download_files');
      const request = parse(
        TaskRunRequestSchema,
        {
          ...runBlockTaskFields(download),
          prompt: `${download.navigation_goal.trim()}\nThe goal is reached when the file download has started; download it with the download tool.`,
          max_steps: download.max_steps_per_run ?? 10,
        },
        'runs.download_files',
      );
      check(request, 'runs.download_files');
      return start(namespace, {
        kind: 'download_files',
        request,
        runRequest: maskedRunRequest(download),
        completeOnDownload: true,
        downloadSuffix: download.download_suffix ?? null,
        downloadTimeoutMs: download.download_timeout ? Math.round(download.download_timeout * 1000) : null,
        ...(runOptions.parameters ? { parameters: runOptions.parameters } : {}),
        ...(runOptions.credentials ? { credentials: runOptions.credentials } : {}),
        ...(runOptions.timeoutMs ? { deadline: new Date(runtime.now() + runOptions.timeoutMs).toISOString() } : {}),
      });
    },

    async waitForTaskRun(namespace, runId, waitOptions = {}) {
      await service.getTaskRun(namespace, runId);
      await engine.instances.waitForStatus(
        { namespace, workflow: TASK_WORKFLOW_NAME, id: runId },
        { ...(waitOptions.timeoutMs === undefined ? {} : { timeoutMs: waitOptions.timeoutMs }), ...(waitOptions.signal ? { signal: waitOptions.signal } : {}) },
      );
      return service.getTaskRun(namespace, runId);
    },
  };
  return service;
}
