// Signed URLs (HMAC over resource, expiry and key id) and Range header parsing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { createUrlSigner, deriveUrlSigningKey, parseRange } from '@petrel/server';

test('a signed URL verifies for its resource until it expires, and for nothing else', () => {
  let now = 1_700_000_000_000;
  const signer = createUrlSigner({ key: randomBytes(32), baseUrl: () => 'https://petrel.example.com/', ttlSeconds: 60, now: () => now });
  const { url, expiresAt } = signer.signedUrl({ kind: 'artifact', id: 'a_1' });
  assert.equal(expiresAt.getTime(), now + 60_000);
  const parsed = new URL(url);
  assert.equal(parsed.origin + parsed.pathname, 'https://petrel.example.com/v1/artifacts/a_1/content');
  const signature = { expiry: parsed.searchParams.get('expiry')!, kid: parsed.searchParams.get('kid')!, sig: parsed.searchParams.get('sig')! };
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_1' }, signature), true);
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_2' }, signature), false);
  assert.equal(signer.verify({ kind: 'file', id: 'a_1' }, signature), false, 'the kind is signed too');
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_1' }, { ...signature, expiry: String(Number(signature.expiry) + 1) }), false);
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_1' }, { ...signature, kid: 'k000000000000' }), false);
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_1' }, { expiry: signature.expiry, kid: signature.kid }), false);
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_1' }, { ...signature, expiry: '1e9' }), false);
  const other = createUrlSigner({ key: randomBytes(32), baseUrl: () => 'x', now: () => now });
  assert.equal(other.verify({ kind: 'artifact', id: 'a_1' }, signature), false, 'another key does not verify it');
  now += 61_000;
  assert.equal(signer.verify({ kind: 'artifact', id: 'a_1' }, signature), false, 'expired');
  assert.match(signer.fileUrl('file_1'), /\/v1\/files\/file_1\/content\?expiry=\d+&kid=k[0-9a-f]{12}&sig=/);
});

test('the signing key derived from a master key is stable and differs per master key', () => {
  const master = randomBytes(32);
  assert.deepEqual(deriveUrlSigningKey(master), deriveUrlSigningKey(master));
  assert.notDeepEqual(deriveUrlSigningKey(master), deriveUrlSigningKey(randomBytes(32)));
  assert.notDeepEqual(deriveUrlSigningKey(master), master);
});

test('parseRange reads one byte range against a size', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=90-200', 100), { start: 90, end: 99 }, 'an end past the size is cut');
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-500', 100), { start: 0, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  assert.equal(parseRange(undefined, 100), undefined);
  assert.equal(parseRange('bytes=5-2', 100), undefined, 'an inverted range is ignored');
  assert.equal(parseRange('bytes=0-1,4-5', 100), undefined, 'several ranges are ignored');
  assert.equal(parseRange('items=0-1', 100), undefined);
  assert.equal(parseRange('bytes=-', 100), undefined);
});
