import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

type Secret = { secret: string; created_at: string };

test('each organization has its own webhook secret; rotation replaces it', async () => {
  await using t = await createTestApp();
  const first = await t.call('/v1/webhooks/secret');
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('cache-control'), 'no-store');
  const secret = (await first.json()) as Secret;
  assert.match(secret.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(await (await t.call('/v1/webhooks/secret')).json(), secret, 'stable until rotated');
  const other = (await (await t.call('/v1/webhooks/secret', { key: t.otherApiKey })).json()) as Secret;
  assert.notEqual(other.secret, secret.secret);

  const rotated = await t.call('/v1/webhooks/secret/rotate', { method: 'POST' });
  assert.equal(rotated.status, 200);
  const next = (await rotated.json()) as Secret;
  assert.notEqual(next.secret, secret.secret);
  assert.deepEqual(await (await t.call('/v1/webhooks/secret')).json(), next);
  assert.deepEqual(await (await t.call('/v1/webhooks/secret', { key: t.otherApiKey })).json(), other, 'the other organization is untouched');
  assert.equal((await t.call('/v1/webhooks/secret/rotate', { method: 'POST', json: {} })).status, 200);
  assert.ok(!t.logs.text().includes(next.secret), 'secrets are not logged');
});

test('rotation takes no fields; both routes need a key', async () => {
  await using t = await createTestApp();
  const extra = await t.call('/v1/webhooks/secret/rotate', { method: 'POST', json: { secret: 'mine' } });
  assert.equal(extra.status, 422);
  assert.deepEqual(((await extra.json()) as { detail: { loc: unknown[] }[] }).detail[0]?.loc, ['body', 'secret']);
  assert.equal((await t.call('/v1/webhooks/secret', { key: null })).status, 403);
  assert.equal((await t.call('/v1/webhooks/secret/rotate', { method: 'POST', key: null })).status, 403);
});
