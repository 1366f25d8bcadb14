// Master key rotation and the start-up check that the vault can read what the database holds.
// Rotation re-wraps the data key of every stored secret (credentials and webhook secrets of every
// organization: this is the one operation that is not scoped to an organization) in one
// transaction. With a key file it is crash-safe: the new key is written to `master.key.next` first,
// the rows are re-wrapped, then the file is renamed over `master.key`; a rotation cut short is
// resumed with the same next key. Run it with the servers stopped: a running server keeps the old
// key in memory and cannot read values wrapped under the new one until it restarts.
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PetrelError } from '@petrel/protocol';
import type { ServerDatabase } from '../store/database.ts';
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, readKeyFile, writeKeyFile } from './master-key.ts';
import { generateMasterKey, masterKeyId } from './vault.ts';
import type { Vault } from './vault.ts';

/** Options of `rotateMasterKey`. */
export type RotateMasterKeyOptions = {
  /** The database holding the secrets. */
  database: ServerDatabase;
  /** A vault that can decrypt every stored secret (the current key). */
  vault: Vault;
  /** Data directory of the key file; omit when the key comes from `PETREL_MASTER_KEY`. */
  dataDir?: string;
  /** The new key; default a fresh random one (or the pending `master.key.next`). */
  newKey?: Uint8Array;
};

/** The outcome of a rotation. */
export type RotateMasterKeyResult = {
  /** A vault with the new key current. */
  vault: Vault;
  /** Id of the new key. */
  keyId: string;
  /** Id of the key it replaced. */
  previousKeyId: string;
  /** How many stored secrets were re-wrapped. */
  rewrapped: number;
  /** The new key in base64 when it is not in a key file (the caller must store it in the environment). */
  newKeyBase64: string | undefined;
};

/** Re-encrypts every stored secret under a new master key, in one transaction. */
export async function rotateMasterKey(options: RotateMasterKeyOptions): Promise<RotateMasterKeyResult> {
  const { database } = options;
  let newKey: Uint8Array;
  let nextPath: string | undefined;
  if (options.dataDir !== undefined) {
    nextPath = join(options.dataDir, NEXT_MASTER_KEY_FILE);
    if (existsSync(nextPath)) {
      newKey = readKeyFile(nextPath);
    } else {
      newKey = options.newKey ?? generateMasterKey();
      writeKeyFile(nextPath, newKey);
    }
  } else {
    newKey = options.newKey ?? generateMasterKey();
  }
  const vault = options.vault.withNewKey(newKey);
  const keyId = masterKeyId(newKey);

  const rewrapped = await database.db.transaction().execute(async (trx) => {
    let count = 0;
    const credentials = await trx.selectFrom('credentials').select(['credential_id', 'secret_ciphertext']).execute();
    for (const row of credentials) {
      const next = vault.rewrap(row.secret_ciphertext);
      await trx
        .updateTable('credentials')
        .set({ secret_ciphertext: next, key_id: keyId })
        .where('credential_id', '=', row.credential_id)
        .execute();
      count++;
    }
    const secrets = await trx.selectFrom('webhook_secrets').select(['organization_id', 'secret_ciphertext']).execute();
    for (const row of secrets) {
      const next = vault.rewrap(row.secret_ciphertext);
      await trx
        .updateTable('webhook_secrets')
        .set({ secret_ciphertext: next, key_id: keyId })
        .where('organization_id', '=', row.organization_id)
        .execute();
      count++;
    }
    return count;
  });

  if (options.dataDir !== undefined && nextPath !== undefined) {
    renameSync(nextPath, join(options.dataDir, MASTER_KEY_FILE));
  }
  return {
    vault,
    keyId,
    previousKeyId: options.vault.keyId,
    rewrapped,
    newKeyBase64: options.dataDir === undefined ? Buffer.from(newKey).toString('base64') : undefined,
  };
}

/**
 * Checks at start-up that every master key the stored secrets name is in the vault's ring; throws
 * `INVALID_CONFIG` with the missing ids otherwise (a wrong `PETREL_MASTER_KEY` or a lost key file).
 */
export async function checkVaultKeys(database: ServerDatabase, vault: Vault): Promise<void> {
  const ids = new Set<string>();
  for (const row of await database.db.selectFrom('credentials').select('key_id').distinct().execute()) ids.add(row.key_id);
  for (const row of await database.db.selectFrom('webhook_secrets').select('key_id').distinct().execute()) ids.add(row.key_id);
  const missing = [...ids].filter((id) => !vault.keyIds.includes(id));
  if (missing.length > 0) {
    throw new PetrelError(
      'INVALID_CONFIG',
      `vault: stored secrets are encrypted under master key ${missing.join(', ')}, but this server has ${vault.keyIds.join(', ')}; ` +
        'set PETREL_MASTER_KEY (or restore master.key) to the key the data was written with',
    );
  }
}
