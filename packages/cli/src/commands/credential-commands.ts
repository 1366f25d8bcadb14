// `petrel credentials create|list|get|delete`: credentials in the server's vault (encrypted; the API
// never returns a secret). The secret parts — password, TOTP seed, card number and CVV, secret value —
// are read from a prompt without echo, or from stdin with `--stdin` (one per line, in the order the
// help gives), never from arguments.
import type { Command } from 'commander';
import type { CreateCredentialRequest, CredentialResponse } from '@petrel/sdk';
import type { CommandContext } from '../cli-context.ts';
import { usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { parsePositiveInt } from '../option-parsers.ts';
import { formatTime, printRecord, printTable } from '../output-format.ts';
import { readSecrets } from '../secret-input.ts';

type CreateOptions = {
  name: string;
  type: string;
  username?: string;
  totp?: boolean;
  totpType?: string;
  totpIdentifier?: string;
  holder?: string;
  expMonth?: string;
  expYear?: string;
  brand?: string;
  label?: string;
  stdin?: boolean;
};

const TYPES = ['password', 'credit_card', 'secret'];

function dataField(data: Record<string, unknown>, key: string, fallback = ''): string {
  const value = data[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;
}

function summary(credential: CredentialResponse): string {
  const data = credential.credential as unknown as Record<string, unknown>;
  if (credential.credentialType === 'password') {
    const totpType = dataField(data, 'totpType', 'none');
    return `${dataField(data, 'username')}${totpType === 'none' ? '' : ` (2FA: ${totpType})`}`;
  }
  if (credential.credentialType === 'credit_card') return `${dataField(data, 'brand', 'card')} •••• ${dataField(data, 'lastFour')}`;
  return dataField(data, 'secretLabel', 'secret');
}

function printCredential(ctx: CommandContext, credential: CredentialResponse): void {
  printRecord(ctx, [
    ['credential', credential.credentialId],
    ['name', credential.name],
    ['type', credential.credentialType],
    ['holds', summary(credential)],
    ['created', formatTime(credential.createdAt)],
  ]);
}

async function buildRequest(ctx: CommandContext, options: CreateOptions): Promise<CreateCredentialRequest> {
  const fromStdin = options.stdin === true;
  switch (options.type) {
    case 'password': {
      if (options.username === undefined) throw usageError('--type password needs --username');
      const prompts = [{ label: 'password' }, ...(options.totp === true ? [{ label: 'TOTP secret (base32 or otpauth:// URI)' }] : [])];
      const [password = '', totp] = await readSecrets(ctx, prompts, fromStdin);
      const totpType = options.totpType ?? (options.totp === true ? 'authenticator' : undefined);
      return {
        name: options.name,
        credentialType: 'password',
        credential: {
          username: options.username,
          password,
          ...(totp === undefined ? {} : { totp }),
          ...(totpType === undefined ? {} : { totpType: totpType as 'authenticator' }),
          ...(options.totpIdentifier === undefined ? {} : { totpIdentifier: options.totpIdentifier }),
        },
      };
    }
    case 'credit_card': {
      const missing = (['holder', 'expMonth', 'expYear', 'brand'] as const).filter((field) => options[field] === undefined);
      if (missing.length > 0) throw usageError(`--type credit_card needs ${missing.map((field) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`);
      const [cardNumber = '', cardCvv = ''] = await readSecrets(ctx, [{ label: 'card number' }, { label: 'CVV' }], fromStdin);
      return {
        name: options.name,
        credentialType: 'credit_card',
        credential: {
          cardNumber: cardNumber.replace(/[\s-]/g, ''),
          cardCvv,
          cardHolderName: options.holder ?? '',
          cardExpMonth: options.expMonth ?? '',
          cardExpYear: options.expYear ?? '',
          cardBrand: options.brand ?? '',
        },
      };
    }
    case 'secret': {
      const [secretValue = ''] = await readSecrets(ctx, [{ label: 'secret value' }], fromStdin);
      return { name: options.name, credentialType: 'secret', credential: { secretValue, ...(options.label === undefined ? {} : { secretLabel: options.label }) } };
    }
    default:
      throw usageError(`--type ${options.type}: use ${TYPES.join(', ')}`);
  }
}

/** Registers `credentials`. */
export function registerCredentialCommands(program: Command, run: ActionRunner): void {
  const credentials = program.command('credentials').description('credentials in the vault (passwords with TOTP, cards, secrets); secrets are never shown');
  credentials
    .command('create')
    .description('store a credential; its secret parts are prompted for without echo, or read from stdin with --stdin')
    .requiredOption('--name <name>', 'credential name')
    .option('--type <type>', TYPES.join(', '), 'password')
    .option('--username <username>', 'password: the user name or email')
    .option('--totp', 'password: also ask for a TOTP secret (2FA codes are then generated from it)')
    .option('--totp-type <type>', 'password: authenticator, email, text or none')
    .option('--totp-identifier <id>', 'password: the email or phone 2FA codes are pushed for (`petrel totp send`)')
    .option('--holder <name>', 'credit_card: the card holder\'s name')
    .option('--exp-month <mm>', 'credit_card: expiry month')
    .option('--exp-year <yyyy>', 'credit_card: expiry year')
    .option('--brand <brand>', 'credit_card: visa, mastercard, …')
    .option('--label <label>', 'secret: a label for the value')
    .option('--stdin', 'read the secret parts from stdin, one per line: password [, TOTP secret] | card number, CVV | the secret value (all of stdin)')
    .addHelpText(
      'after',
      '\nExamples:\n  petrel credentials create --name portal --username me@example.com --totp      # prompts: password, TOTP secret\n  printf "%s\\n" "$PASSWORD" | petrel credentials create --name portal --username me@example.com --stdin\n  petrel credentials create --name api --type secret --label token --stdin < token.txt',
    )
    .action(
      run<CreateOptions>(async (ctx, _args, options) => {
        const request = await buildRequest(ctx, options);
        const client = await ctx.client();
        const created = await client.createCredential(request, ctx.requestOptions);
        ctx.result(created, () => printCredential(ctx, created));
      }),
    );
  credentials
    .command('list')
    .description('list credentials (secrets are never returned)')
    .option('--type <type>', `only this type: ${TYPES.join(', ')}`)
    .option('--search <text>', 'only credentials whose name contains this')
    .option('--page <n>', 'page number', parsePositiveInt)
    .option('--page-size <n>', 'credentials per page', parsePositiveInt)
    .action(
      run<{ type?: string; search?: string; page?: number; pageSize?: number }>(async (ctx, _args, options) => {
        const client = await ctx.client();
        const list = await client.getCredentials(
          {
            ...(options.type === undefined ? {} : { credentialType: options.type as 'password' }),
            ...(options.search === undefined ? {} : { search: options.search }),
            ...(options.page === undefined ? {} : { page: options.page }),
            ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
          },
          ctx.requestOptions,
        );
        ctx.result(list, () =>
          printTable(
            ctx,
            list,
            [
              { header: 'credential', value: (credential) => credential.credentialId },
              { header: 'name', value: (credential) => credential.name, maxWidth: 40 },
              { header: 'type', value: (credential) => credential.credentialType },
              { header: 'holds', value: (credential) => summary(credential), maxWidth: 50 },
              { header: 'created', value: (credential) => formatTime(credential.createdAt) },
            ],
            'no credentials',
          ),
        );
      }),
    );
  credentials
    .command('get')
    .description('show a credential (masked)')
    .argument('<credential_id>', 'cred_…')
    .action(
      run(async (ctx, [id = '']) => {
        const client = await ctx.client();
        const credential = await client.getCredential(id, ctx.requestOptions);
        ctx.result(credential, () => printCredential(ctx, credential));
      }),
    );
  credentials
    .command('delete')
    .description('delete a credential and its ciphertext')
    .argument('<credential_id>', 'cred_…')
    .action(
      run(async (ctx, [id = '']) => {
        const client = await ctx.client();
        await client.deleteCredential(id, ctx.requestOptions);
        ctx.result({ deleted: id }, () => ctx.print(`deleted ${id}`));
      }),
    );
}
