import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findPushedTotpCode } from '@petrel/server';
import { createTestApp } from '../helpers/test-app.ts';

type Code = { totp_code_id: string; code: string; otp_type: string; organization_id: string; expired_at: string; totp_identifier: string; content: string; source: string | null; workflow_run_id: string | null };

test('a pushed email is parsed, stored and found by the agent-side lookup', async () => {
  await using t = await createTestApp();
  const since = new Date(Date.now() - 1000);
  const response = await t.call('/v1/credentials/totp', {
    method: 'POST',
    json: {
      totp_identifier: 'user@example.com',
      content: 'Subject: Sign in\n\nYour verification code is 481516. It expires in 10 minutes.',
      source: 'email',
      workflow_run_id: 'wr_123',
      type: 'totp',
    },
  });
  assert.equal(response.status, 200);
  const code = (await response.json()) as Code;
  assert.match(code.totp_code_id, /^totp_/);
  assert.equal(code.code, '481516');
  assert.equal(code.otp_type, 'totp');
  assert.equal(code.organization_id, t.organizationId);
  assert.equal(code.source, 'email');
  assert.equal(code.workflow_run_id, 'wr_123');
  const lifetime = Date.parse(code.expired_at) - Date.now();
  assert.ok(lifetime > 9 * 60_000 && lifetime <= 10 * 60_000, 'valid for 10 minutes');

  const found = await findPushedTotpCode(t.deps.store, t.organizationId, 'user@example.com', since);
  assert.equal(found?.code, '481516');
  assert.equal(await findPushedTotpCode(t.deps.store, t.otherOrganizationId, 'user@example.com', since), undefined);
  assert.equal(await findPushedTotpCode(t.deps.store, t.organizationId, 'someone@else.com', since), undefined);
});

test('bare codes, magic links, explicit expiry and the legacy path', async () => {
  await using t = await createTestApp();
  const push = async (body: Record<string, unknown>, path = '/v1/credentials/totp') => {
    const response = await t.call(path, { method: 'POST', json: { totp_identifier: '+14155550123', ...body } });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Code;
  };
  assert.equal((await push({ content: ' 9081 ' })).code, '9081');
  const link = await push({ content: 'Click https://portal.example.com/magic-login?token=abc123 to sign in' });
  assert.equal(link.otp_type, 'magic_link');
  assert.equal(link.code, 'https://portal.example.com/magic-login?token=abc123');
  const naive = await push({ content: 'code 555666', expired_at: '2030-01-01T10:00:00' });
  assert.equal(naive.expired_at, '2030-01-01T10:00:00.000Z', 'naive times are UTC');
  const offset = await push({ content: 'code 555667', expired_at: '2030-01-01T10:00:00+02:00' });
  assert.equal(offset.expired_at, '2030-01-01T08:00:00.000Z');
  assert.equal((await push({ content: 'PIN 2468' }, '/api/v1/totp')).code, '2468');
  assert.ok(!JSON.stringify(await (await t.call('/openapi.json')).json()).includes('/api/v1/totp'), 'the legacy path is not documented');
});

test('content without a code is a 400; bad bodies are 422; no key is 403', async () => {
  await using t = await createTestApp();
  const none = await t.call('/v1/credentials/totp', { method: 'POST', json: { totp_identifier: 'a', content: 'Hello, no code here' } });
  assert.equal(none.status, 400);
  assert.deepEqual(await none.json(), { detail: 'credentials.totp: failed to parse a code from the content', code: 'INVALID_INPUT' });
  const missing = await t.call('/v1/credentials/totp', { method: 'POST', json: { content: '123456' } });
  assert.equal(missing.status, 422);
  assert.deepEqual(((await missing.json()) as { detail: { loc: unknown[] }[] }).detail.map((d) => d.loc), [['body', 'totp_identifier']]);
  const badDate = await t.call('/v1/credentials/totp', { method: 'POST', json: { totp_identifier: 'a', content: '123456', expired_at: 'tomorrow' } });
  assert.equal(badDate.status, 422);
  assert.equal((await t.call('/v1/credentials/totp', { method: 'POST', json: { totp_identifier: 'a', content: '123456' }, key: null })).status, 403);
});
