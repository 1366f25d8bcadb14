// Exit codes and the one-line error messages of the `petrel` command. Every failure ends here:
// `describeError` turns what a command threw (an SDK error, a server `PetrelError`, a usage mistake,
// an interrupt) into an exit code and one readable line that names the command, the stable error
// code and the request id when there is one:
//   petrel: runs get: run wr_123 not found (NOT_FOUND, request req_01J…)
import { ApiError, ConnectionError, TimeoutError } from '@petrel/sdk';

/** The exit codes of `petrel`, documented in `petrel --help` and the README. */
export const EXIT_CODES = {
  /** The command did what it was asked (with `--wait`: the run completed). */
  ok: 0,
  /** A run finished `failed`, `terminated`, `canceled` or `timed_out` (with `--wait`, `runs watch`); `doctor` found a problem. */
  runNotCompleted: 1,
  /** Bad arguments, flags or configuration (nothing was sent). */
  usage: 2,
  /** The API refused the request (4xx: not found, invalid input, conflict, bad API key). */
  apiError: 3,
  /** The server failed (5xx) or could not be reached; or a local failure (database, port, browser). */
  unavailable: 4,
  /** Waiting ran out of time (`--timeout`), or a request got no answer in time. */
  timeout: 5,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** An exit code of `petrel`. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit code table as `petrel --help` prints it. */
export const EXIT_CODE_HELP = [
  'Exit codes:',
  '  0    success (with --wait: the run completed)',
  '  1    the run finished failed, terminated, canceled or timed_out; doctor found a problem',
  '  2    usage error: bad arguments, flags or configuration',
  '  3    the API refused the request (4xx: not found, invalid input, conflict, bad key)',
  '  4    the server failed (5xx) or could not be reached; a local failure',
  '  5    timed out waiting (--timeout) or waiting for an answer',
  '  130  interrupted (Ctrl-C)',
].join('\n');

/** An error the CLI raises itself, with its exit code and, optionally, a stable code. */
export class CliError extends Error {
  override name = 'CliError';
  /** The exit code to end with. */
  readonly exitCode: ExitCode;
  /** A stable code, when the error has one (`USAGE`, `RUN_FAILED`, ...). */
  readonly code: string | undefined;

  constructor(exitCode: ExitCode, message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = exitCode;
    this.code = options.code;
  }
}

/** A usage error (exit code 2). */
export function usageError(message: string): CliError {
  return new CliError(EXIT_CODES.usage, message, { code: 'USAGE' });
}

/** What a failure looks like to the user: exit code, message and the fields `--json` reports. */
export type DescribedError = {
  exitCode: ExitCode;
  /** The message without the `petrel: <command>:` prefix and the parenthesised code. */
  message: string;
  /** Stable error code (Petrel's `code`, or one of the CLI's). */
  code: string | undefined;
  /** HTTP status, for API errors. */
  statusCode: number | undefined;
  /** The server's request id, for API errors. */
  requestId: string | undefined;
  /** What to do about it, when the CLI knows. */
  hint: string | undefined;
};

type PetrelErrorLike = { name: string; code: string; message: string };

function isPetrelErrorLike(error: unknown): error is PetrelErrorLike {
  // Duck-typed: importing @petrel/protocol for `isPetrelError` would load its zod schemas on every command.
  return error instanceof Error && error.name === 'PetrelError' && typeof (error as { code?: unknown }).code === 'string';
}

function causeCode(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
    cause = cause.cause;
  }
  return undefined;
}

/** The SDK prefixes its messages with the method (`getRuns: cannot reach …`); the command name says it already. */
function withoutOperation(message: string): string {
  return message.replace(/^[a-z][A-Za-z]*: /, '');
}

function apiHint(error: ApiError): string | undefined {
  if (error.statusCode === 403 && (error.code === 'UNAUTHENTICATED' || error.code === undefined)) {
    return 'check the API key: --api-key, PETREL_API_KEY or `petrel config set api_key`';
  }
  return undefined;
}

/** Maps anything a command threw to its exit code and message. */
export function describeError(error: unknown): DescribedError {
  const base = { code: undefined, statusCode: undefined, requestId: undefined, hint: undefined };
  if (error instanceof CliError) return { ...base, exitCode: error.exitCode, message: error.message, code: error.code };
  if (error instanceof ApiError) {
    // The server prefixes its messages with the operation (`runs.get: run wr_1 not found`); the command line names it already.
    const message = error.detail?.replace(/^[a-z][a-z_]*(?:\.[a-zA-Z_]+)+: /, '') ?? `the server answered ${error.statusCode}`;
    return {
      exitCode: error.statusCode >= 500 ? EXIT_CODES.unavailable : EXIT_CODES.apiError,
      message,
      code: error.code ?? `HTTP_${error.statusCode}`,
      statusCode: error.statusCode,
      requestId: error.requestId,
      hint: apiHint(error),
    };
  }
  if (error instanceof TimeoutError) return { ...base, exitCode: EXIT_CODES.timeout, message: withoutOperation(error.message), code: 'TIMEOUT' };
  if (error instanceof ConnectionError) {
    return {
      ...base,
      exitCode: EXIT_CODES.unavailable,
      message: withoutOperation(error.message),
      code: causeCode(error) ?? 'CONNECTION_FAILED',
      hint: 'is `petrel serve` running there? Set the address with --base-url, PETREL_BASE_URL or `petrel config set base_url`',
    };
  }
  if (isPetrelErrorLike(error)) {
    return { ...base, exitCode: error.code === 'INVALID_CONFIG' ? EXIT_CODES.usage : EXIT_CODES.unavailable, message: error.message, code: error.code };
  }
  if (error instanceof Error) {
    const code = causeCode(error);
    return { ...base, exitCode: EXIT_CODES.unavailable, message: error.message, code };
  }
  return { ...base, exitCode: EXIT_CODES.unavailable, message: String(error) };
}

/** The one line printed on stderr: `petrel: <command>: <message> (<code>, request <id>)`, then the hint. */
export function formatErrorLine(commandPath: string, described: DescribedError): string {
  const tags = [described.code, described.requestId === undefined ? undefined : `request ${described.requestId}`].filter((tag) => tag !== undefined);
  const tagText = tags.length === 0 ? '' : ` (${tags.join(', ')})`;
  const prefix = commandPath === '' ? 'petrel' : `petrel: ${commandPath}`;
  const message = described.message.replace(/\s*\n\s*/g, ' ');
  return `${prefix}: ${message}${tagText}${described.hint === undefined ? '' : `; ${described.hint}`}`;
}
