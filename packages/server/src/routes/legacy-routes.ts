// Skyvern's older `/api/v1` workflow routes that existing integrations still call (seed 001,
// skyvern.md §1.9): run a workflow with `{ data, webhook_callback_url, proxy_location }` (answering
// `{ workflow_permanent_id, workflow_run_id }`), read a run in seed 001's shape (status, parameters,
// screenshot_urls, recording_url, `outputs` per block), and create (raw YAML), update and delete
// workflows. They run on the same services as the `/v1` routes.
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { WorkflowService } from '@petrel/blocks';
import {
  LegacyWorkflowRunCreatedSchema,
  LegacyWorkflowRunRequestSchema,
  LegacyWorkflowRunResponseSchema,
  PetrelError,
  WorkflowPermanentIdParamSchema,
  WorkflowResponseSchema,
  WorkflowRunIdParamSchema,
} from '@petrel/protocol';
import type { WorkflowRunResponse } from '@petrel/protocol';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import { indexWorkflowRun } from '../runs/run-services.ts';
import { checkSessionFree, occupySessionForRun } from '../runs/session-occupancy.ts';
import { WORKFLOW_RUN_KIND, legacyWorkflowRunFields } from '../workflows/workflow-runs.ts';
import type { RouteContext } from './route-context.ts';
import { RunCreateHeadersSchema } from './task-routes.ts';
import { DEFINITION_BODY, readDefinitionBody } from './workflow-routes.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** The organization of the request's key. */
function org(c: Context<AppEnv>): string {
  return c.get('principal').organizationId;
}

/** Registers seed 001's `/api/v1/workflows…` routes. */
export function registerLegacyRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { runs, store } = ctx.deps;
  const common = { tags: ['Legacy (seed 001)'], security: API_KEY_SECURITY };
  const workflowsOf = (op: string): WorkflowService => {
    const service = ctx.deps.workflows;
    if (service === undefined) throw new PetrelError('UNAVAILABLE', `${op}: block workflows are not served by this process (it runs no agent: no browser pool or no engine)`);
    return service;
  };

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/api/v1/workflows/{workflow_permanent_id}/run',
      operationId: 'legacyRunWorkflow',
      summary: 'Run a workflow (seed 001)',
      description: '`data` holds the parameters; `webhook_callback_url` gets the signed webhook when the run ends (its body is the run as `GET /api/v1/workflows/runs/{id}` shows it, plus the `/v1` run fields).',
      request: { params: WorkflowPermanentIdParamSchema, headers: RunCreateHeadersSchema, body: { required: true, ...json(LegacyWorkflowRunRequestSchema) } },
      responses: { 200: { description: 'The run\'s ids.', ...json(LegacyWorkflowRunCreatedSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => {
      const workflowPermanentId = c.req.valid('param').workflow_permanent_id;
      const body = c.req.valid('json');
      const override = c.req.valid('header')['x-max-steps-override'];
      if (body.browser_session_id) await checkSessionFree(ctx.deps, org(c), body.browser_session_id, 'runs.workflow');
      const response = await workflowsOf('runs.workflow').runWorkflow(
        org(c),
        {
          workflow_id: workflowPermanentId,
          parameters: body.data ?? {},
          ...(body.webhook_callback_url ? { webhook_url: body.webhook_callback_url } : {}),
          ...(body.proxy_location === undefined ? {} : { proxy_location: body.proxy_location }),
          ...(body.title ? { title: body.title } : {}),
          ...(body.totp_identifier ? { totp_identifier: body.totp_identifier } : {}),
          ...(body.totp_url ? { totp_url: body.totp_url } : {}),
          ...(body.browser_session_id ? { browser_session_id: body.browser_session_id } : {}),
        },
        override === undefined ? {} : { maxStepsOverride: override },
      );
      const version = await store.workflows.findVersionById(org(c), response.workflow_id);
      await indexWorkflowRun(ctx.deps, org(c), response, { definition: version?.definition });
      if (body.browser_session_id) await occupySessionForRun(ctx.deps, org(c), body.browser_session_id, response.run_id, 'workflow_run');
      return c.json({ workflow_permanent_id: response.workflow_permanent_id, workflow_run_id: response.run_id }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/api/v1/workflows/runs/{workflow_run_id}',
      operationId: 'legacyGetWorkflowRun',
      summary: 'Get a workflow run (seed 001)',
      description: 'Seed 001\'s shape: `workflow_id` (the `wpid_…`), `workflow_run_id`, `status`, `parameters`, `screenshot_urls`, `recording_url`, `outputs` (`<label>_output` per block).',
      request: { params: WorkflowRunIdParamSchema },
      responses: { 200: { description: 'The run.', ...json(LegacyWorkflowRunResponseSchema) }, ...errorResponses(403, 404, 422, 503) },
    }),
    async (c) => {
      const runId = c.req.valid('param').workflow_run_id;
      const row = await runs.get(org(c), runId);
      if (row.kind !== WORKFLOW_RUN_KIND) throw new PetrelError('RUN_NOT_FOUND', `runs.get: ${runId.slice(0, 100)} is not a workflow run`);
      const response = (await runs.response(org(c), runId)) as unknown as WorkflowRunResponse;
      return c.json(legacyWorkflowRunFields(response, row) as never, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/api/v1/workflows',
      operationId: 'legacyCreateWorkflow',
      summary: 'Create a workflow (raw YAML)',
      description: 'The body is the definition itself, YAML (`Content-Type: application/x-yaml`) or JSON.',
      request: { body: DEFINITION_BODY },
      responses: { 200: { description: 'The workflow.', ...json(WorkflowResponseSchema) }, ...errorResponses(400, 403, 409, 413, 415, 422, 503) },
    }),
    async (c) => c.json(await workflowsOf('workflows.create').createWorkflow(org(c), await readDefinitionBody(c as never, 'workflows.create')), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'put',
      path: '/api/v1/workflows/{workflow_permanent_id}',
      operationId: 'legacyUpdateWorkflow',
      summary: 'Update a workflow (raw YAML)',
      request: { params: WorkflowPermanentIdParamSchema, body: DEFINITION_BODY },
      responses: { 200: { description: 'The new version.', ...json(WorkflowResponseSchema) }, ...errorResponses(400, 403, 404, 413, 415, 422, 503) },
    }),
    async (c) =>
      c.json(await workflowsOf('workflows.update').updateWorkflow(org(c), c.req.valid('param').workflow_permanent_id, await readDefinitionBody(c as never, 'workflows.update')), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'delete',
      path: '/api/v1/workflows/{workflow_permanent_id}',
      operationId: 'legacyDeleteWorkflow',
      summary: 'Delete a workflow',
      request: { params: WorkflowPermanentIdParamSchema },
      responses: { 200: { description: 'Deleted.', ...json(z.null()) }, ...errorResponses(403, 404, 422, 503) },
    }),
    async (c) => {
      const workflowPermanentId = c.req.valid('param').workflow_permanent_id;
      await workflowsOf('workflows.delete').deleteWorkflow(org(c), workflowPermanentId);
      await store.schedules.deleteForWorkflow(org(c), workflowPermanentId);
      return c.json(null, 200);
    },
  );
}
