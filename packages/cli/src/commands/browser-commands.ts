// `petrel sessions` (persistent browsers reachable over CDP, for runs to share) and `petrel profiles`
// (saved cookies and storage, loaded into new runs).
import type { Command } from 'commander';
import type { BrowserProfile, BrowserSessionResponse } from '@petrel/sdk';
import type { CommandContext } from '../cli-context.ts';
import { usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { parsePositiveInt } from '../option-parsers.ts';
import { formatTime, printRecord, printTable, styleStatus } from '../output-format.ts';

function printSession(ctx: CommandContext, session: BrowserSessionResponse): void {
  printRecord(ctx, [
    ['session', session.browserSessionId],
    ['status', styleStatus(ctx, session.status)],
    ['browser address', session.browserAddress],
    ['timeout', `${session.timeout} min`],
    ['expires', formatTime(session.expiresAt)],
    ['in use by', session.runnableId],
    ['profile', session.browserProfileId],
    ['created', formatTime(session.createdAt)],
    ['failure', session.failureReason ?? undefined],
  ]);
}

function printProfile(ctx: CommandContext, profile: BrowserProfile): void {
  printRecord(ctx, [
    ['profile', profile.browserProfileId],
    ['name', profile.name],
    ['description', profile.description ?? undefined],
    ['cookies', profile.cookieCount],
    ['from session', profile.sourceBrowserSessionId ?? undefined],
    ['from run', profile.sourceRunId ?? undefined],
    ['created', formatTime(profile.createdAt)],
  ]);
}

/** Registers `sessions` and `profiles`. */
export function registerBrowserCommands(program: Command, run: ActionRunner): void {
  const sessions = program.command('sessions').description('persistent browser sessions: Chromium kept open for runs to share (CDP address)');
  sessions
    .command('create')
    .description('start a browser session')
    .option('--timeout <minutes>', 'close it after this many minutes, 5 to 1440 (default 60)', parsePositiveInt)
    .option('--profile <bp_id>', 'load this browser profile into it')
    .option('--url <url>', 'open this page first')
    .action(
      run<{ timeout?: number; profile?: string; url?: string }>(async (ctx, _args, options) => {
        const client = await ctx.client();
        const session = await client.createBrowserSession(
          {
            ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
            ...(options.profile === undefined ? {} : { browserProfileId: options.profile }),
            ...(options.url === undefined ? {} : { url: options.url }),
          },
          ctx.requestOptions,
        );
        ctx.result(session, () => printSession(ctx, session));
      }),
    );
  sessions
    .command('list')
    .description('list the active browser sessions')
    .action(
      run(async (ctx) => {
        const client = await ctx.client();
        const list = await client.getBrowserSessions(ctx.requestOptions);
        ctx.result(list, () =>
          printTable(
            ctx,
            list,
            [
              { header: 'session', value: (session) => session.browserSessionId },
              { header: 'status', value: (session) => styleStatus(ctx, session.status) },
              { header: 'in use by', value: (session) => session.runnableId },
              { header: 'expires', value: (session) => formatTime(session.expiresAt) },
              { header: 'browser address', value: (session) => session.browserAddress },
            ],
            'no active sessions',
          ),
        );
      }),
    );
  sessions
    .command('get')
    .description('show a browser session')
    .argument('<session_id>', 'pbs_…')
    .action(
      run(async (ctx, [id = '']) => {
        const client = await ctx.client();
        const session = await client.getBrowserSession(id, ctx.requestOptions);
        ctx.result(session, () => printSession(ctx, session));
      }),
    );
  sessions
    .command('close')
    .description('close a browser session (its Chromium stops)')
    .argument('<session_id>', 'pbs_…')
    .action(
      run(async (ctx, [id = '']) => {
        const client = await ctx.client();
        const session = await client.closeBrowserSession(id, ctx.requestOptions);
        ctx.result(session, () => ctx.print(`closed ${session.browserSessionId} (${session.status})`));
      }),
    );

  const profiles = program.command('profiles').description('browser profiles: saved cookies and storage for new runs and sessions');
  profiles
    .command('create')
    .description('save a profile from a running session, a finished run, or blank')
    .requiredOption('--name <name>', 'profile name')
    .option('--description <text>', 'what it is for')
    .option('--session <pbs_id>', 'save the state of this running session')
    .option('--run <run_id>', 'save the final state of this finished workflow run')
    .action(
      run<{ name: string; description?: string; session?: string; run?: string }>(async (ctx, _args, options) => {
        if (options.session !== undefined && options.run !== undefined) throw usageError('give --session or --run, not both');
        const client = await ctx.client();
        const profile = await client.createBrowserProfile(
          {
            name: options.name,
            ...(options.description === undefined ? {} : { description: options.description }),
            ...(options.session === undefined ? {} : { browserSessionId: options.session }),
            ...(options.run === undefined ? {} : { workflowRunId: options.run }),
          },
          ctx.requestOptions,
        );
        ctx.result(profile, () => printProfile(ctx, profile));
      }),
    );
  profiles
    .command('list')
    .description('list browser profiles')
    .option('--search <text>', 'only profiles whose name contains this')
    .action(
      run<{ search?: string }>(async (ctx, _args, options) => {
        const client = await ctx.client();
        const list = await client.listBrowserProfiles(options.search === undefined ? {} : { searchKey: options.search }, ctx.requestOptions);
        ctx.result(list, () =>
          printTable(
            ctx,
            list,
            [
              { header: 'profile', value: (profile) => profile.browserProfileId },
              { header: 'name', value: (profile) => profile.name, maxWidth: 40 },
              { header: 'cookies', value: (profile) => profile.cookieCount },
              { header: 'created', value: (profile) => formatTime(profile.createdAt) },
            ],
            'no profiles',
          ),
        );
      }),
    );
  profiles
    .command('get')
    .description('show a browser profile')
    .argument('<profile_id>', 'bp_…')
    .action(
      run(async (ctx, [id = '']) => {
        const client = await ctx.client();
        const profile = await client.getBrowserProfile(id, ctx.requestOptions);
        ctx.result(profile, () => printProfile(ctx, profile));
      }),
    );
  profiles
    .command('update')
    .description('rename a browser profile or change its description')
    .argument('<profile_id>', 'bp_…')
    .option('--name <name>', 'new name')
    .option('--description <text>', 'new description')
    .action(
      run<{ name?: string; description?: string }>(async (ctx, [id = ''], options) => {
        if (options.name === undefined && options.description === undefined) throw usageError('give --name or --description');
        const client = await ctx.client();
        const profile = await client.updateBrowserProfile(
          id,
          { ...(options.name === undefined ? {} : { name: options.name }), ...(options.description === undefined ? {} : { description: options.description }) },
          ctx.requestOptions,
        );
        ctx.result(profile, () => printProfile(ctx, profile));
      }),
    );
  profiles
    .command('delete')
    .description('delete a browser profile')
    .argument('<profile_id>', 'bp_…')
    .action(
      run(async (ctx, [id = '']) => {
        const client = await ctx.client();
        await client.deleteBrowserProfile(id, ctx.requestOptions);
        ctx.result({ deleted: id }, () => ctx.print(`deleted ${id}`));
      }),
    );
}
