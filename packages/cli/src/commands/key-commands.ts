// `petrel keys create|list|revoke` (API keys, over the API) and `petrel keys rotate-master` (the
// vault's master key, on the database directly: stop servers and workers first).
import { join } from 'node:path';
import type { Command } from 'commander';
import type { ApiKey } from '@petrel/sdk';
import { usageError } from '../cli-errors.ts';
import type { ActionRunner } from '../cli-program.ts';
import { formatTime, printRecord, printTable } from '../output-format.ts';
import { loadConfigFor } from './server-commands.ts';

/** Registers `keys`. */
export function registerKeyCommands(program: Command, run: ActionRunner): void {
  const keys = program.command('keys').description('API keys of the organization, and the vault master key');
  keys
    .command('create')
    .description('create an API key; it is printed this once')
    .option('--name <name>', 'what the key is for', 'cli')
    .action(
      run<{ name: string }>(async (ctx, _args, options) => {
        const client = await ctx.client();
        const created = await client.createApiKey({ name: options.name }, ctx.requestOptions);
        ctx.result(created, () => {
          printRecord(ctx, [
            ['key id', created.keyId],
            ['name', created.name],
            ['api key', created.apiKey],
          ]);
          ctx.note('the key is shown this once: store it now (`petrel config set api_key` saves it for the CLI)');
        });
      }),
    );
  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--all', 'include revoked keys')
    .action(
      run<{ all?: boolean }>(async (ctx, _args, options) => {
        const client = await ctx.client();
        const list = await client.getApiKeys(options.all === true ? { includeRevoked: true } : {}, ctx.requestOptions);
        ctx.result(list, () =>
          printTable<ApiKey>(
            ctx,
            list,
            [
              { header: 'key id', value: (key) => key.keyId },
              { header: 'name', value: (key) => key.name, maxWidth: 40 },
              { header: 'prefix', value: (key) => `${key.keyPrefix}…` },
              { header: 'created', value: (key) => formatTime(key.createdAt) },
              { header: 'last used', value: (key) => formatTime(key.lastUsedAt) },
              { header: 'revoked', value: (key) => (key.revoked ? formatTime(key.revokedAt) : 'no') },
            ],
            'no keys',
          ),
        );
      }),
    );
  keys
    .command('revoke')
    .description('revoke an API key at once (not the last active one)')
    .argument('<key_id>', 'the key id from `petrel keys list`')
    .action(
      run(async (ctx, [keyId = '']) => {
        const client = await ctx.client();
        const revoked = await client.revokeApiKey(keyId, ctx.requestOptions);
        ctx.result(revoked, () => ctx.print(`revoked ${revoked.keyId} (${revoked.name})`));
      }),
    );
  keys
    .command('rotate-master')
    .description('re-encrypt every stored secret under a new vault master key (stop servers and workers first)')
    .option('--data-dir <dir>', 'data directory (default: PETREL_DATA_DIR or ./.petrel)')
    .option('--database-url <url>', 'PostgreSQL URL (default: PETREL_DATABASE_URL)')
    .option('--yes', 'confirm that every server and worker using this database is stopped')
    .action(
      run<{ dataDir?: string; databaseUrl?: string; yes?: boolean }>(async (ctx, _args, options) => {
        if (options.yes !== true) throw usageError('stop every server and worker of this database first, then run again with --yes');
        const config = await loadConfigFor(ctx, options);
        const server = await import('@petrel/server');
        const loaded = server.loadMasterKey({ envKey: config.masterKey, dataDir: config.dataDir });
        const vault = server.createVault({ key: loaded.key, previousKeys: loaded.pendingKey === undefined ? [] : [loaded.pendingKey] });
        await using database = await server.openDatabase(config.databaseUrl === undefined ? { sqlitePath: join(config.dataDir, 'petrel.db') } : { postgresUrl: config.databaseUrl });
        await database.migrate();
        await server.checkVaultKeys(database, vault);
        const result = await server.rotateMasterKey({ database, vault, ...(loaded.source === 'file' ? { dataDir: config.dataDir } : {}) });
        const keyFile = result.newKeyBase64 === undefined ? join(config.dataDir, server.MASTER_KEY_FILE) : null;
        ctx.result({ rewrapped: result.rewrapped, previousKeyId: result.previousKeyId, keyId: result.keyId, keyFile, newKey: result.newKeyBase64 ?? null }, () => {
          ctx.print(`re-encrypted ${result.rewrapped} secret(s): ${result.previousKeyId} -> ${result.keyId}`);
          if (result.newKeyBase64 !== undefined) {
            ctx.print('set PETREL_MASTER_KEY to the new key before starting the servers again:');
            ctx.print('');
            ctx.print(`  ${result.newKeyBase64}`);
            ctx.print('');
          } else {
            ctx.print(`the new key is in ${keyFile ?? ''}; back it up`);
          }
        });
      }),
    );
}
