// The SDK against a live server: credentials, TOTP, webhook secret and key methods, each error class
// with its status, body, code and request id, and every request made here matching an operation of
// docs/openapi.json (unit/openapi-surface.test.ts checks every method's request against the document).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import {
  ApiError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  Petrel,
  UnprocessableEntityError,
} from '@petrel/sdk';
import { startLiveServer } from '../helpers/live-server.ts';
import type { LiveServer } from '../helpers/live-server.ts';

type Call = { method: string; url: string };
const calls: Call[] = [];
let live: LiveServer;
let client: Petrel;

before(async () => {
  live = await startLiveServer();
  client = new Petrel({
    apiKey: live.apiKey,
    baseUrl: live.url,
    fetch: (input, init) => {
      calls.push({ method: init.method ?? 'GET', url: input });
      return fetch(input, init);
    },
  });
});
after(async () => {
  await live?.[Symbol.asyncDispose]();
});

test('credentials: create, list with filters, get, update, delete; secrets never come back', async () => {
  const password = await client.createCredential({
    name: 'shop',
    credentialType: 'password',
    credential: { username: 'me@example.com', password: 'hunter2-canary', totp: 'JBSWY3DPEHPK3PXP', totpIdentifier: 'me@example.com' },
  });
  assert.match(password.credentialId, /^cred_/);
  assert.equal(password.credentialType, 'password');
  assert.deepEqual(password.credential, { username: 'me@example.com', totpType: 'authenticator', totpIdentifier: 'me@example.com' });
  assert.ok(!JSON.stringify(password).includes('hunter2-canary'));

  const card = await client.createCredential({
    name: 'card',
    credentialType: 'credit_card',
    credential: {
      cardNumber: '4242424242424242',
      cardCvv: '123',
      cardExpMonth: '12',
      cardExpYear: '2030',
      cardBrand: 'visa',
      cardHolderName: 'Ada',
      billingAddress: { line1: '1 Main St', postalCode: '12345', countryCode: 'US' },
      metadata: { costCenter: 'R&D' },
    },
  });
  assert.deepEqual(card.credential, { lastFour: '4242', brand: 'visa' });

  const all = await client.getCredentials();
  assert.deepEqual(all.map((c) => c.name).toSorted(), ['card', 'shop']);
  const cards = await client.getCredentials({ credentialType: 'credit_card', pageSize: 5 });
  assert.deepEqual(cards.map((c) => c.credentialId), [card.credentialId]);
  assert.deepEqual((await client.getCredentials({ search: 'SHO' })).map((c) => c.name), ['shop']);

  assert.equal((await client.getCredential(password.credentialId)).name, 'shop');
  const updated = await client.updateCredential(password.credentialId, {
    name: 'shop-2',
    credentialType: 'secret',
    credential: { secretValue: 'sv-canary', secretLabel: 'api token' },
  });
  assert.equal(updated.name, 'shop-2');
  assert.deepEqual(updated.credential, { secretLabel: 'api token' });

  assert.equal(await client.deleteCredential(password.credentialId), undefined);
  await assert.rejects(client.getCredential(password.credentialId), (error: unknown) => {
    assert.ok(error instanceof NotFoundError && error instanceof ApiError);
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'NOT_FOUND');
    assert.match(error.requestId ?? '', /\S/);
    assert.equal((error.body as { code: string }).code, 'NOT_FOUND');
    assert.match(error.message, /^getCredential: GET \/v1\/credentials\/\{credential_id\} answered 404: /);
    return true;
  });
});

test('TOTP: a pushed message yields its code; a Date is accepted for expiredAt', async () => {
  const expires = new Date(Date.now() + 5 * 60_000);
  const code = await client.sendTotpCode({ totpIdentifier: 'me@example.com', content: 'Your verification code is 482913. It expires soon.', expiredAt: expires, source: 'email' });
  assert.equal(code.code, '482913');
  assert.equal(code.otpType, 'totp');
  assert.equal(code.totpIdentifier, 'me@example.com');
  assert.equal(new Date(code.expiredAt!).getTime(), expires.getTime());
  assert.match(code.totpCodeId, /^totp_/);
});

test('webhook secret: read and rotate', async () => {
  const first = await client.getWebhookSecret();
  assert.match(first.secret, /^whsec_/);
  const rotated = await client.rotateWebhookSecret();
  assert.notEqual(rotated.secret, first.secret);
  assert.equal((await client.getWebhookSecret()).secret, rotated.secret);
});

test('API keys: create (secret once), get, list, revoke; the new key works and stops working', async () => {
  const created = await client.createApiKey({ name: 'ci' });
  assert.match(created.apiKey, /^pk_/);
  assert.equal((await client.getApiKey(created.keyId)).name, 'ci');
  const other = new Petrel({ apiKey: created.apiKey, baseUrl: live.url, maxRetries: 0 });
  assert.ok((await other.getApiKeys()).some((key) => key.keyId === created.keyId));
  const revoked = await client.revokeApiKey(created.keyId);
  assert.equal(revoked.revoked, true);
  assert.equal((await client.getApiKeys()).some((key) => key.keyId === created.keyId), false);
  assert.equal((await client.getApiKeys({ includeRevoked: true })).some((key) => key.keyId === created.keyId), true);
  await assert.rejects(other.getApiKeys(), ForbiddenError);
});

test('each error class carries status, body, code and request id', async () => {
  const stranger = new Petrel({ apiKey: 'pk_not_a_real_key', baseUrl: live.url });
  await assert.rejects(stranger.getCredentials(), (error: unknown) => {
    assert.ok(error instanceof ForbiddenError);
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.equal(error.name, 'ForbiddenError');
    return true;
  });

  // 400: a TOTP message with no code in it.
  await assert.rejects(client.sendTotpCode({ totpIdentifier: 'me@example.com', content: 'hello, nothing to see' }), (error: unknown) => {
    assert.ok(error instanceof BadRequestError);
    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 'INVALID_INPUT');
    return true;
  });

  // 422: the body does not match the schema; the message names the field.
  await assert.rejects(
    client.createCredential({ name: 'x', credentialType: 'password', credential: { username: 'u' } as never }),
    (error: unknown) => {
      assert.ok(error instanceof UnprocessableEntityError);
      assert.equal(error.statusCode, 422);
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.match(error.message, /body\.credential\.password/);
      assert.ok(Array.isArray((error.body as { detail: unknown }).detail));
      return true;
    },
  );

  // 409: revoking the organization's last active key.
  const keys = await client.getApiKeys();
  assert.equal(keys.length, 1);
  await assert.rejects(client.revokeApiKey(keys[0]!.keyId), (error: unknown) => {
    assert.ok(error instanceof ConflictError);
    assert.equal(error.statusCode, 409);
    assert.equal(error.code, 'CONFLICT');
    return true;
  });

  // 409: an Idempotency-Key reused with another body.
  await client.sendTotpCode({ totpIdentifier: 'a@example.com', content: '111111' }, { idempotencyKey: 'same-key-1' });
  const replay = await client.sendTotpCode({ totpIdentifier: 'a@example.com', content: '111111' }, { idempotencyKey: 'same-key-1' });
  assert.equal(replay.code, '111111');
  await assert.rejects(client.sendTotpCode({ totpIdentifier: 'a@example.com', content: '222222' }, { idempotencyKey: 'same-key-1' }), (error: unknown) => {
    assert.ok(error instanceof ConflictError);
    assert.equal(error.code, 'IDEMPOTENCY_KEY_REUSED');
    return true;
  });

  // No answer at all: a port nobody listens on.
  const nowhere = new Petrel({ apiKey: live.apiKey, baseUrl: 'http://127.0.0.1:9', maxRetries: 0 });
  await assert.rejects(nowhere.getCredentials(), (error: unknown) => error instanceof ConnectionError && error.cause !== undefined);
});

test('bad client options are refused at construction', () => {
  assert.throws(() => new Petrel({ apiKey: '' }), TypeError);
  assert.throws(() => new Petrel({ apiKey: 'pk_x', baseUrl: 'ftp://example.com' }), TypeError);
  assert.throws(() => new Petrel({ apiKey: 'pk_x', maxRetries: -1 }), RangeError);
  assert.throws(() => new Petrel({ apiKey: 'pk_x', timeout: 'soon' as never }), RangeError);
  assert.equal(new Petrel({ apiKey: 'pk_x', baseUrl: 'http://h:1/base/' }).baseUrl, 'http://h:1/base');
});

test('surface: every request made here matched an OpenAPI operation with the same method and path', () => {
  type Doc = { paths: Record<string, Record<string, unknown>> };
  const doc = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as Doc;
  const templates = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => ({ method: method.toUpperCase(), pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`) })),
  );
  assert.ok(calls.length > 20);
  for (const call of calls) {
    const { pathname } = new URL(call.url);
    assert.ok(
      templates.some((t) => t.method === call.method && t.pattern.test(pathname)),
      `${call.method} ${pathname} is not an operation of docs/openapi.json`,
    );
  }
});
