// Task runs (skyvern.md §1.1, §1.14, §1.15): `POST /v1/run/tasks`, the login helper and the download
// helper. Each validates the body, starts an instance of the agent's task workflow and indexes it,
// and answers at once with the run (`queued`); `GET /v1/runs/{id}` and the webhook follow it.
// `Idempotency-Key` makes a retried create return the first run; `x-max-steps-override` caps the
// agent's steps. Run options that are accepted but not applied (`run_with: code`, `proxy_location`,
// `max_screenshot_scrolls`, `publish_workflow`) are echoed in `run_request`, and `run_with` in the
// answer says what ran (`agent`).
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { TaskService } from '@petrel/agent';
import { DownloadFilesRequestSchema, LoginRequestSchema, PetrelError, TaskRunRequestSchema, TaskRunResponseSchema } from '@petrel/protocol';
import type { TaskRunResponse } from '@petrel/protocol';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import { checkSessionFree, occupySessionForRun } from '../runs/session-occupancy.ts';
import { TASK_RUN_KIND } from '../tasks/task-runs.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Headers of run creates: `Idempotency-Key` and Skyvern's `x-max-steps-override`. */
export const RunCreateHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .max(255)
    .optional()
    .describe('Retry-safe creates: the same key and body within 24 h returns the first answer; another body gives 409.'),
  'x-max-steps-override': z.coerce.number().int().min(1).max(200).optional().describe('Most agent steps of the run (wins over `max_steps`).'),
});

/** Registers the task routes. */
export function registerTaskRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { runs } = ctx.deps;
  const common = { tags: ['Tasks'], security: API_KEY_SECURITY };
  const tasksOf = (op: string): TaskService => {
    const tasks = ctx.deps.tasks;
    if (tasks === undefined) throw new PetrelError('UNAVAILABLE', `${op}: task runs cannot be started here (this process runs no agent: no browser pool or no engine)`);
    return tasks;
  };
  // The row goes in right after the instance: if this process dies between the two, the outbox
  // consumer indexes the instance from its params (see `RunKind.adopt`).
  const index = async (organizationId: string, response: TaskRunResponse, request: { title?: string | null | undefined; webhook_url?: string | null | undefined; browser_session_id?: string | null | undefined; totp_identifier?: string | null | undefined }): Promise<void> => {
    await runs.insert({
      runId: response.run_id,
      organizationId,
      kind: TASK_RUN_KIND,
      runType: response.run_type,
      engineWorkflow: 'petrel_task',
      engineInstanceId: response.run_id,
      status: response.status,
      title: request.title ?? null,
      webhookUrl: request.webhook_url ?? null,
      browserSessionId: request.browser_session_id ?? null,
      triggerType: 'api',
      createdAt: new Date(response.created_at),
      totpIdentifiers: request.totp_identifier ? [request.totp_identifier] : [],
    });
  };

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/v1/run/tasks',
      operationId: 'runTask',
      summary: 'Run a task',
      description:
        'Starts a browser task from a prompt (and a URL) and answers at once with the run (`queued`). Poll `GET /v1/runs/{run_id}`, stream `/v1/runs/{run_id}/events`, or wait for the webhook. ' +
        '`run_with: "code"` is accepted and runs with the agent (the answer says `run_with: "agent"`); `proxy_location` and `max_screenshot_scrolls` are accepted and not applied.',
      request: { headers: RunCreateHeadersSchema, body: { required: true, ...json(TaskRunRequestSchema) } },
      responses: { 200: { description: 'The run, just started.', ...json(TaskRunResponseSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const body = c.req.valid('json');
      const override = c.req.valid('header')['x-max-steps-override'];
      if (body.browser_session_id) await checkSessionFree(ctx.deps, organizationId, body.browser_session_id, 'runs.task');
      const response = await tasksOf('runs.task').runTask(organizationId, body, override === undefined ? {} : { maxStepsOverride: override });
      await index(organizationId, response, body);
      if (body.browser_session_id) await occupySessionForRun(ctx.deps, organizationId, body.browser_session_id, response.run_id, 'task');
      return c.json(response, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/v1/run/tasks/login',
      operationId: 'login',
      summary: 'Log in to a website',
      description:
        'Runs a login task with a stored credential (`credential_type: "skyvern"`, `credential_id`); the agent sees placeholders, never the secrets. ' +
        'Petrel answers with a task run (`tsk_…`) where Skyvern answers with an ad-hoc workflow run.',
      request: { headers: RunCreateHeadersSchema, body: { required: true, ...json(LoginRequestSchema) } },
      responses: { 200: { description: 'The run, just started.', ...json(TaskRunResponseSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const body = c.req.valid('json');
      if (body.browser_session_id) await checkSessionFree(ctx.deps, organizationId, body.browser_session_id, 'runs.login');
      const response = await tasksOf('runs.login').login(organizationId, body);
      await index(organizationId, response, { webhook_url: body.webhook_url ?? null, browser_session_id: body.browser_session_id ?? null, totp_identifier: body.totp_identifier ?? null, title: 'Login' });
      if (body.browser_session_id) await occupySessionForRun(ctx.deps, organizationId, body.browser_session_id, response.run_id, 'task');
      return c.json(response, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth, ctx.idempotency] as const,
      method: 'post',
      path: '/v1/run/tasks/download_files',
      operationId: 'downloadFiles',
      summary: 'Download files from a website',
      description: 'Runs a task that navigates until a file downloads; the files are in `downloaded_files` (artifact URLs).',
      request: { headers: RunCreateHeadersSchema, body: { required: true, ...json(DownloadFilesRequestSchema) } },
      responses: { 200: { description: 'The run, just started.', ...json(TaskRunResponseSchema) }, ...errorResponses(400, 403, 404, 409, 413, 415, 422, 503) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const body = c.req.valid('json');
      if (body.browser_session_id) await checkSessionFree(ctx.deps, organizationId, body.browser_session_id, 'runs.download_files');
      const response = await tasksOf('runs.download_files').downloadFiles(organizationId, body);
      await index(organizationId, response, { webhook_url: body.webhook_url ?? null, browser_session_id: body.browser_session_id ?? null, totp_identifier: body.totp_identifier ?? null, title: 'Download files' });
      if (body.browser_session_id) await occupySessionForRun(ctx.deps, organizationId, body.browser_session_id, response.run_id, 'task');
      return c.json(response, 200);
    },
  );
}
