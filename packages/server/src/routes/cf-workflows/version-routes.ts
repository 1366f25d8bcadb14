// Workflows API: the versions of a workflow (one per registered change of its code, or a placeholder
// for a class no worker has loaded yet) and their step graphs.
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { CfVersionGraphSchema, CfVersionListQuerySchema, CfVersionParamSchema, CfVersionSchema, CfWorkflowParamSchema } from '@petrel/protocol';
import { z } from 'zod';
import type { AppEnv } from '../../http/app-env.ts';
import type { RouteContext } from '../route-context.ts';
import { engineHost, getWorkflowRow, organizationOf } from './cf-context.ts';
import { CF_BASE, CF_SECURITY, cfEnvelope, cfErrorResponses, cfOk } from './cf-envelope.ts';
import { toCfVersion } from './cf-mappers.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });
const BASE = `${CF_BASE}/accounts/{account_id}/workflows/{workflow_name}/versions`;

/** The workflow fields a version answer shows. */
async function workflowFacts(ctx: RouteContext, namespace: string, name: string, op: string) {
  const host = engineHost(ctx);
  const row = await getWorkflowRow(host, namespace, name, op);
  return {
    id: row.id,
    concurrency: row.concurrency,
    limits: { steps: row.stepLimit },
    retention: row.retention === null ? null : { successRetentionMs: row.retention.successMs ?? null, errorRetentionMs: row.retention.errorMs ?? null },
  };
}

/** Registers the version routes on the Workflows API app. */
export function registerCfVersionRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const common = { tags: ['Workflows API'], security: CF_SECURITY };

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: BASE,
      operationId: 'cfListVersions',
      summary: 'List versions',
      description: 'Newest first. A page past the last one is empty.',
      request: { params: CfWorkflowParamSchema, query: CfVersionListQuerySchema },
      responses: { 200: { description: 'A page of versions.', ...json(cfEnvelope(z.array(CfVersionSchema), 'CfVersionListEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      const query = c.req.valid('query');
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 25;
      const workflow = await workflowFacts(ctx, namespace, name, 'versions.list');
      const { versions, total } = await host.engine.workflows.listVersions({ namespace, workflow: name, page, perPage });
      const result = versions.map((version) => toCfVersion(version, workflow));
      return cfOk(c, result, 200, { resultInfo: { page, per_page: perPage, count: result.length, total_count: total, total_pages: Math.ceil(total / perPage) } });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `${BASE}/{version_id}`,
      operationId: 'cfGetVersion',
      summary: 'Get a version',
      request: { params: CfVersionParamSchema },
      responses: { 200: { description: 'The version.', ...json(cfEnvelope(CfVersionSchema, 'CfVersionEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name, version_id: versionId } = c.req.valid('param');
      const workflow = await workflowFacts(ctx, namespace, name, 'versions.get');
      const version = await host.engine.workflows.getVersion({ namespace, workflow: name, versionId });
      return cfOk(c, toCfVersion(version, workflow), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `${BASE}/{version_id}/graph`,
      operationId: 'cfGetVersionGraph',
      summary: 'Get a version\'s step graph',
      description: 'The step graph parsed from the code (Cloudflare\'s node kinds); `graph: null` for a placeholder version (no worker had the class).',
      request: { params: CfVersionParamSchema },
      responses: { 200: { description: 'The graph.', ...json(cfEnvelope(CfVersionGraphSchema, 'CfVersionGraphEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name, version_id: versionId } = c.req.valid('param');
      const workflow = await workflowFacts(ctx, namespace, name, 'versions.graph');
      const version = await host.engine.workflows.getVersion({ namespace, workflow: name, versionId });
      const graph = await host.engine.workflows.getGraph({ namespace, workflow: name, versionId });
      return cfOk(
        c,
        {
          id: version.id,
          workflow_id: workflow.id,
          class_name: version.className,
          created_on: version.createdAt.toISOString(),
          modified_on: version.createdAt.toISOString(),
          graph,
        },
        200,
      );
    },
  );
}
