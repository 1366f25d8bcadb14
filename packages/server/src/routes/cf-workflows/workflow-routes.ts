// Workflows API: list, get, create-or-update (`PUT`, which binds the workflow to a class) and delete
// workflows of the account (the organization).
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import {
  CfAccountParamSchema,
  CfWorkflowDeleteResponseSchema,
  CfWorkflowListQuerySchema,
  CfWorkflowParamSchema,
  CfWorkflowPutRequestSchema,
  CfWorkflowPutResponseSchema,
  CfWorkflowSchema,
  PetrelError,
} from '@petrel/protocol';
import type { CfMessage, CfWorkflowPutRequest } from '@petrel/protocol';
import { z } from 'zod';
import type { Duration } from '@petrel/protocol';
import type { AppEnv } from '../../http/app-env.ts';
import type { RouteContext } from '../route-context.ts';
import { classNotLoadedMessage, engineHost, organizationOf } from './cf-context.ts';
import { CF_BASE, CF_SECURITY, cfEnvelope, cfErrorResponses, cfOk } from './cf-envelope.ts';
import { iso, toCfWorkflow } from './cf-mappers.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });
const BASE = `${CF_BASE}/accounts/{account_id}/workflows`;

/** Engine config from a `PUT` body (fields left out are unchanged). */
function configPatch(body: CfWorkflowPutRequest) {
  const retention = body.default_retention;
  return {
    ...(body.schedules === undefined ? {} : { schedules: body.schedules.map((s) => s.cron) }),
    ...(retention === undefined
      ? {}
      : {
          retention: {
            ...(retention.success_retention === undefined ? {} : { successRetention: retention.success_retention as Duration }),
            ...(retention.error_retention === undefined ? {} : { errorRetention: retention.error_retention as Duration }),
          },
        }),
    ...(body.limits?.steps === undefined ? {} : { limits: { steps: body.limits.steps } }),
    ...(body.concurrency === undefined ? {} : { concurrency: body.concurrency.limit ?? null }),
  };
}

/** Registers the workflow routes on the Workflows API app. */
export function registerCfWorkflowRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const common = { tags: ['Workflows API'], security: CF_SECURITY };

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: BASE,
      operationId: 'cfListWorkflows',
      summary: 'List workflows',
      description: 'The account\'s workflows, by name, with instance counts per status. `page` past the last page answers an empty list.',
      request: { params: CfAccountParamSchema, query: CfWorkflowListQuerySchema },
      responses: { 200: { description: 'A page of workflows.', ...json(cfEnvelope(z.array(CfWorkflowSchema), 'CfWorkflowListEnvelope')) }, ...cfErrorResponses(400, 403, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const query = c.req.valid('query');
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const { workflows, total } = await host.engine.workflows.list({ namespace, page, perPage, ...(query.search === undefined ? {} : { search: query.search }) });
      const bindings = new Map((await ctx.deps.store.workflowBindings.listNames(namespace, workflows.map((w) => w.name))).map((row) => [row.workflow_name, row]));
      const loaded = new Map<string, boolean>();
      const result = [];
      for (const info of workflows) {
        const row = bindings.get(info.name);
        const className = row?.class_name ?? info.className ?? '';
        if (!loaded.has(className)) loaded.set(className, className !== '' && (await host.isClassLoaded(className)));
        result.push(
          toCfWorkflow(info, row === undefined ? undefined : { className: row.class_name, scriptName: row.script_name, modifiedAt: new Date(row.modified_at) }, loaded.get(className) ?? false),
        );
      }
      return cfOk(c, result, 200, {
        resultInfo: { page, per_page: perPage, count: result.length, total_count: total, total_pages: Math.ceil(total / perPage) },
      });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `${BASE}/{workflow_name}`,
      operationId: 'cfGetWorkflow',
      summary: 'Get a workflow',
      description: 'The workflow with its class, schedules and instance counts. `messages` says when no running worker has its class.',
      request: { params: CfWorkflowParamSchema },
      responses: { 200: { description: 'The workflow.', ...json(cfEnvelope(CfWorkflowSchema, 'CfWorkflowEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      const info = await host.engine.workflows.get({ namespace, workflow: name });
      const binding = await host.findBinding(namespace, name);
      const className = binding?.className ?? info.className ?? '';
      const classLoaded = className !== '' && (await host.isClassLoaded(className));
      const messages: CfMessage[] = classLoaded || className === '' ? [] : [classNotLoadedMessage(name, className)];
      return cfOk(c, toCfWorkflow(info, binding, classLoaded), 200, { messages });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'put',
      path: `${BASE}/{workflow_name}`,
      operationId: 'cfPutWorkflow',
      summary: 'Create or update a workflow',
      description:
        'Binds the workflow to `class_name` (a class loaded from `--workflows DIR`) and sets its schedules, retention, step limit and concurrency. ' +
        'A class no running worker has is accepted: `messages` says so, and its instances stay queued until a worker that has it starts.',
      request: { params: CfWorkflowParamSchema, body: { required: true, ...json(CfWorkflowPutRequestSchema) } },
      responses: { 200: { description: 'The workflow and its current version.', ...json(cfEnvelope(CfWorkflowPutResponseSchema, 'CfWorkflowPutEnvelope')) }, ...cfErrorResponses(400, 403, 413, 415, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      const body = c.req.valid('json');
      // Config first: it validates everything (cron, durations) and creates the workflow when it is new.
      await host.engine.workflows.update({ namespace, workflow: name }, configPatch(body));
      const bound = await host.bindWorkflow({ organizationId: namespace, workflowName: name, className: body.class_name, scriptName: body.script_name });
      const info = await host.engine.workflows.get({ namespace, workflow: name });
      const binding = await host.findBinding(namespace, name);
      return cfOk(
        c,
        {
          id: info.id,
          name: info.name,
          class_name: body.class_name,
          script_name: body.script_name,
          created_on: info.createdAt.toISOString(),
          modified_on: (binding?.modifiedAt ?? info.modifiedAt).toISOString(),
          triggered_on: iso(info.triggeredAt),
          version_id: bound.versionId,
          is_deleted: 0,
          terminator_running: 0,
        },
        200,
        { messages: bound.classLoaded ? [] : [classNotLoadedMessage(name, body.class_name)] },
      );
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'delete',
      path: `${BASE}/{workflow_name}`,
      operationId: 'cfDeleteWorkflow',
      summary: 'Delete a workflow',
      description: 'Deletes the workflow with its versions and instances (no rollbacks run). Code loaded from `--workflows` registers it again at the next start.',
      request: { params: CfWorkflowParamSchema },
      responses: { 200: { description: 'Deleted.', ...json(cfEnvelope(CfWorkflowDeleteResponseSchema, 'CfWorkflowDeleteEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      if (!(await host.deleteWorkflow(namespace, name))) throw new PetrelError('WORKFLOW_NOT_FOUND', `workflows.delete: no workflow "${name}"`);
      return cfOk(c, { status: 'ok', success: true }, 200);
    },
  );
}
