// The client: one method per API operation, named as the seed SDKs name them, in camelCase.
// Arguments and answers are camelCase objects typed from the OpenAPI document; the HTTP layer
// converts keys at the edge (user data excepted, see wire-casing.ts) and throws typed errors.
import type { Duration } from './durations.ts';
import { toMilliseconds } from './durations.ts';
import type {
  ApiKey,
  Artifact,
  ArtifactSignedUrl,
  BrowserProfile,
  BrowserSessionResponse,
  BulkCancelRunsResponse,
  CreateApiKeyRequest,
  CreateBrowserProfileRequest,
  CreateBrowserSessionRequest,
  CreateCredentialRequest,
  CreateFolderRequest,
  CreatedApiKey,
  CredentialResponse,
  DownloadFilesRequest,
  Folder,
  GetCredentialsQuery,
  GetFoldersQuery,
  GetRunResponse,
  GetRunArtifactsQuery,
  GetRunsQuery,
  GetSchedulesQuery,
  GetWorkflowGraphQuery,
  GetWorkflowGraphResponse,
  GetWorkflowQuery,
  GetWorkflowRunsOfWorkflowQuery,
  GetWorkflowRunsQuery,
  GetWorkflowSchedulesQuery,
  GetWorkflowsQuery,
  ListApiKeysQuery,
  ListBrowserProfilesQuery,
  LoginRequest,
  Operations,
  RetryRunWebhookRequest,
  RunWebhookReplayResponse,
  TaskRunListItem,
  TaskRunRequest,
  TaskRunResponse,
  TOTPCode,
  TOTPCodeCreate,
  UpdateBrowserProfileRequest,
  UpdateFolderRequest,
  UploadFileResponse,
  WebhookDelivery,
  WebhookSecret,
  Workflow,
  WorkflowRunRequest,
  WorkflowRunResponse,
  WorkflowRunTimeline,
  WorkflowSchedule,
  WorkflowScheduleUpsertRequest,
} from './generated/api-types.ts';
import type { OperationId } from './generated/operations.ts';
import { OPERATIONS } from './generated/operations.ts';
import type { CallInput, FetchFunction, RequestOptions } from './http-client.ts';
import { HttpClient } from './http-client.ts';
import type { LocalServer, LocalServerOptions } from './local-server.ts';
import type { VerifyWebhookOptions, WebhookHeaders } from './verify-webhook.ts';
import { verifyWebhook } from './verify-webhook.ts';
import type { RunEvent, WaitForCompletionOptions } from './wait-for-completion.ts';
import { readRunEvents, waitForRun } from './wait-for-completion.ts';

/** Options of `new Petrel(...)`. */
export type PetrelOptions = {
  /** API key (`pk_…`), sent as `x-api-key`. Required. */
  apiKey: string;
  /** Base URL of the server. Default `http://127.0.0.1:8000` (`petrel serve`'s default). */
  baseUrl?: string;
  /** Time limit of each HTTP attempt: milliseconds or a string such as `"30 seconds"`. Default 60 seconds. */
  timeout?: Duration;
  /** Retries of retry-safe requests after a network error, 408, 429 or 5xx. Default 2. */
  maxRetries?: number;
  /** Headers sent with every request. Default none. */
  headers?: Record<string, string>;
  /** The `fetch` to call. Default the global `fetch`. */
  fetch?: FetchFunction;
};

/** Options of `Petrel.local()`: the embedded server's and the client's. */
export type LocalPetrelOptions = LocalServerOptions & Omit<PetrelOptions, 'apiKey' | 'baseUrl'>;

/** A TOTP code to push, as `sendTotpCode` takes it (`expiredAt` may be a `Date`). */
export type SendTotpCodeParams = Omit<TOTPCodeCreate, 'expiredAt'> & { expiredAt?: string | Date | null };

/** Waiting options of the methods that start a run (as Skyvern's `wait_for_completion` and `timeout`). */
export type WaitParams = {
  /** Resolve with the finished run instead of the started one. Default false. */
  waitForCompletion?: boolean;
  /** With `waitForCompletion`: the longest wait (milliseconds or `"30 minutes"`); then `TimeoutError`. Default 30 minutes. */
  timeout?: WaitForCompletionOptions['timeout'];
  /** With `waitForCompletion`: called with each live event of the run. */
  onEvent?: WaitForCompletionOptions['onEvent'];
};

/** `runTask`'s parameters: the task (camelCase `TaskRunRequest`) and how to wait. */
export type RunTaskParams = TaskRunRequest & WaitParams;
/** `login`'s parameters. */
export type LoginParams = LoginRequest & WaitParams;
/** `downloadFiles`'s parameters. */
export type DownloadFilesParams = DownloadFilesRequest & WaitParams;

/** One step of seed 000's simple workflow: `instructions` (with optional start pages) or a saved `taskId`. */
export type TaskListStep = {
  /** What to do, in plain language. */
  instructions?: string | null;
  /** Where to start: one URL or several. Without it the step goes on from the last page. */
  targetUrl?: string | string[] | null;
  /** A saved task to run instead of instructions. */
  taskId?: string | null;
};

/**
 * A workflow definition to create or update: Skyvern's `{ jsonDefinition }` (an object in the wire
 * format: `title`, `workflow_definition` with `parameters` and `blocks`, ...) or `{ yamlDefinition }`
 * (the same as YAML text), passed verbatim.
 */
export type WorkflowDefinitionParams = { jsonDefinition: Record<string, unknown>; yamlDefinition?: never } | { yamlDefinition: string; jsonDefinition?: never };

/** `createWorkflow`'s parameters: a definition, or seed 000's `{ name, tasks }`; `folderId` files it. */
export type CreateWorkflowParams = (WorkflowDefinitionParams | { name: string; description?: string | null; tasks: TaskListStep[] }) & {
  /** Put the new workflow in this folder (`fld_…`). */
  folderId?: string;
};

/** `runWorkflow`'s parameters: the run (camelCase `WorkflowRunRequest`), how to wait, and Skyvern's extras. */
export type RunWorkflowParams = WorkflowRunRequest &
  WaitParams & {
    /** Most agent steps of each browser block (sent as `x-max-steps-override`). */
    maxStepsOverride?: number;
    /** Accepted for compatibility (Petrel has no template gallery). */
    template?: boolean;
  };

/** Seed 000's `startWorkflowRun` parameters. */
export type StartWorkflowRunParams = {
  /** The workflow's permanent id (`wpid_…`, `createWorkflow(...).workflowPermanentId`). */
  workflowId: string;
  /** The end user the run is for; it scopes the browser state the workflow keeps between runs. */
  developerUserId: string;
  /** Values of the workflow's parameters. */
  parameters?: Record<string, unknown>;
  /** Where to send the signed webhook when the run ends. */
  webhookUrl?: string;
};

/** An artifact type (`screenshot`, `recording`, `trace`, `download`, ...). */
export type ArtifactType = Artifact['artifactType'];

/** What `uploadFile` sends. */
export type UploadFileParams = {
  /** The bytes: a `Blob`/`File` (its name is used), a `Uint8Array` or an `ArrayBuffer`. */
  file: Blob | Uint8Array | ArrayBuffer;
  /** File name. Default the `File`'s name, else `upload.bin`. */
  filename?: string;
  /** Media type when `file` is bytes. Default `application/octet-stream`. */
  contentType?: string;
  /** Delete the file after this many days (1 to 3650). Default keep. */
  retentionDays?: number;
};

const DEFAULT_BASE_URL = 'http://127.0.0.1:8000';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;

function validateOptions(options: PetrelOptions): { baseUrl: string; timeoutMs: number; maxRetries: number } {
  if (typeof options !== 'object' || options === null) throw new TypeError('new Petrel: options are required ({ apiKey, baseUrl })');
  if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') throw new TypeError('new Petrel: apiKey is required');
  const rawBaseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(rawBaseUrl);
  } catch {
    throw new TypeError('new Petrel: baseUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('new Petrel: baseUrl must start with http:// or https://');
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError('new Petrel: maxRetries must be a whole number ≥ 0');
  return {
    baseUrl: rawBaseUrl.replace(/\/+$/, ''),
    timeoutMs: options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMilliseconds(options.timeout, 'new Petrel: timeout'),
    maxRetries,
  };
}

/** A client of a Petrel server. */
export class Petrel {
  /** The base URL requests go to. */
  readonly baseUrl: string;
  readonly #http: HttpClient;

  constructor(options: PetrelOptions) {
    const { baseUrl, timeoutMs, maxRetries } = validateOptions(options);
    this.baseUrl = baseUrl;
    const fetchFunction = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    this.#http = new HttpClient({ baseUrl, apiKey: options.apiKey, timeoutMs, maxRetries, headers: { ...options.headers }, fetch: fetchFunction });
  }

  /**
   * Starts a Petrel server in this process (Node only; needs `@petrel/server` installed) on
   * 127.0.0.1 and a free port, over a temporary data directory unless `dataDir` is given, and
   * returns a client bound to it. Dispose it (`await using`, or `close()`) to stop the server.
   */
  static async local(options: LocalPetrelOptions = {}): Promise<LocalPetrel> {
    const { startLocalServer } = await import('./local-server.ts');
    const { dataDir, apiKey, workflowsDir, port, env, ...clientOptions } = options;
    const server = await startLocalServer({ dataDir, apiKey, workflowsDir, port, env });
    try {
      return new LocalPetrel({ ...clientOptions, apiKey: server.apiKey, baseUrl: server.url }, server);
    } catch (error) {
      await server.close();
      throw error;
    }
  }

  /** Calls an operation by its OpenAPI operationId. */
  protected async call<Op extends OperationId>(operation: Op, input: CallInput, options?: RequestOptions): Promise<Operations[Op]['response']> {
    return this.#http.call(operation, OPERATIONS[operation], input, options);
  }

  // Tasks and runs (seed 002).

  /**
   * Runs a browser task from a prompt (and a start URL). Resolves when the run is created, or with
   * `waitForCompletion` when it has finished: a run that failed is a result (check `status` and
   * `failureReason`), not an exception.
   */
  async runTask(params: RunTaskParams, options?: RequestOptions): Promise<TaskRunResponse> {
    const { waitForCompletion, timeout, onEvent, ...request } = params;
    const run = await this.call('runTask', { body: request }, options);
    return waitForCompletion === true ? await this.#wait('runTask', run.runId, { timeout, onEvent }, options) : run;
  }

  /** Logs into a site with a stored credential (`credentialId`) and the default (or a given) login goal. */
  async login(params: LoginParams, options?: RequestOptions): Promise<TaskRunResponse> {
    const { waitForCompletion, timeout, onEvent, ...request } = params;
    const run = await this.call('login', { body: request }, options);
    return waitForCompletion === true ? await this.#wait('login', run.runId, { timeout, onEvent }, options) : run;
  }

  /**
   * Downloads files described in plain language (`navigationGoal`); they show up in the run's
   * `downloadedFiles`. Unlike Skyvern's SDK, `waitForCompletion` works here too.
   */
  async downloadFiles(params: DownloadFilesParams, options?: RequestOptions): Promise<TaskRunResponse> {
    const { waitForCompletion, timeout, onEvent, ...request } = params;
    const run = await this.call('downloadFiles', { body: request }, options);
    return waitForCompletion === true ? await this.#wait('downloadFiles', run.runId, { timeout, onEvent }, options) : run;
  }

  /** Gets a run (task or workflow run): status, output, failure reason, files, screenshots, timings. */
  async getRun(runId: string, options?: RequestOptions): Promise<GetRunResponse> {
    return this.call('getRun', { path: { run_id: runId } }, options);
  }

  /** Seed 000's name for `getRun`: a workflow run's status, result or error, and details. */
  async getWorkflowRunStatus(runId: string, options?: RequestOptions): Promise<GetRunResponse> {
    return this.getRun(runId, options);
  }

  /** A run's timeline: its blocks (a task is one block) with their actions, nested for loops and child runs. */
  async getRunTimeline(runId: string, options?: RequestOptions): Promise<WorkflowRunTimeline[]> {
    return this.call('getRunTimeline', { path: { run_id: runId } }, options);
  }

  /**
   * Waits until a run's status is final and returns the run as `getRun` does. Follows the run's live
   * events (Server-Sent Events, resumed after a break), or polls every `pollInterval` when the server
   * or a proxy does not stream. Throws `TimeoutError` (with `lastRun`) after `timeout`; a failed,
   * terminated or canceled run is returned, not thrown. Aborting `signal` stops waiting, not the run.
   */
  async waitForCompletion(runId: string, options: WaitForCompletionOptions = {}): Promise<GetRunResponse> {
    return this.#wait('waitForCompletion', runId, options, {});
  }

  async #wait(name: string, runId: string, waitOptions: WaitForCompletionOptions, requestOptions: RequestOptions = {}): Promise<GetRunResponse> {
    // The wait's signal ends the calls it makes (the caller's, or the one given with the request).
    const { signal: requestSignal, ...perCall } = requestOptions;
    const signal = waitOptions.signal ?? requestSignal;
    return waitForRun(
      {
        name,
        runId,
        getRun: (callSignal) => this.getRun(runId, { ...perCall, signal: callSignal }),
        openEvents: (lastEventId, callSignal) =>
          this.#http.send(
            'streamRunEvents',
            OPERATIONS.streamRunEvents,
            { path: { run_id: runId }, query: { lastEventId } },
            { ...perCall, signal: callSignal, headers: { ...perCall.headers, accept: 'text/event-stream' } },
          ),
      },
      { ...waitOptions, ...(signal === undefined ? {} : { signal }) },
    );
  }

  // Workflows (seed 002, and seed 000's simple workflows).

  /**
   * Creates a workflow from a definition (`{ jsonDefinition }` or `{ yamlDefinition }`, passed
   * verbatim in the wire format) or from seed 000's `{ name, tasks }`; answers its first version
   * (run it by `workflowPermanentId`).
   */
  async createWorkflow(params: CreateWorkflowParams, options?: RequestOptions): Promise<Workflow> {
    const { folderId, ...body } = params;
    return this.call('createWorkflow', { query: { folderId }, body }, options);
  }

  /** Lists workflows (the latest version of each). */
  async getWorkflows(params: GetWorkflowsQuery = {}, options?: RequestOptions): Promise<Workflow[]> {
    return this.call('getWorkflows', { query: params }, options);
  }

  /** Gets a workflow by its permanent id (`wpid_…`), the latest version or `version`. */
  async getWorkflow(workflowPermanentId: string, params: GetWorkflowQuery = {}, options?: RequestOptions): Promise<Workflow> {
    return this.call('getWorkflow', { path: { workflow_permanent_id: workflowPermanentId }, query: params }, options);
  }

  /** Every version of a workflow. */
  async getWorkflowVersions(workflowPermanentId: string, options?: RequestOptions): Promise<Workflow[]> {
    return this.call('getWorkflowVersions', { path: { workflow_permanent_id: workflowPermanentId } }, options);
  }

  /** Saves a new version of a workflow (`workflowId` is its permanent id, `wpid_…`); runs started before keep theirs. */
  async updateWorkflow(workflowId: string, params: WorkflowDefinitionParams, options?: RequestOptions): Promise<Workflow> {
    return this.call('updateWorkflow', { path: { workflow_permanent_id: workflowId }, body: params }, options);
  }

  /** Deletes a workflow (every version) and its schedules. */
  async deleteWorkflow(workflowId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteWorkflow', { path: { workflow_permanent_id: workflowId } }, options);
  }

  /**
   * Runs a workflow with its parameters. Resolves when the run is created, or with
   * `waitForCompletion` when it has finished (a failed run is a result: check `status`).
   */
  async runWorkflow(params: RunWorkflowParams, options: RequestOptions = {}): Promise<WorkflowRunResponse> {
    const { waitForCompletion, timeout, onEvent, maxStepsOverride, template, ...request } = params;
    const callOptions = maxStepsOverride === undefined ? options : { ...options, headers: { ...options.headers, 'x-max-steps-override': String(maxStepsOverride) } };
    const run = await this.call('runWorkflow', { query: { template }, body: request }, callOptions);
    return waitForCompletion === true ? ((await this.#wait('runWorkflow', run.runId, { timeout, onEvent }, options)) as WorkflowRunResponse) : run;
  }

  /** Seed 000: starts a run of a workflow for one end user; answers the run (its `runId` and `status`). */
  async startWorkflowRun(params: StartWorkflowRunParams, options?: RequestOptions): Promise<WorkflowRunResponse> {
    return this.runWorkflow(params, options);
  }

  /** Lists workflow runs of all workflows, newest first (filter by status or end user). */
  async getWorkflowRuns(params: GetWorkflowRunsQuery = {}, options?: RequestOptions): Promise<WorkflowRunResponse[]> {
    return this.call('getWorkflowRuns', { query: params }, options);
  }

  /** Lists the runs of one workflow, newest first. */
  async getWorkflowRunsOfWorkflow(workflowPermanentId: string, params: GetWorkflowRunsOfWorkflowQuery = {}, options?: RequestOptions): Promise<WorkflowRunResponse[]> {
    return this.call('getWorkflowRunsOfWorkflow', { path: { workflow_permanent_id: workflowPermanentId }, query: params }, options);
  }

  /** A workflow version's step graph (blocks and the edges between them). */
  async getWorkflowGraph(workflowPermanentId: string, params: GetWorkflowGraphQuery = {}, options?: RequestOptions): Promise<GetWorkflowGraphResponse> {
    return this.call('getWorkflowGraph', { path: { workflow_permanent_id: workflowPermanentId }, query: params }, options);
  }

  /** Moves a workflow into a folder (`null`: out of any). */
  async updateWorkflowFolder(workflowPermanentId: string, folderId: string | null, options?: RequestOptions): Promise<Workflow> {
    return this.call('updateWorkflowFolder', { path: { workflow_permanent_id: workflowPermanentId }, body: { folderId } }, options);
  }

  /** Forgets the browser state a workflow keeps between runs (for one end user when `developerUserId` is given). */
  async resetWorkflowBrowserState(workflowPermanentId: string, params: { developerUserId?: string } = {}, options?: RequestOptions): Promise<{ deleted: boolean }> {
    return this.call('resetWorkflowBrowserState', { path: { workflow_permanent_id: workflowPermanentId }, query: params }, options);
  }

  /**
   * Approves or rejects a run waiting in a `human_interaction` block. The server asks for the block's
   * `token` (the one in the emailed links) even with an API key; it goes in the body, not the URL.
   */
  async answerHumanInteraction(runId: string, label: string, params: { decision: 'approve' | 'reject'; token: string }, options?: RequestOptions): Promise<WorkflowRunResponse> {
    return this.call('answerHumanInteraction', { path: { run_id: runId, label }, body: params }, options);
  }

  // Schedules.

  /** A workflow's cron schedules. */
  async getWorkflowSchedules(workflowPermanentId: string, params: GetWorkflowSchedulesQuery = {}, options?: RequestOptions): Promise<WorkflowSchedule[]> {
    return this.call('getWorkflowSchedules', { path: { workflow_permanent_id: workflowPermanentId }, query: params }, options);
  }

  /** Adds a cron schedule that starts runs of a workflow (with these parameters). */
  async createWorkflowSchedule(workflowPermanentId: string, params: WorkflowScheduleUpsertRequest, options?: RequestOptions): Promise<WorkflowSchedule> {
    return this.call('createWorkflowSchedule', { path: { workflow_permanent_id: workflowPermanentId }, body: params }, options);
  }

  /** Gets one schedule. */
  async getWorkflowSchedule(workflowPermanentId: string, workflowScheduleId: string, options?: RequestOptions): Promise<WorkflowSchedule> {
    return this.call('getWorkflowSchedule', { path: { workflow_permanent_id: workflowPermanentId, workflow_schedule_id: workflowScheduleId } }, options);
  }

  /** Replaces a schedule. */
  async updateWorkflowSchedule(workflowPermanentId: string, workflowScheduleId: string, params: WorkflowScheduleUpsertRequest, options?: RequestOptions): Promise<WorkflowSchedule> {
    return this.call('updateWorkflowSchedule', { path: { workflow_permanent_id: workflowPermanentId, workflow_schedule_id: workflowScheduleId }, body: params }, options);
  }

  /** Deletes a schedule. */
  async deleteWorkflowSchedule(workflowPermanentId: string, workflowScheduleId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteWorkflowSchedule', { path: { workflow_permanent_id: workflowPermanentId, workflow_schedule_id: workflowScheduleId } }, options);
  }

  /** Turns a schedule on. */
  async enableWorkflowSchedule(workflowPermanentId: string, workflowScheduleId: string, options?: RequestOptions): Promise<WorkflowSchedule> {
    return this.call('enableWorkflowSchedule', { path: { workflow_permanent_id: workflowPermanentId, workflow_schedule_id: workflowScheduleId } }, options);
  }

  /** Turns a schedule off. */
  async disableWorkflowSchedule(workflowPermanentId: string, workflowScheduleId: string, options?: RequestOptions): Promise<WorkflowSchedule> {
    return this.call('disableWorkflowSchedule', { path: { workflow_permanent_id: workflowPermanentId, workflow_schedule_id: workflowScheduleId } }, options);
  }

  /** Every schedule of the organization. */
  async getSchedules(params: GetSchedulesQuery = {}, options?: RequestOptions): Promise<WorkflowSchedule[]> {
    return this.call('getSchedules', { query: params }, options);
  }

  // Folders.

  /** Lists folders of workflows. */
  async getFolders(params: GetFoldersQuery = {}, options?: RequestOptions): Promise<Folder[]> {
    return this.call('getFolders', { query: params }, options);
  }

  /** Creates a folder. */
  async createFolder(params: CreateFolderRequest, options?: RequestOptions): Promise<Folder> {
    return this.call('createFolder', { body: params }, options);
  }

  /** Gets a folder. */
  async getFolder(folderId: string, options?: RequestOptions): Promise<Folder> {
    return this.call('getFolder', { path: { folder_id: folderId } }, options);
  }

  /** Renames or re-describes a folder. */
  async updateFolder(folderId: string, params: UpdateFolderRequest, options?: RequestOptions): Promise<Folder> {
    return this.call('updateFolder', { path: { folder_id: folderId }, body: params }, options);
  }

  /** Deletes a folder (its workflows stay, outside any folder). */
  async deleteFolder(folderId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteFolder', { path: { folder_id: folderId } }, options);
  }

  // Runs.

  /** Lists runs (tasks and workflow runs), newest first; filter by status, run type or a search key. */
  async getRuns(params: GetRunsQuery = {}, options?: RequestOptions): Promise<TaskRunListItem[]> {
    return this.call('getRuns', { query: params }, options);
  }

  /** Cancels a run (at its next step boundary); throws `ConflictError` when it is already final. */
  async cancelRun(runId: string, options?: RequestOptions): Promise<void> {
    await this.call('cancelRun', { path: { run_id: runId } }, options);
  }

  /** Cancels up to 100 runs; answers which were canceled and which were not. */
  async bulkCancelRuns(runIds: string[], options?: RequestOptions): Promise<BulkCancelRunsResponse> {
    return this.call('bulkCancelRuns', { body: { runIds } }, options);
  }

  /** Sends a finished run's webhook again (to `webhookUrl` when given) and returns the delivery's outcome. */
  async retryRunWebhook(runId: string, params: RetryRunWebhookRequest = {}, options?: RequestOptions): Promise<RunWebhookReplayResponse> {
    return this.call('retryRunWebhook', { path: { run_id: runId }, body: params }, options);
  }

  /** Every attempt to deliver a run's webhook (Petrel's own). */
  async getRunWebhookDeliveries(runId: string, options?: RequestOptions): Promise<WebhookDelivery[]> {
    return this.call('getRunWebhookDeliveries', { path: { run_id: runId } }, options);
  }

  /**
   * A run's live events (`snapshot`, then `status`, `step`, `screenshot`, ..., `done`), camelCased, as
   * they happen; the iteration ends when the run ends or the server closes the stream. Resume after
   * an event with `{ lastEventId: event.id }`. Breaking out of the loop closes the stream.
   */
  async *streamRunEvents(runId: string, options: RequestOptions & { lastEventId?: string } = {}): AsyncGenerator<RunEvent> {
    const { lastEventId, ...requestOptions } = options;
    const response = await this.#http.send(
      'streamRunEvents',
      OPERATIONS.streamRunEvents,
      { path: { run_id: runId }, query: { lastEventId } },
      { ...requestOptions, headers: { accept: 'text/event-stream', ...requestOptions.headers } },
    );
    if (response.body === null) return;
    yield* readRunEvents(response.body, runId);
  }

  // Artifacts and files.

  /** A run's artifacts (screenshots, recording, trace, HTML, LLM requests and responses, downloads), optionally of some types. */
  async getRunArtifacts(runId: string, params: { artifactType?: ArtifactType | ArtifactType[] } = {}, options?: RequestOptions): Promise<Artifact[]> {
    const query: GetRunArtifactsQuery = params.artifactType === undefined ? {} : { artifactType: [params.artifactType].flat() };
    return this.call('getRunArtifacts', { path: { run_id: runId }, query }, options);
  }

  /** One artifact's record (with a signed URL to its bytes). */
  async getArtifact(artifactId: string, options?: RequestOptions): Promise<Artifact> {
    return this.call('getArtifact', { path: { artifact_id: artifactId } }, options);
  }

  /** A fresh signed URL of an artifact's bytes, usable without an API key until it expires. */
  async getArtifactSignedUrl(artifactId: string, options?: RequestOptions): Promise<ArtifactSignedUrl> {
    return this.call('getArtifactSignedUrl', { path: { artifact_id: artifactId } }, options);
  }

  /**
   * An artifact's bytes, as the raw `Response` (body unread: `.arrayBuffer()`, `.text()` or stream it).
   * Send `{ headers: { range: 'bytes=0-1023' } }` for a part (206).
   */
  async getArtifactContent(artifactId: string, options: RequestOptions = {}): Promise<Response> {
    return this.#http.send('getArtifactContent', OPERATIONS.getArtifactContent, { path: { artifact_id: artifactId } }, { ...options, headers: { accept: '*/*', ...options.headers } });
  }

  /** Uploads a file; use the answer's `presignedUrl` (or `s3Uri`) as a workflow's file parameter. */
  async uploadFile(params: UploadFileParams, options?: RequestOptions): Promise<UploadFileResponse> {
    const { file } = params;
    const blob = file instanceof Blob ? file : new Blob([file instanceof Uint8Array ? new Uint8Array(file) : file], { type: params.contentType ?? 'application/octet-stream' });
    const filename = params.filename ?? (typeof File !== 'undefined' && file instanceof File ? file.name : 'upload.bin');
    const form = new FormData();
    form.append('file', blob, filename);
    if (params.retentionDays !== undefined) form.append('retention_days', String(params.retentionDays));
    return this.call('uploadFile', { body: form }, options);
  }

  /** An uploaded file's bytes, as the raw `Response` (body unread). */
  async getFileContent(fileId: string, options: RequestOptions = {}): Promise<Response> {
    return this.#http.send('getFileContent', OPERATIONS.getFileContent, { path: { file_id: fileId } }, { ...options, headers: { accept: '*/*', ...options.headers } });
  }

  /** Deletes an uploaded file. */
  async deleteFile(fileId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteFile', { path: { file_id: fileId } }, options);
  }

  // Browser sessions.

  /** Starts a persistent browser (a Chromium reachable over CDP at `browserAddress`) for runs to share. */
  async createBrowserSession(params: CreateBrowserSessionRequest = {}, options?: RequestOptions): Promise<BrowserSessionResponse> {
    return this.call('createBrowserSession', { body: params }, options);
  }

  /** Gets one browser session. */
  async getBrowserSession(browserSessionId: string, options?: RequestOptions): Promise<BrowserSessionResponse> {
    return this.call('getBrowserSession', { path: { browser_session_id: browserSessionId } }, options);
  }

  /** Lists the organization's active browser sessions. */
  async getBrowserSessions(options?: RequestOptions): Promise<BrowserSessionResponse[]> {
    return this.call('getBrowserSessions', {}, options);
  }

  /** Closes a browser session (its Chromium stops); answers the closed session. */
  async closeBrowserSession(browserSessionId: string, options?: RequestOptions): Promise<BrowserSessionResponse> {
    return this.call('closeBrowserSession', { path: { browser_session_id: browserSessionId } }, options);
  }

  // Browser profiles.

  /** Saves browser state (cookies, storage) as a profile: from a running session, a finished run, or blank. */
  async createBrowserProfile(params: CreateBrowserProfileRequest, options?: RequestOptions): Promise<BrowserProfile> {
    return this.call('createBrowserProfile', { body: params }, options);
  }

  /** Lists browser profiles. */
  async listBrowserProfiles(params: ListBrowserProfilesQuery = {}, options?: RequestOptions): Promise<BrowserProfile[]> {
    return this.call('listBrowserProfiles', { query: params }, options);
  }

  /** Gets one browser profile. */
  async getBrowserProfile(profileId: string, options?: RequestOptions): Promise<BrowserProfile> {
    return this.call('getBrowserProfile', { path: { browser_profile_id: profileId } }, options);
  }

  /** Renames or re-describes a browser profile. */
  async updateBrowserProfile(profileId: string, params: UpdateBrowserProfileRequest, options?: RequestOptions): Promise<BrowserProfile> {
    return this.call('updateBrowserProfile', { path: { browser_profile_id: profileId }, body: params }, options);
  }

  /** Deletes a browser profile. */
  async deleteBrowserProfile(profileId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteBrowserProfile', { path: { browser_profile_id: profileId } }, options);
  }

  // Credentials (seed 002) and TOTP codes.

  /** Stores a credential (password with an optional TOTP seed, credit card, or secret), encrypted; the answer never holds the secret. */
  async createCredential(params: CreateCredentialRequest, options?: RequestOptions): Promise<CredentialResponse> {
    return this.call('createCredential', { body: params }, options);
  }

  /** Lists the organization's credentials, newest first (masked). */
  async getCredentials(params: GetCredentialsQuery = {}, options?: RequestOptions): Promise<CredentialResponse[]> {
    return this.call('getCredentials', { query: params }, options);
  }

  /** Gets one credential (masked). */
  async getCredential(credentialId: string, options?: RequestOptions): Promise<CredentialResponse> {
    return this.call('getCredential', { path: { credential_id: credentialId } }, options);
  }

  /** Replaces a credential's name and data. */
  async updateCredential(credentialId: string, params: CreateCredentialRequest, options?: RequestOptions): Promise<CredentialResponse> {
    return this.call('updateCredential', { path: { credential_id: credentialId }, body: params }, options);
  }

  /** Deletes a credential and its ciphertext. */
  async deleteCredential(credentialId: string, options?: RequestOptions): Promise<void> {
    await this.call('deleteCredential', { path: { credential_id: credentialId } }, options);
  }

  /** Pushes a 2FA code (or the whole email/SMS that holds it) for runs waiting on `totpIdentifier`. */
  async sendTotpCode(params: SendTotpCodeParams, options?: RequestOptions): Promise<TOTPCode> {
    const expiredAt = params.expiredAt instanceof Date ? params.expiredAt.toISOString() : params.expiredAt;
    return this.call('sendTotpCode', { body: { ...params, expiredAt } }, options);
  }

  // Webhooks.

  /** Gets the organization's webhook signing secret (`whsec_…`), for `verifyWebhook`. */
  async getWebhookSecret(options?: RequestOptions): Promise<WebhookSecret> {
    return this.call('getWebhookSecret', {}, options);
  }

  /** Replaces the webhook signing secret; deliveries signed afterwards use the new one. */
  async rotateWebhookSecret(options?: RequestOptions): Promise<WebhookSecret> {
    return this.call('rotateWebhookSecret', { body: {} }, options);
  }

  /** `verifyWebhook` (seed 000 has it on the client): true when a delivery is authentic and recent. */
  async verifyWebhook(rawBody: string | Uint8Array | ArrayBuffer, headers: WebhookHeaders, secret: string, options?: VerifyWebhookOptions): Promise<boolean> {
    return verifyWebhook(rawBody, headers, secret, options);
  }

  // API keys (Petrel's own).

  /** Lists the organization's API keys (never their secrets). */
  async getApiKeys(params: ListApiKeysQuery = {}, options?: RequestOptions): Promise<ApiKey[]> {
    return this.call('listApiKeys', { query: params }, options);
  }

  /** Creates an API key; the answer holds the secret this once. */
  async createApiKey(params: CreateApiKeyRequest, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.call('createApiKey', { body: params }, options);
  }

  /** Gets one API key (never its secret). */
  async getApiKey(keyId: string, options?: RequestOptions): Promise<ApiKey> {
    return this.call('getApiKey', { path: { key_id: keyId } }, options);
  }

  /** Revokes an API key (not the organization's last active one). */
  async revokeApiKey(keyId: string, options?: RequestOptions): Promise<ApiKey> {
    return this.call('revokeApiKey', { path: { key_id: keyId } }, options);
  }
}

/** A client bound to a server `Petrel.local()` started in this process; dispose it to stop the server. */
export class LocalPetrel extends Petrel {
  /** The embedded server: its URL, API key and data directory. */
  readonly server: { readonly url: string; readonly apiKey: string; readonly dataDir: string };
  readonly #server: LocalServer;

  constructor(options: PetrelOptions, server: LocalServer) {
    super(options);
    this.#server = server;
    this.server = { url: server.url, apiKey: server.apiKey, dataDir: server.dataDir };
  }

  /** Stops the embedded server gracefully and deletes its temporary data directory. */
  async close(): Promise<void> {
    await this.#server.close();
  }

  /** Same as `close()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
