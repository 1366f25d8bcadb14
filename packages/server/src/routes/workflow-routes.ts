// Block workflows (skyvern.md §1.2, §1.9, §1.17) under `/v1/workflows` and their `/v1/agents`
// aliases (Skyvern's newer name, kept out of the document): create from JSON or YAML (or seed 000's
// task list) with `folder_id` and `Idempotency-Key`, list with filters and pages, get (a version),
// versions, update (a new version), delete (soft; schedules go too), runs, the step graph, the
// persisted browser state, folders, and cron schedules. `POST /v1/run/workflows` (alias
// `/v1/run/agents`) starts a run; `/v1/runs/{id}/human_interaction/{label}` answers a
// human_interaction block (with an API key, or the emailed link's token).
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { WorkflowService } from '@petrel/blocks';
import {
  CreateFolderRequestSchema,
  CreateWorkflowQuerySchema,
  FolderIdParamSchema,
  FolderSchema,
  GetWorkflowQuerySchema,
  HumanInteractionAnswerRequestSchema,
  HumanInteractionParamSchema,
  HumanInteractionQuerySchema,
  ListFoldersQuerySchema,
  ListWorkflowRunsQuerySchema,
  ListWorkflowsQuerySchema,
  PageQuerySchema,
  PetrelError,
  SetWorkflowFolderRequestSchema,
  UpdateFolderRequestSchema,
  WorkflowCreateBodySchema,
  WorkflowPermanentIdParamSchema,
  WorkflowResponseSchema,
  WorkflowRunRequestSchema,
  WorkflowRunResponseSchema,
  WorkflowScheduleParamSchema,
  WorkflowScheduleSchema,
  WorkflowScheduleUpsertRequestSchema,
  newId,
} from '@petrel/protocol';
import type { Folder, HumanInteractionAnswerRequest, WorkflowResponse, WorkflowRunResponse } from '@petrel/protocol';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import { indexWorkflowRun } from '../runs/run-services.ts';
import { checkSessionFree, occupySessionForRun } from '../runs/session-occupancy.ts';
import type { ScheduleService } from '../workflows/workflow-schedules.ts';
import type { WorkflowFolderRow } from '../store/workflow-store.ts';
import type { RouteContext } from './route-context.ts';
import { RunCreateHeadersSchema } from './task-routes.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** The organization of the request's key. */
function org(c: Context<AppEnv>): string {
  return c.get('principal').organizationId;
}

/** Media types a definition may be sent as, besides JSON. */
export const YAML_MEDIA_TYPES = ['application/x-yaml', 'application/yaml', 'text/yaml', 'text/x-yaml', 'text/plain'] as const;

/** The request body of create and update: JSON (any accepted shape) or raw YAML. */
export const DEFINITION_BODY = {
  required: false,
  content: {
    'application/json': { schema: WorkflowCreateBodySchema },
    ...Object.fromEntries(YAML_MEDIA_TYPES.map((type) => [type, { schema: z.string().describe('A workflow definition in YAML.') }])),
  },
} as const;

/** Reads a create/update body: the validated JSON object, or the YAML text. */
export async function readDefinitionBody(c: Context<AppEnv>, op: string): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (/^application\/([a-z-.]+\+)?json/i.test(type)) return (c.req as unknown as { valid(target: 'json'): unknown }).valid('json');
  const text = await c.req.text();
  if (text.trim() === '') throw new PetrelError('VALIDATION_FAILED', `${op}: send a workflow definition (JSON or YAML)`, { details: [{ path: '(body)', message: 'empty body' }] });
  return text;
}

function toFolder(row: WorkflowFolderRow, workflowCount: number): Folder {
  return {
    folder_id: row.folder_id,
    organization_id: row.organization_id,
    title: row.title,
    description: row.description,
    workflow_count: workflowCount,
    created_at: row.created_at,
    modified_at: row.modified_at,
  };
}

/** The workflow and schedule ids of a schedule route. */
function scheduleIds(c: Context<AppEnv>): [string, string] {
  return [c.req.param('workflow_permanent_id') ?? '', c.req.param('workflow_schedule_id') ?? ''];
}

/** Registers the workflow, folder, schedule and workflow run routes. */
export function registerWorkflowRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { runs, store, now } = ctx.deps;
  const common = { tags: ['Workflows'], security: API_KEY_SECURITY };
  const workflowsOf = (op: string): WorkflowService => {
    const service = ctx.deps.workflows;
    if (service === undefined) throw new PetrelError('UNAVAILABLE', `${op}: block workflows are not served by this process (it runs no agent: no browser pool or no engine)`);
    return service;
  };
  const schedulesOf = (op: string): ScheduleService => {
    const service = ctx.deps.schedules;
    if (service === undefined) throw new PetrelError('UNAVAILABLE', `${op}: schedules are not served by this process (it runs no engine)`);
    return service;
  };
  const checkFolder = async (organizationId: string, folderId: string | null | undefined, op: string): Promise<void> => {
    if (folderId === null || folderId === undefined) return;
    if ((await store.folders.find(organizationId, folderId)) === undefined) throw new PetrelError('NOT_FOUND', `${op}: folder ${folderId.slice(0, 100)} not found`);
  };

  /** Declares a route under `/v1/workflows…` and its hidden `/v1/agents…` twin. */
  const both = (path: string, route: Parameters<typeof createRoute>[0], handler: (c: Context<AppEnv>) => Promise<Response>): void => {
    app.openapi(createRoute({ ...route, path }), handler as never);
    app.openapi(createRoute({ ...route, path: path.replace('/v1/workflows', '/v1/agents'), operationId: `${String(route.operationId)}Agents`, hide: true }), handler as never);
  };

  // --- runs of workflows (before `/v1/workflows/{id}`: `runs` is not an id) ---

  const listRuns = async (c: Context<AppEnv>, workflowPermanentId: string | undefined): Promise<Response> => {
    const query = ListWorkflowRunsQuerySchema.parse(c.req.query());
    if (workflowPermanentId !== undefined && (await store.workflows.findVersion(org(c), workflowPermanentId)) === undefined) {
      throw new PetrelError('WORKFLOW_NOT_FOUND', `workflows.runs: no workflow ${workflowPermanentId.slice(0, 100)}`);
    }
    const rows = await runs.list(org(c), {
      page: query.page,
      pageSize: query.page_size,
      kinds: ['workflow_run'],
      statuses: query.status,
      workflowPermanentId,
      developerUserId: query.developer_user_id,
    });
    const responses: unknown[] = [];
    for (const row of rows) {
      const response = await runs.response(org(c), row.run_id).catch(() => undefined);
      if (response !== undefined) responses.push(response);
    }
    return c.json(responses, 200);
  };

  both(
    '/v1/workflows/runs',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflowRuns',
      summary: 'List workflow runs',
      description: 'Runs of every workflow, newest first; `status` repeats; `developer_user_id` (seed 000) narrows to one end user.',
      request: { query: ListWorkflowRunsQuerySchema },
      responses: { 200: { description: 'One page of runs.', ...json(z.array(WorkflowRunResponseSchema)) }, ...errorResponses(403, 422) },
    },
    (c) => listRuns(c, undefined),
  );

  // --- workflows ---

  const create = async (c: Context<AppEnv>): Promise<Response> => {
    const op = 'workflows.create';
    const folderId = c.req.query('folder_id');
    await checkFolder(org(c), folderId, op);
    const body = await readDefinitionBody(c, op);
    const created = await workflowsOf(op).createWorkflow(org(c), body, folderId === undefined ? {} : { folderId });
    if (created.folder_id !== null && folderId === undefined) await checkFolder(org(c), created.folder_id, op);
    return c.json(created, 200);
  };
  both(
    '/v1/workflows',
    {
      ...common,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '',
      operationId: 'createWorkflow',
      summary: 'Create a workflow',
      description:
        'From `{"json_definition": {...}}` or `{"yaml_definition": "..."}` (Skyvern\'s `WorkflowRequest`), a definition object, raw YAML (`Content-Type: application/x-yaml`), ' +
        'or seed 000\'s `{"name", "tasks"}`. Errors name the field, and the line and column of YAML. Answers version 1.',
      request: { headers: RunCreateHeadersSchema.pick({ 'idempotency-key': true }), query: CreateWorkflowQuerySchema, body: DEFINITION_BODY },
      responses: { 200: { description: 'The workflow (version 1).', ...json(WorkflowResponseSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
    },
    create,
  );

  both(
    '/v1/workflows',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflows',
      summary: 'List workflows',
      description: 'The latest version of each workflow, newest workflows first; filters: `search_key`, `title`, `folder_id`, `status`, `only_saved_tasks`, `only_workflows`, `only_templates`.',
      request: { query: ListWorkflowsQuerySchema },
      responses: { 200: { description: 'One page of workflows.', ...json(z.array(WorkflowResponseSchema)) }, ...errorResponses(403, 422, 503) },
    },
    async (c) => c.json(await workflowsOf('workflows.list').listWorkflows(org(c), ListWorkflowsQuerySchema.parse(c.req.query())), 200),
  );

  both(
    '/v1/workflows/{workflow_permanent_id}',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflow',
      summary: 'Get a workflow',
      description: 'The latest version, or `version`.',
      request: { params: WorkflowPermanentIdParamSchema, query: GetWorkflowQuerySchema },
      responses: { 200: { description: 'The workflow.', ...json(WorkflowResponseSchema) }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => {
      const query = GetWorkflowQuerySchema.parse(c.req.query());
      return c.json(await workflowsOf('workflows.get').getWorkflow(org(c), c.req.param('workflow_permanent_id') ?? '', query.version === undefined ? {} : { version: query.version }), 200);
    },
  );

  both(
    '/v1/workflows/{workflow_permanent_id}/versions',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflowVersions',
      summary: 'List a workflow\'s versions',
      description: 'Every version, oldest first.',
      request: { params: WorkflowPermanentIdParamSchema },
      responses: { 200: { description: 'The versions.', ...json(z.array(WorkflowResponseSchema)) }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => c.json(await workflowsOf('workflows.versions').getWorkflowVersions(org(c), c.req.param('workflow_permanent_id') ?? ''), 200),
  );

  const update = async (c: Context<AppEnv>): Promise<Response> => {
    const op = 'workflows.update';
    const body = await readDefinitionBody(c, op);
    const updated: WorkflowResponse = await workflowsOf(op).updateWorkflow(org(c), c.req.param('workflow_permanent_id') ?? '', body);
    return c.json(updated, 200);
  };
  both(
    '/v1/workflows/{workflow_permanent_id}',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '',
      operationId: 'updateWorkflow',
      summary: 'Update a workflow',
      description: 'Saves the body as a new version (same shapes as create); runs already started keep their version.',
      request: { params: WorkflowPermanentIdParamSchema, body: DEFINITION_BODY },
      responses: { 200: { description: 'The new version.', ...json(WorkflowResponseSchema) }, ...errorResponses(400, 403, 404, 413, 415, 422, 503) },
    },
    update,
  );

  const remove = async (c: Context<AppEnv>): Promise<Response> => {
    const workflowPermanentId = c.req.param('workflow_permanent_id') ?? '';
    await workflowsOf('workflows.delete').deleteWorkflow(org(c), workflowPermanentId);
    await store.schedules.deleteForWorkflow(org(c), workflowPermanentId);
    return c.json(null, 200);
  };
  both(
    '/v1/workflows/{workflow_permanent_id}/delete',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '',
      operationId: 'deleteWorkflow',
      summary: 'Delete a workflow',
      description: 'Deletes every version (soft: runs keep reading theirs) and the workflow\'s schedules. `DELETE /v1/workflows/{id}` does the same.',
      request: { params: WorkflowPermanentIdParamSchema },
      responses: { 200: { description: 'Deleted (the body is `null`).', ...json(z.null()) }, ...errorResponses(403, 404, 422, 503) },
    },
    remove,
  );
  both(
    '/v1/workflows/{workflow_permanent_id}',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'delete',
      path: '',
      operationId: 'deleteWorkflowRest',
      hide: true,
      request: { params: WorkflowPermanentIdParamSchema },
      responses: { 200: { description: 'Deleted.', ...json(z.null()) } },
    },
    remove,
  );

  both(
    '/v1/workflows/{workflow_permanent_id}/runs',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflowRunsOfWorkflow',
      summary: 'List a workflow\'s runs',
      description: 'Runs of one workflow, newest first; `status` repeats; `developer_user_id` narrows to one end user.',
      request: { params: WorkflowPermanentIdParamSchema, query: ListWorkflowRunsQuerySchema },
      responses: { 200: { description: 'One page of runs.', ...json(z.array(WorkflowRunResponseSchema)) }, ...errorResponses(403, 404, 422) },
    },
    (c) => listRuns(c, c.req.param('workflow_permanent_id') ?? ''),
  );

  both(
    '/v1/workflows/{workflow_permanent_id}/graph',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflowGraph',
      summary: 'Get a workflow version\'s step graph',
      description: 'The durable steps a version runs (Cloudflare\'s node kinds): the latest version, or `version`.',
      request: { params: WorkflowPermanentIdParamSchema, query: GetWorkflowQuerySchema },
      responses: { 200: { description: 'The graph.', ...json(z.record(z.string(), z.unknown())) }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => {
      const query = GetWorkflowQuerySchema.parse(c.req.query());
      const graph = await workflowsOf('workflows.graph').getVersionGraph(org(c), c.req.param('workflow_permanent_id') ?? '', query.version === undefined ? {} : { version: query.version });
      return c.json(graph as unknown as Record<string, unknown>, 200);
    },
  );

  both(
    '/v1/workflows/{workflow_permanent_id}/folder',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'put',
      path: '',
      operationId: 'updateWorkflowFolder',
      summary: 'Move a workflow into a folder',
      description: '`{"folder_id": "fld_…"}` puts every version in the folder; `null` takes it out.',
      request: { params: WorkflowPermanentIdParamSchema, body: { required: true, ...json(SetWorkflowFolderRequestSchema) } },
      responses: { 200: { description: 'The workflow.', ...json(WorkflowResponseSchema) }, ...errorResponses(403, 404, 413, 415, 422, 503) },
    },
    async (c) => {
      const op = 'workflows.folder';
      const workflowPermanentId = c.req.param('workflow_permanent_id') ?? '';
      const { folder_id: folderId } = (c.req as unknown as { valid(target: 'json'): { folder_id: string | null } }).valid('json');
      await checkFolder(org(c), folderId, op);
      if (!(await store.workflows.setFolder(org(c), workflowPermanentId, folderId, now().toISOString()))) {
        throw new PetrelError('WORKFLOW_NOT_FOUND', `${op}: no workflow ${workflowPermanentId.slice(0, 100)}`);
      }
      return c.json(await workflowsOf(op).getWorkflow(org(c), workflowPermanentId), 200);
    },
  );

  both(
    '/v1/workflows/{workflow_permanent_id}/browser_session/reset_profile',
    {
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '',
      operationId: 'resetWorkflowBrowserState',
      summary: 'Forget a workflow\'s persisted browser state',
      description: 'Deletes the state `persist_browser_session` saved (for one end user with `developer_user_id`).',
      request: { params: WorkflowPermanentIdParamSchema, query: z.object({ developer_user_id: z.string().max(255).optional() }) },
      responses: { 200: { description: 'Whether there was state to delete.', ...json(z.object({ deleted: z.boolean() })) }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => {
      const workflowPermanentId = c.req.param('workflow_permanent_id') ?? '';
      const service = workflowsOf('workflows.reset_profile');
      await service.getWorkflow(org(c), workflowPermanentId);
      return c.json({ deleted: await service.resetBrowserState(org(c), workflowPermanentId, c.req.query('developer_user_id') ?? null) }, 200);
    },
  );

  // --- schedules ---

  both(
    '/v1/workflows/{workflow_permanent_id}/schedules',
    {
      ...common,
      tags: ['Schedules'],
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '',
      operationId: 'createWorkflowSchedule',
      summary: 'Create a schedule',
      description: 'A cron schedule (read in `timezone`) that starts a run with `parameters` at each firing; one process fires each firing.',
      request: { params: WorkflowPermanentIdParamSchema, body: { required: true, ...json(WorkflowScheduleUpsertRequestSchema) } },
      responses: { 200: { description: 'The schedule.', ...json(WorkflowScheduleSchema) }, ...errorResponses(403, 404, 409, 413, 415, 422, 503) },
    },
    async (c) => {
      const body = WorkflowScheduleUpsertRequestSchema.parse((c.req as unknown as { valid(target: 'json'): unknown }).valid('json'));
      return c.json(await schedulesOf('schedules.create').create(org(c), c.req.param('workflow_permanent_id') ?? '', body), 200);
    },
  );
  both(
    '/v1/workflows/{workflow_permanent_id}/schedules',
    {
      ...common,
      tags: ['Schedules'],
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflowSchedules',
      summary: 'List a workflow\'s schedules',
      request: { params: WorkflowPermanentIdParamSchema, query: PageQuerySchema },
      responses: { 200: { description: 'The schedules, oldest first.', ...json(z.array(WorkflowScheduleSchema)) }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => {
      const workflowPermanentId = c.req.param('workflow_permanent_id') ?? '';
      if ((await store.workflows.findVersion(org(c), workflowPermanentId)) === undefined) throw new PetrelError('WORKFLOW_NOT_FOUND', `schedules.list: no workflow ${workflowPermanentId.slice(0, 100)}`);
      const page = PageQuerySchema.parse(c.req.query());
      return c.json(await schedulesOf('schedules.list').list(org(c), { workflowPermanentId, page: page.page, pageSize: page.page_size }), 200);
    },
  );
  both(
    '/v1/workflows/{workflow_permanent_id}/schedules/{workflow_schedule_id}',
    {
      ...common,
      tags: ['Schedules'],
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '',
      operationId: 'getWorkflowSchedule',
      summary: 'Get a schedule',
      request: { params: WorkflowScheduleParamSchema },
      responses: { 200: { description: 'The schedule.', ...json(WorkflowScheduleSchema) }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => c.json(await schedulesOf('schedules.get').get(org(c), ...scheduleIds(c)), 200),
  );
  both(
    '/v1/workflows/{workflow_permanent_id}/schedules/{workflow_schedule_id}',
    {
      ...common,
      tags: ['Schedules'],
      middleware: [ctx.auth] as const,
      method: 'put',
      path: '',
      operationId: 'updateWorkflowSchedule',
      summary: 'Replace a schedule',
      request: { params: WorkflowScheduleParamSchema, body: { required: true, ...json(WorkflowScheduleUpsertRequestSchema) } },
      responses: { 200: { description: 'The schedule.', ...json(WorkflowScheduleSchema) }, ...errorResponses(403, 404, 413, 415, 422, 503) },
    },
    async (c) => {
      const body = WorkflowScheduleUpsertRequestSchema.parse((c.req as unknown as { valid(target: 'json'): unknown }).valid('json'));
      const [workflowPermanentId, scheduleId] = scheduleIds(c);
      return c.json(await schedulesOf('schedules.update').replace(org(c), workflowPermanentId, scheduleId, body), 200);
    },
  );
  both(
    '/v1/workflows/{workflow_permanent_id}/schedules/{workflow_schedule_id}',
    {
      ...common,
      tags: ['Schedules'],
      middleware: [ctx.auth] as const,
      method: 'delete',
      path: '',
      operationId: 'deleteWorkflowSchedule',
      summary: 'Delete a schedule',
      request: { params: WorkflowScheduleParamSchema },
      responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 422, 503) },
    },
    async (c) => {
      await schedulesOf('schedules.delete').delete(org(c), ...scheduleIds(c));
      return c.body(null, 204);
    },
  );
  for (const action of ['enable', 'disable'] as const) {
    both(
      `/v1/workflows/{workflow_permanent_id}/schedules/{workflow_schedule_id}/${action}`,
      {
        ...common,
        tags: ['Schedules'],
        middleware: [ctx.auth] as const,
        method: 'post',
        path: '',
        operationId: `${action}WorkflowSchedule`,
        summary: action === 'enable' ? 'Enable a schedule' : 'Disable a schedule',
        description: action === 'enable' ? 'It fires next at its next cron time from now.' : 'It stops firing; `next_run_at` becomes null.',
        request: { params: WorkflowScheduleParamSchema },
        responses: { 200: { description: 'The schedule.', ...json(WorkflowScheduleSchema) }, ...errorResponses(403, 404, 422, 503) },
      },
      async (c) => c.json(await schedulesOf(`schedules.${action}`).setEnabled(org(c), ...scheduleIds(c), action === 'enable'), 200),
    );
  }
  app.openapi(
    createRoute({
      ...common,
      tags: ['Schedules'],
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/schedules',
      operationId: 'getSchedules',
      summary: 'List every schedule',
      request: { query: PageQuerySchema },
      responses: { 200: { description: 'The organization\'s schedules, oldest first.', ...json(z.array(WorkflowScheduleSchema)) }, ...errorResponses(403, 422, 503) },
    }),
    async (c) => {
      const page = c.req.valid('query');
      return c.json(await schedulesOf('schedules.list').list(org(c), { page: page.page, pageSize: page.page_size }), 200);
    },
  );

  // --- folders ---

  const folderCommon = { tags: ['Folders'], security: API_KEY_SECURITY };
  const folderOf = async (organizationId: string, folderId: string, op: string): Promise<Folder> => {
    const row = await store.folders.find(organizationId, folderId);
    if (row === undefined) throw new PetrelError('NOT_FOUND', `${op}: folder ${folderId.slice(0, 100)} not found`);
    return toFolder(row, await store.workflows.countInFolder(organizationId, folderId));
  };
  app.openapi(
    createRoute({
      ...folderCommon,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/v1/folders',
      operationId: 'createFolder',
      summary: 'Create a folder',
      request: { headers: RunCreateHeadersSchema.pick({ 'idempotency-key': true }), body: { required: true, ...json(CreateFolderRequestSchema) } },
      responses: { 200: { description: 'The folder.', ...json(FolderSchema) }, ...errorResponses(403, 409, 413, 415, 422) },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const at = now().toISOString();
      const row: WorkflowFolderRow = { folder_id: newId('folder'), organization_id: org(c), title: body.title, description: body.description ?? null, created_at: at, modified_at: at };
      await store.folders.insert(row);
      return c.json(toFolder(row, 0), 200);
    },
  );
  app.openapi(
    createRoute({
      ...folderCommon,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/folders',
      operationId: 'getFolders',
      summary: 'List folders',
      request: { query: ListFoldersQuerySchema },
      responses: { 200: { description: 'Folders, newest first.', ...json(z.array(FolderSchema)) }, ...errorResponses(403, 422) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await store.folders.list(org(c), { page: query.page, pageSize: query.page_size, search: query.search });
      const out: Folder[] = [];
      for (const row of rows) out.push(toFolder(row, await store.workflows.countInFolder(org(c), row.folder_id)));
      return c.json(out, 200);
    },
  );
  app.openapi(
    createRoute({
      ...folderCommon,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/folders/{folder_id}',
      operationId: 'getFolder',
      summary: 'Get a folder',
      request: { params: FolderIdParamSchema },
      responses: { 200: { description: 'The folder.', ...json(FolderSchema) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => c.json(await folderOf(org(c), c.req.valid('param').folder_id, 'folders.get'), 200),
  );
  app.openapi(
    createRoute({
      ...folderCommon,
      middleware: [ctx.auth] as const,
      method: 'put',
      path: '/v1/folders/{folder_id}',
      operationId: 'updateFolder',
      summary: 'Update a folder',
      request: { params: FolderIdParamSchema, body: { required: true, ...json(UpdateFolderRequestSchema) } },
      responses: { 200: { description: 'The folder.', ...json(FolderSchema) }, ...errorResponses(403, 404, 413, 415, 422) },
    }),
    async (c) => {
      const folderId = c.req.valid('param').folder_id;
      const body = c.req.valid('json');
      const changed = await store.folders.update(org(c), folderId, {
        ...(body.title === undefined ? {} : { title: body.title }),
        ...(body.description === undefined ? {} : { description: body.description }),
        modifiedAt: now().toISOString(),
      });
      if (!changed) throw new PetrelError('NOT_FOUND', `folders.update: folder ${folderId.slice(0, 100)} not found`);
      return c.json(await folderOf(org(c), folderId, 'folders.update'), 200);
    },
  );
  app.openapi(
    createRoute({
      ...folderCommon,
      middleware: [ctx.auth] as const,
      method: 'delete',
      path: '/v1/folders/{folder_id}',
      operationId: 'deleteFolder',
      summary: 'Delete a folder',
      description: 'Its workflows stay, outside any folder.',
      request: { params: FolderIdParamSchema },
      responses: { 204: { description: 'Deleted.' }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const folderId = c.req.valid('param').folder_id;
      if (!(await store.folders.delete(org(c), folderId))) throw new PetrelError('NOT_FOUND', `folders.delete: folder ${folderId.slice(0, 100)} not found`);
      await store.workflows.clearFolder(org(c), folderId);
      return c.body(null, 204);
    },
  );

  // --- running a workflow ---

  const run = async (c: Context<AppEnv>): Promise<Response> => {
    const op = 'runs.workflow';
    const body = (c.req as unknown as { valid(target: 'json'): Record<string, unknown> }).valid('json');
    const override = (c.req as unknown as { valid(target: 'header'): { 'x-max-steps-override'?: number } }).valid('header')['x-max-steps-override'];
    const sessionId = typeof body['browser_session_id'] === 'string' && body['browser_session_id'] !== '' ? body['browser_session_id'] : undefined;
    if (sessionId !== undefined) await checkSessionFree(ctx.deps, org(c), sessionId, op);
    const response: WorkflowRunResponse = await workflowsOf(op).runWorkflow(org(c), body, override === undefined ? {} : { maxStepsOverride: override });
    const version = await store.workflows.findVersionById(org(c), response.workflow_id);
    await indexWorkflowRun(ctx.deps, org(c), response, { definition: version?.definition });
    if (sessionId !== undefined) await occupySessionForRun(ctx.deps, org(c), sessionId, response.run_id, 'workflow_run');
    return c.json(response, 200);
  };
  const runRoute = {
    tags: ['Workflows'],
    security: API_KEY_SECURITY,
    middleware: [ctx.auth, ctx.idempotency],
    method: 'post' as const,
    summary: 'Run a workflow',
    description:
      'Starts a run of the workflow\'s latest version and answers at once (`queued`). `workflow_id` (or `agent_id`) names it; `parameters` fill its parameters; `developer_user_id` (seed 000) ' +
      'scopes the persisted browser state to one end user. `run_with: "code"`, `ai_fallback`, `proxy_location` and `max_screenshot_scrolls` are accepted; the answer says what ran (`run_with: "agent"`). ' +
      '`template` is accepted and ignored.',
    request: {
      headers: RunCreateHeadersSchema,
      query: z.object({ template: z.enum(['true', 'false']).optional().describe('Accepted for compatibility (Petrel has no template gallery).') }),
      body: { required: true, ...json(WorkflowRunRequestSchema) },
    },
    responses: { 200: { description: 'The run, just started.', ...json(WorkflowRunResponseSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
  };
  app.openapi(createRoute({ ...runRoute, path: '/v1/run/workflows', operationId: 'runWorkflow' }), run as never);
  app.openapi(createRoute({ ...runRoute, path: '/v1/run/agents', operationId: 'runAgent', hide: true }), run as never);

  // --- answering a human_interaction block ---

  const answer = async (c: Context<AppEnv>): Promise<Response> => {
    const op = 'runs.human_interaction';
    const { run_id: runId, label } = { run_id: c.req.param('run_id') ?? '', label: c.req.param('label') ?? '' };
    const query = HumanInteractionQuerySchema.parse(c.req.query());
    // POST: the JSON body as the route validated it (strict; `{}` without a JSON body). GET: the query only.
    const body: HumanInteractionAnswerRequest = c.req.method === 'POST' ? (c.req as unknown as { valid(target: 'json'): HumanInteractionAnswerRequest }).valid('json') : {};
    const decision = body.decision ?? query.decision;
    const token = body.token ?? query.token;
    if (decision !== 'approve' && decision !== 'reject') throw new PetrelError('VALIDATION_FAILED', `${op}: decision must be approve or reject`, { details: [{ path: 'decision', message: 'approve or reject' }] });
    if (typeof token !== 'string' || token === '') throw new PetrelError('VALIDATION_FAILED', `${op}: token is required (it is in the emailed link)`, { details: [{ path: 'token', message: 'required' }] });
    // The link's organization (`ns`) stands in for a key: the token is bound to it, the run and the block.
    const principal = c.get('principal') as { organizationId: string } | undefined;
    const organizationId = principal?.organizationId ?? query.ns;
    if (organizationId === undefined) throw new PetrelError('UNAUTHENTICATED', 'Invalid credentials');
    let result: WorkflowRunResponse;
    try {
      result = await workflowsOf(op).respondToHumanInteraction(organizationId, runId, { label, decision, token });
    } catch (error) {
      // Without a key, an unknown run and a bad token look alike.
      if (principal === undefined && (error as { code?: unknown }).code === 'RUN_NOT_FOUND') throw new PetrelError('FORBIDDEN', `${op}: the link is not valid for this run`);
      throw error;
    }
    if ((c.req.header('accept') ?? '').includes('text/html')) {
      return c.html(`<!doctype html><meta charset="utf-8"><title>Petrel</title><p>Thank you: your answer (${decision}) was recorded for run ${runId.replace(/[^\w-]/g, '')}.</p>`);
    }
    return c.json(result, 200);
  };
  const optionalAuth = async (c: Context<AppEnv>, next: () => Promise<void>): Promise<void> => {
    if (c.req.header('x-api-key') !== undefined || c.req.header('authorization') !== undefined) {
      await (ctx.auth as unknown as (c: Context<AppEnv>, next: () => Promise<void>) => Promise<void>)(c, next);
      return;
    }
    await next();
  };
  for (const method of ['get', 'post'] as const) {
    app.openapi(
      createRoute({
        tags: ['Runs'],
        security: [...API_KEY_SECURITY, {}],
        middleware: [optionalAuth] as const,
        method,
        path: '/v1/runs/{run_id}/human_interaction/{label}',
        operationId: method === 'get' ? 'answerHumanInteractionLink' : 'answerHumanInteraction',
        summary: method === 'get' ? 'Answer a human_interaction block (emailed link)' : 'Answer a human_interaction block',
        description:
          'Approves or rejects the waiting `human_interaction` block `label`: `decision` and `token` in the query (the emailed links, with `ns`) or a JSON body. ' +
          'An API key may stand in for `ns`; the token is always required. 409 when the block is not waiting.',
        request: {
          params: HumanInteractionParamSchema,
          query: HumanInteractionQuerySchema,
          // Optional: the emailed links carry the answer in the query.
          ...(method === 'post' ? { body: { required: false, ...json(HumanInteractionAnswerRequestSchema) } } : {}),
        },
        responses: { 200: { description: 'The run after the answer.', ...json(WorkflowRunResponseSchema) }, ...errorResponses(403, 404, 409, 422, 503) },
      }),
      answer as never,
    );
  }
}
