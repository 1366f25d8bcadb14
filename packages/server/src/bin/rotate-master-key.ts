// `node packages/server/src/bin/rotate-master-key.ts [--data-dir DIR] [--database-url URL]`:
// re-encrypts every stored secret under a new master key (the command until `petrel` has one).
// Stop the servers first; start them again afterwards. With a key file the new key replaces
// `master.key`; with PETREL_MASTER_KEY the new key is printed and must replace the variable.
import { join } from 'node:path';
import { isPetrelError } from '@petrel/protocol';
import { loadServerConfig } from '../config/server-config.ts';
import { openDatabase } from '../store/database.ts';
import { loadMasterKey } from '../vault/master-key.ts';
import { checkVaultKeys, rotateMasterKey } from '../vault/rotate-master-key.ts';
import { createVault } from '../vault/vault.ts';

try {
  const config = loadServerConfig(process.env, process.argv.slice(2));
  const loaded = loadMasterKey({ envKey: config.masterKey, dataDir: config.dataDir });
  const vault = createVault({ key: loaded.key, previousKeys: loaded.pendingKey === undefined ? [] : [loaded.pendingKey] });
  await using database = await openDatabase(
    config.databaseUrl === undefined ? { sqlitePath: join(config.dataDir, 'petrel.db') } : { postgresUrl: config.databaseUrl },
  );
  await database.migrate();
  await checkVaultKeys(database, vault);
  const result = await rotateMasterKey({ database, vault, ...(loaded.source === 'file' ? { dataDir: config.dataDir } : {}) });
  process.stdout.write(`Re-encrypted ${result.rewrapped} secret(s): ${result.previousKeyId} -> ${result.keyId}\n`);
  if (result.newKeyBase64 !== undefined) {
    process.stdout.write(`Set PETREL_MASTER_KEY to the new key before starting the server again:\n\n  ${result.newKeyBase64}\n\n`);
  } else {
    process.stdout.write(`The new key is in ${join(config.dataDir, 'master.key')}; back it up.\n`);
  }
} catch (error) {
  process.stderr.write(`rotate-master-key: ${isPetrelError(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}
