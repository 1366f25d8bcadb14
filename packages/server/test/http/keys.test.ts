import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

type Key = { key_id: string; name: string; key_prefix: string; revoked: boolean; revoked_at: string | null; last_used_at: string | null; organization_id: string };

test('create shows the key once; lists and gets never do; the new key authenticates', async () => {
  await using t = await createTestApp();
  const response = await t.call('/v1/keys', { method: 'POST', json: { name: 'ci' } });
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const created = (await response.json()) as Key & { api_key: string };
  assert.match(created.api_key, /^pk_[A-Za-z0-9_-]{43}$/);
  assert.match(created.key_id, /^oat_/);
  assert.equal(created.name, 'ci');
  assert.equal(created.organization_id, t.organizationId);
  assert.equal(created.key_prefix, created.api_key.slice(0, 9));
  assert.equal(created.revoked, false);

  const listText = await (await t.call('/v1/keys')).text();
  assert.ok(!listText.includes(created.api_key), 'lists never carry a secret');
  assert.ok(!listText.includes(t.apiKey));
  const listed = JSON.parse(listText) as Key[];
  assert.deepEqual(listed.map((k) => k.name), ['ci', 'bootstrap']);
  assert.ok(listed.every((k) => !('api_key' in k)));

  const single = await t.call(`/v1/keys/${created.key_id}`, { key: created.api_key });
  assert.equal(single.status, 200, 'the new key works');
  const fetched = (await single.json()) as Key;
  assert.ok(!('api_key' in fetched));
  assert.ok(fetched.last_used_at !== null, 'use is recorded');
});

test('revoke: immediate, idempotent, never the last active key, scoped to the organization', async () => {
  await using t = await createTestApp();
  const bootstrap = ((await (await t.call('/v1/keys')).json()) as Key[])[0]!;
  const lastKey = await t.call(`/v1/keys/${bootstrap.key_id}/revoke`, { method: 'POST' });
  assert.equal(lastKey.status, 409);
  assert.equal(((await lastKey.json()) as { code: string }).code, 'CONFLICT');

  const second = (await (await t.call('/v1/keys', { method: 'POST', json: { name: 'second' } })).json()) as Key & { api_key: string };
  const foreign = await t.call(`/v1/keys/${second.key_id}/revoke`, { method: 'POST', key: t.otherApiKey });
  assert.equal(foreign.status, 404);
  assert.equal((await t.call(`/v1/keys/${second.key_id}`, { key: t.otherApiKey })).status, 404);

  const revoked = await t.call(`/v1/keys/${bootstrap.key_id}/revoke`, { method: 'POST', key: second.api_key });
  assert.equal(revoked.status, 200);
  const body = (await revoked.json()) as Key;
  assert.equal(body.revoked, true);
  assert.ok(body.revoked_at);
  assert.equal((await t.call('/v1/keys')).status, 403, 'the revoked bootstrap key fails at once');
  const again = await t.call(`/v1/keys/${bootstrap.key_id}/revoke`, { method: 'POST', key: second.api_key });
  assert.equal(again.status, 200, 'revoking twice is fine');
  assert.equal(((await again.json()) as Key).revoked_at, body.revoked_at);

  const active = (await (await t.call('/v1/keys', { key: second.api_key })).json()) as Key[];
  assert.deepEqual(active.map((k) => k.name), ['second']);
  const all = (await (await t.call('/v1/keys?include_revoked=true', { key: second.api_key })).json()) as Key[];
  assert.deepEqual(all.map((k) => [k.name, k.revoked]), [['second', false], ['bootstrap', true]]);
});

test('key bodies are strict (our own route): unknown fields and bad names are 422', async () => {
  await using t = await createTestApp();
  const extra = await t.call('/v1/keys', { method: 'POST', json: { name: 'x', scopes: ['all'] } });
  assert.equal(extra.status, 422);
  assert.deepEqual(await extra.json(), {
    detail: [{ loc: ['body', 'scopes'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }],
    code: 'VALIDATION_FAILED',
  });
  const long = await t.call('/v1/keys', { method: 'POST', json: { name: 'x'.repeat(101) } });
  assert.equal(long.status, 422);
  assert.equal((await t.call('/v1/keys', { method: 'POST', json: {} })).status, 422);
  assert.equal((await t.call('/v1/keys', { key: null })).status, 403);
  assert.equal((await t.call('/v1/keys/oat_missing')).status, 404);
  assert.equal((await t.call('/v1/keys?include_revoked=maybe')).status, 422);
});
