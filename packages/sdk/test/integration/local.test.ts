// Petrel.local(): an embedded server in this process, reached over HTTP, disposed with `await using`.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Petrel } from '@petrel/sdk';

test('Petrel.local() on a temporary data directory: works over HTTP, and disposing removes everything', async () => {
  let dataDir: string;
  let url: string;
  {
    await using petrel = await Petrel.local();
    ({ dataDir, url } = petrel.server);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(petrel.baseUrl, url);
    assert.ok(existsSync(join(dataDir, 'petrel.db')));
    const credential = await petrel.createCredential({ name: 'local', credentialType: 'secret', credential: { secretValue: 'v' } });
    assert.equal((await petrel.getCredential(credential.credentialId)).name, 'local');
    const health = await fetch(`${url}/healthz`);
    assert.equal(health.status, 200);
  }
  assert.equal(existsSync(dataDir), false);
  await assert.rejects(fetch(`${url}/healthz`));
});

test('Petrel.local({ dataDir }) keeps the data; a later start without a key gets a key of its own, revoked on close', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'petrel-sdk-local-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let bootstrapKey: string;
  {
    await using first = await Petrel.local({ dataDir });
    bootstrapKey = first.server.apiKey;
    await first.createCredential({ name: 'kept', credentialType: 'secret', credential: { secretValue: 'v' } });
  }
  assert.ok(existsSync(join(dataDir, 'petrel.db')));
  let secondKey: string;
  {
    await using second = await Petrel.local({ dataDir });
    secondKey = second.server.apiKey;
    assert.notEqual(secondKey, bootstrapKey);
    assert.deepEqual((await second.getCredentials()).map((c) => c.name), ['kept']);
  }
  {
    await using third = await Petrel.local({ dataDir, apiKey: bootstrapKey });
    const keys = await third.getApiKeys({ includeRevoked: true });
    const local = keys.filter((key) => key.name === 'sdk-local');
    assert.equal(local.length, 1);
    assert.equal(local[0]?.revoked, true);
    assert.equal(keys.filter((key) => !key.revoked).length, 1);
  }
});
