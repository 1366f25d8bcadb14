// Watching a run: `run task --wait`, `workflows run --wait` and `runs watch`. The run's live events
// (the SDK's `waitForCompletion`, Server-Sent Events with a polling fallback) feed a view on stderr:
// on a terminal one status line redrawn in place (step count, current action, URL, elapsed time);
// otherwise one line per event, so CI logs and scripts read the progress. Ctrl-C stops watching —
// and with `--cancel-on-interrupt` cancels the run first. Then the finished run is printed (its
// output pretty-printed) and the exit code says how it ended.
import type { GetRunResponse, Petrel, RunEvent, TaskRunResponse } from '@petrel/sdk';
import type { CommandContext, OutputStream } from './cli-context.ts';
import { CliError, EXIT_CODES } from './cli-errors.ts';
import { durationBetween, formatBytes, formatElapsed, formatTime, prettyJson, printRecord, styleStatus } from './output-format.ts';

/** How to watch. */
export type WatchOptions = {
  /** Longest wait in milliseconds. Default the SDK's 30 minutes. */
  timeoutMs?: number | undefined;
  /** Cancel the run when Ctrl-C stops the watch. Default false. */
  cancelOnInterrupt?: boolean | undefined;
  /**
   * The run as this command has just started it. The watch shows it first, then replays the run's
   * events from its start instead of opening at a snapshot of the run now: its first steps may come
   * before the watch subscribes. Default: a run started elsewhere (`runs watch`).
   */
  started?: TaskRunResponse | GetRunResponse | undefined;
};

type ViewState = {
  runId: string;
  status: string;
  steps: number;
  action: string | undefined;
  url: string | undefined;
  startedAt: number;
};

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function clip(value: string, max: number): string {
  const flat = value.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `click button "Sign in"`, `input_text textbox "Email" = "…"`, `goto_url http://…`. */
function describeAction(event: RunEvent): string {
  const type = text(event['actionType']) ?? 'action';
  const target = text(event['target']);
  const value = text(event['value']);
  const parts = [type, target === undefined ? undefined : clip(target, 60), value === undefined ? undefined : target === undefined ? clip(value, 80) : `= ${JSON.stringify(clip(value, 60))}`];
  const described = parts.filter((part) => part !== undefined).join(' ');
  if (event['skipped'] === true) return `${described} (skipped)`;
  const error = text(event['error']);
  return event['ok'] === false ? `${described} (failed${error === undefined ? '' : `: ${clip(error, 80)}`})` : described;
}

/** A view of a run's progress on a stream; `stop` gets the finished run when there is one. */
type LiveView = { update(event: RunEvent): void; stop(finished?: GetRunResponse): void };

function createLiveView(ctx: CommandContext, runId: string): LiveView {
  const stream: OutputStream = ctx.io.stderr;
  const state: ViewState = { runId, status: 'queued', steps: 0, action: undefined, url: undefined, startedAt: Date.now() };
  const elapsed = (): string => formatElapsed(Date.now() - state.startedAt);
  const quiet = ctx.globals.quiet;

  const applyRun = (run: unknown): void => {
    if (typeof run !== 'object' || run === null) return;
    const record = run as Record<string, unknown>;
    const status = text(record['status']);
    if (status !== undefined) state.status = status;
    const steps = num(record['stepCount']) ?? num(record['totalSteps']);
    if (steps !== undefined) state.steps = Math.max(state.steps, steps);
    const created = text(record['createdAt']);
    if (created !== undefined) {
      const at = new Date(created.endsWith('Z') || /[+-]\d\d:\d\d$/.test(created) ? created : `${created}Z`).getTime();
      // The run's age is its elapsed time; a clock ahead of ours is not allowed to make it negative.
      if (Number.isFinite(at)) state.startedAt = Math.min(Date.now(), at);
    }
  };

  /** Applies an event to the state; returns the line it is worth in line mode, if any. */
  const apply = (event: RunEvent): string | undefined => {
    switch (event.type) {
      case 'snapshot': {
        applyRun(event['run']);
        const status = text(event['status']);
        if (status !== undefined) state.status = status;
        return `run ${runId} ${state.status}${state.steps > 0 ? `, ${state.steps} step(s) so far` : ''}`;
      }
      case 'status': {
        applyRun(event['run']);
        const status = text(event['status']);
        if (status === undefined) return undefined;
        const changed = status !== state.status;
        state.status = status;
        return changed ? `status ${status}` : undefined;
      }
      case 'agent_step': {
        const step = num(event['stepNumber']);
        if (step === undefined) return undefined;
        state.steps = Math.max(state.steps, step);
        if (event['status'] === 'running') {
          state.action = `step ${step}: deciding`;
          return `step ${step} started`;
        }
        state.url = text(event['endUrl']) ?? text(event['url']) ?? state.url;
        const outcome = text(event['outcome']);
        const reasoning = text(event['reasoning']);
        return `step ${step} done${outcome === undefined || outcome === 'continue' ? '' : ` (${outcome}${reasoning === undefined ? '' : `: ${clip(reasoning, 100)}`})`}${state.url === undefined ? '' : ` at ${state.url}`}`;
      }
      case 'action': {
        const step = num(event['stepNumber']);
        const described = describeAction(event);
        state.action = described;
        state.url = text(event['url']) ?? state.url;
        const url = text(event['url']);
        return `${step === undefined ? '' : `step ${step}: `}${described}${url === undefined ? '' : ` → ${url}`}`;
      }
      case 'block': {
        const label = text(event['label']) ?? '?';
        const status = text(event['status']) ?? 'done';
        const failure = text(event['failureReason']);
        state.action = `block ${label} ${status}`;
        return `block ${label} ${status}${failure === undefined ? '' : `: ${clip(failure, 120)}`}`;
      }
      case 'step': {
        const name = text(event['step']);
        const status = text(event['status']);
        // An agent step's own `agent_step` events say more.
        if (name === undefined || status === undefined || /(?:^|[^a-z])agent-step-\d+$/.test(name)) return undefined;
        // A block's start (its end is a `block` event).
        const block = /^block:(.+)$/.exec(name)?.[1];
        if (block !== undefined && status === 'running') {
          state.action = `block ${block}`;
          return `block ${block} started`;
        }
        if (status === 'running') state.action = name;
        return `step ${name} ${status}${text(event['error']) === undefined ? '' : `: ${clip(String(text(event['error'])), 120)}`}`;
      }
      default:
        return undefined;
    }
  };

  if (quiet) return { update: (event) => void apply(event), stop: () => {} };

  if (stream.isTTY !== true) {
    // One line per event. A step's "done" line waits for the step's actions (they arrive after it).
    let pendingDone: string | undefined;
    let last: string | undefined;
    const emit = (line: string): void => {
      if (line === last) return;
      last = line;
      stream.write(`[${elapsed().padStart(10)}] ${line}\n`);
    };
    const flush = (): void => {
      if (pendingDone !== undefined) emit(pendingDone);
      pendingDone = undefined;
    };
    return {
      update(event) {
        const line = apply(event);
        if (event.type !== 'action') flush();
        if (line === undefined) return;
        if (event.type === 'agent_step' && event['status'] !== 'running') pendingDone = line;
        else emit(line);
      },
      stop(finished) {
        flush();
        if (finished !== undefined) emit(`run ${finished.runId} ${finished.status}${finished.failureReason ? `: ${clip(finished.failureReason, 160)}` : ''}`);
      },
    };
  }

  // A terminal: one line, redrawn. Width-limited so it never wraps (a wrapped line cannot be redrawn).
  let frame = 0;
  const draw = (): void => {
    frame = (frame + 1) % SPINNER.length;
    const parts = [
      `${SPINNER[frame]} ${state.runId}`,
      styleStatus(ctx, state.status),
      `step ${state.steps}`,
      state.action,
      state.url === undefined ? undefined : state.url.replace(/^https?:\/\//, ''),
      elapsed(),
    ].filter((part) => part !== undefined);
    const width = Math.max(20, (stream.columns ?? 100) - 1);
    stream.write(`\r\u001b[2K${clip(parts.join(' · '), width)}`);
  };
  const timer = setInterval(draw, 200);
  draw();
  return {
    update(event) {
      apply(event);
      draw();
    },
    stop() {
      clearInterval(timer);
      stream.write('\r\u001b[2K');
    },
  };
}

/** Waits for a run to finish while showing its progress; returns the finished run. */
export async function watchRun(ctx: CommandContext, client: Petrel, runId: string, options: WatchOptions = {}): Promise<GetRunResponse> {
  const view = createLiveView(ctx, runId);
  const started = options.started;
  if (started !== undefined) view.update({ type: 'snapshot', id: undefined, seq: 0, at: new Date().toISOString(), runId, status: started.status, run: started });
  let finished: GetRunResponse | undefined;
  try {
    finished = await client.waitForCompletion(runId, {
      signal: ctx.io.interrupt,
      onEvent: (event) => view.update(event),
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      // Event id 0: every event of the run the server keeps, the ones before this call included.
      ...(started === undefined ? {} : { afterEventId: '0' }),
    });
    return finished;
  } catch (error) {
    if (!ctx.io.interrupt.aborted) {
      if (error instanceof Error && error.name === 'TimeoutError') {
        throw new CliError(EXIT_CODES.timeout, `run ${runId} has not finished within ${formatElapsed(options.timeoutMs ?? 30 * 60_000)}; \`petrel runs watch ${runId}\` keeps watching`, { code: 'TIMEOUT' });
      }
      throw error;
    }
    view.stop();
    if (options.cancelOnInterrupt === true) {
      // The interrupt aborted the watch's calls; the cancel gets a call of its own.
      await client.cancelRun(runId, { timeout: 15_000 }).then(
        () => ctx.note(`canceled run ${runId}`),
        (cancelError: unknown) => ctx.note(`could not cancel run ${runId}: ${cancelError instanceof Error ? cancelError.message : String(cancelError)}`),
      );
    } else {
      ctx.note(`stopped watching; run ${runId} goes on (\`petrel runs watch ${runId}\`, \`petrel runs cancel ${runId}\`)`);
    }
    throw new CliError(EXIT_CODES.interrupted, 'interrupted', { code: 'INTERRUPTED' });
  } finally {
    view.stop(finished);
  }
}

/** Prints a finished (or any) run: status, timings, failure, files, and its output pretty-printed. */
export function printRun(ctx: CommandContext, run: GetRunResponse): void {
  const record = run as unknown as Record<string, unknown>;
  const errors = Array.isArray(record['errors']) ? (record['errors'] as Array<Record<string, unknown>>) : [];
  printRecord(ctx, [
    ['run', run.runId],
    ['type', run.runType],
    ['status', styleStatus(ctx, run.status)],
    ['title', text(record['title']) ?? text(record['workflowTitle'])],
    ['workflow', text(record['workflowPermanentId']) ?? text(record['workflowId'])],
    ['created', formatTime(run.createdAt)],
    ['finished', run.finishedAt ? formatTime(run.finishedAt) : undefined],
    ['duration', durationBetween(run.startedAt ?? run.createdAt, run.finishedAt)],
    ['steps', num(record['stepCount']) || undefined],
    ['tokens in/out', run.inputTokens || run.outputTokens ? `${run.inputTokens}/${run.outputTokens}` : undefined],
    ['cost', run.totalCost === null || run.totalCost === undefined ? undefined : `$${run.totalCost.toFixed(4)}`],
    ['failure', run.failureReason ?? undefined],
    ['recording', run.recordingUrl ?? undefined],
  ]);
  for (const error of errors) {
    ctx.print(`error: ${text(error['errorCode']) ?? 'error'}${text(error['reasoning']) === undefined ? '' : ` — ${text(error['reasoning'])}`}`);
  }
  const files = run.downloadedFiles ?? [];
  if (files.length > 0) {
    ctx.print(`files (${files.length}):`);
    for (const file of files) ctx.print(`  ${file.filename ?? file.artifactId ?? 'file'} (${formatBytes(file.fileSize)}) ${file.url}`);
  }
  if (run.output !== undefined && run.output !== null) {
    ctx.print('output:');
    ctx.print(prettyJson(run.output));
  }
}

/** Prints a finished run (as JSON with `--json`) and ends with exit 1 unless it completed. */
export function finishWithRun(ctx: CommandContext, run: GetRunResponse): void {
  ctx.result(run, () => printRun(ctx, run));
  if (run.status !== 'completed') {
    ctx.fail(EXIT_CODES.runNotCompleted, `run ${run.runId} ended ${run.status}${run.failureReason ? `: ${clip(run.failureReason, 200)}` : ''}`, `RUN_${run.status.toUpperCase()}`);
  }
}
