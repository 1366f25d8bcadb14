// The `petrel` program: commander with help on every command, "did you mean" suggestions, usage
// errors as exit code 2, and one place (`runCli`) that turns whatever a command throws into one
// readable line on stderr (a JSON object with `--json`) and an exit code.
import { Command, CommanderError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { CommandContext } from './cli-context.ts';
import type { CliIo, GlobalOptions } from './cli-context.ts';
import { CliError, EXIT_CODES, EXIT_CODE_HELP, describeError, formatErrorLine } from './cli-errors.ts';
import { registerConfigCommands } from './commands/config-commands.ts';
import { registerCredentialCommands } from './commands/credential-commands.ts';
import { registerDoctorCommand } from './commands/doctor-command.ts';
import { registerFileCommands } from './commands/file-commands.ts';
import { registerKeyCommands } from './commands/key-commands.ts';
import { registerBrowserCommands } from './commands/browser-commands.ts';
import { registerRunTaskCommands } from './commands/run-commands.ts';
import { registerRunsCommands } from './commands/runs-commands.ts';
import { registerServerCommands } from './commands/server-commands.ts';
import { registerTotpCommands } from './commands/totp-commands.ts';
import { registerWorkflowCommands } from './commands/workflow-commands.ts';

/** Runs a command's handler with its context; every command's `.action()` goes through one. */
// oxlint-disable-next-line typescript/no-unnecessary-type-parameters -- each command names the shape of its options here.
export type ActionRunner = <Options>(handler: (ctx: CommandContext, args: string[], options: Options) => Promise<void>) => (...params: unknown[]) => Promise<void>;

const MORE_HELP = [
  '',
  'Configuration: flags, then environment variables, then a config file, then defaults.',
  '  PETREL_API_KEY / --api-key / api_key        API key of client commands',
  '  PETREL_BASE_URL / --base-url / base_url     server address (default http://127.0.0.1:8000)',
  '  config files: --config FILE (or PETREL_CONFIG), else ./petrel.config.json over ~/.config/petrel/config.json',
  '  `petrel config` prints the resolved settings and where each came from; server settings (PETREL_*) work there too.',
  '',
  'Output: results on stdout (--json: one JSON document, the SDK objects in camelCase; --field runId: one value);',
  'progress, notes and errors on stderr (--json: errors as {"error": {...}}).',
  '',
  EXIT_CODE_HELP,
].join('\n');

function commandPathOf(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}

/** Builds the program; `onContext` learns the context of the command that runs (for error lines). */
export function createProgram(io: CliIo, onContext: (ctx: CommandContext) => void): Command {
  const program = new Command('petrel');
  program
    .description('Petrel: durable workflows that drive real browsers. Run the server, start tasks and workflows, watch runs.')
    .version(packageJson.version, '-V, --version', 'print the version')
    .option('--json', 'print results as JSON on stdout (errors as JSON on stderr)', false)
    .option('-q, --quiet', 'no progress lines or notes on stderr', false)
    .option('--api-key <key>', 'API key (default: PETREL_API_KEY, then the config file)')
    .option('--base-url <url>', 'server address (default: PETREL_BASE_URL, the config file, http://127.0.0.1:8000)')
    .option('--config <file>', 'config file to use instead of ./petrel.config.json and ~/.config/petrel/config.json')
    .option('--field <path>', 'print only this field of the result, for scripts (runId, output.total, 0.runId)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
      // Commander's errors as the CLI's: one line, prefixed, pointing at --help.
      outputError: (text, write) => {
        const line = text.trim().replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
        write(`petrel: ${line}; see --help\n`);
      },
    })
    .exitOverride()
    .showSuggestionAfterError(true)
    .allowExcessArguments(false)
    .addHelpText('after', MORE_HELP);

  const run: ActionRunner = (handler) => async (...params) => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const ctx = new CommandContext(
      io,
      { json: globals.json, quiet: globals.quiet, apiKey: globals.apiKey, baseUrl: globals.baseUrl, config: globals.config, field: globals.field },
      commandPathOf(command),
    );
    onContext(ctx);
    // Commander passes the positional arguments (a variadic one as an array), then the options and the command.
    const args = params
      .slice(0, -2)
      .flatMap((value): string[] => (Array.isArray(value) ? (value as string[]) : typeof value === 'string' || typeof value === 'number' ? [String(value)] : []));
    await handler(ctx, args, command.opts() as Parameters<typeof handler>[2]);
  };

  registerServerCommands(program, run);
  registerDoctorCommand(program, run);
  registerConfigCommands(program, run);
  registerRunTaskCommands(program, run);
  registerWorkflowCommands(program, run);
  registerRunsCommands(program, run);
  registerFileCommands(program, run);
  registerBrowserCommands(program, run);
  registerCredentialCommands(program, run);
  registerTotpCommands(program, run);
  registerKeyCommands(program, run);
  return program;
}

/** Runs `petrel` with `argv` (the arguments after the program name); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let ctx: CommandContext | undefined;
  const program = createProgram(io, (created) => {
    ctx = created;
  });
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version were asked for; anything else commander reports is a usage error (already printed).
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_CODES.ok : EXIT_CODES.usage;
    }
    const interrupted = io.interrupt.aborted && !(error instanceof CliError && error.exitCode !== EXIT_CODES.interrupted);
    const described = interrupted
      ? { ...describeError(new CliError(EXIT_CODES.interrupted, 'interrupted', { code: 'INTERRUPTED' })) }
      : describeError(error);
    const current: CommandContext | undefined = ctx;
    const json = current?.json ?? wantsJson;
    if (json) {
      const { exitCode, message, code, statusCode, requestId, hint } = described;
      io.stderr.write(`${JSON.stringify({ error: { message, code: code ?? null, exitCode, statusCode: statusCode ?? null, requestId: requestId ?? null, hint: hint ?? null } })}\n`);
    } else {
      io.stderr.write(`${formatErrorLine(current?.commandPath ?? '', described)}\n`);
    }
    return described.exitCode;
  }
}
