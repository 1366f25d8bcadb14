// Waiting for a run to end. The server's live stream (`GET /v1/runs/{id}/events`, Server-Sent
// Events) is followed when it answers, resumed with `Last-Event-ID` when it breaks (and started after
// a given event id with `afterEventId`, which replays what came after it); a server without
// it, a proxy that refuses it, or a stream that keeps breaking falls back to polling
// `GET /v1/runs/{id}`. The answer is always the run as `getRun` returns it. A run that failed is a
// result; only running out of time is an error (`TimeoutError`, with the run as last seen).
import type { Duration } from './durations.ts';
import { toMilliseconds } from './durations.ts';
import { ApiError, TimeoutError } from './errors.ts';
import type { RunStreamEvent } from './generated/api-types.ts';
import { backoffDelay } from './http-client.ts';
import { readSse } from './sse-reader.ts';
import { fromWire } from './wire-casing.ts';

/** Run statuses from which a run does not move (Skyvern's; the same list as @petrel/protocol's `FINAL_RUN_STATUSES`). */
export const FINAL_RUN_STATUSES: readonly string[] = ['completed', 'failed', 'terminated', 'timed_out', 'canceled'];

/** True when a run status is final. */
export function isFinalRunStatus(status: string): boolean {
  return FINAL_RUN_STATUSES.includes(status);
}

/**
 * One live event of a run, its keys in camelCase (`RunStreamEvent`: `runId`, `seq`, `type`, `at`,
 * and per type `status`, `run`, `step`, `error`, `url`, ...): `snapshot` (the run when the stream
 * opened), `status`, `step`, `screenshot`, `done`. While polling, a `status` event (`seq` 0, no `id`)
 * is made up for every change of status seen.
 */
export type RunEvent = RunStreamEvent & {
  /** The stream's event id, to resume after (`lastEventId`); undefined for events made up while polling. */
  id: string | undefined;
};

/** Options of `waitForCompletion`. */
export type WaitForCompletionOptions = {
  /** Longest wait: milliseconds or a string such as `"10 minutes"`. Default 30 minutes (Skyvern's 1800 s). */
  timeout?: Duration | undefined;
  /** Time between polls when the live stream is not used. Default 2 seconds. */
  pollInterval?: Duration | undefined;
  /** Cancels the wait (the run itself goes on); the call rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Called with each live event. An exception it throws ends the wait with that exception. */
  onEvent?: ((event: RunEvent) => void) | undefined;
  /** Follow the live event stream when the server has one. Default true; false polls. */
  useEvents?: boolean | undefined;
  /**
   * Start the live stream after this event id (a `RunEvent.id`, sent as `Last-Event-ID`) instead of at
   * a snapshot of the run now: the events after it are replayed first, so nothing is missed. `"0"`
   * replays every event of the run the server still keeps (7 days by default): for a run the caller
   * has just started. Default: a `snapshot` event, then what happens next. Polling ignores it.
   */
  afterEventId?: string | undefined;
};

/** What the wait needs from the client. */
export type WaitDependencies<Run extends { status: string }> = {
  /** Operation name for messages. */
  name: string;
  runId: string;
  getRun(signal: AbortSignal): Promise<Run>;
  /** Opens the event stream after `lastEventId`; undefined when the server has no such route. */
  openEvents: ((lastEventId: string | undefined, signal: AbortSignal) => Promise<Response>) | undefined;
};

/** The events of a run's stream body (`GET /v1/runs/{id}/events`), camelCased; frames that are not JSON are skipped. */
export async function* readRunEvents(body: ReadableStream<Uint8Array>, runId: string): AsyncGenerator<RunEvent> {
  for await (const frame of readSse(body)) {
    let data: Record<string, unknown>;
    try {
      data = fromWire(JSON.parse(frame.data)) as Record<string, unknown>;
    } catch {
      continue;
    }
    yield { seq: 0, at: '', ...data, runId, type: frame.event, id: frame.id };
  }
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_POLL_MS = 2_000;
/** Breaks of the stream tolerated before polling instead. */
const MAX_RECONNECTS = 5;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits until the run's status is final and returns the run. */
export async function waitForRun<Run extends { status: string }>(deps: WaitDependencies<Run>, options: WaitForCompletionOptions = {}): Promise<Run> {
  const timeoutMs = options.timeout === undefined ? DEFAULT_TIMEOUT_MS : toMilliseconds(options.timeout, `${deps.name}: timeout`);
  const pollMs = options.pollInterval === undefined ? DEFAULT_POLL_MS : toMilliseconds(options.pollInterval, `${deps.name}: pollInterval`);
  if (options.afterEventId !== undefined && !/^\d{1,15}$/.test(options.afterEventId)) {
    throw new TypeError(`${deps.name}: afterEventId must be an event id (digits), such as a RunEvent's id or "0"`);
  }
  const userSignal = options.signal;
  if (userSignal?.aborted) throw userSignal.reason;

  const controller = new AbortController();
  const signal = controller.signal;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  const onAbort = (): void => controller.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onAbort, { once: true });

  let lastRun: Run | undefined;
  let lastStatus: string | undefined;
  const getRun = async (): Promise<Run> => {
    const run = await deps.getRun(signal);
    lastRun = run;
    return run;
  };

  const followEvents = async (open: NonNullable<WaitDependencies<Run>['openEvents']>): Promise<Run | undefined> => {
    let lastEventId: string | undefined = options.afterEventId;
    for (let breaks = 0; breaks <= MAX_RECONNECTS; breaks++) {
      if (breaks > 0) await sleep(backoffDelay(breaks), signal);
      let response: Response;
      try {
        response = await open(lastEventId, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        // No stream here (an older server, a proxy): poll. A bad key would fail polling too; say so now.
        if (error instanceof ApiError && error.statusCode === 403) throw error;
        return undefined;
      }
      if (response.body === null) return undefined;
      let events = 0;
      try {
        for await (const event of readRunEvents(response.body, deps.runId)) {
          events++;
          if (event.id !== undefined) lastEventId = event.id;
          // `step` events carry a step's status, not the run's.
          const runStatus = event.type === 'status' || event.type === 'snapshot' ? event.status : undefined;
          if (typeof runStatus === 'string') lastStatus = runStatus;
          options.onEvent?.(event);
          const final = event.type === 'done' || (typeof runStatus === 'string' && isFinalRunStatus(runStatus));
          if (final) {
            const run = await getRun();
            if (isFinalRunStatus(run.status)) return run;
            // The stream said done before the run's answer did: let polling see it through.
            return undefined;
          }
        }
      } catch (error) {
        if (signal.aborted) throw error;
        // The stream broke: resume after the last event.
      }
      // A stream that closes before its first event (every stream opens with a snapshot) is not one to follow.
      if (events === 0) return undefined;
    }
    return undefined;
  };

  try {
    if (options.useEvents !== false && deps.openEvents !== undefined) {
      const run = await followEvents(deps.openEvents);
      if (run !== undefined) return run;
    }
    for (;;) {
      const run = await getRun();
      if (run.status !== lastStatus) {
        lastStatus = run.status;
        options.onEvent?.({ type: 'status', id: undefined, seq: 0, at: new Date().toISOString(), runId: deps.runId, status: run.status, run });
      }
      if (isFinalRunStatus(run.status)) return run;
      await sleep(pollMs, signal);
    }
  } catch (error) {
    if (timedOut) {
      const status = lastRun?.status ?? lastStatus ?? 'unknown';
      throw new TimeoutError(`${deps.name}: run ${deps.runId} is still ${status} after ${timeoutMs} ms`, { timeoutMs, lastRun });
    }
    if (userSignal?.aborted) throw userSignal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    userSignal?.removeEventListener('abort', onAbort);
  }
}
