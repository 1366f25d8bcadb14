import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

const body = (name: string) => ({ name, credential_type: 'secret', credential: { secret_value: 'v' } });

test('the same key and body replays the first answer and creates one credential', async () => {
  await using t = await createTestApp();
  const send = (json: unknown, key = 'idem-1', apiKey?: string) =>
    t.call('/v1/credentials', { method: 'POST', json, headers: { 'Idempotency-Key': key }, ...(apiKey === undefined ? {} : { key: apiKey }) });
  const first = await send(body('A'));
  assert.equal(first.status, 201);
  const firstBody = await first.text();
  assert.equal(first.headers.get('idempotent-replayed'), null);

  const replay = await send({ credential: { secret_value: 'v' }, credential_type: 'secret', name: 'A' });
  assert.equal(replay.status, 201, 'key order does not matter');
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.match(replay.headers.get('x-request-id') ?? '', /^req_/, 'replays carry their own request id');
  assert.equal(await replay.text(), firstBody);
  assert.equal(((await (await t.call('/v1/credentials')).json()) as unknown[]).length, 1);

  const conflict = await send(body('B'));
  assert.equal(conflict.status, 409);
  assert.equal(((await conflict.json()) as { code: string }).code, 'IDEMPOTENCY_KEY_REUSED');

  const otherOrg = await send(body('B'), 'idem-1', t.otherApiKey);
  assert.equal(otherOrg.status, 201, 'keys are per organization');

  const otherRoute = await t.call('/v1/credentials/totp', {
    method: 'POST',
    json: { totp_identifier: 'a', content: '123456' },
    headers: { 'Idempotency-Key': 'idem-1' },
  });
  assert.equal(otherRoute.status, 200, 'and per route');

  assert.equal((await send(body('C'), 'idem-2')).status, 201);
  assert.equal((await t.call('/v1/credentials', { method: 'POST', json: body('C') })).status, 201, 'no key: no replay');
  assert.equal(((await (await t.call('/v1/credentials')).json()) as unknown[]).length, 3);
});

test('failed requests are not stored, so the key can be retried', async () => {
  await using t = await createTestApp();
  const send = (json: unknown) => t.call('/v1/credentials', { method: 'POST', json, headers: { 'Idempotency-Key': 'retry-me' } });
  const invalid = await send({ name: 'A', credential_type: 'secret', credential: {} });
  assert.equal(invalid.status, 422);
  const fixed = await send(body('A'));
  assert.equal(fixed.status, 201, 'a different body is fine after a failure');
  assert.equal((await send(body('A'))).headers.get('idempotent-replayed'), 'true');
});

test('answers are replayed for 24 hours', async () => {
  let now = new Date('2026-05-01T00:00:00Z');
  await using t = await createTestApp({ now: () => now });
  const send = () => t.call('/v1/credentials', { method: 'POST', json: body('A'), headers: { 'Idempotency-Key': 'day' } });
  const first = (await (await send()).json()) as { credential_id: string };
  now = new Date('2026-05-01T23:59:00Z');
  assert.equal(((await (await send()).json()) as { credential_id: string }).credential_id, first.credential_id);
  now = new Date('2026-05-02T00:00:01Z');
  const later = await send();
  assert.equal(later.headers.get('idempotent-replayed'), null);
  assert.notEqual(((await later.json()) as { credential_id: string }).credential_id, first.credential_id, 'expired: a new create');
});

test('bad keys are refused', async () => {
  await using t = await createTestApp();
  for (const key of ['has space', 'x'.repeat(256), 'naïve']) {
    const response = await t.call('/v1/credentials', { method: 'POST', json: body('A'), headers: { 'Idempotency-Key': key } });
    assert.equal(response.status, 400, key);
  }
});
