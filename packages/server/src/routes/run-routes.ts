// The runs index routes (skyvern.md §1.3, §1.4, §1.7): `GET /v1/runs`, cancel (one and bulk) and
// `retry_webhook`, through the run-kind registry; Petrel's webhook delivery log; and a run's live
// events as Server-Sent Events fed by the engine outbox, resumable with `Last-Event-ID`; one run
// (`GET /v1/runs/{id}`) and its timeline, shown by the run's kind. Creating runs belongs to the task
// and workflow routes.
import { createRoute, z } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import {
  BulkCancelRunsRequestSchema,
  BulkCancelRunsResponseSchema,
  ListRunsQuerySchema,
  PetrelError,
  RetryRunWebhookRequestSchema,
  RunIdParamSchema,
  RunListItemSchema,
  RunStreamEventSchema,
  RunWebhookReplayResponseSchema,
  TaskRunResponseSchema,
  WebhookDeliverySchema,
  WorkflowRunResponseSchema,
  WorkflowRunTimelineSchema,
} from '@petrel/protocol';
import type { WebhookDelivery } from '@petrel/protocol';
import type { AppEnv } from '../http/app-env.ts';
import { API_KEY_SECURITY, errorResponses } from '../http/openapi-helpers.ts';
import { streamRunEvents } from '../live/run-event-stream.ts';
import { replayWebhook } from '../webhooks/webhook-delivery.ts';
import type { RouteContext } from './route-context.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });

/** Registers the runs index routes. */
export function registerRunRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const { runs, store } = ctx.deps;
  const common = { tags: ['Runs'], security: API_KEY_SECURITY };

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/runs',
      operationId: 'getRuns',
      summary: 'List runs',
      description: 'Tasks and workflow runs, newest first. `status` and `run_type` may repeat. `status` is the last snapshot, kept in step with the engine.',
      request: { query: ListRunsQuerySchema },
      responses: { 200: { description: 'One page of runs.', ...json(z.array(RunListItemSchema)) }, ...errorResponses(403, 422) },
    }),
    async (c) => {
      const query = c.req.valid('query');
      const rows = await runs.list(c.get('principal').organizationId, {
        page: query.page,
        pageSize: query.page_size,
        statuses: query.status,
        runTypes: query.run_type,
        search: query.search_key,
        developerUserId: query.developer_user_id,
      });
      return c.json(rows.map((row) => runs.toListItem(row)), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/runs/{run_id}',
      operationId: 'getRun',
      summary: 'Get a run',
      description: 'A task (`tsk_…`) as `TaskRunResponse` or a workflow run (`wr_…`) as `WorkflowRunResponse`, discriminated by `run_type`. Artifact links are signed afresh on every read.',
      request: { params: RunIdParamSchema },
      responses: {
        200: { description: 'The run.', ...json(z.union([TaskRunResponseSchema, WorkflowRunResponseSchema])) },
        ...errorResponses(403, 404, 422, 503),
      },
    }),
    // The kind built the answer in its own schema; the union documents both.
    async (c) => c.json((await runs.response(c.get('principal').organizationId, c.req.valid('param').run_id)) as never, 200),
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/runs/{run_id}/timeline',
      operationId: 'getRunTimeline',
      summary: 'Get a run\'s timeline',
      description:
        'Skyvern\'s `WorkflowRunTimeline[]`: for a workflow run, its blocks in the order they ran (a loop\'s iterations as children) with the agent\'s actions; ' +
        'for a task, one `task` block with every action of every agent step.',
      request: { params: RunIdParamSchema },
      responses: { 200: { description: 'The timeline.', ...json(z.array(WorkflowRunTimelineSchema)) }, ...errorResponses(400, 403, 404, 422, 503) },
    }),
    async (c) => c.json(await runs.timeline(c.get('principal').organizationId, c.req.valid('param').run_id), 200),
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/runs/cancel',
      operationId: 'bulkCancelRuns',
      summary: 'Cancel runs',
      description: 'Cancels up to 100 runs; each is reported in `cancelled` or `failed` (unknown here, already final, or its cancel failed).',
      request: { body: { required: true, ...json(BulkCancelRunsRequestSchema) } },
      responses: { 200: { description: 'What was canceled.', ...json(BulkCancelRunsResponseSchema) }, ...errorResponses(403, 413, 415, 422) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const cancelled: string[] = [];
      const failed: string[] = [];
      for (const runId of new Set(c.req.valid('json').run_ids)) {
        try {
          await runs.cancel(organizationId, runId);
          cancelled.push(runId);
        } catch (error) {
          failed.push(runId);
          if ((error as { status?: unknown } | null)?.status === undefined || Number((error as { status: unknown }).status) >= 500) {
            c.get('logger').warn({ err: error, run_id: runId }, 'runs.cancel: bulk cancel of one run failed');
          }
        }
      }
      return c.json({ cancelled, failed }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/runs/{run_id}/cancel',
      operationId: 'cancelRun',
      summary: 'Cancel a run',
      description: 'Cancels the run (cooperatively, at its next step); a run with a `webhook_url` then gets its final webhook. 409 when it is already final.',
      request: { params: RunIdParamSchema },
      responses: { 200: { description: 'Canceled (the body is `null`, as Skyvern answers).', ...json(z.null()) }, ...errorResponses(403, 404, 409, 422, 503) },
    }),
    async (c) => {
      await runs.cancel(c.get('principal').organizationId, c.req.valid('param').run_id);
      return c.json(null, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'post',
      path: '/v1/runs/{run_id}/retry_webhook',
      operationId: 'retryRunWebhook',
      summary: 'Send a run\'s webhook again',
      description:
        'Rebuilds the run\'s payload, signs it and sends it once, now (to `webhook_url` when given, else the run\'s); answers what happened. The attempt is logged.',
      request: { params: RunIdParamSchema, body: { required: false, ...json(RetryRunWebhookRequestSchema) } },
      responses: { 200: { description: 'The delivery\'s result.', ...json(RunWebhookReplayResponseSchema) }, ...errorResponses(400, 403, 404, 413, 415, 422, 503) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const row = await runs.get(organizationId, c.req.valid('param').run_id);
      const body = (c.req.valid('json') as { webhook_url?: string | null } | undefined) ?? {};
      const result = await replayWebhook(
        { store, vault: ctx.deps.vault, outboundFetch: ctx.deps.outboundFetch, runs, metrics: ctx.deps.metrics, logger: c.get('logger'), now: ctx.deps.now },
        row,
        body.webhook_url ?? undefined,
      );
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/runs/{run_id}/webhook_deliveries',
      operationId: 'getRunWebhookDeliveries',
      summary: 'List a run\'s webhook delivery attempts',
      description: 'Petrel\'s delivery log: every attempt of the delivery workflow and of `retry_webhook`, oldest first.',
      request: { params: RunIdParamSchema },
      responses: { 200: { description: 'The attempts.', ...json(z.array(WebhookDeliverySchema)) }, ...errorResponses(403, 404, 422) },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const row = await runs.get(organizationId, c.req.valid('param').run_id);
      const attempts = await store.webhookDeliveries.listForRun(organizationId, row.run_id);
      return c.json(
        attempts.map(
          (a): WebhookDelivery => ({
            delivery_id: a.delivery_id,
            run_id: a.run_id,
            attempt: a.attempt,
            url: a.url,
            status_code: a.status_code,
            duration_ms: a.duration_ms,
            error: a.error,
            response_excerpt: a.response_excerpt,
            created_at: a.created_at,
            source: a.source === 'retry_webhook' ? 'retry_webhook' : 'delivery',
          }),
        ),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      ...common,
      middleware: [ctx.auth] as const,
      method: 'get',
      path: '/v1/runs/{run_id}/events',
      operationId: 'streamRunEvents',
      summary: 'Stream a run\'s live events (SSE)',
      description:
        'Server-Sent Events: `snapshot` (the run now), then `status`, `step`, `screenshot` (and whatever the run\'s kind adds: blocks, actions) as they happen, ' +
        '`done` when the run ends. Each event\'s `id` is its outbox sequence number: reconnect with `Last-Event-ID` (or `?last_event_id=`) to replay what came after. ' +
        'A comment line is sent every 15 s of quiet.',
      request: {
        params: RunIdParamSchema,
        query: z.object({ last_event_id: z.string().regex(/^\d{1,15}$/).optional().describe('Like the `Last-Event-ID` header.') }),
      },
      responses: {
        200: { description: 'The event stream; each `data:` is a JSON `RunStreamEvent`.', content: { 'text/event-stream': { schema: RunStreamEventSchema } } },
        ...errorResponses(400, 403, 404, 422, 503),
      },
    }),
    async (c) => {
      const organizationId = c.get('principal').organizationId;
      const row = await runs.get(organizationId, c.req.valid('param').run_id);
      const engine = ctx.deps.engine?.engine;
      if (engine === undefined) throw new PetrelError('UNAVAILABLE', 'runs.events: the workflow engine is not running in this process');
      const header = c.req.header('last-event-id');
      const raw = header ?? c.req.valid('query').last_event_id;
      if (raw !== undefined && !/^\d{1,15}$/.test(raw.trim())) throw new PetrelError('INVALID_INPUT', 'runs.events: Last-Event-ID must be an event id this stream sent');
      const lastEventId = raw === undefined ? undefined : Number(raw.trim());
      const abort = new AbortController();
      const stop = (): void => abort.abort();
      c.req.raw.signal.addEventListener('abort', stop, { once: true });
      ctx.deps.shutdownSignal?.addEventListener('abort', stop, { once: true });
      c.header('x-accel-buffering', 'no');
      return streamSSE(
        c,
        async (stream) => {
          stream.onAbort(stop);
          try {
            await streamRunEvents(stream, {
              engine,
              runs,
              row,
              lastEventId,
              signal: abort.signal,
              ...(ctx.deps.sseHeartbeatMs === undefined ? {} : { heartbeatMs: ctx.deps.sseHeartbeatMs }),
            });
          } catch (error) {
            // Hono would write the raw message; the client gets a fixed one and the log the cause.
            c.get('logger').warn({ err: error, run_id: row.run_id }, 'runs.events: the stream failed');
            await stream.writeSSE({ event: 'error', data: JSON.stringify({ run_id: row.run_id, type: 'error', detail: 'runs.events: the stream failed; reconnect with Last-Event-ID' }) });
          } finally {
            ctx.deps.shutdownSignal?.removeEventListener('abort', stop);
            c.req.raw.signal.removeEventListener('abort', stop);
          }
        },
      );
    },
  );
}
