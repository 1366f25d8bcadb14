// The worker pool: a fixed number of slots, each running one invocation. A dispatcher claims due
// instances (queued, woken, or whose lease lapsed) whenever a slot is free and something may be
// due: on store notifications, on a timer set for the earliest due time, and on a slow poll (for
// other processes sharing a SQLite file). Leases are renewed by one heartbeat for all slots; a lost
// lease aborts its invocation. Sleeping and waiting instances hold no slot and no memory.
import { PetrelError } from '@petrel/protocol';
import type { Logger } from '@petrel/protocol';
import type { Clock, TimerHandle } from './clock.ts';
import { InstanceRun } from './instance-run.ts';
import type { RunnerDeps, RunSettings } from './instance-run.ts';
import type { ClaimedInstance, DueVersion, Store } from './store.ts';
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
      this.#renew().catch((error: unknown) => this.#deps.logger.warn({ err: error }, 'engine: lease renewal failed'));
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
      this.#dispatch().catch((error: unknown) => this.#deps.logger.error({ err: error }, 'engine: dispatch failed'));
    });
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
    this.#dispatching = true;
    const { store, clock } = this.#deps;
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
    this.#starting.add(instance.pk);
    this.#startRun(claimed)
      .catch(async (error: unknown) => {
        this.#deps.logger.error({ err: error, instanceId: instance.id }, 'engine: could not start an invocation');
        await this.#deps.store.release(claimed.lease, { now: this.#deps.clock.now(), dueAt: this.#deps.clock.now() + 1000 }).catch(() => {});
      })
      .finally(() => {
        this.#starting.delete(instance.pk);
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
        if (this.#running.get(lease.pk) === run) this.#running.delete(lease.pk);
        this.#finished.delete(lease.pk);
        this.kick();
      })
      .catch(() => {});
    this.#finished.set(lease.pk, finished);
    run.start();
  }

  async #renew(): Promise<void> {
    if (this.#running.size === 0) return;
    const runs = [...this.#running.values()];
    const lost = await this.#deps.store.renewLeases(
      runs.map((r) => r.lease),
      this.#deps.clock.now(),
      this.#deps.leaseMs,
    );
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
