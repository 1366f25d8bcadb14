// Cron schedules: each workflow's cron expressions (UTC, parsed by croner) create instances with
// trigger source `cron`. A firing's instance id is derived from the expression and the scheduled
// time, so however many engines share a store, each due time creates exactly one instance (the
// unique id settles races). After downtime only the latest missed firing runs, not every one.
import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { PetrelError } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { Clock, TimerHandle } from './clock.ts';
import type { NewInstance, Store } from './store.ts';

/** Checks a cron expression (5 to 7 fields); throws `VALIDATION_FAILED` naming it. */
export function checkCron(op: string, cron: unknown): string {
  if (typeof cron !== 'string' || cron.length === 0 || cron.length > 256) {
    throw new PetrelError('VALIDATION_FAILED', `${op}: a cron schedule must be a string of 1 to 256 characters`);
  }
  try {
    new Cron(cron, { timezone: 'Etc/UTC', paused: true }).stop();
  } catch (error) {
    throw new PetrelError('VALIDATION_FAILED', `${op}: cron "${cron}" is invalid (${(error as Error).message})`);
  }
  return cron;
}

/** The next firing of a cron expression after `after` (ms), or undefined when there is none. */
export function nextCronRun(cron: string, after: number): number | undefined {
  try {
    return new Cron(cron, { timezone: 'Etc/UTC', paused: true }).nextRun(new Date(after))?.getTime();
  } catch {
    return undefined;
  }
}

/** The instance id of a cron firing. */
export function cronInstanceId(cron: string, scheduledTime: number): string {
  return `cron-${createHash('sha256').update(cron).digest('hex').slice(0, 10)}-${scheduledTime}`;
}

/** Fires cron schedules of every workflow in the store. */
export class CronScheduler {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #maxSleepMs: number;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #ticking: Promise<void> | undefined;

  constructor(deps: { store: Store; clock: Clock; logger: Logger; maxSleepMs: number }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#maxSleepMs = deps.maxSleepMs;
  }

  start(): void {
    void this.poke();
  }

  /** Runs a pass now (schedules changed, or a test moved the clock). */
  poke(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#ticking ??= this.#tick()
      .catch((error: unknown) => this.#logger.error({ err: error }, 'engine: cron pass failed'))
      .finally(() => {
        this.#ticking = undefined;
      });
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    // A pass that fails (the store is unreachable) is tried again in a second, not forgotten.
    const retry = this.#clock.setTimer(() => void this.poke(), 1000);
    this.#timer = retry;
    const now = this.#clock.now();
    let next = now + this.#maxSleepMs;
    for (const row of await this.#store.listSchedules()) {
      for (const cron of row.schedules) {
        let job: Cron;
        try {
          job = new Cron(cron, { timezone: 'Etc/UTC', paused: true });
        } catch {
          continue;
        }
        const upcoming = job.nextRun(new Date(now))?.getTime();
        if (upcoming !== undefined && upcoming < next) next = upcoming;
        const last = row.lastFired[cron];
        if (last === undefined) {
          // First sight of a schedule: it fires from now on, never for times before it existed.
          await this.#store.markCron({ namespace: row.namespace, workflowName: row.workflowName, cron, scheduledAt: now });
          continue;
        }
        const latest = job.previousRuns(1, new Date(Math.floor(now / 1000) * 1000 + 1))[0]?.getTime();
        if (latest === undefined || latest <= last || latest > now || row.currentVersionId === null) continue;
        const item: NewInstance = {
          namespace: row.namespace,
          workflowName: row.workflowName,
          id: cronInstanceId(cron, latest),
          versionId: row.currentVersionId,
          params: '{}',
          triggerSource: 'cron',
          schedule: { cron, scheduledTime: latest },
        };
        await this.#store.createInstances([item], { now, cron: { namespace: row.namespace, workflowName: row.workflowName, cron, scheduledAt: latest } });
      }
    }
    this.#clock.clearTimer(retry);
    if (!this.#stopped) this.#timer = this.#clock.setTimer(() => void this.poke(), Math.max(1, next - this.#clock.now() + 5));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    await this.#ticking;
  }
}
