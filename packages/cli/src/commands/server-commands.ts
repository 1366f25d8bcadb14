// The commands that run Petrel itself: `serve` (the API, the engine, the scheduler), `worker` (the
// engine only, against the shared database) and `migrate`. They call @petrel/server in this process
// (loaded on demand, so client commands start fast) with the configuration `loadServerConfig` reads
// from flags, then the environment, then the config file's server settings. Logs (JSON) go to
// stderr; stdout gets the "running at" banner (one JSON line with `--json`). Ctrl-C or SIGTERM shut
// down gracefully; a second one exits at once.
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ServerConfig } from '@petrel/server';
import type { CommandContext } from '../cli-context.ts';
import { serverEnvironment } from '../cli-config.ts';
import type { ActionRunner } from '../cli-program.ts';

/** Server flags as `loadServerConfig` takes them (its own parser checks the values). */
type ServerFlagOptions = {
  port?: string;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  publicUrl?: string;
  outboundBlockPrivate?: boolean;
  logLevel?: string;
  workflows?: string;
  slots?: string;
  workerId?: string;
  metricsPort?: string;
};

const FLAG_NAMES: Record<keyof ServerFlagOptions, string> = {
  port: '--port',
  host: '--host',
  dataDir: '--data-dir',
  databaseUrl: '--database-url',
  publicUrl: '--public-url',
  outboundBlockPrivate: '--outbound-block-private',
  logLevel: '--log-level',
  workflows: '--workflows',
  slots: '--slots',
  workerId: '--worker-id',
  metricsPort: '--metrics-port',
};

function serverArgv(options: ServerFlagOptions): string[] {
  const argv: string[] = [];
  for (const [key, flag] of Object.entries(FLAG_NAMES) as Array<[keyof ServerFlagOptions, string]>) {
    const value = options[key];
    if (value === true) argv.push(flag);
    else if (typeof value === 'string') argv.push(flag, value);
  }
  return argv;
}

/** The server configuration of a server command: its flags, then the environment, then the config file. */
export async function loadConfigFor(ctx: CommandContext, options: ServerFlagOptions): Promise<ServerConfig> {
  const { loadServerConfig } = await import('@petrel/server');
  return loadServerConfig(serverEnvironment(ctx.io.env, ctx.config), serverArgv(options));
}

/** Adds the data location flags every server command takes. */
function withStorageOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory: SQLite file, master key, local files (default: PETREL_DATA_DIR or ./.petrel)')
    .option('--database-url <url>', 'PostgreSQL URL instead of SQLite (default: PETREL_DATABASE_URL)');
}

/** Resolves when the interrupt signal fires (Ctrl-C, SIGTERM). */
function untilInterrupted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function logDestination(ctx: CommandContext): NodeJS.WritableStream {
  // The real stderr in main.ts; a test's stream otherwise. pino needs only `write`.
  return ctx.io.stderr as unknown as NodeJS.WritableStream;
}

async function serve(ctx: CommandContext, options: ServerFlagOptions): Promise<void> {
  const config = await loadConfigFor(ctx, options);
  const { startServer, createServerLogger } = await import('@petrel/server');
  const server = await startServer({ config, logger: createServerLogger({ level: config.logLevel, destination: logDestination(ctx) }) });
  try {
    const bootstrap = server.bootstrap;
    if (ctx.json) {
      ctx.print(
        JSON.stringify({
          event: 'ready',
          url: server.url,
          port: server.port,
          dataDir: config.databaseUrl === undefined ? config.dataDir : null,
          database: server.database.dialect,
          organizationId: bootstrap?.organizationId ?? null,
          apiKey: bootstrap?.apiKey.api_key ?? null,
        }),
      );
    } else if (bootstrap !== undefined) {
      const key = bootstrap.apiKey.api_key;
      ctx.print(`Petrel is running at ${server.url} (API reference: ${server.url}/docs)`);
      ctx.print(`Organization ${bootstrap.organizationId} was created with this API key (shown once, store it now):`);
      ctx.print('');
      ctx.print(`  ${key}`);
      ctx.print('');
      ctx.print('Use it from the CLI (in another terminal):');
      ctx.print('  petrel config set api_key          # paste the key; it is not echoed');
      ctx.print(`  petrel config set base_url ${server.url}`);
      ctx.print('  petrel run task "Find the newest order" --url https://example.com --wait');
      ctx.print(`Workflows API (Cloudflare-shaped): ${server.url}/client/v4/accounts/${bootstrap.organizationId}/workflows`);
    } else {
      ctx.print(`Petrel is running at ${server.url} (API reference: ${server.url}/docs)`);
    }
    await untilInterrupted(ctx.io.interrupt);
    ctx.note('shutting down (press Ctrl-C again to exit at once)');
  } finally {
    await server.close();
  }
}

async function worker(ctx: CommandContext, options: ServerFlagOptions): Promise<void> {
  const config = await loadConfigFor(ctx, options);
  const { startWorker, createServerLogger } = await import('@petrel/server');
  const running = await startWorker({ config, logger: createServerLogger({ level: config.logLevel, destination: logDestination(ctx) }) });
  try {
    const engine = running.engine;
    const classes = engine.workflows.units.map((unit) => unit.className);
    if (ctx.json) {
      ctx.print(JSON.stringify({ event: 'ready', workerId: engine.workerId, slots: engine.slots, workflows: classes, metricsUrl: running.metricsUrl ?? null }));
    } else {
      ctx.print(
        `Petrel worker ${engine.workerId} is running ${engine.slots} slot(s) with ${classes.length} code workflow(s)${classes.length === 0 ? '' : ` (${classes.join(', ')})`}` +
          (running.metricsUrl === undefined ? '' : `; metrics at ${running.metricsUrl}/metrics`),
      );
    }
    await untilInterrupted(ctx.io.interrupt);
    ctx.note('stopping: no new work; runs in flight get the shutdown timeout (press Ctrl-C again to exit at once)');
  } finally {
    await running.close();
  }
}

async function migrate(ctx: CommandContext, options: ServerFlagOptions & { dryRun?: boolean }): Promise<void> {
  const config = await loadConfigFor(ctx, options);
  const { openDatabase, openEngineStore } = await import('@petrel/server');
  const location = config.databaseUrl === undefined ? join(config.dataDir, 'petrel.db') : 'PostgreSQL (PETREL_DATABASE_URL)';
  await using database = await openDatabase(config.databaseUrl === undefined ? { sqlitePath: join(config.dataDir, 'petrel.db') } : { postgresUrl: config.databaseUrl });
  const pending = await database.pendingMigrations();
  if (options.dryRun !== true) {
    await database.migrate();
    // The engine's tables have their own migrations, applied when its store opens.
    const store = await openEngineStore(config);
    await store.close();
  }
  const result = { database: database.dialect, location, dryRun: options.dryRun === true, pending: options.dryRun === true ? pending : [], applied: options.dryRun === true ? [] : pending };
  ctx.result(result, () => {
    if (options.dryRun === true) {
      ctx.print(pending.length === 0 ? `${location}: up to date` : `${location}: ${pending.length} migration(s) to apply: ${pending.join(', ')}`);
    } else {
      ctx.print(pending.length === 0 ? `${location}: already up to date (engine tables checked)` : `${location}: applied ${pending.length} migration(s): ${pending.join(', ')} (engine tables checked)`);
    }
  });
}

/** Registers `serve`, `worker` and `migrate`. */
export function registerServerCommands(program: Command, run: ActionRunner): void {
  withStorageOptions(
    program
      .command('serve')
      .description('run the Petrel server: HTTP API, workflow engine, scheduler (first start: creates an organization and prints its API key)')
      .option('--port <port>', 'port to listen on; 0 picks a free one (default: PETREL_PORT or 8000)')
      .option('--host <host>', 'interface to listen on (default: PETREL_HOST or 127.0.0.1)')
      .option('--public-url <url>', 'URL clients reach the server at, for links (default: http://<host>:<port>)')
      .option('--workflows <dir>', 'directory of code workflows to load (default: PETREL_WORKFLOWS_DIR)')
      .option('--slots <n>', 'workflow instances this process runs at once; 0 = API only (default: 10)')
      .option('--worker-id <id>', 'stable worker id, so a restart takes its instances back at once'),
  )
    .option('--outbound-block-private', 'refuse webhooks and HTTP blocks to private and loopback addresses')
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (default: info)')
    .addHelpText('after', '\nExamples:\n  petrel serve\n  petrel serve --port 9000 --workflows ./workflows\n  PETREL_DATABASE_URL=postgres://… petrel serve --slots 0   # API only; workers run the instances')
    .action(run<ServerFlagOptions>(async (ctx, _args, options) => serve(ctx, options)));

  withStorageOptions(
    program
      .command('worker')
      .description('run workflow instances from the shared database, with no HTTP API (scale out next to `petrel serve`)')
      .option('--workflows <dir>', 'directory of code workflows to load (default: PETREL_WORKFLOWS_DIR)')
      .option('--slots <n>', 'instances run at once (default: 10)')
      .option('--worker-id <id>', 'stable worker id, so a restart takes its instances back at once')
      .option('--metrics-port <port>', 'serve /healthz, /readyz and /metrics on this port'),
  )
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (default: info)')
    .addHelpText('after', '\nExamples:\n  PETREL_DATABASE_URL=postgres://… petrel worker --workflows ./workflows --slots 5')
    .action(run<ServerFlagOptions>(async (ctx, _args, options) => worker(ctx, options)));

  withStorageOptions(program.command('migrate').description('apply pending database migrations (the server also applies them when it starts)'))
    .option('--dry-run', 'only list the migrations that would be applied')
    .action(run<ServerFlagOptions & { dryRun?: boolean }>(async (ctx, _args, options) => migrate(ctx, options)));
}
