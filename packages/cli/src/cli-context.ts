// What every command gets: its streams and environment, the global options (`--json`, `--quiet`,
// `--api-key`, `--base-url`, `--config`), the resolved configuration, an SDK client built from it,
// and the output helpers. Results go to stdout (JSON with `--json`); notes, progress and errors go to
// stderr, so `petrel … --json | jq` always reads one JSON document.
import { homedir } from 'node:os';
import { styleText } from 'node:util';
import type { Petrel } from '@petrel/sdk';
import { configPaths, resolveConfig } from './cli-config.ts';
import type { ResolvedConfig } from './cli-config.ts';
import { CliError, EXIT_CODES, usageError } from './cli-errors.ts';

/** A writable stream as the CLI uses it. */
export type OutputStream = { write(chunk: string): boolean; isTTY?: boolean; columns?: number };
/** A readable stream as the CLI uses it (stdin). */
export type InputStream = NodeJS.ReadableStream & { isTTY?: boolean };

/** The process around a CLI invocation (the real one in main.ts; tests may pass their own). */
export type CliIo = {
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  /** The environment (only entry points read env). */
  env: Readonly<Record<string, string | undefined>>;
  /** The working directory. */
  cwd: string;
  /** The home directory (for the user config file). Default `os.homedir()`. */
  homedir?: string;
  /** Aborted on Ctrl-C: waits stop, servers shut down. */
  interrupt: AbortSignal;
};

/** Options every command accepts. */
export type GlobalOptions = {
  json: boolean;
  quiet: boolean;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  config: string | undefined;
  /** Print only this field of the result (`runId`, `output.total`, `0.runId`). */
  field: string | undefined;
};

/** A color or weight for `style`. */
export type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'gray' | 'bold' | 'dim';

/** True when `stream` should get colors: a terminal, and NO_COLOR unset. */
function wantsColor(stream: OutputStream, env: CliIo['env']): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined) return env['FORCE_COLOR'] !== '0';
  return stream.isTTY === true && env['TERM'] !== 'dumb';
}

/** The value at a dotted path of a result (numbers index arrays): text as it is, anything else as JSON. */
export function fieldOf(value: unknown, path: string): string {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object' || !(segment in current)) {
      throw usageError(`--field ${path}: the result has no "${segment}"${current !== null && typeof current === 'object' && !Array.isArray(current) ? ` (it has ${Object.keys(current).slice(0, 12).join(', ')})` : ''}`);
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return typeof current === 'string' ? current : JSON.stringify(current ?? null, null, 2);
}

/** The context of one command invocation. */
export class CommandContext {
  /** The streams and environment. */
  readonly io: CliIo;
  /** The global options. */
  readonly globals: GlobalOptions;
  /** The command as typed, without options (`runs get`), for error lines. */
  readonly commandPath: string;
  #config: ResolvedConfig | undefined;
  #client: Petrel | undefined;

  constructor(io: CliIo, globals: GlobalOptions, commandPath: string) {
    this.io = io;
    this.globals = globals;
    this.commandPath = commandPath;
  }

  /** The resolved configuration (flags, env, config files, defaults). */
  get config(): ResolvedConfig {
    if (this.#config === undefined) {
      const paths = configPaths(this.io.env, this.io.cwd, this.io.homedir ?? homedir(), this.globals.config);
      this.#config = resolveConfig({
        env: this.io.env,
        paths,
        flags: {
          api_key: this.globals.apiKey === undefined ? undefined : { value: this.globals.apiKey, flag: '--api-key' },
          base_url: this.globals.baseUrl === undefined ? undefined : { value: this.globals.baseUrl, flag: '--base-url' },
        },
      });
    }
    return this.#config;
  }

  /** The SDK client of the configured server; a usage error (exit 2) when there is no API key. */
  async client(): Promise<Petrel> {
    if (this.#client !== undefined) return this.#client;
    const apiKey = this.config.get('api_key');
    if (apiKey === undefined || apiKey.trim() === '') {
      throw usageError(
        'no API key: pass --api-key, set PETREL_API_KEY, or save one with `petrel config set api_key` (`petrel serve` prints one on its first start; `petrel keys create` makes more)',
      );
    }
    const baseUrl = this.config.get('base_url');
    const { Petrel: PetrelClient } = await import('@petrel/sdk');
    try {
      this.#client = new PetrelClient({ apiKey, ...(baseUrl === undefined ? {} : { baseUrl }), headers: { 'user-agent': 'petrel-cli' } });
    } catch (error) {
      throw usageError(error instanceof Error ? error.message.replace(/^new Petrel: /, '') : String(error));
    }
    return this.#client;
  }

  /** Request options of every API call: Ctrl-C aborts the call in flight. */
  get requestOptions(): { signal: AbortSignal } {
    return { signal: this.io.interrupt };
  }

  /** True when results are printed as JSON. */
  get json(): boolean {
    return this.globals.json;
  }

  /** Writes a line of the result to stdout. */
  print(line = ''): void {
    this.io.stdout.write(`${line}\n`);
  }

  /** Writes a note to stderr (not with `--quiet`). */
  note(line: string): void {
    if (!this.globals.quiet) this.io.stderr.write(`${line}\n`);
  }

  /** Prints a result: one field of it with `--field`, all of it as JSON with `--json`, otherwise what `human` prints. */
  result(value: unknown, human: () => void): void {
    if (this.globals.field !== undefined) this.print(fieldOf(value, this.globals.field));
    else if (this.json) this.print(JSON.stringify(value ?? null, null, 2));
    else human();
  }

  /** `text` in a color or weight on stdout, when stdout is a terminal (and NO_COLOR is unset). */
  style(text: string, style: Style): string {
    return wantsColor(this.io.stdout, this.io.env) ? styleText(style, text, { validateStream: false }) : text;
  }

  /** `text` styled for stderr. */
  styleErr(text: string, style: Style): string {
    return wantsColor(this.io.stderr, this.io.env) ? styleText(style, text, { validateStream: false }) : text;
  }

  /** Ends the command with `exitCode` after it printed its result (a failed run, a doctor problem). */
  fail(exitCode: CliError['exitCode'], message: string, code: string): never {
    throw new CliError(exitCode, message, { code });
  }

  /** Throws the interrupt as an error (exit 130) when Ctrl-C was pressed. */
  throwIfInterrupted(): void {
    if (this.io.interrupt.aborted) throw new CliError(EXIT_CODES.interrupted, 'interrupted', { code: 'INTERRUPTED' });
  }
}
