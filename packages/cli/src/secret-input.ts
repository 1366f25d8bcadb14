// Secrets (passwords, card numbers, TOTP seeds, API keys) never come from argv, where shell history
// and `ps` would keep them: they are read from a prompt that does not echo (on a terminal), or from
// stdin when the command is given `--stdin`. One secret takes all of stdin (one trailing newline
// dropped); several take one line each, in the order the command documents.
import { read } from 'read';
import type { CommandContext } from './cli-context.ts';
import { CliError, EXIT_CODES, usageError } from './cli-errors.ts';
import { readStdin } from './option-parsers.ts';

/** A secret to read. */
export type SecretPrompt = {
  /** What it is, for the prompt and errors (`password`, `card number`). */
  label: string;
  /** May be left empty. Default false. */
  optional?: boolean;
};

/** Reads the secrets: from stdin with `fromStdin`, else from a no-echo prompt on the terminal. */
export async function readSecrets(ctx: CommandContext, prompts: readonly SecretPrompt[], fromStdin: boolean): Promise<string[]> {
  if (fromStdin) {
    const input = await readStdin(ctx.io.stdin);
    const values = prompts.length === 1 ? [input.replace(/\r?\n$/, '')] : input.split(/\r?\n/).slice(0, prompts.length);
    return prompts.map((prompt, index) => {
      const value = values[index] ?? '';
      if (value === '' && prompt.optional !== true) {
        throw usageError(`no ${prompt.label} on stdin (${prompts.length === 1 ? 'it takes all of stdin' : `line ${index + 1} of ${prompts.map((p) => p.label).join(', ')}`})`);
      }
      return value;
    });
  }
  if (ctx.io.stdin.isTTY !== true || ctx.io.stderr.isTTY !== true) {
    throw usageError(`no terminal to ask for the ${prompts.map((prompt) => prompt.label).join(' and ')}: pipe ${prompts.length === 1 ? 'it' : 'them, one per line,'} with --stdin (secrets are never read from arguments)`);
  }
  const values: string[] = [];
  for (const prompt of prompts) {
    let value: string;
    try {
      value = await read({
        prompt: `${prompt.label}${prompt.optional === true ? ' (optional, Enter to skip)' : ''}: `,
        silent: true,
        replace: '',
        input: ctx.io.stdin,
        output: ctx.io.stderr as unknown as NodeJS.WritableStream,
      });
    } catch (error) {
      // `read` rejects with "canceled" on Ctrl-C.
      throw new CliError(EXIT_CODES.interrupted, 'interrupted', { code: 'INTERRUPTED', cause: error });
    } finally {
      // Nothing was echoed, the Enter key included: end the prompt's line.
      ctx.io.stderr.write('\n');
    }
    if (value === '' && prompt.optional !== true) throw usageError(`the ${prompt.label} is empty`);
    values.push(value);
  }
  return values;
}
