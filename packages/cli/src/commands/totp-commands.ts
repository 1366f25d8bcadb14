// `petrel totp send`: push a 2FA code (or the whole email or SMS that holds it) for runs waiting on a
// TOTP identifier; a run paused for it continues at once.
import type { Command } from 'commander';
import type { ActionRunner } from '../cli-program.ts';
import { usageError } from '../cli-errors.ts';
import { readStdin } from '../option-parsers.ts';
import { formatTime, printRecord } from '../output-format.ts';

/** Registers `totp`. */
export function registerTotpCommands(program: Command, run: ActionRunner): void {
  const totp = program.command('totp').description('2FA codes for runs that wait for one');
  totp
    .command('send')
    .description('push a code, or the email/SMS text that holds it (the code is extracted), for runs waiting on an identifier')
    .requiredOption('--identifier <id>', 'the TOTP identifier runs wait on (an email address, a phone number, …)')
    .argument('[content]', 'the code or message; leave out and pass --stdin to read it from stdin')
    .option('--stdin', 'read the content from stdin (e.g. a whole email)')
    .option('--run <run_id>', 'only for this run')
    .option('--source <source>', 'where it came from (email, sms, …)')
    .addHelpText('after', '\nExamples:\n  petrel totp send --identifier ops@example.com 123456\n  petrel totp send --identifier ops@example.com --stdin < message.eml')
    .action(
      run<{ identifier: string; stdin?: boolean; run?: string; source?: string }>(async (ctx, [content], options) => {
        if ((content === undefined) === (options.stdin !== true)) throw usageError('give the content as an argument or with --stdin (one of them)');
        const text = content ?? (await readStdin(ctx.io.stdin)).trim();
        if (text === '') throw usageError('the content is empty');
        const client = await ctx.client();
        const sent = await client.sendTotpCode(
          {
            totpIdentifier: options.identifier,
            content: text,
            ...(options.run === undefined ? {} : options.run.startsWith('wr_') ? { workflowRunId: options.run } : { taskId: options.run }),
            ...(options.source === undefined ? {} : { source: options.source }),
          },
          ctx.requestOptions,
        );
        ctx.result(sent, () =>
          printRecord(ctx, [
            ['code', sent.code],
            ['type', sent.otpType],
            ['identifier', sent.totpIdentifier],
            ['expires', formatTime(sent.expiredAt)],
          ]),
        );
      }),
    );
}
