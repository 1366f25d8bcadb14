// Cron schedules of block workflows. The engine's own cron creates instances with empty params, and a
// block workflow run needs its parameters, so schedules of block workflows are the server's: rows in
// `workflow_schedules` (cron expression, IANA time zone, the run's parameters and webhook), and a
// scheduler in every process with a workflow service that starts the runs that are due.
//
// A firing is exactly one run: its id is derived from the schedule and the due time, the run is
// started (or found already started) first, and then a compare-and-set of `next_run_at` (from the due
// time to the next one) claims the firing. Any number of processes, and a process that crashed
// between the two, agree on that one run. A firing missed while no process ran is started once, late,
// and the schedule goes on from now (no burst of catch-up runs); `last_error` says why a firing could
// not start a run (the workflow was deleted, its parameters no longer fit).
import { Cron } from 'croner';
import { PetrelError, derivedId, newId } from '@petrel/protocol';
import type { Logger, WorkflowSchedule, WorkflowScheduleUpsertRequest } from '@petrel/protocol';
import type { ServerStore } from '../store/server-store.ts';
import type { WorkflowScheduleRow } from '../store/workflow-store.ts';

/** The schedule as the API shows it. */
export function toWorkflowSchedule(row: WorkflowScheduleRow): WorkflowSchedule {
  return {
    workflow_schedule_id: row.workflow_schedule_id,
    organization_id: row.organization_id,
    workflow_permanent_id: row.workflow_permanent_id,
    name: row.name,
    cron_expression: row.cron_expression,
    timezone: row.timezone,
    parameters: JSON.parse(row.parameters) as Record<string, unknown>,
    webhook_url: row.webhook_url,
    enabled: row.enabled === 1,
    next_run_at: row.next_run_at,
    last_run_at: row.last_run_at,
    last_run_id: row.last_run_id,
    last_error: row.last_error,
    created_at: row.created_at,
    modified_at: row.modified_at,
  };
}

/** Checks a cron expression and a time zone; throws `VALIDATION_FAILED` naming the field. */
export function checkSchedule(cronExpression: string, timezone: string, op: string): void {
  try {
    Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions();
  } catch {
    throw new PetrelError('VALIDATION_FAILED', `${op}: timezone "${timezone.slice(0, 64)}" is not an IANA time zone`, { details: [{ path: 'timezone', message: 'not an IANA time zone' }] });
  }
  try {
    const probe = new Cron(cronExpression, { timezone, paused: true });
    probe.stop();
  } catch (error) {
    throw new PetrelError('VALIDATION_FAILED', `${op}: cron_expression is invalid (${(error as Error).message})`, { details: [{ path: 'cron_expression', message: 'invalid cron expression' }] });
  }
}

/** The next firing after `after` (ISO), or null when the expression never fires again. */
export function nextFiring(cronExpression: string, timezone: string, after: Date): string | null {
  try {
    return new Cron(cronExpression, { timezone, paused: true }).nextRun(after)?.toISOString() ?? null;
  } catch {
    return null;
  }
}

/** The schedules of block workflows. */
export type ScheduleService = {
  create(organizationId: string, workflowPermanentId: string, body: WorkflowScheduleUpsertRequest): Promise<WorkflowSchedule>;
  get(organizationId: string, workflowPermanentId: string | undefined, scheduleId: string): Promise<WorkflowSchedule>;
  list(organizationId: string, filter: { workflowPermanentId?: string | undefined; page: number; pageSize: number }): Promise<WorkflowSchedule[]>;
  replace(organizationId: string, workflowPermanentId: string, scheduleId: string, body: WorkflowScheduleUpsertRequest): Promise<WorkflowSchedule>;
  setEnabled(organizationId: string, workflowPermanentId: string, scheduleId: string, enabled: boolean): Promise<WorkflowSchedule>;
  delete(organizationId: string, workflowPermanentId: string, scheduleId: string): Promise<void>;
};

/** Options of `createScheduleService`. */
export type ScheduleServiceOptions = {
  store: ServerStore;
  /** Checks that the workflow exists and the parameters fit it; throws `WORKFLOW_NOT_FOUND` / `VALIDATION_FAILED`. */
  checkWorkflow(organizationId: string, workflowPermanentId: string, parameters: Record<string, unknown>): Promise<void>;
  now: () => Date;
  /** Called after a schedule changed here (the process's scheduler looks again at once). Default none. */
  onChange?: () => void;
};

/** Creates the schedule service (the routes' side; `startWorkflowScheduler` fires them). */
export function createScheduleService(options: ScheduleServiceOptions): ScheduleService {
  const { store, now } = options;
  const find = async (organizationId: string, workflowPermanentId: string | undefined, scheduleId: string, op: string): Promise<WorkflowScheduleRow> => {
    const row = await store.schedules.find(organizationId, scheduleId);
    if (row === undefined || (workflowPermanentId !== undefined && row.workflow_permanent_id !== workflowPermanentId)) {
      throw new PetrelError('NOT_FOUND', `${op}: schedule ${scheduleId.slice(0, 100)} not found`);
    }
    return row;
  };
  const settings = async (organizationId: string, workflowPermanentId: string, body: WorkflowScheduleUpsertRequest, op: string) => {
    checkSchedule(body.cron_expression, body.timezone, op);
    await options.checkWorkflow(organizationId, workflowPermanentId, body.parameters);
    const at = now();
    return {
      name: body.name ?? null,
      cron_expression: body.cron_expression,
      timezone: body.timezone,
      parameters: JSON.stringify(body.parameters),
      webhook_url: body.webhook_url ?? null,
      enabled: body.enabled ? 1 : 0,
      next_run_at: body.enabled ? nextFiring(body.cron_expression, body.timezone, at) : null,
      modified_at: at.toISOString(),
    };
  };
  return {
    async create(organizationId, workflowPermanentId, body) {
      const row: WorkflowScheduleRow = {
        workflow_schedule_id: newId('schedule'),
        organization_id: organizationId,
        workflow_permanent_id: workflowPermanentId,
        ...(await settings(organizationId, workflowPermanentId, body, 'schedules.create')),
        last_run_at: null,
        last_run_id: null,
        last_error: null,
        created_at: now().toISOString(),
      };
      await store.schedules.insert(row);
      options.onChange?.();
      return toWorkflowSchedule(row);
    },
    async get(organizationId, workflowPermanentId, scheduleId) {
      return toWorkflowSchedule(await find(organizationId, workflowPermanentId, scheduleId, 'schedules.get'));
    },
    async list(organizationId, filter) {
      return (await store.schedules.list(organizationId, filter)).map(toWorkflowSchedule);
    },
    async replace(organizationId, workflowPermanentId, scheduleId, body) {
      await find(organizationId, workflowPermanentId, scheduleId, 'schedules.update');
      await store.schedules.update(organizationId, scheduleId, await settings(organizationId, workflowPermanentId, body, 'schedules.update'));
      options.onChange?.();
      return toWorkflowSchedule(await find(organizationId, workflowPermanentId, scheduleId, 'schedules.update'));
    },
    async setEnabled(organizationId, workflowPermanentId, scheduleId, enabled) {
      const row = await find(organizationId, workflowPermanentId, scheduleId, enabled ? 'schedules.enable' : 'schedules.disable');
      if ((row.enabled === 1) !== enabled) {
        const at = now();
        await store.schedules.update(organizationId, scheduleId, {
          enabled: enabled ? 1 : 0,
          next_run_at: enabled ? nextFiring(row.cron_expression, row.timezone, at) : null,
          modified_at: at.toISOString(),
        });
        options.onChange?.();
      }
      return toWorkflowSchedule(await find(organizationId, workflowPermanentId, scheduleId, 'schedules.enable'));
    },
    async delete(organizationId, workflowPermanentId, scheduleId) {
      await find(organizationId, workflowPermanentId, scheduleId, 'schedules.delete');
      await store.schedules.delete(organizationId, scheduleId);
    },
  };
}

/** Options of `startWorkflowScheduler`. */
export type WorkflowSchedulerOptions = {
  store: ServerStore;
  /**
   * Starts the run of one firing with the id given (derived from the schedule and the due time), or
   * finds it already started; returns its run id.
   */
  fire(schedule: WorkflowSchedule, runId: string): Promise<string>;
  logger: Logger;
  now?: () => Date;
  /** Longest sleep between looks at the table, in ms (schedules made by other processes are seen within it). Default 10 000. */
  maxSleepMs?: number;
};

/** A running scheduler. */
export type WorkflowScheduler = AsyncDisposable & {
  /** Fires what is due now (tests); resolves with the run ids started. */
  tick(): Promise<string[]>;
  /** Ends the current sleep: a schedule changed in this process. */
  wake(): void;
  stop(): Promise<void>;
};

/** Starts the scheduler loop of this process. */
export function startWorkflowScheduler(options: WorkflowSchedulerOptions): WorkflowScheduler {
  const { store, logger } = options;
  const now = options.now ?? (() => new Date());
  const maxSleepMs = options.maxSleepMs ?? 10_000;
  const abort = new AbortController();
  let wakeUp: (() => void) | undefined;

  const tick = async (): Promise<string[]> => {
    const started: string[] = [];
    const at = now();
    for (const row of await store.schedules.listDue(at.toISOString(), 50)) {
      const due = row.next_run_at;
      if (due === null) continue;
      // Exactly one run per firing: the run's id is derived from the schedule and the due time, the
      // run is started (or found started) first, and only then is the firing claimed. A process that
      // dies in between leaves the firing due, and the next look starts the same run id, which
      // answers the run already there; processes racing for one firing agree on the run the same way.
      const runId = derivedId('workflowRun', Date.parse(due), `${row.workflow_schedule_id}@${due}`);
      let outcome: { runId: string | null; error: string | null };
      try {
        outcome = { runId: await options.fire(toWorkflowSchedule(row), runId), error: null };
      } catch (error) {
        outcome = { runId: null, error: error instanceof Error ? error.message.slice(0, 1000) : 'the run could not be started' };
        logger.warn({ err: error, schedule_id: row.workflow_schedule_id }, 'schedules: a firing could not start a run');
      }
      const next = nextFiring(row.cron_expression, row.timezone, at);
      if (!(await store.schedules.claimFiring(row.workflow_schedule_id, due, next, at.toISOString()))) continue;
      await store.schedules.recordFiring(row.workflow_schedule_id, outcome).catch(() => undefined);
      if (outcome.runId !== null) started.push(outcome.runId);
    }
    return started;
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      let sleep = maxSleepMs;
      try {
        await tick();
        const next = await store.schedules.nextDue();
        if (next !== undefined) sleep = Math.max(50, Math.min(maxSleepMs, Date.parse(next) - now().getTime()));
      } catch (error) {
        if (abort.signal.aborted) break;
        logger.warn({ err: error }, 'schedules: the scheduler failed; retrying');
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          abort.signal.removeEventListener('abort', done);
          wakeUp = undefined;
          resolve();
        };
        const timer = setTimeout(done, sleep);
        wakeUp = done;
        abort.signal.addEventListener('abort', done, { once: true });
      });
    }
  })();

  const stop = async (): Promise<void> => {
    abort.abort();
    await loop;
  };
  return { tick, stop, wake: () => wakeUp?.(), [Symbol.asyncDispose]: stop };
}
