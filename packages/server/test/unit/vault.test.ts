import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createVault, generateMasterKey, loadMasterKey, masterKeyId, parseMasterKey } from '@petrel/server';

const CANARY = 'canary-Secret-4f1e2d';

test('encrypt/decrypt round-trips; each ciphertext is fresh and names its master key', () => {
  const key = generateMasterKey();
  const vault = createVault({ key });
  const a = vault.encrypt(CANARY, 'credential:o_1:cred_1');
  const b = vault.encrypt(CANARY, 'credential:o_1:cred_1');
  assert.notEqual(a, b, 'a random data key and IV per value');
  assert.ok(!a.includes(CANARY));
  assert.ok(!Buffer.from(a.split('.')[3] ?? '', 'base64url').toString('latin1').includes(CANARY));
  assert.equal(vault.decrypt(a, 'credential:o_1:cred_1'), CANARY);
  assert.equal(vault.decrypt(b, 'credential:o_1:cred_1'), CANARY);
  assert.match(a, /^pv1\.mk_[0-9a-f]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  assert.equal(vault.keyIdOf(a), masterKeyId(key));
  assert.equal(vault.keyId, masterKeyId(key));
  assert.equal(vault.decrypt(vault.encrypt('', 'c'), 'c'), '', 'empty values work');
  const unicode = 'pässwörd-🔑';
  assert.equal(vault.decrypt(vault.encrypt(unicode, 'c'), 'c'), unicode);
});

test('a ciphertext only decrypts under its context and unmodified', () => {
  const vault = createVault({ key: generateMasterKey() });
  const sealed = vault.encrypt(CANARY, 'credential:o_1:cred_1');
  assert.throws(() => vault.decrypt(sealed, 'credential:o_2:cred_1'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INTERNAL');
    assert.ok(!error.message.includes(CANARY));
    return true;
  });
  const parts = sealed.split('.');
  const body = Buffer.from(parts[3]!, 'base64url');
  body[body.length - 1]! ^= 1;
  const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.');
  assert.throws(() => vault.decrypt(tampered, 'credential:o_1:cred_1'), { code: 'INTERNAL' });
  assert.throws(() => vault.decrypt('not-a-ciphertext', 'x'), { code: 'INTERNAL' });
});

test('another master key cannot decrypt; rewrap moves a value to the new key without changing it', () => {
  const oldKey = generateMasterKey();
  const newKey = generateMasterKey();
  const oldVault = createVault({ key: oldKey });
  const sealed = oldVault.encrypt(CANARY, 'ctx');
  assert.throws(() => createVault({ key: newKey }).decrypt(sealed, 'ctx'), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.match(error.message, new RegExp(masterKeyId(oldKey)));
    return true;
  });
  const rotated = oldVault.withNewKey(newKey);
  assert.equal(rotated.keyId, masterKeyId(newKey));
  assert.deepEqual([...rotated.keyIds].sort(), [masterKeyId(oldKey), masterKeyId(newKey)].sort());
  const moved = rotated.rewrap(sealed);
  assert.equal(rotated.keyIdOf(moved), masterKeyId(newKey));
  assert.equal(moved.split('.')[3], sealed.split('.')[3], 'the sealed value is untouched');
  assert.equal(createVault({ key: newKey }).decrypt(moved, 'ctx'), CANARY, 'the new key alone decrypts it');
  assert.equal(rotated.rewrap(moved), moved, 'rewrapping under the current key is a no-op');
  assert.equal(createVault({ key: newKey, previousKeys: [oldKey] }).decrypt(sealed, 'ctx'), CANARY);
});

test('parseMasterKey wants 32 bytes of base64 and never echoes the value', () => {
  const key = generateMasterKey();
  assert.deepEqual(parseMasterKey(key.toString('base64'), 'env'), key);
  assert.deepEqual(parseMasterKey(`${key.toString('base64url')}\n`, 'env'), key);
  for (const bad of ['', 'short', Buffer.alloc(16).toString('base64'), `${key.toString('base64')}AAAA`, 'not base64 at all!!']) {
    assert.throws(() => parseMasterKey(bad, 'PETREL_MASTER_KEY'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, /PETREL_MASTER_KEY must be 32 bytes/);
      if (bad.length > 4) assert.ok(!error.message.includes(bad));
      return true;
    });
  }
});

test('loadMasterKey creates master.key with mode 0600 once, reuses it, and refuses a looser mode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-vault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = loadMasterKey({ dataDir: join(dir, 'data') });
  assert.equal(first.created, true);
  assert.equal(first.source, 'file');
  assert.equal(statSync(first.path!).mode & 0o777, 0o600);
  assert.equal(readFileSync(first.path!, 'utf8').trim(), first.key.toString('base64'));
  const second = loadMasterKey({ dataDir: join(dir, 'data') });
  assert.equal(second.created, false);
  assert.deepEqual(second.key, first.key);

  chmodSync(first.path!, 0o644);
  assert.throws(() => loadMasterKey({ dataDir: join(dir, 'data') }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'INVALID_CONFIG');
    assert.match(error.message, /mode 644/);
    assert.match(error.message, /chmod 600/);
    return true;
  });
  chmodSync(first.path!, 0o600);
  writeFileSync(first.path!, 'garbage\n');
  assert.throws(() => loadMasterKey({ dataDir: join(dir, 'data') }), { code: 'INVALID_CONFIG' });
});

test('an environment key wins and touches no file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-vault-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = generateMasterKey();
  const loaded = loadMasterKey({ envKey: key.toString('base64'), dataDir: join(dir, 'never') });
  assert.equal(loaded.source, 'env');
  assert.deepEqual(loaded.key, key);
  assert.throws(() => statSync(join(dir, 'never')), { code: 'ENOENT' });
});
