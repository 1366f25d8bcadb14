// `petrel runs list|get|watch|cancel|timeline|artifacts|webhooks|retry-webhook`: every run (tasks and
// workflow runs) of the organization. `watch` follows a run live until it ends; `artifacts --download
// DIR` saves the screenshots, recording, trace, downloads and model exchanges of a run into a folder.
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import type { Artifact, ArtifactType, GetRunsQuery, WorkflowRunTimeline } from '@petrel/sdk';
import type { CommandContext } from '../cli-context.ts';
import { EXIT_CODES, usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { collect, parseDurationMs, parsePositiveInt } from '../option-parsers.ts';
import { formatBytes, formatElapsed, formatTime, printRecord, printTable, styleStatus } from '../output-format.ts';
import { finishWithRun, printRun, watchRun } from '../run-watch.ts';

const RUN_STATUSES = ['created', 'queued', 'running', 'paused', 'timed_out', 'failed', 'terminated', 'completed', 'canceled'];
const FINAL = new Set(['completed', 'failed', 'terminated', 'timed_out', 'canceled']);

type ListOptions = { status?: string[]; type?: string[]; search?: string; user?: string; page?: number; pageSize?: number };

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'video/webm': '.webm',
  'application/zip': '.zip',
  'application/json': '.json',
  'text/html': '.html',
  'text/plain': '.txt',
  'application/pdf': '.pdf',
};

/** A file name for an artifact: its id, then its own name (or type) with an extension from its media type. */
function artifactFileName(artifact: Artifact): string {
  const own = artifact.name ?? basename(artifact.uri.split('?')[0] ?? '');
  const safe = (own === '' ? artifact.artifactType : own).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  const extension = extname(safe) === '' ? (EXTENSIONS[artifact.contentType.split(';')[0]?.trim() ?? ''] ?? '') : '';
  // The id keeps names unique in the folder; a name that starts with it already is not prefixed again.
  return `${safe.startsWith(artifact.artifactId) ? '' : `${artifact.artifactId}-`}${safe}${extension}`;
}

function printTimeline(ctx: CommandContext, entries: readonly WorkflowRunTimeline[], depth = 0): void {
  for (const entry of entries) {
    const block = entry.block;
    if (block !== null) {
      const loop = block.currentIndex === null ? '' : ` [${block.currentIndex}]`;
      const duration = block.duration === null ? '' : ` ${formatElapsed(block.duration * 1000)}`;
      const files = block.downloadedFileCount ? `, ${block.downloadedFileCount} file(s)` : '';
      const failure = block.failureReason === null ? '' : ` — ${block.failureReason}`;
      ctx.print(`${'  '.repeat(depth)}${`${block.label}${loop}`.padEnd(Math.max(8, 30 - depth * 2))} ${block.blockType.padEnd(12)} ${styleStatus(ctx, block.status)}${duration}${files}${failure}`);
    }
    printTimeline(ctx, entry.children, depth + 1);
  }
}

/** Registers `runs` and its subcommands. */
export function registerRunsCommands(program: Command, run: ActionRunner): void {
  const runs = program.command('runs').description('list, inspect, watch and cancel runs (tasks and workflow runs)');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--status <status>', `only runs in this status (repeatable): ${RUN_STATUSES.join(', ')}`, collect)
    .option('--type <type>', 'only this run type (repeatable): task_v1, task_v2, workflow_run', collect)
    .option('--search <text>', 'search titles and ids')
    .option('--user <id>', 'only runs of this developer_user_id')
    .option('--page <n>', 'page number (default 1)', parsePositiveInt)
    .option('--page-size <n>', 'runs per page, at most 100 (default 10)', parsePositiveInt)
    .action(
      run<ListOptions>(async (ctx, _args, options) => {
        for (const status of options.status ?? []) if (!RUN_STATUSES.includes(status)) throw usageError(`--status ${status}: not a run status (${RUN_STATUSES.join(', ')})`);
        const client = await ctx.client();
        const query: GetRunsQuery = {
          ...(options.status === undefined ? {} : { status: options.status as NonNullable<GetRunsQuery['status']> }),
          ...(options.type === undefined ? {} : { runType: options.type as NonNullable<GetRunsQuery['runType']> }),
          ...(options.search === undefined ? {} : { searchKey: options.search }),
          ...(options.user === undefined ? {} : { developerUserId: options.user }),
          ...(options.page === undefined ? {} : { page: options.page }),
          ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        };
        const list = await client.getRuns(query, ctx.requestOptions);
        ctx.result(list, () =>
          printTable(
            ctx,
            list,
            [
              { header: 'run', value: (item) => item.runId },
              { header: 'type', value: (item) => item.taskRunType },
              { header: 'status', value: (item) => styleStatus(ctx, item.status) },
              { header: 'created', value: (item) => formatTime(item.createdAt) },
              { header: 'finished', value: (item) => formatTime(item.finishedAt) },
              { header: 'title', value: (item) => item.title, maxWidth: 50 },
            ],
            'no runs',
          ),
        );
      }),
    );

  runs
    .command('get')
    .description('show a run: status, timings, failure, files and output')
    .argument('<run_id>', 'tsk_… or wr_…')
    .action(
      run(async (ctx, [runId = '']) => {
        const client = await ctx.client();
        const found = await client.getRun(runId, ctx.requestOptions);
        ctx.result(found, () => printRun(ctx, found));
      }),
    );

  runs
    .command('watch')
    .description('follow a run live until it finishes, then print it; exit 1 unless it completed')
    .argument('<run_id>', 'tsk_… or wr_…')
    .option('--timeout <duration>', 'give up waiting after this long, e.g. 90s, 10m (exit 5; the run goes on)', parseDurationMs)
    .option('--cancel-on-interrupt', 'Ctrl-C cancels the run (by default it only stops watching)')
    .action(
      run<{ timeout?: number; cancelOnInterrupt?: boolean }>(async (ctx, [runId = ''], options) => {
        const client = await ctx.client();
        const current = await client.getRun(runId, ctx.requestOptions);
        const finished = FINAL.has(current.status) ? current : await watchRun(ctx, client, runId, { timeoutMs: options.timeout, cancelOnInterrupt: options.cancelOnInterrupt });
        finishWithRun(ctx, finished);
      }),
    );

  runs
    .command('cancel')
    .description('cancel runs (at their next step); a run already finished is an error (exit 3)')
    .argument('<run_id...>', 'one or more run ids')
    .action(
      run(async (ctx, runIds) => {
        const client = await ctx.client();
        if (runIds.length === 1) {
          const [runId = ''] = runIds;
          await client.cancelRun(runId, ctx.requestOptions);
          ctx.result({ cancelled: [runId], failed: [] }, () => ctx.print(`canceled ${runId}`));
          return;
        }
        if (runIds.length > 100) throw usageError('at most 100 runs at once');
        const outcome = await client.bulkCancelRuns(runIds, ctx.requestOptions);
        ctx.result(outcome, () => {
          for (const id of outcome.cancelled) ctx.print(`canceled ${id}`);
          for (const failure of outcome.failed as unknown[]) ctx.print(`not canceled: ${typeof failure === 'string' ? failure : JSON.stringify(failure)}`);
        });
        if (outcome.failed.length > 0) ctx.fail(EXIT_CODES.apiError, `${outcome.failed.length} of ${runIds.length} run(s) were not canceled`, 'CANCEL_FAILED');
      }),
    );

  runs
    .command('timeline')
    .description('show a run\'s blocks (a task is one block), nested loops and child runs')
    .argument('<run_id>', 'tsk_… or wr_…')
    .action(
      run(async (ctx, [runId = '']) => {
        const client = await ctx.client();
        const timeline = await client.getRunTimeline(runId, ctx.requestOptions);
        ctx.result(timeline, () => (timeline.length === 0 ? ctx.note('no blocks yet') : printTimeline(ctx, timeline)));
      }),
    );

  runs
    .command('webhooks')
    .description("list every attempt to deliver a run's webhook: status, duration, error")
    .argument('<run_id>', 'tsk_… or wr_…')
    .action(
      run(async (ctx, [runId = '']) => {
        const client = await ctx.client();
        const deliveries = await client.getRunWebhookDeliveries(runId, ctx.requestOptions);
        ctx.result(deliveries, () =>
          printTable(
            ctx,
            deliveries,
            [
              { header: 'attempt', value: (delivery) => delivery.attempt },
              { header: 'at', value: (delivery) => formatTime(delivery.createdAt) },
              { header: 'status', value: (delivery) => delivery.statusCode ?? delivery.error },
              { header: 'took', value: (delivery) => formatElapsed(delivery.durationMs) },
              { header: 'source', value: (delivery) => delivery.source },
              { header: 'url', value: (delivery) => delivery.url, maxWidth: 70 },
            ],
            'no deliveries (the run has no webhook URL, or has not finished)',
          ),
        );
      }),
    );

  runs
    .command('retry-webhook')
    .description("send a finished run's webhook again, now (to --url if given), and print the receiver's answer")
    .argument('<run_id>', 'tsk_… or wr_…')
    .option('--url <url>', 'send it here instead of the run\'s webhook URL')
    .action(
      run<{ url?: string }>(async (ctx, [runId = ''], options) => {
        const client = await ctx.client();
        const replay = await client.retryRunWebhook(runId, options.url === undefined ? {} : { webhookUrl: options.url }, ctx.requestOptions);
        ctx.result(replay, () =>
          printRecord(ctx, [
            ['sent to', replay.targetWebhookUrl],
            ['answer', replay.statusCode ?? undefined],
            ['took', formatElapsed(replay.latencyMs)],
            ['error', replay.error ?? undefined],
          ]),
        );
        if (replay.statusCode === null || replay.statusCode >= 300) ctx.fail(EXIT_CODES.unavailable, `the receiver ${replay.statusCode === null ? `could not be reached${replay.error ? `: ${replay.error}` : ''}` : `answered ${replay.statusCode}`}`, 'WEBHOOK_FAILED');
      }),
    );

  runs
    .command('artifacts')
    .description('list a run\'s artifacts (screenshots, recording, trace, HTML, model exchanges, downloads); --download saves them')
    .argument('<run_id>', 'tsk_… or wr_…')
    .option('--type <type>', 'only this artifact type (repeatable): screenshot, recording, trace, download, html, llm_request, …', collect)
    .option('-d, --download <dir>', 'save every listed artifact into this folder (created if missing)')
    .action(
      run<{ type?: string[]; download?: string }>(async (ctx, [runId = ''], options) => {
        const client = await ctx.client();
        const artifacts = await client.getRunArtifacts(runId, options.type === undefined ? {} : { artifactType: options.type as ArtifactType[] }, ctx.requestOptions);
        const saved: Array<Artifact & { path?: string }> = [];
        if (options.download !== undefined) {
          const folder = resolve(ctx.io.cwd, options.download);
          mkdirSync(folder, { recursive: true });
          for (const artifact of artifacts) {
            const response = await client.getArtifactContent(artifact.artifactId, ctx.requestOptions);
            const path = join(folder, artifactFileName(artifact));
            if (response.body === null) throw new Error(`artifact ${artifact.artifactId} has no content`);
            await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(path));
            saved.push({ ...artifact, path });
          }
        } else {
          saved.push(...artifacts);
        }
        ctx.result(saved, () => {
          printTable(
            ctx,
            saved,
            [
              { header: 'artifact', value: (artifact) => artifact.artifactId },
              { header: 'type', value: (artifact) => artifact.artifactType },
              { header: 'size', value: (artifact) => formatBytes(artifact.fileSize) },
              { header: 'created', value: (artifact) => formatTime(artifact.createdAt) },
              { header: options.download === undefined ? 'name' : 'saved as', value: (artifact) => (artifact.path === undefined ? (artifact.name ?? artifact.uri) : basename(artifact.path)), maxWidth: 90 },
            ],
            'no artifacts',
          );
          if (options.download !== undefined && saved.length > 0) ctx.note(`saved ${saved.length} file(s) in ${resolve(ctx.io.cwd, options.download)}`);
        });
      }),
    );
}
