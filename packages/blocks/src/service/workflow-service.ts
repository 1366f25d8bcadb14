// The entry point the server calls for block workflows (skyvern.md §1.2, §1.3, §1.5, §1.9): saved
// workflows with versions (create from JSON, YAML or seed 000's task list; update = a new version;
// get, list, versions, soft delete, the step graph), and runs (start, read, cancel, list, timeline,
// answers to human_interaction blocks). Requests are validated here (so the service is safe to call
// directly); bad input fails before any row or instance exists. Runs execute on the engine: the
// version's engine workflow is registered in the organization's namespace when a run starts, and
// any worker that claims a run without its code gets it from `resolveWorkflow`.
import { BlockWorkflowRequestSchema, PetrelError, WorkflowRunRequestSchema, isFinalInstanceStatus, isId, isPetrelError, newId } from '@petrel/protocol';
import type { ListWorkflowRunsQuery, ListWorkflowsQuery, WorkflowResponse, WorkflowRunRequest, WorkflowRunResponse, WorkflowRunTimeline } from '@petrel/protocol';
import type { Engine, InstanceDetails, WorkflowDefinition, WorkflowGraph, WorkflowResolver } from '@petrel/engine';
import { BROWSER_TASK_BLOCK_TYPES } from '@petrel/protocol';
import type { z } from 'zod';
import { parseWorkflowDefinition } from '../definition/parse-definition.ts';
import type { ParsedBlockWorkflow, ParsedWorkflowDefinition } from '../definition/parse-definition.ts';
import { walkBlocks } from '../definition/block-fields.ts';
import { buildVersionGraph } from '../graph/block-graph.ts';
import { humanInteractionEventType } from '../graph/block-graph.ts';
import { resolveRunParameters } from '../parameters/run-parameters.ts';
import { compileTaskListWorkflow } from '../seed000/compile-task-list.ts';
import type { SavedTask } from '../seed000/compile-task-list.ts';
import { createBlockWorkflowDefinition, workflowIdOfVersionKey } from '../interpreter/block-workflow.ts';
import { deletePersistedState, persistedStateKey } from '../interpreter/browser-state.ts';
import { createDefaultBlockExecutors } from '../interpreter/default-executors.ts';
import { verifyHumanInteractionToken } from '../interpreter/human-interaction.ts';
import { resolveInterpreterOptions } from '../interpreter/interpreter-deps.ts';
import type { InterpreterDeps, InterpreterOptions } from '../interpreter/interpreter-deps.ts';
import type { WorkflowRunParams } from '../interpreter/run-types.ts';
import type { WorkflowRepository, WorkflowRunRow, WorkflowVersionRow } from './workflow-repository.ts';
import { buildRunTimeline, toWorkflowResponse, toWorkflowRunResponse } from './workflow-responses.ts';
import type { WorkflowResponseOptions } from './workflow-responses.ts';

/** Options of `createWorkflowService`: the interpreter's options plus the engine and the repository. */
export type WorkflowServiceOptions = Omit<InterpreterOptions, 'executors' | 'startChildRun'> & {
  /** The engine runs are created in (its workers, here or elsewhere, run them). Required. */
  engine: Engine;
  /** Where workflows and run rows are kept. Required. */
  repository: WorkflowRepository;
  /** Block executors; default `createDefaultBlockExecutors()`. */
  executors?: InterpreterOptions['executors'];
  /** Artifact and app URLs in responses. */
  response?: WorkflowResponseOptions;
  /** Check at `runWorkflow` that a model is configured when the workflow has agent blocks; default true. */
  requireModel?: boolean;
};

/** Per-call options of `runWorkflow`. */
export type RunWorkflowOptions = {
  /** `x-max-steps-override`: most agent steps of the run across its blocks. */
  maxStepsOverride?: number | null;
  /** The end user (seed 000's `developer_user_id`); the request's field wins when both are given. */
  developerUserId?: string | null;
  /**
   * A run id the caller derived (one per schedule firing, `derivedId`). Starting it again, after a
   * crash or from another process, returns the run already started instead of a second one.
   */
  runId?: string;
};

/** Block workflows and their runs. */
export type WorkflowService = {
  /** Creates a workflow (version 1) from `{ json_definition }`, `{ yaml_definition }`, a definition object or YAML text, or a seed-000 task list. */
  createWorkflow(namespace: string, body: unknown, options?: { folderId?: string | null }): Promise<WorkflowResponse>;
  /** Saves a new version of a workflow; runs already started keep theirs. */
  updateWorkflow(namespace: string, workflowPermanentId: string, body: unknown): Promise<WorkflowResponse>;
  /** A workflow's latest version (or `version`); throws `WORKFLOW_NOT_FOUND`. */
  getWorkflow(namespace: string, workflowPermanentId: string, options?: { version?: number }): Promise<WorkflowResponse>;
  /** The latest version of each workflow, filtered and paged. */
  listWorkflows(namespace: string, query?: Partial<ListWorkflowsQuery>): Promise<WorkflowResponse[]>;
  /** Every version of a workflow, oldest first. */
  getWorkflowVersions(namespace: string, workflowPermanentId: string): Promise<WorkflowResponse[]>;
  /** Deletes a workflow (every version; soft: runs keep reading theirs). */
  deleteWorkflow(namespace: string, workflowPermanentId: string): Promise<void>;
  /** The step graph of a version (Cloudflare's node kinds), as the versions/graph API serves it. */
  getVersionGraph(namespace: string, workflowPermanentId: string, options?: { version?: number }): Promise<WorkflowGraph>;
  /** Validates and starts a run of the workflow's latest version; answers at once (`queued`). */
  runWorkflow(namespace: string, request: unknown, options?: RunWorkflowOptions): Promise<WorkflowRunResponse>;
  /** A run; throws `RUN_NOT_FOUND`. */
  getWorkflowRun(namespace: string, runId: string): Promise<WorkflowRunResponse>;
  /** A run, or undefined. */
  findWorkflowRun(namespace: string, runId: string): Promise<WorkflowRunResponse | undefined>;
  /** Cancels a run and its child runs (engine terminate: `canceled`); a finished run is left as it is. */
  cancelWorkflowRun(namespace: string, runId: string): Promise<WorkflowRunResponse>;
  /** Runs, newest first (of one workflow, of one end user). */
  listWorkflowRuns(namespace: string, query?: Partial<ListWorkflowRunsQuery> & { workflowPermanentId?: string }): Promise<WorkflowRunResponse[]>;
  /** The per-block timeline of a run. */
  getWorkflowRunTimeline(namespace: string, runId: string): Promise<WorkflowRunTimeline[]>;
  /** A reviewer's answer to a human_interaction block: checks the link's token and wakes the run. */
  respondToHumanInteraction(namespace: string, runId: string, answer: { label: string; decision: 'approve' | 'reject'; token: string }): Promise<WorkflowRunResponse>;
  /** Forgets a workflow's persisted browser state for an end user (Skyvern's reset_profile); false when there was none. */
  resetBrowserState(namespace: string, workflowPermanentId: string, developerUserId?: string | null): Promise<boolean>;
  /** Resolves when the run has finished (tests, examples, the SDK's wait); throws `TIMEOUT`. */
  waitForWorkflowRun(namespace: string, runId: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<WorkflowRunResponse>;
  /** The engine resolver of block workflow versions (give it to `createEngine` or the server's engine host). */
  resolveWorkflow: WorkflowResolver;
  /** The run response of an instance of a block workflow (for the server's run-kind registry). */
  toRunResponse(details: InstanceDetails): WorkflowRunResponse;
  /** The engine workflow name of a run, from its row (undefined when the run is not a block workflow run of this namespace). */
  findRunRow(namespace: string, runId: string): Promise<WorkflowRunRow | undefined>;
};

const LLM_BLOCK_TYPES: ReadonlySet<string> = new Set([...BROWSER_TASK_BLOCK_TYPES, 'task_v2', 'text_prompt']);
const MAX_CACHED_DEFINITIONS = 500;

function parse<T>(schema: z.ZodType<T>, input: unknown, op: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.') || '(body)', message: issue.message }));
  const first = issues[0];
  throw new PetrelError('VALIDATION_FAILED', `${op}: ${first ? `${first.path}: ${first.message}` : 'invalid request'}`, { details: issues });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notFound(workflowPermanentId: string, op: string): PetrelError {
  return new PetrelError('WORKFLOW_NOT_FOUND', `${op}: no workflow ${workflowPermanentId.slice(0, 100)}`, { details: { workflow_permanent_id: workflowPermanentId } });
}

/** A new version row of a parsed definition. */
function newRow(namespace: string, parsed: ParsedWorkflowDefinition, fields: { workflowPermanentId: string; version: number; folderId: string | null; createdAt: string }): WorkflowVersionRow {
  const definition = parsed.definition;
  return {
    namespace,
    workflowId: newId('workflow'),
    workflowPermanentId: fields.workflowPermanentId,
    version: fields.version,
    title: definition.title,
    description: definition.description ?? null,
    status: definition.status,
    isSavedTask: definition.is_saved_task,
    isTemplate: false,
    folderId: fields.folderId,
    definition,
    warnings: parsed.warnings,
    createdAt: fields.createdAt,
    modifiedAt: fields.createdAt,
    deletedAt: null,
  };
}

/** Creates the workflow service. */
export function createWorkflowService(options: WorkflowServiceOptions): WorkflowService {
  if (!options?.engine || typeof options.engine.register !== 'function') throw new PetrelError('VALIDATION_FAILED', 'createWorkflowService: engine is required', { details: { field: 'engine' } });
  if (!options.repository || typeof options.repository.insertVersion !== 'function') {
    throw new PetrelError('VALIDATION_FAILED', 'createWorkflowService: repository is required', { details: { field: 'repository' } });
  }
  const { engine, repository } = options;
  const requireModel = options.requireModel ?? true;
  const responseOptions = options.response ?? {};
  const now = options.now ?? Date.now;
  const iso = (): string => new Date(now()).toISOString();
  // The interpreter's deps; `startChildRun` needs the service itself (below).
  const deps: InterpreterDeps = resolveInterpreterOptions({
    ...options,
    executors: options.executors ?? createDefaultBlockExecutors(),
    startChildRun: (namespace, request) => startChildRun(namespace, request),
  });
  const definitions = new Map<string, WorkflowDefinition<WorkflowRunParams>>();

  const definitionOf = (row: WorkflowVersionRow): WorkflowDefinition<WorkflowRunParams> => {
    const cached = definitions.get(row.workflowId);
    if (cached) return cached;
    const definition = createBlockWorkflowDefinition({ workflowPermanentId: row.workflowPermanentId, workflowId: row.workflowId, definition: row.definition as unknown as ParsedBlockWorkflow }, deps);
    definitions.set(row.workflowId, definition);
    if (definitions.size > MAX_CACHED_DEFINITIONS) definitions.delete(definitions.keys().next().value as string);
    return definition;
  };

  /** Makes the version the engine workflow's current one, so the next instance is pinned to it. */
  const register = async (namespace: string, row: WorkflowVersionRow): Promise<void> => {
    await engine.register(definitionOf(row), { namespace });
  };

  const findSavedTask = (namespace: string) => async (taskId: string): Promise<SavedTask | undefined> => {
    const row = await repository.findVersion(namespace, taskId);
    if (!row || !row.isSavedTask) return undefined;
    const definition = row.definition as unknown as ParsedBlockWorkflow;
    const block = definition.workflow_definition.blocks.find((b) => b.block_type === 'task' || b.block_type === 'navigation');
    if (!block || (block.block_type !== 'task' && block.block_type !== 'navigation')) return undefined;
    return {
      title: block.title || definition.title,
      url: block.url ?? null,
      navigation_goal: block.navigation_goal ?? null,
      data_extraction_goal: block.block_type === 'task' ? (block.data_extraction_goal ?? null) : null,
      data_schema: block.block_type === 'task' ? (block.data_schema ?? null) : null,
      error_code_mapping: block.error_code_mapping ?? null,
      max_steps_per_run: block.max_steps_per_run ?? null,
      complete_criterion: block.complete_criterion ?? null,
      terminate_criterion: block.terminate_criterion ?? null,
      totp_identifier: block.totp_identifier ?? null,
      totp_verification_url: block.totp_verification_url ?? null,
      parameter_keys: block.parameter_keys ?? null,
      parameters: definition.workflow_definition.parameters,
    };
  };

  /** Parses any accepted create/update body into a validated definition. */
  const parseBody = async (namespace: string, body: unknown, op: string): Promise<ParsedWorkflowDefinition> => {
    if (typeof body === 'string') return parseWorkflowDefinition(body);
    if (!isRecord(body)) throw new PetrelError('VALIDATION_FAILED', `${op}: expected { json_definition } or { yaml_definition }`, { details: [{ path: '(body)', message: 'expected an object' }] });
    if (Array.isArray(body['tasks']) && !('workflow_definition' in body)) return compileTaskListWorkflow(body, { findSavedTask: findSavedTask(namespace) });
    if ('workflow_definition' in body) return parseWorkflowDefinition(body);
    const request = parse(BlockWorkflowRequestSchema, body, op);
    if (typeof request.yaml_definition === 'string') return parseWorkflowDefinition(request.yaml_definition, { format: 'yaml' });
    const json = request.json_definition as Record<string, unknown>;
    if (Array.isArray(json['tasks']) && !('workflow_definition' in json)) return compileTaskListWorkflow(json, { findSavedTask: findSavedTask(namespace) });
    return parseWorkflowDefinition(json);
  };

  const runRowOf = async (namespace: string, runId: string): Promise<WorkflowRunRow | undefined> => {
    if (typeof runId !== 'string' || !isId('workflowRun', runId)) return undefined;
    return repository.findRun(namespace, runId);
  };

  const readRun = async (namespace: string, runId: string): Promise<{ row: WorkflowRunRow; details: InstanceDetails } | undefined> => {
    const row = await runRowOf(namespace, runId);
    if (!row) return undefined;
    const details = await engine.instances.find({ namespace, workflow: row.workflowPermanentId, id: runId }, { steps: true });
    return details ? { row, details } : undefined;
  };

  const respond = async (row: WorkflowRunRow, details: InstanceDetails): Promise<WorkflowRunResponse> => {
    const version = await repository.findVersionById(row.namespace, row.workflowId);
    return toWorkflowRunResponse(details, { ...responseOptions, title: row.title ?? version?.title ?? null });
  };

  const checkRunnable = async (namespace: string, definition: ParsedBlockWorkflow, resolved: ReturnType<typeof resolveRunParameters>, request: WorkflowRunRequest, op: string): Promise<void> => {
    const credentials = Object.values(resolved.parameters).filter((p) => p.kind === 'credential');
    if (credentials.length > 0) {
      const vault = options.runtime.credentials;
      if (!vault) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${op}: the workflow uses credentials but this server has no credential vault`);
      for (const parameter of credentials) {
        try {
          await vault.get(namespace, parameter.credentialId);
        } catch (error) {
          if (isPetrelError(error) && error.status === 404) {
            throw new PetrelError('VALIDATION_FAILED', `${op}: parameters.${parameter.key}: no credential ${parameter.credentialId.slice(0, 100)}`, {
              details: [{ path: `parameters.${parameter.key}`, message: `no credential ${parameter.credentialId.slice(0, 100)}` }],
            });
          }
          throw error;
        }
      }
    }
    if (requireModel) {
      let needsModel = false;
      walkBlocks(definition.workflow_definition.blocks, ({ block }) => {
        if (LLM_BLOCK_TYPES.has(block.block_type)) needsModel = true;
      }, []);
      if (needsModel) options.runtime.model(request.model ?? definition.model ?? null);
    }
    const profileId = request.browser_profile_id ?? definition.browser_profile_id;
    if (profileId && !request.start_fresh_browser) {
      if (!options.loadBrowserProfile) throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${op}: this server cannot load browser profiles`, { details: { field: 'browser_profile_id' } });
      await options.loadBrowserProfile(namespace, profileId);
    }
  };

  /** A child run for a workflow_trigger block: validated, registered and recorded (errors here fail the block, not retried). */
  const startChildRun: NonNullable<InterpreterOptions['startChildRun']> = async (namespace, child) => {
    const op = 'workflow_trigger';
    try {
      const row = await repository.findVersion(namespace, child.workflowPermanentId);
      if (!row) throw notFound(child.workflowPermanentId, op);
      const definition = row.definition as unknown as ParsedBlockWorkflow;
      const request = parse(WorkflowRunRequestSchema, { workflow_id: child.workflowPermanentId, parameters: child.parameters, ...(child.browserSessionId ? { browser_session_id: child.browserSessionId } : {}) }, op);
      resolveRunParameters(definition.workflow_definition, child.parameters);
      await register(namespace, row);
      const runId = newId('workflowRun');
      const params: WorkflowRunParams = {
        workflowPermanentId: row.workflowPermanentId,
        workflowId: row.workflowId,
        version: row.version,
        request,
        parameters: child.parameters,
        developerUserId: child.developerUserId,
        parentRunId: child.parentRunId,
        parentCheckpoint: child.parentCheckpoint ?? null,
      };
      await repository.insertRun({
        namespace,
        runId,
        workflowPermanentId: row.workflowPermanentId,
        workflowId: row.workflowId,
        version: row.version,
        developerUserId: child.developerUserId,
        parentRunId: child.parentRunId,
        title: null,
        createdAt: iso(),
      });
      return { workflow: row.workflowPermanentId, runId, params };
    } catch (error) {
      if (isPetrelError(error) && error.status < 500) throw new PetrelError(error.code, error.message, { details: error.details, nonRetryable: true });
      throw error;
    }
  };

  const service: WorkflowService = {
    async createWorkflow(namespace, body, createOptions = {}) {
      const parsed = await parseBody(namespace, body, 'workflows.create');
      const row = newRow(namespace, parsed, {
        workflowPermanentId: newId('workflowPermanent'),
        version: 1,
        folderId: createOptions.folderId ?? parsed.definition.folder_id ?? null,
        createdAt: iso(),
      });
      await repository.insertVersion(row);
      return toWorkflowResponse(row);
    },

    async updateWorkflow(namespace, workflowPermanentId, body) {
      const parsed = await parseBody(namespace, body, 'workflows.update');
      for (let attempt = 0; ; attempt++) {
        const latest = await repository.findVersion(namespace, workflowPermanentId);
        if (!latest) throw notFound(workflowPermanentId, 'workflows.update');
        const row = newRow(namespace, parsed, {
          workflowPermanentId,
          version: latest.version + 1,
          folderId: parsed.definition.folder_id ?? latest.folderId,
          createdAt: iso(),
        });
        try {
          await repository.insertVersion(row);
          return toWorkflowResponse(row);
        } catch (error) {
          if (!(isPetrelError(error) && error.code === 'ALREADY_EXISTS') || attempt >= 3) throw error;
        }
      }
    },

    async getWorkflow(namespace, workflowPermanentId, getOptions = {}) {
      const row = await repository.findVersion(namespace, workflowPermanentId, getOptions.version);
      if (!row) throw notFound(workflowPermanentId, 'workflows.get');
      return toWorkflowResponse(row);
    },

    async listWorkflows(namespace, query = {}) {
      const rows = await repository.listLatest(namespace, {
        page: query.page ?? 1,
        pageSize: query.page_size ?? 10,
        ...(query.search_key ? { search: query.search_key } : {}),
        ...(query.title ? { title: query.title } : {}),
        ...(query.folder_id ? { folderId: query.folder_id } : {}),
        ...(query.status ? { statuses: query.status } : {}),
        ...(query.only_saved_tasks ? { savedTasks: 'only' as const } : query.only_workflows ? { savedTasks: 'exclude' as const } : {}),
        ...(query.only_templates || query.template ? { templates: true } : {}),
      });
      return rows.map(toWorkflowResponse);
    },

    async getWorkflowVersions(namespace, workflowPermanentId) {
      const rows = await repository.listVersions(namespace, workflowPermanentId);
      if (rows.length === 0) throw notFound(workflowPermanentId, 'workflows.versions');
      return rows.map(toWorkflowResponse);
    },

    async deleteWorkflow(namespace, workflowPermanentId) {
      const count = await repository.softDelete(namespace, workflowPermanentId, iso());
      if (count === 0) throw notFound(workflowPermanentId, 'workflows.delete');
    },

    async getVersionGraph(namespace, workflowPermanentId, graphOptions = {}) {
      const row = await repository.findVersion(namespace, workflowPermanentId, graphOptions.version);
      if (!row) throw notFound(workflowPermanentId, 'workflows.graph');
      return buildVersionGraph(row.definition as ParsedBlockWorkflow);
    },

    async runWorkflow(namespace, body, runOptions = {}) {
      const op = 'runs.workflow';
      const request = parse(WorkflowRunRequestSchema, body, op);
      const workflowPermanentId = (request.workflow_id ?? request.agent_id) as string;
      const row = await repository.findVersion(namespace, workflowPermanentId);
      if (!row) throw notFound(workflowPermanentId, op);
      const definition = row.definition as unknown as ParsedBlockWorkflow;
      const parameters = request.parameters ?? {};
      const resolved = resolveRunParameters(definition.workflow_definition, parameters);
      const override = runOptions.maxStepsOverride;
      if (override !== undefined && override !== null && (!Number.isInteger(override) || override < 1 || override > 10_000)) {
        throw new PetrelError('VALIDATION_FAILED', `${op}: x-max-steps-override must be an integer from 1 to 10000`, { details: { field: 'x-max-steps-override' } });
      }
      await checkRunnable(namespace, definition, resolved, request, op);
      const developerUserId = request.developer_user_id ?? runOptions.developerUserId ?? null;
      const webhookUrl = request.webhook_url ?? request.webhook_callback_url ?? null;
      const masked: WorkflowRunRequest = {
        ...request,
        workflow_id: workflowPermanentId,
        ...(webhookUrl ? { webhook_url: webhookUrl } : {}),
        ...(request.cdp_connect_headers ? { cdp_connect_headers: Object.fromEntries(Object.keys(request.cdp_connect_headers).map((k) => [k, '********'])) } : {}),
      };
      const runId = runOptions.runId ?? newId('workflowRun');
      if (runOptions.runId !== undefined) {
        const started = await readRun(namespace, runId);
        if (started) return respond(started.row, started.details);
      }
      const params: WorkflowRunParams = {
        workflowPermanentId,
        workflowId: row.workflowId,
        version: row.version,
        request: masked,
        parameters,
        developerUserId,
        ...(override ? { maxStepsOverride: override } : {}),
      };
      await register(namespace, row);
      // With a derived id, what an earlier attempt wrote before it stopped is kept, and a concurrent
      // attempt that got there first wins: both end with the one run.
      const again = (error: unknown): boolean => runOptions.runId !== undefined && isPetrelError(error) && error.code === 'ALREADY_EXISTS';
      await repository
        .insertRun({
          namespace,
          runId,
          workflowPermanentId,
          workflowId: row.workflowId,
          version: row.version,
          developerUserId,
          parentRunId: null,
          title: request.title ?? null,
          createdAt: iso(),
        })
        .catch((error: unknown) => {
          if (!again(error)) throw error;
        });
      await engine.instances.create({ namespace, workflow: workflowPermanentId, id: runId, params }).catch((error: unknown) => {
        if (!again(error)) throw error;
      });
      return service.getWorkflowRun(namespace, runId);
    },

    async getWorkflowRun(namespace, runId) {
      const found = await service.findWorkflowRun(namespace, runId);
      if (!found) throw new PetrelError('RUN_NOT_FOUND', `runs.get: no run ${runId.slice(0, 100)}`, { details: { run_id: runId } });
      return found;
    },

    async findWorkflowRun(namespace, runId) {
      const read = await readRun(namespace, runId);
      return read ? respond(read.row, read.details) : undefined;
    },

    async cancelWorkflowRun(namespace, runId) {
      const read = await readRun(namespace, runId);
      if (!read) throw new PetrelError('RUN_NOT_FOUND', `runs.cancel: no run ${runId.slice(0, 100)}`, { details: { run_id: runId } });
      if (!isFinalInstanceStatus(read.details.status)) {
        try {
          await engine.instances.terminate({ namespace, workflow: read.row.workflowPermanentId, id: runId });
        } catch (error) {
          if (!(isPetrelError(error) && error.code === 'INVALID_TRANSITION')) throw error;
        }
        await options.runtime.browsers.release(runId, { skipHook: true }).catch(() => {});
        options.runtime.forget(runId);
      }
      const children = await repository.listRuns(namespace, { parentRunId: runId, page: 1, pageSize: 100 });
      for (const child of children) await service.cancelWorkflowRun(namespace, child.runId).catch(() => undefined);
      return service.getWorkflowRun(namespace, runId);
    },

    async listWorkflowRuns(namespace, query = {}) {
      const wanted = query.status && query.status.length > 0 ? new Set(query.status) : undefined;
      const pageSize = query.page_size ?? 10;
      const rows = await repository.listRuns(namespace, {
        page: wanted ? 1 : (query.page ?? 1),
        pageSize: wanted ? 1000 : pageSize,
        ...(query.workflowPermanentId ? { workflowPermanentId: query.workflowPermanentId } : {}),
        ...(query.developer_user_id ? { developerUserId: query.developer_user_id } : {}),
      });
      const responses: WorkflowRunResponse[] = [];
      for (const row of rows) {
        const details = await engine.instances.find({ namespace, workflow: row.workflowPermanentId, id: row.runId }, { steps: true });
        if (details) responses.push(await respond(row, details));
      }
      if (!wanted) return responses;
      const page = query.page ?? 1;
      return responses.filter((r) => wanted.has(r.status)).slice((page - 1) * pageSize, page * pageSize);
    },

    async getWorkflowRunTimeline(namespace, runId) {
      const read = await readRun(namespace, runId);
      if (!read) throw new PetrelError('RUN_NOT_FOUND', `runs.timeline: no run ${runId.slice(0, 100)}`, { details: { run_id: runId } });
      const version = await repository.findVersionById(namespace, read.row.workflowId);
      return buildRunTimeline(read.details, version ? (version.definition as ParsedBlockWorkflow) : undefined);
    },

    async respondToHumanInteraction(namespace, runId, answer) {
      const op = 'runs.human_interaction';
      if (answer?.decision !== 'approve' && answer?.decision !== 'reject') {
        throw new PetrelError('VALIDATION_FAILED', `${op}: decision must be approve or reject`, { details: { field: 'decision' } });
      }
      const read = await readRun(namespace, runId);
      if (!read) throw new PetrelError('RUN_NOT_FOUND', `${op}: no run ${runId.slice(0, 100)}`, { details: { run_id: runId } });
      const secret = await deps.humanInteractionSecret(namespace);
      if (typeof answer.label !== 'string' || !verifyHumanInteractionToken(secret, namespace, runId, answer.label, answer.token)) {
        throw new PetrelError('FORBIDDEN', `${op}: the link is not valid for this run`);
      }
      const type = humanInteractionEventType(answer.label);
      const waiting = read.details.steps.some((s) => s.type === 'waitForEvent' && s.eventType === type && s.status === 'waiting');
      if (!waiting) throw new PetrelError('INVALID_TRANSITION', `${op}: run ${runId} is not waiting for an answer to ${answer.label}`);
      await engine.instances.sendEvent({ namespace, workflow: read.row.workflowPermanentId, id: runId, type, payload: { decision: answer.decision } });
      return service.getWorkflowRun(namespace, runId);
    },

    async resetBrowserState(namespace, workflowPermanentId, developerUserId = null) {
      return deletePersistedState(deps.blobStore, persistedStateKey(namespace, workflowPermanentId, developerUserId));
    },

    async waitForWorkflowRun(namespace, runId, waitOptions = {}) {
      const row = await runRowOf(namespace, runId);
      if (!row) throw new PetrelError('RUN_NOT_FOUND', `runs.wait: no run ${runId.slice(0, 100)}`, { details: { run_id: runId } });
      await engine.instances.waitForStatus(
        { namespace, workflow: row.workflowPermanentId, id: runId },
        { ...(waitOptions.timeoutMs === undefined ? {} : { timeoutMs: waitOptions.timeoutMs }), ...(waitOptions.signal ? { signal: waitOptions.signal } : {}) },
      );
      return service.getWorkflowRun(namespace, runId);
    },

    resolveWorkflow: async (ref) => {
      if (!ref.workflowName.startsWith('wpid_')) return undefined;
      const version = await engine.store.findVersion(ref.namespace, ref.workflowName, ref.versionId);
      const workflowId = version ? workflowIdOfVersionKey(version.versionKey) : undefined;
      if (!workflowId) return undefined;
      const row = await repository.findVersionById(ref.namespace, workflowId);
      if (!row || row.workflowPermanentId !== ref.workflowName) return undefined;
      return definitionOf(row);
    },

    toRunResponse(details) {
      return toWorkflowRunResponse(details, responseOptions);
    },

    findRunRow: runRowOf,
  };
  return service;
}
