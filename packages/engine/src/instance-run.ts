// One invocation of an instance: calls `run(event, step)` from the top with the history loaded at
// claim time. Finished steps return their stored result (or rethrow their stored error); new steps
// execute and are recorded under the lease. When every executing step has settled and the run can
// only go on after a due time or an event, the invocation suspends (the instance holds no slot and
// no memory until it is woken); on a pause it stops at the step boundary. See ARCHITECTURE.md.
import { LIMITS, PetrelError, isPetrelError, parseDuration } from '@petrel/protocol';
import type { Duration, InstanceStatus, Logger, StepType } from '@petrel/protocol';
import { createHash } from 'node:crypto';
import { sleepOn } from './clock.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { OutboxEventKind } from './outbox-events.ts';
import { InvocationAbort, WorkflowFatal, fromStoredError, isNonRetryableError, toStoredError } from './step-errors.ts';
import { resolveStepConfig, retryDelayMs, willRetry } from './step-config.ts';
import type { DelayFunction, ResolvedStepConfig, StepContext } from './step-config.ts';
import type {
  AttemptRecord,
  InstanceRow,
  Lease,
  OutboxEventInput,
  ParentRef,
  PendingEvent,
  Retention,
  StepRow,
  StepWrite,
  Store,
  StoredError,
  StoredStepConfig,
} from './store.ts';
import { checkEventType, checkStepName, toJsonText } from './validation.ts';
import type {
  ChildHandle,
  ChildResult,
  RollbackOptions,
  StepExtension,
  StepInstanceInfo,
  WorkflowDefinition,
  WorkflowEvent,
  WorkflowStep,
  WorkflowStepBase,
  WorkflowStepEvent,
} from './workflow.ts';

/** What a runner needs from the engine. */
export type RunnerDeps = {
  store: Store;
  clock: Clock;
  logger: Logger;
  stepDefaults: StoredStepConfig;
  /** Waits (sleeps, retry delays) at most this long are waited in process instead of suspending. */
  inlineWaitMs: number;
  /** An attempt still running after this long gets a "started" record, so a crash leaves a trace. */
  startedMarkerMs: number;
  stepExtensions: Readonly<Record<string, StepExtension>>;
  /** Creates a child instance; resolves even when it already exists. */
  createChild: (input: { namespace: string; workflowName: string; id: string; params: unknown; parent: ParentRef }) => Promise<void>;
};

/** Per-instance settings resolved from the workflow config at claim time. */
export type RunSettings = { stepLimit: number; retention: Required<Retention> };

/** Outputs of more than this many characters are left out of outbox events (read them with `getStep`). */
const OUTBOX_OUTPUT_MAX = 64 * 1024;
const DELAY_FUNCTION_TIMEOUT_MS = 5_000;
const REDACTED = '[REDACTED]';

type RollbackEntry = {
  key: string;
  name: string;
  count: number;
  seq: number;
  options: RollbackOptions<unknown>;
  output: string | null | undefined;
};

type Outcome = { value: unknown } | { suspendAt: number } | { parked: true };

const PARKED: Outcome = { parked: true };

type Phase = 'run' | 'stopping' | 'replay' | 'rollback' | 'ending' | 'ended';

function park<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

function outputForEvent(text: string | null, sensitive: boolean): unknown {
  if (sensitive) return REDACTED;
  if (text === null) return null;
  if (text.length > OUTBOX_OUTPUT_MAX) return { truncated: true, bytes: Buffer.byteLength(text) };
  return JSON.parse(text);
}

function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** Runs one invocation of one claimed instance. */
export class InstanceRun {
  readonly lease: Lease;
  readonly instance: InstanceRow;
  readonly #def: WorkflowDefinition;
  readonly #deps: RunnerDeps;
  readonly #settings: RunSettings;
  readonly #history: Map<string, StepRow>;
  readonly #events = new Map<string, PendingEvent[]>();
  readonly #counters = new Map<string, number>();
  readonly #rollbacks = new Map<string, RollbackEntry>();
  readonly #suspensions: Array<{ dueAt: number; eventType?: string }> = [];
  readonly #abort = new AbortController();
  /** Rejecters of attempts in flight, called when the invocation aborts. */
  readonly #abortWaiters = new Set<() => void>();
  #maxSeq = 0;
  #doCount = 0;
  #inFlight = 0;
  #phase: Phase;
  #runSettled: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
  #fatal: WorkflowFatal | undefined;
  #checkScheduled = false;
  #writeChain: Promise<unknown> = Promise.resolve();
  #resolveDone!: () => void;
  /** Resolves when the invocation has ended (its slot is free). */
  readonly done: Promise<void>;
  /** Why the invocation was aborted, when it was. */
  abortReason: InvocationAbort['reason'] | undefined;

  constructor(input: { lease: Lease; instance: InstanceRow; definition: WorkflowDefinition; steps: StepRow[]; events: PendingEvent[]; settings: RunSettings; deps: RunnerDeps }) {
    this.lease = input.lease;
    this.instance = input.instance;
    this.#def = input.definition;
    this.#deps = input.deps;
    this.#settings = input.settings;
    this.#history = new Map();
    for (const step of input.steps) {
      this.#history.set(step.key, step);
      if (step.seq > this.#maxSeq) this.#maxSeq = step.seq;
    }
    for (const event of input.events) {
      const queue = this.#events.get(event.type);
      if (queue) queue.push(event);
      else this.#events.set(event.type, [event]);
    }
    this.#phase = input.instance.status === 'rollingBack' ? 'replay' : input.instance.status === 'waitingForPause' ? 'stopping' : 'run';
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  /** Starts the invocation; `done` resolves when it ends. */
  start(): void {
    const instance = this.instance;
    let payload: unknown;
    try {
      payload = JSON.parse(instance.params);
    } catch {
      payload = undefined;
    }
    const event: WorkflowEvent = {
      payload,
      timestamp: new Date(instance.createdAt),
      instanceId: instance.id,
      workflowName: instance.workflowName,
      namespace: instance.namespace,
    };
    if (instance.schedule) event.schedule = instance.schedule;
    const step = this.#buildStep();
    const settle = (result: { ok: true; value: unknown } | { ok: false; error: unknown }): void => {
      this.#runSettled = result;
      this.#scheduleCheck();
    };
    new Promise((resolve) => resolve(this.#def.run(event, step))).then(
      (value) => settle({ ok: true, value }),
      (error: unknown) => settle({ ok: false, error }),
    );
    // Replays that park without settling anything still need one look.
    this.#scheduleCheck();
  }

  /** Stops starting new steps; the invocation pauses once in-flight steps settle. */
  requestPause(): void {
    if (this.#phase === 'run') {
      this.#phase = 'stopping';
      this.#scheduleCheck();
    }
  }

  /** Ends the invocation without recording anything more; in-flight steps see their signal abort. */
  abort(reason: InvocationAbort['reason'], message: string): void {
    if (this.#abort.signal.aborted) return;
    this.abortReason = reason;
    this.#abort.abort(new InvocationAbort(reason, message));
    for (const waiter of this.#abortWaiters) waiter();
    this.#scheduleCheck();
  }

  // The step object ----------------------------------------------------------------------------

  #buildStep(): WorkflowStep {
    const info: StepInstanceInfo = {
      namespace: this.instance.namespace,
      workflowName: this.instance.workflowName,
      instanceId: this.instance.id,
      versionId: this.instance.versionId,
    };
    const base: WorkflowStepBase = {
      do: (name: string, a: unknown, b?: unknown, c?: unknown) => this.#stepDo(name, a, b, c),
      sleep: (name, duration) => this.#sleep(name, duration, undefined),
      sleepUntil: (name, timestamp) => this.#sleep(name, undefined, timestamp),
      waitForEvent: <T>(name: string, options: { type: string; timeout?: Duration }) =>
        this.#waitForEvent(name, options) as Promise<WorkflowStepEvent<T>>,
      startChild: (name, options) => this.#startChild(name, options),
      waitForChild: <T>(name: string, child: ChildHandle, options?: { timeout?: Duration }) =>
        this.#waitForChild(name, child, options) as Promise<ChildResult<T>>,
      instance: info,
    };
    const extensions = Object.entries(this.#deps.stepExtensions);
    // Members declared by augmenting `StepExtensions` exist only when their extension is configured.
    if (extensions.length === 0) return base as WorkflowStep;
    const step: Record<string, unknown> = { ...base };
    for (const [key, build] of extensions) step[key] = build(base, info);
    return step as unknown as WorkflowStep;
  }

  #nextCount(type: string, name: string): number {
    const id = `${type}:${name}`;
    const count = (this.#counters.get(id) ?? 0) + 1;
    this.#counters.set(id, count);
    return count;
  }

  #failFatal(error: PetrelError): Promise<never> {
    this.#fatal ??= new WorkflowFatal(error, true);
    this.#scheduleCheck();
    return park();
  }

  #canExecute(): boolean {
    return this.#phase === 'run' && !this.#abort.signal.aborted && this.#fatal === undefined;
  }

  async #stepDo(name: string, a: unknown, b: unknown, c: unknown): Promise<unknown> {
    let config: unknown;
    let fn: unknown;
    let rollback: unknown;
    if (typeof a === 'function') {
      fn = a;
      rollback = b;
    } else {
      config = a;
      fn = b;
      rollback = c;
    }
    try {
      checkStepName('step.do', name);
    } catch (error) {
      return this.#failFatal(error as PetrelError);
    }
    if (typeof fn !== 'function') {
      return this.#failFatal(new PetrelError('INVALID_STEP_CONFIG', `step.do: step "${name.slice(0, 64)}" has no callback function`));
    }
    const rollbackOptions = rollback as RollbackOptions<unknown> | undefined;
    if (rollbackOptions !== undefined && (rollbackOptions === null || typeof rollbackOptions.rollback !== 'function')) {
      return this.#failFatal(new PetrelError('INVALID_STEP_CONFIG', `step.do: the last argument of step "${name.slice(0, 64)}" must be { rollback: function }`));
    }
    const count = this.#nextCount('do', name);
    const key = `do:${name}:${count}`;
    this.#doCount++;
    const row = this.#history.get(key);
    if (row && (row.status === 'complete' || row.status === 'errored')) {
      if (rollbackOptions) this.#registerRollback({ key, name, count, seq: row.seq, options: rollbackOptions, output: row.status === 'complete' ? row.output : undefined });
      if (row.status === 'complete') return row.output === null ? undefined : JSON.parse(row.output);
      throw fromStoredError(row.error ?? { name: 'Error', message: 'step failed' });
    }
    if (!this.#canExecute()) {
      // A step whose start was recorded (an attempt marker or a retry) is eligible for rollback even if it never finished.
      if (row && rollbackOptions) this.#registerRollback({ key, name, count, seq: row.seq, options: rollbackOptions, output: undefined });
      return park();
    }
    if (!row && this.#doCount > this.#settings.stepLimit) {
      return this.#failFatal(new PetrelError('STEP_LIMIT_EXCEEDED', `step.do: instance ${this.instance.id} reached its limit of ${this.#settings.stepLimit} steps`));
    }
    let resolved: ResolvedStepConfig;
    try {
      resolved = resolveStepConfig(name, config, this.#deps.stepDefaults);
      if (row?.config) resolved = { stored: row.config, ...(resolved.delayFn ? { delayFn: resolved.delayFn } : {}) };
    } catch (error) {
      return this.#failFatal(error as PetrelError);
    }
    const seq = row?.seq ?? ++this.#maxSeq;
    const entry: RollbackEntry | undefined = rollbackOptions ? { key, name, count, seq, options: rollbackOptions, output: undefined } : undefined;
    if (entry) this.#registerRollback(entry);
    this.#inFlight++;
    let outcome: Outcome;
    try {
      outcome = await this.#attempts({
        key,
        type: 'do',
        name,
        count,
        seq,
        resolved,
        fn: fn as (ctx: StepContext) => unknown,
        row,
        kinds: { started: 'step_started', completed: 'step_completed', errored: 'step_errored' },
      });
    } finally {
      this.#inFlight--;
      // Only a state that can end the invocation needs a look; a plain step completion does not.
      if (this.#inFlight === 0 && (this.#suspensions.length > 0 || this.#phase !== 'run' || this.#runSettled || this.#fatal)) this.#scheduleCheck();
    }
    if ('parked' in outcome) return park();
    if ('suspendAt' in outcome) {
      this.#suspensions.push({ dueAt: outcome.suspendAt });
      this.#scheduleCheck();
      return park();
    }
    if (entry) entry.output = this.#history.get(key)?.output ?? null;
    return outcome.value;
  }

  #registerRollback(entry: RollbackEntry): void {
    if (!this.#rollbacks.has(entry.key)) this.#rollbacks.set(entry.key, entry);
  }

  /**
   * Runs the attempts of a step (or of a rollback handler) until it succeeds, fails for good, or must
   * wait longer than `inlineWaitMs` for a retry. Throws the stored form of a final error.
   */
  async #attempts(s: {
    key: string;
    type: StepType;
    name: string;
    count: number;
    seq: number;
    resolved: ResolvedStepConfig;
    fn: (ctx: StepContext) => unknown;
    row: StepRow | undefined;
    kinds: { started: OutboxEventKind; completed: OutboxEventKind; errored: OutboxEventKind };
  }): Promise<Outcome> {
    const { clock } = this.#deps;
    const config = s.resolved.stored;
    const sensitive = config.sensitive === 'output';
    const attempts: AttemptRecord[] = s.row ? s.row.attempts.map((a) => ({ ...a })) : [];
    const startedAt = s.row?.startedAt ?? clock.now();
    let announced = s.row !== undefined;
    const stepInfo = { name: s.name, count: s.count };
    const baseRow = (): StepRow => ({
      key: s.key,
      type: s.type,
      name: s.name,
      count: s.count,
      seq: s.seq,
      status: 'running',
      startedAt,
      endedAt: null,
      output: null,
      error: null,
      config,
      attempts,
      wakeAt: null,
      eventType: null,
      sensitive,
    });
    const announce = (events: OutboxEventInput[]): OutboxEventInput[] => {
      if (announced) return events;
      announced = true;
      return [{ kind: s.kinds.started, payload: { step: stepInfo, config } }, ...events];
    };

    // An attempt recorded as started but never ended was cut short by a crash or a lost lease.
    let carried: { attempt: number; startedAt: number; error: PetrelError } | undefined;
    const dangling = attempts.at(-1);
    if (dangling && dangling.endedAt === null) {
      attempts.pop();
      carried = {
        attempt: dangling.attempt,
        startedAt: dangling.startedAt,
        error: new PetrelError('ATTEMPT_INTERRUPTED', `step.do: attempt ${dangling.attempt} of step "${s.name.slice(0, 64)}" was interrupted (worker crash or lost lease)`),
      };
    } else if (s.row && s.row.status === 'waiting' && s.row.wakeAt !== null) {
      const wait = s.row.wakeAt - clock.now();
      if (wait > this.#deps.inlineWaitMs) return { suspendAt: s.row.wakeAt };
      if (wait > 0) await this.#waitUntil(s.row.wakeAt);
    }

    for (;;) {
      let attemptNo: number;
      let attemptStart: number;
      let error: unknown;
      let text: string | null = null;
      if (carried !== undefined) {
        attemptNo = carried.attempt;
        attemptStart = carried.startedAt;
        error = carried.error;
        carried = undefined;
      } else {
        if (this.#abort.signal.aborted || (s.type !== 'rollback' && !this.#canExecute())) return PARKED;
        attemptNo = attempts.length + 1;
        attemptStart = clock.now();
        let value: unknown;
        try {
          value = await this.#invoke(s, attemptNo, attemptStart, attempts, announce);
        } catch (caught) {
          error = caught;
        }
        if (this.#abort.signal.aborted) return PARKED;
        if (error === undefined) {
          try {
            text = toJsonText('step.do', `the output of step "${s.name.slice(0, 64)}"`, value, LIMITS.stepOutputBytes, {
              invalid: 'STEP_OUTPUT_NOT_SERIALIZABLE',
              tooLarge: 'STEP_OUTPUT_TOO_LARGE',
            });
          } catch (serialisation) {
            if (isPetrelError(serialisation) && serialisation.code === 'STEP_OUTPUT_NOT_SERIALIZABLE') {
              this.#fatal ??= new WorkflowFatal(serialisation, true);
              return PARKED;
            }
            error = serialisation;
          }
        }
      }
      const now = clock.now();
      if (error === undefined) {
        attempts.push({ attempt: attemptNo, startedAt: attemptStart, endedAt: now, success: true, error: null });
        const row: StepRow = { ...baseRow(), status: 'complete', endedAt: now, output: text };
        // A step that completes before anything announced it gets one event, which carries its start.
        const completed: OutboxEventInput = { kind: s.kinds.completed, payload: { step: stepInfo, attempt: attemptNo, startedAt, output: outputForEvent(text, sensitive) } };
        await this.#write([{ row, events: [completed] }]);
        return { value: text === null ? undefined : JSON.parse(text) };
      }

      const stored = toStoredError(error);
      let final = isNonRetryableError(error) || isPetrelError(error) && (error.code === 'STEP_OUTPUT_TOO_LARGE');
      final ||= !willRetry(config.retries.limit, attemptNo);
      let delay = 0;
      if (!final) {
        try {
          delay = await this.#retryDelay(config, s.resolved.delayFn, attemptNo, error, { step: stepInfo, attempt: attemptNo, config, signal: this.#abort.signal });
        } catch (delayError) {
          final = true;
          stored.message = `${stored.message} (and the retry delay function failed: ${(delayError as Error).message})`.slice(0, 4096);
        }
      }
      const failed: AttemptRecord = { attempt: attemptNo, startedAt: attemptStart, endedAt: now, success: false, error: stored };
      if (!final) failed.retryDelayMs = delay;
      attempts.push(failed);
      const attemptEvent: OutboxEventInput = {
        kind: 'attempt_errored',
        payload: { step: stepInfo, attempt: attemptNo, error: stored, ...(final ? {} : { retryDelayMs: delay }), ...(s.type === 'rollback' ? { rollback: true } : {}) },
      };
      if (final) {
        const row: StepRow = { ...baseRow(), status: 'errored', endedAt: now, error: stored };
        await this.#write([{ row, events: announce([attemptEvent, { kind: s.kinds.errored, payload: { step: stepInfo, error: stored } }]) }]);
        throw fromStoredError(stored);
      }
      const wakeAt = now + delay;
      await this.#write([{ row: { ...baseRow(), status: 'waiting', wakeAt }, events: announce([attemptEvent]) }]);
      if (delay > this.#deps.inlineWaitMs || (this.#phase !== 'run' && this.#phase !== 'rollback')) return { suspendAt: wakeAt };
      await this.#waitUntil(wakeAt);
    }
  }

  /** Runs one attempt with its timeout; records a "started" marker when it outlives `startedMarkerMs`. */
  #invoke(
    s: { key: string; type: StepType; name: string; count: number; seq: number; resolved: ResolvedStepConfig; fn: (ctx: StepContext) => unknown },
    attempt: number,
    attemptStart: number,
    attempts: AttemptRecord[],
    announce: (events: OutboxEventInput[]) => OutboxEventInput[],
  ): Promise<unknown> {
    const { clock } = this.#deps;
    const config = s.resolved.stored;
    const instanceSignal = this.#abort.signal;
    // The attempt's AbortController is made only when the step reads ctx.signal (most trivial steps never do).
    let controller: AbortController | undefined;
    const forward = (): void => controller?.abort(instanceSignal.reason);
    const step = { name: s.name, count: s.count };
    const ctx: StepContext = {
      step,
      attempt,
      config,
      get signal(): AbortSignal {
        if (!controller) {
          controller = new AbortController();
          if (instanceSignal.aborted) controller.abort(instanceSignal.reason);
          else instanceSignal.addEventListener('abort', forward, { once: true });
        }
        return controller.signal;
      },
    };
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let settled = false;
      const finish = (): void => {
        settled = true;
        if (timer) clock.clearTimer(timer);
        this.#abortWaiters.delete(onAbort);
        if (controller) instanceSignal.removeEventListener('abort', forward);
      };
      const onAbort = (): void => {
        if (settled) return;
        finish();
        reject(instanceSignal.reason);
      };
      const onTimeout = (): void => {
        if (settled) return;
        finish();
        const error = new PetrelError('STEP_TIMEOUT', `step.do: attempt ${attempt} of step "${s.name.slice(0, 64)}" timed out after ${config.timeout} ms`);
        controller?.abort(error);
        reject(error);
      };
      const onMarker = (): void => {
        if (settled) return;
        const elapsed = clock.now() - attemptStart;
        timer = clock.setTimer(onTimeout, Math.max(0, config.timeout - elapsed));
        const row: StepRow = {
          key: s.key,
          type: s.type,
          name: s.name,
          count: s.count,
          seq: s.seq,
          status: 'running',
          startedAt: this.#history.get(s.key)?.startedAt ?? attemptStart,
          endedAt: null,
          output: null,
          error: null,
          config,
          attempts: [...attempts, { attempt, startedAt: attemptStart, endedAt: null, success: null, error: null }],
          wakeAt: null,
          eventType: null,
          sensitive: config.sensitive === 'output',
        };
        this.#write([{ row, events: announce([{ kind: 'attempt_started', payload: { step, attempt } }]) }]).catch(() => {});
      };
      const markerMs = this.#deps.startedMarkerMs;
      timer = markerMs < config.timeout ? clock.setTimer(onMarker, markerMs) : clock.setTimer(onTimeout, config.timeout);
      this.#abortWaiters.add(onAbort);
      let result: unknown;
      try {
        result = s.fn(ctx);
      } catch (error) {
        finish();
        reject(error);
        return;
      }
      Promise.resolve(result).then(
        (value) => {
          if (settled) return;
          finish();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          finish();
          reject(error);
        },
      );
    });
  }

  async #retryDelay(config: StoredStepConfig, delayFn: DelayFunction | undefined, failures: number, error: unknown, ctx: StepContext): Promise<number> {
    const { delay, backoff } = config.retries;
    if (delay !== '[dynamic]') return retryDelayMs(backoff, delay, failures);
    if (!delayFn) throw new PetrelError('INVALID_STEP_CONFIG', 'the step was recorded with a delay function but the code has none');
    const { clock } = this.#deps;
    let timer: TimerHandle | undefined;
    try {
      const value = await Promise.race([
        Promise.resolve(delayFn({ ctx, error: error instanceof Error ? error : new Error(String(error)) })),
        new Promise<never>((_, reject) => {
          timer = clock.setTimer(() => reject(new PetrelError('TIMEOUT', `the delay function took more than ${DELAY_FUNCTION_TIMEOUT_MS} ms`)), DELAY_FUNCTION_TIMEOUT_MS);
        }),
      ]);
      return parseDuration(value, 'retries.delay');
    } finally {
      if (timer) clock.clearTimer(timer);
    }
  }

  /** Waits in process until `at` (clock time); timers may fire a little early, so it checks. */
  async #waitUntil(at: number): Promise<void> {
    const { clock } = this.#deps;
    try {
      for (let left = at - clock.now(); left > 0; left = at - clock.now()) await sleepOn(clock, left, this.#abort.signal);
    } catch {
      await park();
    }
  }


  /** Writes step records in order under the lease; a lost lease or a store failure ends the invocation. */
  async #write(writes: StepWrite[]): Promise<void> {
    const { store, clock } = this.#deps;
    const pending = this.#writeChain.then(() => store.recordSteps(this.lease, writes, clock.now()));
    this.#writeChain = pending.catch(() => {});
    let status: InstanceStatus;
    try {
      status = await pending;
    } catch (error) {
      this.#onWriteError(error);
      return park();
    }
    for (const write of writes) this.#history.set(write.row.key, write.row);
    this.#observe(status);
  }

  #onWriteError(error: unknown): void {
    if (isPetrelError(error) && error.code === 'LEASE_LOST') {
      this.abort('lease_lost', error.message);
    } else {
      this.#deps.logger.error({ err: error, instanceId: this.instance.id }, 'engine: a step write failed; the instance will be retried when its lease lapses');
      this.abort('lease_lost', `store write failed: ${(error as Error).message}`);
    }
  }

  #observe(status: InstanceStatus): void {
    if (status === 'waitingForPause' && this.#phase === 'run') {
      this.#phase = 'stopping';
      this.#scheduleCheck();
    }
  }

  // Sleeps and events --------------------------------------------------------------------------

  async #sleep(name: string, duration: unknown, until: Date | number | undefined): Promise<void> {
    const op = until === undefined ? 'step.sleep' : 'step.sleepUntil';
    checkStepName(op, name);
    const count = this.#nextCount('sleep', name);
    const key = `sleep:${name}:${count}`;
    const row = this.#history.get(key);
    if (row?.status === 'complete') return;
    if (!this.#canExecute()) return park();
    const { clock } = this.#deps;
    let wakeAt: number;
    let current = row;
    if (!current) {
      const now = clock.now();
      if (until === undefined) {
        const ms = parseDuration(duration, `${op} "${name.slice(0, 64)}"`);
        if (ms > LIMITS.sleepMaxMs) throw new PetrelError('VALIDATION_FAILED', `${op}: sleep "${name.slice(0, 64)}" is longer than 365 days`);
        wakeAt = now + ms;
      } else {
        wakeAt = until instanceof Date ? until.getTime() : until;
        if (!Number.isFinite(wakeAt)) throw new PetrelError('VALIDATION_FAILED', `${op}: sleep "${name.slice(0, 64)}" needs a valid Date or epoch milliseconds`);
        if (wakeAt - now > LIMITS.sleepMaxMs) throw new PetrelError('VALIDATION_FAILED', `${op}: sleep "${name.slice(0, 64)}" ends more than 365 days from now`);
      }
      current = {
        key,
        type: 'sleep',
        name,
        count,
        seq: ++this.#maxSeq,
        status: 'waiting',
        startedAt: now,
        endedAt: null,
        output: null,
        error: null,
        config: null,
        attempts: [],
        wakeAt,
        eventType: null,
        sensitive: false,
      };
      const step = { name, count };
      if (wakeAt <= now) {
        await this.#write([
          {
            row: { ...current, status: 'complete', endedAt: now },
            events: [
              { kind: 'sleep_started', payload: { step, wakeAt, durationMs: 0 } },
              { kind: 'sleep_completed', payload: { step } },
            ],
          },
        ]);
        return;
      }
      await this.#write([{ row: current, events: [{ kind: 'sleep_started', payload: { step, wakeAt, durationMs: wakeAt - now } }] }]);
    } else {
      wakeAt = current.wakeAt ?? clock.now();
    }
    if (!this.#canExecute()) return park();
    const remaining = wakeAt - clock.now();
    if (remaining > this.#deps.inlineWaitMs) {
      this.#suspensions.push({ dueAt: wakeAt });
      this.#scheduleCheck();
      return park();
    }
    this.#inFlight++;
    try {
      if (remaining > 0) await this.#waitUntil(wakeAt);
      const now = clock.now();
      await this.#write([{ row: { ...current, status: 'complete', endedAt: now }, events: [{ kind: 'sleep_completed', payload: { step: { name, count } } }] }]);
    } finally {
      this.#inFlight--;
      this.#scheduleCheck();
    }
  }

  async #waitForEvent(name: string, options: { type: string; timeout?: unknown }): Promise<WorkflowStepEvent> {
    checkStepName('step.waitForEvent', name);
    if (options === null || typeof options !== 'object') throw new PetrelError('VALIDATION_FAILED', 'step.waitForEvent: options { type } are required');
    const type = checkEventType('step.waitForEvent', options.type);
    const count = this.#nextCount('waitForEvent', name);
    const key = `waitForEvent:${name}:${count}`;
    const row = this.#history.get(key);
    if (row?.status === 'complete') return toStepEvent(row.output);
    if (row?.status === 'errored') throw fromStoredError(row.error ?? { name: 'Error', message: 'wait failed' });
    if (!this.#canExecute()) return park();
    const timeoutMs = parseDuration(options.timeout ?? '24 hours', `step.waitForEvent "${name.slice(0, 64)}" timeout`);
    if (timeoutMs > LIMITS.sleepMaxMs) throw new PetrelError('VALIDATION_FAILED', `step.waitForEvent: the timeout of "${name.slice(0, 64)}" is longer than 365 days`);
    const { clock } = this.#deps;
    const now = clock.now();
    const step = { name, count };
    const current: StepRow = row ?? {
      key,
      type: 'waitForEvent',
      name,
      count,
      seq: ++this.#maxSeq,
      status: 'waiting',
      startedAt: now,
      endedAt: null,
      output: null,
      error: null,
      config: null,
      attempts: [],
      wakeAt: now + timeoutMs,
      eventType: type,
      sensitive: false,
    };
    const started: OutboxEventInput[] = row ? [] : [{ kind: 'wait_started', payload: { step, eventType: type, timeoutAt: current.wakeAt } }];
    const event = this.#events.get(type)?.shift();
    if (event) {
      const output = `{"payload":${event.payload},"timestamp":${event.createdAt},"type":${JSON.stringify(type)}}`;
      await this.#write([
        {
          row: { ...current, status: 'complete', endedAt: now, output },
          events: [...started, { kind: 'wait_completed', payload: { step, eventType: type } }],
          consumeEventId: event.id,
        },
      ]);
      return toStepEvent(output);
    }
    const timeoutAt = current.wakeAt ?? now;
    if (timeoutAt <= now) {
      const error: StoredError = { name: 'PetrelError', code: 'EVENT_TIMEOUT', message: `step.waitForEvent: no "${type}" event arrived for step "${name.slice(0, 64)}" before its timeout` };
      await this.#write([{ row: { ...current, status: 'errored', endedAt: now, error }, events: [...started, { kind: 'wait_timed_out', payload: { step, eventType: type } }] }]);
      throw fromStoredError(error);
    }
    if (!row) await this.#write([{ row: current, events: started }]);
    this.#suspensions.push({ dueAt: timeoutAt, eventType: type });
    this.#scheduleCheck();
    return park();
  }

  async #startChild(name: string, options: { workflow: string; id?: string; params?: unknown }): Promise<ChildHandle> {
    const instance = this.instance;
    const count = (this.#counters.get(`do:${name}`) ?? 0) + 1;
    const id = options.id ?? `c-${shortHash(instance.namespace, instance.workflowName, instance.id, name, String(count))}`;
    const eventType = `child-${shortHash(instance.namespace, options.workflow, id)}`;
    return (await this.#stepDo(name, { retries: { limit: 3, delay: 1000, backoff: 'exponential' } }, async () => {
      await this.#deps.createChild({
        namespace: instance.namespace,
        workflowName: options.workflow,
        id,
        params: options.params,
        parent: { namespace: instance.namespace, workflowName: instance.workflowName, instanceId: instance.id, eventType },
      });
      return { workflowName: options.workflow, instanceId: id, eventType } satisfies ChildHandle;
    }, undefined)) as ChildHandle;
  }

  async #waitForChild(name: string, child: ChildHandle, options?: { timeout?: unknown }): Promise<ChildResult> {
    const event = await this.#waitForEvent(name, { type: child.eventType, timeout: options?.timeout ?? LIMITS.sleepMaxMs });
    const payload = event.payload as { status: ChildResult['status']; output: unknown; error: ChildResult['error'] };
    return { status: payload.status, output: payload.output ?? undefined, error: payload.error ?? null };
  }

  // Ending -------------------------------------------------------------------------------------

  #scheduleCheck(): void {
    if (this.#checkScheduled || this.#phase === 'ended' || this.#phase === 'ending') return;
    this.#checkScheduled = true;
    setImmediate(() => {
      this.#checkScheduled = false;
      this.#check();
    });
  }

  #check(): void {
    if (this.#phase === 'ended' || this.#phase === 'ending' || this.#phase === 'rollback') return;
    if (this.#abort.signal.aborted) {
      this.#end();
      return;
    }
    if (this.#inFlight > 0) return;
    if (this.#fatal) {
      const fatal = this.#fatal;
      this.#ending(() => this.#finishErrored(fatal.stored, null));
      return;
    }
    const settled = this.#runSettled;
    if (this.#phase === 'replay') {
      // A rollback phase resumed after a crash or a retry delay: the run was replayed only to register
      // its handlers (memoized steps settle in microtasks, so by now every reachable handler is known).
      this.#startRollback();
      return;
    }
    if (settled) {
      if (settled.ok) {
        this.#ending(() => this.#finishComplete(settled.value));
        return;
      }
      const error = settled.error;
      if (error instanceof InvocationAbort) {
        this.#end();
        return;
      }
      if (this.#rollbacks.size > 0) {
        this.#phase = 'rollback';
        this.#runRollbacks('error', toStoredError(error), true).catch((e: unknown) => this.#onEndError(e));
        return;
      }
      this.#ending(() => this.#finishErrored(toStoredError(error), null));
      return;
    }
    if (this.#phase === 'stopping') {
      this.#ending(() => this.#suspend(true));
      return;
    }
    if (this.#suspensions.length > 0) this.#ending(() => this.#suspend(false));
  }

  #startRollback(): void {
    this.#phase = 'rollback';
    const cause = this.instance.rollbackCause ?? 'error';
    const error = this.instance.pendingError ?? { name: 'Error', message: 'the instance failed' };
    this.#runRollbacks(cause, error, false).catch((e: unknown) => this.#onEndError(e));
  }

  #ending(fn: () => Promise<void>): void {
    this.#phase = 'ending';
    fn().then(
      () => this.#end(),
      (error: unknown) => this.#onEndError(error),
    );
  }

  #onEndError(error: unknown): void {
    if (!(isPetrelError(error) && error.code === 'LEASE_LOST') && !(error instanceof InvocationAbort)) {
      this.#deps.logger.error({ err: error, instanceId: this.instance.id }, 'engine: ending an invocation failed; the instance will be retried when its lease lapses');
    }
    this.#end();
  }

  #end(): void {
    if (this.#phase === 'ended') return;
    this.#phase = 'ended';
    if (!this.#abort.signal.aborted) this.#abort.abort(new InvocationAbort('revoked', 'the invocation ended'));
    this.#resolveDone();
  }

  async #suspend(pausing: boolean): Promise<void> {
    const { store, clock } = this.#deps;
    const now = clock.now();
    let dueAt = Infinity;
    const types = new Set<string>();
    for (const s of this.#suspensions) {
      if (s.dueAt < dueAt) dueAt = s.dueAt;
      if (s.eventType !== undefined) types.add(s.eventType);
    }
    if (dueAt === Infinity) dueAt = now;
    await this.#writeChain;
    await store.suspend(this.lease, { now, dueAt, waitingFor: [...types], pausing });
  }

  #purgeAt(status: 'complete' | 'errored' | 'terminated', now: number): number {
    const retention = this.instance.retention;
    const ms = status === 'complete' ? (retention?.successMs ?? this.#settings.retention.successMs) : (retention?.errorMs ?? this.#settings.retention.errorMs);
    return now + ms;
  }

  async #finishComplete(value: unknown): Promise<void> {
    let text: string | null;
    try {
      text = toJsonText('run', 'the return value of run()', value, LIMITS.stepOutputBytes, { invalid: 'STEP_OUTPUT_NOT_SERIALIZABLE', tooLarge: 'STEP_OUTPUT_TOO_LARGE' });
    } catch (error) {
      await this.#finishErrored(toStoredError(error), null);
      return;
    }
    const now = this.#deps.clock.now();
    await this.#writeChain;
    await this.#deps.store.finish(this.lease, {
      now,
      status: 'complete',
      output: text,
      error: null,
      purgeAt: this.#purgeAt('complete', now),
      events: [{ kind: 'workflow_completed', payload: { output: outputForEvent(text, false) } }],
    });
  }

  async #finishErrored(error: StoredError, rollback: { outcome: 'complete' | 'failed'; error: StoredError | null } | null, status: 'errored' | 'terminated' = 'errored'): Promise<void> {
    const now = this.#deps.clock.now();
    await this.#writeChain;
    const events: OutboxEventInput[] = [];
    if (rollback) events.push({ kind: rollback.outcome === 'complete' ? 'rollback_completed' : 'rollback_errored', payload: { error: rollback.error } });
    events.push(status === 'errored' ? { kind: 'workflow_errored', payload: { error } } : { kind: 'workflow_terminated', payload: { rollback: true } });
    await this.#deps.store.finish(this.lease, {
      now,
      status,
      error: status === 'errored' ? error : null,
      rollback,
      purgeAt: this.#purgeAt(status, now),
      events,
    });
  }

  /** Runs rollback handlers in reverse step-start order, stopping at the first that fails; then finishes the instance. */
  async #runRollbacks(cause: 'error' | 'terminate', error: StoredError, begin: boolean): Promise<void> {
    const { store, clock } = this.#deps;
    if (begin) {
      await this.#writeChain;
      await store.setRunStatus(this.lease, { status: 'rollingBack', rollbackCause: cause, pendingError: error }, [{ kind: 'rollback_started', payload: { error } }], clock.now());
    }
    const handlers = [...this.#rollbacks.values()].sort((a, b) => b.seq - a.seq);
    const thrown = fromStoredError(error);
    let failure: StoredError | null = null;
    for (const handler of handlers) {
      const key = `rollback:${handler.key}`;
      const row = this.#history.get(key);
      if (row?.status === 'complete') continue;
      if (row?.status === 'errored') {
        failure = row.error;
        break;
      }
      let resolved: ResolvedStepConfig;
      try {
        resolved = resolveStepConfig(handler.name, handler.options.rollbackConfig ?? {}, this.#deps.stepDefaults);
        if (row?.config) resolved = { stored: row.config, ...(resolved.delayFn ? { delayFn: resolved.delayFn } : {}) };
      } catch (configError) {
        failure = toStoredError(configError);
        break;
      }
      const output = handler.output === undefined || handler.output === null ? undefined : JSON.parse(handler.output);
      let outcome: Outcome;
      try {
        outcome = await this.#attempts({
          key,
          type: 'rollback',
          name: handler.name,
          count: handler.count,
          seq: row?.seq ?? ++this.#maxSeq,
          resolved,
          fn: (ctx) => handler.options.rollback({ ctx, error: thrown, output, stepName: handler.name }),
          row,
          kinds: { started: 'rollback_step_started', completed: 'rollback_step_completed', errored: 'rollback_step_errored' },
        });
      } catch (handlerError) {
        failure = toStoredError(handlerError);
        break;
      }
      if ('parked' in outcome) {
        this.#end();
        return;
      }
      if ('suspendAt' in outcome) {
        this.#suspensions.push({ dueAt: outcome.suspendAt });
        this.#phase = 'ending';
        await this.#suspend(false);
        this.#end();
        return;
      }
    }
    if (this.#abort.signal.aborted) {
      this.#end();
      return;
    }
    const rollback = { outcome: failure ? ('failed' as const) : ('complete' as const), error: failure };
    this.#phase = 'ending';
    await this.#finishErrored(error, rollback, cause === 'terminate' ? 'terminated' : 'errored');
    this.#end();
  }
}

function toStepEvent(output: string | null): WorkflowStepEvent {
  const parsed = (output === null ? {} : JSON.parse(output)) as { payload?: unknown; timestamp?: number; type?: string };
  return { payload: parsed.payload, timestamp: new Date(parsed.timestamp ?? 0), type: parsed.type ?? '' };
}

