// The Clock port: the engine reads time and sets timers only through it, so tests can drive time by
// hand (cron firing, sleeps) while production uses the real clock.

/** A timer handle returned by `Clock.setTimer`. */
export type TimerHandle = { readonly id: number };

/** Time and timers as the engine sees them. */
export type Clock = {
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Calls `fn` once after `ms` milliseconds (of this clock). */
  setTimer: (fn: () => void, ms: number) => TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimer: (handle: TimerHandle) => void;
};

/** The real clock: `Date.now()` and Node timers that do not keep the process alive. */
export function createSystemClock(): Clock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimer(fn, ms) {
      const id = next++;
      const timer = setTimeout(
        () => {
          timers.delete(id);
          fn();
        },
        Math.max(0, Math.min(ms, 2_147_483_647)),
      );
      timer.unref();
      timers.set(id, timer);
      return { id };
    },
    clearTimer(handle) {
      const timer = timers.get(handle.id);
      if (timer) {
        clearTimeout(timer);
        timers.delete(handle.id);
      }
    },
  };
}

/** A clock that only moves when told to, for tests. */
export type ManualClock = Clock & {
  /** Moves time forward by `ms`, firing due timers in time order. */
  advance: (ms: number) => void;
  /** Sets the current time (forward only), firing due timers. */
  set: (at: number) => void;
  /** Number of timers not yet fired. */
  pendingTimers: () => number;
};

/** A `ManualClock` starting at `start` (default: 2026-01-01T00:00:00Z). */
export function createManualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const fireDue = (): void => {
    for (;;) {
      let dueId: number | undefined;
      let dueAt = Infinity;
      for (const [id, timer] of timers) {
        if (timer.at <= now && timer.at < dueAt) {
          dueAt = timer.at;
          dueId = id;
        }
      }
      if (dueId === undefined) return;
      const timer = timers.get(dueId)!;
      timers.delete(dueId);
      timer.fn();
    }
  };
  const clock: ManualClock = {
    now: () => now,
    setTimer(fn, ms) {
      const id = next++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return { id };
    },
    clearTimer(handle) {
      timers.delete(handle.id);
    },
    advance(ms) {
      clock.set(now + ms);
    },
    set(at) {
      if (at > now) now = at;
      fireDue();
    },
    pendingTimers: () => timers.size,
  };
  return clock;
}

/** Resolves after `ms` of `clock` time; rejects with the signal's reason when it aborts first. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clock.clearTimer(handle);
      reject(signal!.reason);
    };
    const handle = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
