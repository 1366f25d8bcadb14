// `petrel run task|login|download`: start a browser task (a prompt and a URL), a login with a stored
// credential, or a download. Without `--wait` they print the run id; with it they show the run's
// progress live, then the finished run with its output, and exit 1 unless it completed.
import type { Command } from 'commander';
import type { GetRunResponse, Petrel, TaskRunResponse } from '@petrel/sdk';
import type { CommandContext } from '../cli-context.ts';
import type { ActionRunner } from '../cli-program.ts';
import { collect, parseDurationMs, parseKeyValue, parsePositiveInt, readTextArgument } from '../option-parsers.ts';
import { finishWithRun, watchRun } from '../run-watch.ts';
import { styleStatus } from '../output-format.ts';

/** Options of every command that starts a run. */
export type WaitOptions = { wait?: boolean; timeout?: number; cancelOnInterrupt?: boolean };

type CommonRunOptions = WaitOptions & {
  url?: string;
  webhookUrl?: string;
  totpIdentifier?: string;
  totpUrl?: string;
  session?: string;
};

type TaskOptions = CommonRunOptions & {
  schema?: string;
  title?: string;
  maxSteps?: number;
  engine?: string;
  errorCode?: string[];
  model?: string;
};

/** Adds `--wait`, `--timeout` and `--cancel-on-interrupt`. */
export function withWaitOptions(command: Command): Command {
  return command
    .option('-w, --wait', 'wait for the run to finish, showing its progress; exit 1 unless it completed')
    .option('--timeout <duration>', 'with --wait: give up waiting after this long, e.g. 90s, 10m, "1 hour" (exit 5; the run goes on)', parseDurationMs)
    .option('--cancel-on-interrupt', 'with --wait: Ctrl-C cancels the run (by default it only stops watching)');
}

function withCommonRunOptions(command: Command): Command {
  return command
    .option('--webhook-url <url>', 'POST the finished run here (signed)')
    .option('--totp-identifier <id>', 'wait for 2FA codes pushed for this identifier (`petrel totp send`)')
    .option('--totp-url <url>', 'ask this URL for 2FA codes')
    .option('--session <pbs_id>', 'run in this persistent browser session');
}

function commonFields(options: CommonRunOptions): Record<string, unknown> {
  return {
    ...(options.url === undefined ? {} : { url: options.url }),
    ...(options.webhookUrl === undefined ? {} : { webhookUrl: options.webhookUrl }),
    ...(options.totpIdentifier === undefined ? {} : { totpIdentifier: options.totpIdentifier }),
    ...(options.totpUrl === undefined ? {} : { totpUrl: options.totpUrl }),
    ...(options.session === undefined ? {} : { browserSessionId: options.session }),
  };
}

/** Prints a started run, or watches it to the end with `--wait`. */
export async function startedRun(ctx: CommandContext, client: Petrel, run: TaskRunResponse | GetRunResponse, options: WaitOptions): Promise<void> {
  if (options.wait !== true) {
    ctx.result(run, () => {
      ctx.print(`${run.runId} ${styleStatus(ctx, run.status)}`);
      ctx.note(`follow it: petrel runs watch ${run.runId}`);
    });
    return;
  }
  ctx.note(`run ${run.runId} ${run.status}; watching (Ctrl-C ${options.cancelOnInterrupt === true ? 'cancels the run' : 'stops watching, the run goes on'})`);
  // Just started here: the watch replays the run's events from its start, so its first steps are shown too.
  const finished = await watchRun(ctx, client, run.runId, { timeoutMs: options.timeout, cancelOnInterrupt: options.cancelOnInterrupt, started: run });
  finishWithRun(ctx, finished);
}

async function readSchema(ctx: CommandContext, path: string): Promise<unknown> {
  const text = await readTextArgument(path, '--schema', ctx.io.stdin);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Skyvern also takes a plain-language description of the data.
    return text.trim();
  }
}

/** Registers `run task`, `run login` and `run download`. */
export function registerRunTaskCommands(program: Command, run: ActionRunner): void {
  const runCommand = program.command('run').description('start a browser task, a login or a download (`workflows run` starts a workflow)');

  withCommonRunOptions(
    withWaitOptions(
      runCommand
        .command('task')
        .description('run a browser task from a prompt and a start URL')
        .argument('<prompt>', 'what to do, in plain language')
        .requiredOption('-u, --url <url>', 'the page to start on')
        .option('--schema <file>', 'JSON Schema of the output (a file; - reads stdin; text that is not JSON is a description)')
        .option('--title <title>', 'title of the run')
        .option('--max-steps <n>', 'most agent steps (default 10)', parsePositiveInt)
        .option('--engine <engine>', 'skyvern-1.0 (default) or skyvern-2.0')
        .option('--error-code <code=condition>', 'end the run terminated with CODE when the condition holds (repeatable)', collect)
        .option('--model <name>', 'model id for this run (within the server\'s allow-list)'),
    ),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  petrel run task "Find the price of the first product" --url https://shop.example --wait\n  petrel run task "List the orders of June" --url https://portal.example/orders --schema orders.schema.json --wait --json | jq .output',
    )
    .action(
      run<TaskOptions>(async (ctx, [prompt = ''], options) => {
        const client = await ctx.client();
        const errorCodeMapping = options.errorCode === undefined ? undefined : Object.fromEntries(options.errorCode.map((pair) => parseKeyValue(pair, '--error-code')));
        const schema = options.schema === undefined ? undefined : await readSchema(ctx, options.schema);
        const started = await client.runTask(
          {
            prompt,
            ...commonFields(options),
            ...(options.title === undefined ? {} : { title: options.title }),
            ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
            ...(options.engine === undefined ? {} : { engine: options.engine as 'skyvern-1.0' }),
            ...(schema === undefined ? {} : { dataExtractionSchema: schema as Record<string, unknown> }),
            ...(errorCodeMapping === undefined ? {} : { errorCodeMapping }),
            ...(options.model === undefined ? {} : { model: { model_name: options.model } }),
          },
          ctx.requestOptions,
        );
        await startedRun(ctx, client, started, options);
      }),
    );

  withCommonRunOptions(
    withWaitOptions(
      runCommand
        .command('login')
        .description('log into a site with a stored credential (`petrel credentials create`)')
        .requiredOption('-u, --url <url>', 'the login page')
        .requiredOption('--credential <cred_id>', 'the credential to log in with')
        .option('--prompt <text>', 'login goal (default: the standard login goal)'),
    ),
  ).action(
    run<CommonRunOptions & { credential: string; prompt?: string }>(async (ctx, _args, options) => {
      const client = await ctx.client();
      const started = await client.login(
        { credentialType: 'skyvern', credentialId: options.credential, ...commonFields(options), ...(options.prompt === undefined ? {} : { prompt: options.prompt }) },
        ctx.requestOptions,
      );
      await startedRun(ctx, client, started, options);
    }),
  );

  withCommonRunOptions(
    withWaitOptions(
      runCommand
        .command('download')
        .description('download files described in plain language; they show up in the run\'s files')
        .argument('<goal>', 'what to download, e.g. "the invoice of the newest order"')
        .requiredOption('-u, --url <url>', 'the page to start on')
        .option('--suffix <name>', 'name the downloaded file(s) with this suffix')
        .option('--max-steps <n>', 'most agent steps', parsePositiveInt),
    ),
  ).action(
    run<CommonRunOptions & { suffix?: string; maxSteps?: number }>(async (ctx, [goal = ''], options) => {
      const client = await ctx.client();
      const started = await client.downloadFiles(
        {
          navigationGoal: goal,
          ...commonFields(options),
          ...(options.suffix === undefined ? {} : { downloadSuffix: options.suffix }),
          ...(options.maxSteps === undefined ? {} : { maxStepsPerRun: options.maxSteps }),
        },
        ctx.requestOptions,
      );
      await startedRun(ctx, client, started, options);
    }),
  );
}
