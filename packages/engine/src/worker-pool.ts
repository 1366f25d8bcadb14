// The worker pool: a fixed number of slots, each running one invocation. A dispatcher claims due
// instances (queued, woken, or whose lease lapsed) whenever a slot is free and something may be
// due: on store notifications, on a timer set for the earliest due time, and on a slow poll (for
// other processes sharing the store). Leases are renewed by one heartbeat for all slots; a lost
// lease aborts its invocation. Sleeping and waiting instances hold no slot and no memory.
// When the store cannot be reached, the pool stops claiming and retries with backoff, and an
// invocation whose lease could not be renewed before it lapses is aborted: another worker may
// already have taken it over (the store's fencing refuses its writes in any case).
import { PetrelError, isPetrelError } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { Clock, TimerHandle } from './clock.ts';
import { InstanceRun } from './instance-run.ts';
import type { RunnerDeps, RunSettings } from './instance-run.ts';
import type { ClaimedInstance, DueVersion, Lease, Store } from './store.ts';
import type { WorkflowDefinition } from './workflow.ts';

/** What the pool needs from the engine. */
export type WorkerPoolDeps = {
  store: Store;
  clock: Clock;
  logger: Logger;
  owner: string;
  slots: number;
  leaseMs: number;
  pollIntervalMs: number;
  codeRetryMs: number;
  runner: RunnerDeps;
  /** The definition of a version this worker has, if any. */
  definitionOf: (versionId: string) => WorkflowDefinition | undefined;
  /** Version ids this worker can run. */
  versionIds: () => readonly string[];
  /** Asks the resolver hook for code this worker has not loaded. */
  resolve: (due: DueVersion) => Promise<WorkflowDefinition | undefined>;
  settingsOf: (namespace: string, workflowName: string) => Promise<RunSettings>;
};

/** Runs claimed instances in a fixed number of slots. */
export class WorkerPool {
  readonly #deps: WorkerPoolDeps;
  readonly #running = new Map<number, InstanceRun>();
  readonly #starting = new Set<number>();
  readonly #finished = new Map<number, Promise<void>>();
  readonly #missing = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #poll: TimerHandle | undefined;
  #heartbeat: TimerHandle | undefined;
  #unsubscribe: (() => void) | undefined;
  #kickScheduled = false;
  #dispatching = false;
  #again = false;
  #stopped = false;
  #lastDiscovery = 0;
  #keepAlive: NodeJS.Timeout | undefined;
  /** When each running invocation's lease ends unless renewed, by instance row key. */
  readonly #leaseUntil = new Map<number, number>();
  /** Consecutive failed dispatch passes; claims back off while the store is unreachable. */
  #failures = 0;
  #backoffUntil = 0;
  #renewFailing = false;
  #renewing = false;

  constructor(deps: WorkerPoolDeps) {
    this.#deps = deps;
  }

  /** Invocations running now, by instance row key. */
  get running(): ReadonlyMap<number, InstanceRun> {
    return this.#running;
  }

  start(): void {
    const { store, clock } = this.#deps;
    // A worker is a service: like a listening server it keeps the process alive until stopped
    // (the clock's timers do not, so an API-only engine never holds a process open).
    this.#keepAlive = setInterval(() => {}, 1 << 30);
    this.#unsubscribe = store.subscribe((notification) => {
      if (notification.kind !== 'due') return;
      if (notification.at <= clock.now()) this.kick();
      else this.#arm(notification.at);
    });
    const poll = (): void => {
      this.#poll = clock.setTimer(poll, this.#deps.pollIntervalMs);
      this.kick();
    };
    this.#poll = clock.setTimer(poll, this.#deps.pollIntervalMs);
    const beat = (): void => {
      this.#heartbeat = clock.setTimer(beat, Math.max(50, Math.floor(this.#deps.leaseMs / 3)));
      this.#renew().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'engine: lease heartbeat failed'));
    };
    this.#heartbeat = clock.setTimer(beat, Math.max(50, Math.floor(this.#deps.leaseMs / 3)));
    this.kick();
  }

  /** Asks for a dispatch pass soon (coalesced). */
  kick(): void {
    if (this.#stopped || this.#kickScheduled) return;
    this.#kickScheduled = true;
    setImmediate(() => {
      this.#kickScheduled = false;
      this.#dispatch().then(
        () => this.#dispatchSucceeded(),
        (error: unknown) => this.#dispatchFailed(error),
      );
    });
  }

  #dispatchSucceeded(): void {
    if (this.#failures === 0) return;
    this.#deps.logger.info({ failures: this.#failures }, 'engine: the store is reachable again; claiming resumed');
    this.#failures = 0;
    this.#backoffUntil = 0;
  }

  /** Backs off (100 ms doubling to 5 s) so that an unreachable store is retried, not hammered. */
  #dispatchFailed(error: unknown): void {
    this.#failures++;
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.#failures - 1, 10));
    this.#backoffUntil = this.#deps.clock.now() + delay;
    if (this.#failures === 1) {
      const unavailable = isPetrelError(error) && error.code === 'STORE_UNAVAILABLE';
      this.#deps.logger[unavailable ? 'warn' : 'error']({ err: error }, unavailable ? 'engine: the store is unreachable; claiming paused, retrying with backoff' : 'engine: dispatch failed');
    }
    this.#arm(this.#backoffUntil);
  }

  /** Forgets that a version's code was missing (it was just registered). */
  forgetMissing(versionId: string): void {
    this.#missing.delete(versionId);
  }

  #arm(at: number): void {
    if (this.#stopped || at >= this.#timerAt) return;
    const { clock } = this.#deps;
    if (this.#timer) clock.clearTimer(this.#timer);
    this.#timerAt = at;
    this.#timer = clock.setTimer(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.kick();
    }, at - clock.now());
  }

  async #dispatch(): Promise<void> {
    if (this.#stopped) return;
    if (this.#dispatching) {
      this.#again = true;
      return;
    }
    const { store, clock } = this.#deps;
    if (clock.now() < this.#backoffUntil) {
      this.#arm(this.#backoffUntil);
      return;
    }
    this.#dispatching = true;
    try {
      const free = this.#deps.slots - this.#running.size - this.#starting.size;
      const versionIds = this.#deps.versionIds();
      let claimed: ClaimedInstance[] = [];
      if (free > 0 && versionIds.length > 0) {
        claimed = await store.claim({ owner: this.#deps.owner, now: clock.now(), leaseMs: this.#deps.leaseMs, limit: free, versionIds });
        if (this.#stopped) {
          for (const c of claimed) await store.release(c.lease, { now: clock.now(), dueAt: clock.now() }).catch(() => {});
          return;
        }
        for (const c of claimed) this.#launch(c);
        if (claimed.length === free) this.#again = true;
      }
      if (free > claimed.length) await this.#discover();
      if (!this.#again) {
        const next = await store.nextDueAt(this.#deps.versionIds());
        if (next !== undefined) {
          if (next <= clock.now()) {
            if (this.#deps.slots > this.#running.size + this.#starting.size) this.#again = true;
          } else {
            this.#arm(next);
          }
        }
      }
    } finally {
      this.#dispatching = false;
      if (this.#again) {
        this.#again = false;
        this.kick();
      }
    }
  }

  /** Finds due instances of versions this worker lacks and asks the resolver hook for their code. */
  async #discover(): Promise<void> {
    const { store, clock } = this.#deps;
    const now = clock.now();
    if (now - this.#lastDiscovery < Math.min(1000, this.#deps.pollIntervalMs)) return;
    this.#lastDiscovery = now;
    const exclude = [...this.#deps.versionIds()];
    for (const [versionId, retryAt] of this.#missing) {
      if (retryAt > now) exclude.push(versionId);
      else this.#missing.delete(versionId);
    }
    const due = await store.findDueVersions({ now, exclude, limit: 20 });
    for (const version of due) {
      let definition: WorkflowDefinition | undefined;
      try {
        definition = await this.#deps.resolve(version);
      } catch (error) {
        this.#deps.logger.warn({ err: error, ...version }, 'engine: resolveWorkflow failed');
      }
      if (definition) {
        this.kick();
        continue;
      }
      this.#missing.set(version.versionId, now + this.#deps.codeRetryMs);
      await store.markDue([version.versionId], now, {
        code: 'WORKFLOW_CODE_MISSING',
        message: `no worker has the code of workflow "${version.workflowName}" version ${version.versionId}`,
      });
    }
  }

  #launch(claimed: ClaimedInstance): void {
    const { instance } = claimed;
    this.#deps.logger.info(
      { worker: this.#deps.owner, namespace: instance.namespace, workflow: instance.workflowName, instanceId: instance.id, previousStatus: claimed.previousStatus, epoch: claimed.lease.epoch },
      'engine: claimed an instance',
    );
    this.#leaseUntil.set(instance.pk, instance.dueAt ?? this.#deps.clock.now() + this.#deps.leaseMs);
    this.#starting.add(instance.pk);
    this.#startRun(claimed)
      .catch(async (error: unknown) => {
        this.#deps.logger.error({ err: error, instanceId: instance.id }, 'engine: could not start an invocation');
        await this.#deps.store.release(claimed.lease, { now: this.#deps.clock.now(), dueAt: this.#deps.clock.now() + 1000 }).catch(() => {});
      })
      .finally(() => {
        this.#starting.delete(instance.pk);
        if (!this.#running.has(instance.pk)) this.#leaseUntil.delete(instance.pk);
      });
  }

  async #startRun(claimed: ClaimedInstance): Promise<void> {
    const { store } = this.#deps;
    const { instance, lease } = claimed;
    const definition = this.#deps.definitionOf(instance.versionId);
    if (!definition) throw new PetrelError('WORKFLOW_CODE_MISSING', `engine: version ${instance.versionId} is not loaded`);
    const [steps, events, settings] = await Promise.all([
      store.listSteps(lease.pk),
      store.listPendingEvents(lease.pk),
      this.#deps.settingsOf(instance.namespace, instance.workflowName),
    ]);
    const run = new InstanceRun({ lease, instance, definition, steps, events, settings, deps: this.#deps.runner });
    this.#running.set(lease.pk, run);
    this.#starting.delete(lease.pk);
    const finished = run.done
      .then(async () => {
        if (run.abortReason === 'shutdown') await store.release(lease, { now: this.#deps.clock.now(), dueAt: this.#deps.clock.now() }).catch(() => {});
      })
      .finally(() => {
        if (this.#running.get(lease.pk) === run) {
          this.#running.delete(lease.pk);
          this.#leaseUntil.delete(lease.pk);
        }
        this.#finished.delete(lease.pk);
        this.kick();
      })
      .catch(() => {});
    this.#finished.set(lease.pk, finished);
    run.start();
  }

  /**
   * Keeps no lease that cannot be renewed: an invocation whose lease lapses before the next
   * heartbeat stops now, because another worker may claim the instance once it lapses.
   */
  #abortLapsing(runs: readonly InstanceRun[]): number {
    const horizon = this.#deps.clock.now() + Math.max(50, Math.floor(this.#deps.leaseMs / 3));
    let aborted = 0;
    for (const run of runs) {
      const until = this.#leaseUntil.get(run.lease.pk);
      if (until !== undefined && until <= horizon && this.#running.get(run.lease.pk) === run) {
        run.abort('lease_lost', 'the lease could not be renewed before it lapsed (the store is unreachable)');
        aborted++;
      }
    }
    return aborted;
  }

  async #renew(): Promise<void> {
    if (this.#running.size === 0) return;
    const { clock, leaseMs, logger } = this.#deps;
    const runs = [...this.#running.values()];
    if (this.#renewing) {
      // The last renewal has not come back (a connection that hangs rather than fails).
      const aborted = this.#abortLapsing(runs);
      if (aborted > 0) logger.warn({ aborted, running: runs.length }, 'engine: lease renewal is not answering');
      return;
    }
    const now = clock.now();
    let lost: Lease[];
    this.#renewing = true;
    try {
      lost = await this.#deps.store.renewLeases(
        runs.map((r) => r.lease),
        now,
        leaseMs,
      );
    } catch (error) {
      const aborted = this.#abortLapsing(runs);
      if (!this.#renewFailing || aborted > 0) logger.warn({ err: error, aborted, running: runs.length }, 'engine: lease renewal failed');
      this.#renewFailing = true;
      return;
    } finally {
      this.#renewing = false;
    }
    if (this.#renewFailing) logger.info({ running: runs.length }, 'engine: lease renewal works again');
    this.#renewFailing = false;
    const lostKeys = new Set(lost.map((lease) => lease.pk));
    for (const run of runs) if (!lostKeys.has(run.lease.pk) && this.#leaseUntil.has(run.lease.pk)) this.#leaseUntil.set(run.lease.pk, now + leaseMs);
    for (const lease of lost) this.#running.get(lease.pk)?.abort('lease_lost', 'the lease was lost (revoked, or it lapsed and another worker took the instance)');
  }

  /** Stops claiming; aborts running invocations (their steps see `signal` abort) and releases their leases. */
  async stop(graceMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const { clock } = this.#deps;
    clearInterval(this.#keepAlive);
    this.#unsubscribe?.();
    for (const timer of [this.#timer, this.#poll, this.#heartbeat]) if (timer) clock.clearTimer(timer);
    const runs = [...this.#running.values()];
    if (runs.length > 0 && graceMs > 0) {
      let handle: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(runs.map((r) => r.done)), new Promise<void>((resolve) => (handle = setTimeout(resolve, graceMs)))]);
      if (handle) clearTimeout(handle);
    }
    // Dispatches and starts in flight finish first, so that nothing runs after stop() resolves.
    while (this.#dispatching || this.#starting.size > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const run of this.#running.values()) run.abort('shutdown', 'the engine is shutting down');
    await Promise.all(this.#finished.values());
  }
}
