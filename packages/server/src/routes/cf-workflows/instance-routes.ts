// Workflows API: instances of a workflow — list (status, dates, page or cursor), create (one, or a
// bare array of up to 100), get (steps, `order`, `simple`), one step's full output, status changes
// (pause, resume, terminate with rollback, restart from a step) and events.
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { CreateInstanceInput, StepInfo } from '@petrel/engine';
import {
  CF_ERROR_CODES,
  CfEventParamSchema,
  CfInstanceBulkRequestSchema,
  CfInstanceCreateItemSchema,
  CfInstanceDetailsSchema,
  CfInstanceGetQuerySchema,
  CfInstanceListQuerySchema,
  CfInstanceParamSchema,
  CfInstanceSummarySchema,
  CfStatusEditRequestSchema,
  CfStatusEditResponseSchema,
  CfStepOutputSchema,
  CfStepQuerySchema,
  CfWorkflowParamSchema,
  LIMITS,
  NAME_PATTERN,
  PetrelError,
  isPetrelError,
  parseDuration,
} from '@petrel/protocol';
import type { CfInstanceCreateItem, CfMessage, Duration, InstanceStatus } from '@petrel/protocol';
import { z } from 'zod';
import type { AppEnv } from '../../http/app-env.ts';
import type { RouteContext } from '../route-context.ts';
import { engineHost, getWorkflowRow, organizationOf } from './cf-context.ts';
import { CF_BASE, CF_SECURITY, cfEnvelope, cfErrorResponses, cfOk } from './cf-envelope.ts';
import { toCfInstanceDetails, toCfInstanceSummary } from './cf-mappers.ts';

const json = <T>(schema: T) => ({ content: { 'application/json': { schema } } });
const BASE = `${CF_BASE}/accounts/{account_id}/workflows/{workflow_name}/instances`;

/** `params` as sent: a JSON value, or a JSON-encoded string (the `cloudflare` client types it so). A string that is not JSON stays a string. */
export function parseParams(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** One create item in the engine's terms. */
function createInput(item: CfInstanceCreateItem): Omit<CreateInstanceInput, 'namespace' | 'workflow'> {
  const retention = item.instance_retention;
  return {
    ...(item.instance_id === undefined ? {} : { id: item.instance_id }),
    ...(item.params === undefined ? {} : { params: parseParams(item.params) }),
    ...(retention === undefined
      ? {}
      : {
          retention: {
            ...(retention.success_retention === undefined ? {} : { successRetention: retention.success_retention as Duration }),
            ...(retention.error_retention === undefined ? {} : { errorRetention: retention.error_retention as Duration }),
          },
        }),
  };
}

/** Checks a bulk item before anything is created, so a bad item fails the whole call. */
function checkBulkItem(index: number, item: CfInstanceCreateItem): void {
  const where = `instances.bulk: item ${index}`;
  if (item.instance_id !== undefined && (!NAME_PATTERN.test(item.instance_id) || item.instance_id.length > LIMITS.instanceIdLength)) {
    throw new PetrelError('INVALID_ID', `${where}: instance_id may contain only letters, digits, "_" and "-" (at most ${LIMITS.instanceIdLength})`, { details: { index } });
  }
  const retention = item.instance_retention;
  if (retention?.success_retention !== undefined) parseDuration(retention.success_retention, `${where}: instance_retention.success_retention`);
  if (retention?.error_retention !== undefined) parseDuration(retention.error_retention, `${where}: instance_retention.error_retention`);
  if (item.params !== undefined) {
    const text = JSON.stringify(parseParams(item.params)) as string | undefined;
    if (text !== undefined && Buffer.byteLength(text) > LIMITS.payloadBytes) throw new PetrelError('PAYLOAD_TOO_LARGE', `${where}: params is over ${LIMITS.payloadBytes} bytes`, { details: { index } });
  }
}

/** A date query parameter; a time without an offset is UTC. */
function parseDateQuery(field: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(raw) || /([zZ]|[+-]\d{2}:?\d{2})$/.test(raw) ? raw : `${raw}Z`;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new PetrelError('VALIDATION_FAILED', `instances.list: ${field} is not an ISO 8601 date`, { details: { field } });
  return date;
}

const STEP_TYPES = { step: 'do', waitForEvent: 'waitForEvent', sleep: 'sleep', rollback: 'rollback' } as const;

/** A step name as listed (`name-2`) or bare (occurrence 1): the candidates, most specific first. */
function stepCandidates(name: string): Array<{ name: string; count: number }> {
  const match = /^(.*)-(\d{1,6})$/.exec(name);
  const out: Array<{ name: string; count: number }> = [];
  if (match?.[1] && match[2]) out.push({ name: match[1], count: Number(match[2]) });
  out.push({ name, count: 1 });
  return out;
}

function stepStatus(status: StepInfo['status']): InstanceStatus {
  return status;
}

/** Registers the instance routes on the Workflows API app. */
export function registerCfInstanceRoutes(app: OpenAPIHono<AppEnv>, ctx: RouteContext): void {
  const common = { tags: ['Workflows API'], security: CF_SECURITY };

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: BASE,
      operationId: 'cfListInstances',
      summary: 'List instances',
      description:
        'Newest first unless `direction=asc`. Page with `page`/`per_page` (a page past the last one is empty, which ends the `cloudflare` client\'s auto-pagination) ' +
        'or with `cursor` from `result_info.cursor` (absent on the last page).',
      request: { params: CfWorkflowParamSchema, query: CfInstanceListQuerySchema },
      responses: { 200: { description: 'A page of instances.', ...json(cfEnvelope(z.array(CfInstanceSummarySchema), 'CfInstanceListEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      const query = c.req.valid('query');
      if (query.page !== undefined && query.cursor !== undefined) throw new PetrelError('VALIDATION_FAILED', 'instances.list: give a cursor or a page, not both', { details: { field: 'cursor' } });
      const workflow = await getWorkflowRow(host, namespace, name, 'instances.list');
      const perPage = query.per_page ?? 25;
      const page = query.cursor === undefined ? (query.page ?? 1) : undefined;
      const dateStart = parseDateQuery('date_start', query.date_start);
      const dateEnd = parseDateQuery('date_end', query.date_end);
      const listed = await host.engine.instances.list({
        namespace,
        workflow: name,
        perPage,
        ...(page === undefined ? {} : { page }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        ...(query.direction === undefined ? {} : { direction: query.direction }),
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(dateStart === undefined ? {} : { dateStart }),
        ...(dateEnd === undefined ? {} : { dateEnd }),
      });
      const result = listed.instances.map((instance) => toCfInstanceSummary(instance, workflow.id));
      return cfOk(c, result, 200, {
        resultInfo: {
          count: result.length,
          per_page: perPage,
          total_count: listed.total,
          ...(page === undefined ? {} : { page, total_pages: Math.ceil(listed.total / perPage) }),
          ...(listed.cursor === null ? {} : { cursor: listed.cursor }),
        },
      });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: BASE,
      operationId: 'cfCreateInstance',
      summary: 'Create an instance',
      description: 'Queues an instance pinned to the workflow\'s current version. An `instance_id` that exists (within its retention) is a conflict (409).',
      request: { params: CfWorkflowParamSchema, body: { required: false, ...json(CfInstanceCreateItemSchema) } },
      responses: { 201: { description: 'The queued instance.', ...json(cfEnvelope(CfInstanceSummarySchema, 'CfInstanceCreateEnvelope')) }, ...cfErrorResponses(400, 403, 404, 409, 413, 415, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      const body = c.req.valid('json');
      const workflow = await getWorkflowRow(host, namespace, name, 'instances.create');
      const created = await host.engine.instances.create({ namespace, workflow: name, ...createInput(body) });
      return cfOk(c, toCfInstanceSummary(created, workflow.id), 201);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: `${BASE}/batch`,
      operationId: 'cfCreateInstancesBatch',
      summary: 'Create instances in bulk',
      description:
        'The body is a bare JSON array of up to 100 create requests. Any invalid item fails the whole call and nothing is created. ' +
        'Ids that already exist are skipped (idempotent, as Cloudflare\'s `createBatch`): they are left out of `result` and listed in `messages`.',
      request: { params: CfWorkflowParamSchema, body: { required: true, ...json(CfInstanceBulkRequestSchema) } },
      responses: { 200: { description: 'The instances created.', ...json(cfEnvelope(z.array(CfInstanceSummarySchema), 'CfInstanceBulkEnvelope')) }, ...cfErrorResponses(400, 403, 404, 413, 415, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name } = c.req.valid('param');
      const items = c.req.valid('json');
      items.forEach((item, index) => checkBulkItem(index, item));
      const workflow = await getWorkflowRow(host, namespace, name, 'instances.bulk');
      const outcomes = await host.engine.instances.createBatch({ namespace, workflow: name, items: items.map(createInput) });
      const result = [];
      const messages: CfMessage[] = [];
      for (const outcome of outcomes) {
        if (outcome.ok) result.push(toCfInstanceSummary(outcome.instance, workflow.id));
        else messages.push({ code: CF_ERROR_CODES.conflict, message: outcome.error.code === 'ALREADY_EXISTS' ? `instance "${outcome.id ?? ''}" already exists; skipped` : outcome.error.message });
      }
      return cfOk(c, result, 200, { messages, resultInfo: { count: result.length, per_page: result.length, total_count: result.length, page: 1, total_pages: 1 } });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `${BASE}/{instance_id}`,
      operationId: 'cfGetInstance',
      summary: 'Get an instance with its steps',
      description:
        'Status, params, output, error, rollback outcome and the steps (`step`/`rollback` with attempts and config, `sleep`, `waitForEvent`, `termination`). ' +
        '`simple=true` leaves the steps out. `status_reason` (and `messages`) say why a queued instance is not running.',
      request: { params: CfInstanceParamSchema, query: CfInstanceGetQuerySchema },
      responses: { 200: { description: 'The instance.', ...json(cfEnvelope(CfInstanceDetailsSchema, 'CfInstanceEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name, instance_id: id } = c.req.valid('param');
      const query = c.req.valid('query');
      const details = await host.engine.instances.get({ namespace, workflow: name, id }, { steps: query.simple !== 'true', order: query.order ?? 'asc' });
      const messages: CfMessage[] = details.statusReason === null ? [] : [{ code: CF_ERROR_CODES.statusReason, message: `${details.statusReason.code}: ${details.statusReason.message}` }];
      return cfOk(c, toCfInstanceDetails(details), 200, { messages });
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: `${BASE}/{instance_id}/step`,
      operationId: 'cfGetInstanceStep',
      summary: 'Get one step\'s full output',
      description: 'The untruncated output of a step (`"[REDACTED]"` when sensitive), or of one attempt with `attempt`. For `waitForEvent` the output is the event\'s payload.',
      request: { params: CfInstanceParamSchema, query: CfStepQuerySchema },
      responses: { 200: { description: 'The step.', ...json(cfEnvelope(CfStepOutputSchema, 'CfStepOutputEnvelope')) }, ...cfErrorResponses(400, 403, 404, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name, instance_id: id } = c.req.valid('param');
      const query = c.req.valid('query');
      const type = STEP_TYPES[query.type ?? 'step'];
      const ref = { namespace, workflow: name, id };
      if (query.attempt !== undefined) {
        const details = await host.engine.instances.get(ref, { steps: true });
        for (const candidate of stepCandidates(query.name)) {
          const step = details.steps.find((s) => s.type === type && s.name === candidate.name && s.count === candidate.count);
          if (step === undefined) continue;
          const attempt = step.attempts.find((a) => a.attempt === query.attempt);
          if (attempt === undefined) throw new PetrelError('STEP_NOT_FOUND', `instances.step: step "${query.name.slice(0, 64)}" has no attempt ${query.attempt}`);
          const status: InstanceStatus = attempt.success === true ? 'complete' : attempt.success === false ? 'errored' : 'running';
          const lastSuccess = attempt.success === true && step.status === 'complete';
          return cfOk(c, { status, error: attempt.error === null ? null : { name: attempt.error.name, message: attempt.error.message }, ...(lastSuccess ? { output: step.output ?? null } : {}) }, 200);
        }
        throw new PetrelError('STEP_NOT_FOUND', `instances.step: instance "${id}" has no ${query.type ?? 'step'} step "${query.name.slice(0, 64)}"`);
      }
      let lastError: unknown;
      for (const candidate of stepCandidates(query.name)) {
        try {
          const step = await host.engine.instances.getStep({ ...ref, name: candidate.name, count: candidate.count, type });
          let output = step.output;
          if (type === 'waitForEvent' && step.status === 'complete' && output !== '[REDACTED]') output = (output as { payload?: unknown } | undefined)?.payload ?? null;
          return cfOk(
            c,
            {
              status: stepStatus(step.status),
              error: step.error === null ? null : { name: step.error.name, message: step.error.message },
              ...(step.status === 'complete' ? { output: output ?? null } : {}),
              ...(step.eventType === null ? {} : { event_type: step.eventType }),
            },
            200,
          );
        } catch (error) {
          if (!isPetrelError(error) || error.code !== 'STEP_NOT_FOUND') throw error;
          lastError = error;
        }
      }
      throw lastError;
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'patch',
      path: `${BASE}/{instance_id}/status`,
      operationId: 'cfEditInstanceStatus',
      summary: 'Pause, resume, terminate or restart an instance',
      description:
        '`{"status":"pause"}` takes effect at the next step boundary; `resume`; `{"status":"terminate","rollback":true}` runs rollback handlers first; ' +
        '`{"status":"restart","from":{"name":"charge","count":1,"type":"do"}}` keeps the steps before `from`. `action` is accepted in place of `status`.',
      request: { params: CfInstanceParamSchema, body: { required: true, ...json(CfStatusEditRequestSchema) } },
      responses: { 200: { description: 'The status after the change.', ...json(cfEnvelope(CfStatusEditResponseSchema, 'CfStatusEditEnvelope')) }, ...cfErrorResponses(400, 403, 404, 409, 415, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name, instance_id: id } = c.req.valid('param');
      const body = c.req.valid('json');
      const ref = { namespace, workflow: name, id };
      const action = body.status ?? body.action;
      let change;
      switch (action) {
        case 'pause':
          change = await host.engine.instances.pause(ref);
          break;
        case 'resume':
          change = await host.engine.instances.resume(ref);
          break;
        case 'terminate':
          change = await host.engine.instances.terminate(ref, { rollback: body.rollback === true });
          break;
        case 'restart':
          change = await host.engine.instances.restart(
            ref,
            body.from === undefined
              ? {}
              : { from: { name: body.from.name, ...(body.from.count === undefined ? {} : { count: body.from.count }), ...(body.from.type === undefined ? {} : { type: body.from.type }) } },
          );
          break;
        case undefined:
          throw new PetrelError('VALIDATION_FAILED', 'instances.status: status is required');
      }
      return cfOk(c, { status: change.status, timestamp: change.timestamp.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: `${BASE}/{instance_id}/events/{event_type}`,
      operationId: 'cfSendInstanceEvent',
      summary: 'Send an event to an instance',
      description: 'The raw JSON body is the payload. The next `step.waitForEvent` of that type receives it (events are buffered, first in first out). A finished instance takes no events (409).',
      request: { params: CfEventParamSchema, body: { required: false, ...json(z.unknown().meta({ id: 'CfEventPayload' })) } },
      responses: { 200: { description: 'Delivered (or buffered).', ...json(cfEnvelope(z.object({}), 'CfEventEnvelope')) }, ...cfErrorResponses(400, 403, 404, 409, 413, 415, 503) },
    }),
    async (c) => {
      const host = engineHost(ctx);
      const namespace = organizationOf(c);
      const { workflow_name: name, instance_id: id, event_type: type } = c.req.valid('param');
      const hasBody = (c.req.header('content-type') ?? '').includes('json');
      const payload = hasBody ? c.req.valid('json') : null;
      await host.engine.instances.sendEvent({ namespace, workflow: name, id, type, payload });
      return cfOk(c, {}, 200);
    },
  );
}
