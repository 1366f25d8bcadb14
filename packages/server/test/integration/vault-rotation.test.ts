// Master key rotation against a real database (SQLite and PostgreSQL) and a real key file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { newId } from '@petrel/protocol';
import {
  checkVaultKeys,
  createCredential,
  createOrganization,
  createServerStore,
  createVault,
  generateMasterKey,
  getWebhookSecret,
  loadMasterKey,
  masterKeyId,
  revealCredentialSecret,
  rotateMasterKey,
} from '@petrel/server';
import { DIALECTS } from '../helpers/databases.ts';

const NOW = new Date('2026-04-01T00:00:00Z');

for (const dialect of DIALECTS) {
  const skip = await dialect.skip();
  describe(`master key rotation on ${dialect.name}`, { skip }, () => {
    test('rotation re-wraps every secret under a new key file; the old key can no longer read the data', async (t) => {
      await using database = await dialect.open();
      const dataDir = mkdtempSync(join(tmpdir(), 'petrel-rotate-'));
      t.after(() => rmSync(dataDir, { recursive: true, force: true }));
      const store = createServerStore(database);
      const loaded = loadMasterKey({ dataDir });
      const oldVault = createVault({ key: loaded.key });
      const orgs = [
        await createOrganization(store, oldVault, { name: 'a', keyName: 'k', now: NOW }),
        await createOrganization(store, oldVault, { name: 'b', keyName: 'k', now: NOW }),
      ];
      const created = [];
      for (const org of orgs) {
        created.push({
          org: org.organizationId,
          id: (await createCredential(store, oldVault, org.organizationId, { name: 'pw', credential_type: 'password', credential: { username: 'u', password: `pw-${org.name}`, totp_type: 'none' }, rotate_proxy_session_id: false }, NOW)).credential_id,
          password: `pw-${org.name}`,
        });
      }
      const secretsBefore = await Promise.all(orgs.map((org) => getWebhookSecret(store, oldVault, org.organizationId, NOW)));

      const result = await rotateMasterKey({ database, vault: oldVault, dataDir });
      assert.equal(result.rewrapped, 4, 'two credentials and two webhook secrets');
      assert.equal(result.previousKeyId, oldVault.keyId);
      assert.notEqual(result.keyId, oldVault.keyId);
      assert.equal(result.newKeyBase64, undefined, 'the key went to the file');
      assert.ok(!existsSync(join(dataDir, 'master.key.next')));
      const reloaded = loadMasterKey({ dataDir });
      assert.equal(masterKeyId(reloaded.key), result.keyId, 'master.key holds the new key');

      const newVault = createVault({ key: reloaded.key });
      await checkVaultKeys(database, newVault);
      for (const entry of created) {
        const secret = await revealCredentialSecret(store, newVault, entry.org, entry.id);
        assert.equal(secret.credential_type === 'password' ? secret.password : undefined, entry.password);
      }
      const secretsAfter = await Promise.all(orgs.map((org) => getWebhookSecret(store, newVault, org.organizationId, NOW)));
      assert.deepEqual(secretsAfter, secretsBefore, 'values are unchanged');
      await assert.rejects(checkVaultKeys(database, oldVault), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'INVALID_CONFIG');
        assert.match(error.message, new RegExp(result.keyId));
        return true;
      });
      await assert.rejects(revealCredentialSecret(store, oldVault, created[0]!.org, created[0]!.id), { code: 'INVALID_CONFIG' });
    });

    test('a failing row rolls the whole rotation back, and the next run resumes with the same next key', async (t) => {
      await using database = await dialect.open();
      const dataDir = mkdtempSync(join(tmpdir(), 'petrel-rotate-'));
      t.after(() => rmSync(dataDir, { recursive: true, force: true }));
      const store = createServerStore(database);
      const vault = createVault({ key: loadMasterKey({ dataDir }).key });
      const org = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: NOW });
      const good = await createCredential(store, vault, org.organizationId, { name: 'ok', credential_type: 'secret', credential: { secret_value: 'v1' }, rotate_proxy_session_id: false }, NOW);
      // A row under a key nobody has: rotation cannot re-wrap it.
      const stranger = createVault({ key: generateMasterKey() });
      const orphanId = newId('credential');
      await store.credentials.insert({
        credential_id: orphanId,
        organization_id: org.organizationId,
        name: 'orphan',
        credential_type: 'secret',
        vault_type: 'skyvern',
        public_data: '{"secret_label":null}',
        secret_ciphertext: stranger.encrypt('{}', 'x'),
        key_id: stranger.keyId,
        extra: '{}',
        created_at: NOW.toISOString(),
        modified_at: NOW.toISOString(),
      });
      await assert.rejects(rotateMasterKey({ database, vault, dataDir }), { code: 'INVALID_CONFIG' });
      const row = await store.credentials.find(org.organizationId, good.credential_id);
      assert.equal(row?.key_id, vault.keyId, 'nothing was re-wrapped');
      assert.ok(existsSync(join(dataDir, 'master.key.next')), 'the next key is kept for the retry');
      const pending = loadMasterKey({ dataDir });
      assert.ok(pending.pendingKey, 'start-up sees the unfinished rotation');

      await store.credentials.delete(org.organizationId, orphanId);
      const result = await rotateMasterKey({ database, vault, dataDir });
      assert.equal(result.keyId, masterKeyId(pending.pendingKey), 'resumed with the same next key');
      const secret = await revealCredentialSecret(store, createVault({ key: loadMasterKey({ dataDir }).key }), org.organizationId, good.credential_id);
      assert.equal(secret.credential_type === 'secret' ? secret.secret_value : undefined, 'v1');
    });

    test('with an environment key, rotation returns the new key for the operator to store', async () => {
      await using database = await dialect.open();
      const store = createServerStore(database);
      const vault = createVault({ key: generateMasterKey() });
      const org = await createOrganization(store, vault, { name: 'a', keyName: 'k', now: NOW });
      const result = await rotateMasterKey({ database, vault });
      assert.ok(result.newKeyBase64);
      const fresh = createVault({ key: Buffer.from(result.newKeyBase64, 'base64') });
      await checkVaultKeys(database, fresh);
      assert.match((await getWebhookSecret(store, fresh, org.organizationId, NOW)).secret, /^whsec_/);
    });
  });
}
