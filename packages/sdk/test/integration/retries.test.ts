// Retries, time limits and abort, against the live server behind a loopback proxy that fails
// requests on purpose: what is retried (GET, creates with their Idempotency-Key), what is not (a POST
// without a key), Retry-After, a lost answer whose retry the server replays, timeouts and abort.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiError, ConflictError, Petrel, TimeoutError } from '@petrel/sdk';
import { startFaultyProxy, startLiveServer } from '../helpers/live-server.ts';
import type { LiveServer, ProxyAction } from '../helpers/live-server.ts';

let live: LiveServer;
before(async () => {
  live = await startLiveServer();
});
after(async () => {
  await live?.[Symbol.asyncDispose]();
});

const unavailable: ProxyAction = { kind: 'answer', status: 503 };

test('a GET is retried after a 503 and a dropped connection, then succeeds', async () => {
  await using proxy = await startFaultyProxy(live.url, (n) => (n === 1 ? unavailable : n === 2 ? { kind: 'drop' } : { kind: 'forward' }));
  const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
  const secret = await client.getWebhookSecret();
  assert.match(secret.secret, /^whsec_/);
  assert.equal(proxy.seen.length, 3);
});

test('429 with Retry-After is waited for', async () => {
  await using proxy = await startFaultyProxy(live.url, (n) => (n === 1 ? { kind: 'answer', status: 429, headers: { 'retry-after': '1' } } : { kind: 'forward' }));
  const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
  const started = Date.now();
  await client.getCredentials();
  assert.ok(Date.now() - started >= 950, 'waited at least the Retry-After second');
  assert.equal(proxy.seen.length, 2);
});

test('a create whose answer was lost is retried with the same Idempotency-Key; the server replays it (one credential)', async () => {
  await using proxy = await startFaultyProxy(live.url, (n) => (n === 1 ? { kind: 'forward-then-drop' } : { kind: 'forward' }));
  const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
  const created = await client.createCredential({ name: 'lost-answer', credentialType: 'secret', credential: { secretValue: 's' } });
  assert.equal(proxy.seen.length, 2);
  const keys = proxy.seen.map((r) => r.headers['idempotency-key']);
  assert.match(String(keys[0]), /^sdk_/);
  assert.equal(keys[0], keys[1]);
  const direct = new Petrel({ apiKey: live.apiKey, baseUrl: live.url });
  const named = (await direct.getCredentials({ search: 'lost-answer' })).map((c) => c.credentialId);
  assert.deepEqual(named, [created.credentialId]);
});

test('a 409 with Retry-After (the first request with this key still running) is retried', async () => {
  await using proxy = await startFaultyProxy(live.url, (n) =>
    n === 1 ? { kind: 'answer', status: 409, headers: { 'retry-after': '0' }, body: '{"detail":"in flight","code":"IDEMPOTENCY_KEY_REUSED"}' } : { kind: 'forward' },
  );
  const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
  const code = await client.sendTotpCode({ totpIdentifier: 'r@example.com', content: '774411' });
  assert.equal(code.code, '774411');
  assert.equal(proxy.seen.length, 2);
});

test('a POST without an Idempotency-Key is not retried; nor is a create with retries off (and then no key is sent)', async () => {
  const direct = new Petrel({ apiKey: live.apiKey, baseUrl: live.url });
  const credential = await direct.createCredential({ name: 'no-retry', credentialType: 'secret', credential: { secretValue: 's' } });
  {
    await using proxy = await startFaultyProxy(live.url, () => unavailable);
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url, maxRetries: 5 });
    await assert.rejects(
      client.updateCredential(credential.credentialId, { name: 'renamed', credentialType: 'secret', credential: { secretValue: 't' } }),
      (error: unknown) => error instanceof ApiError && error.statusCode === 503 && error.code === 'UNAVAILABLE',
    );
    assert.equal(proxy.seen.length, 1);
    assert.equal(proxy.seen[0]?.headers['idempotency-key'], undefined);
  }
  {
    await using proxy = await startFaultyProxy(live.url, () => unavailable);
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url, maxRetries: 0 });
    await assert.rejects(client.createCredential({ name: 'x', credentialType: 'secret', credential: { secretValue: 's' } }), ApiError);
    assert.equal(proxy.seen.length, 1);
    assert.equal(proxy.seen[0]?.headers['idempotency-key'], undefined);
  }
  {
    // A caller's own key makes a POST retry-safe.
    await using proxy = await startFaultyProxy(live.url, (n) => (n === 1 ? unavailable : { kind: 'forward' }));
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
    const code = await client.sendTotpCode({ totpIdentifier: 'k@example.com', content: '551100' }, { idempotencyKey: 'caller-key-1', maxRetries: 1 });
    assert.equal(code.code, '551100');
    assert.deepEqual(proxy.seen.map((r) => r.headers['idempotency-key']), ['caller-key-1', 'caller-key-1']);
  }
});

test('retries stop after maxRetries; 4xx other than 408/409-with-Retry-After/429 are never retried', async () => {
  {
    await using proxy = await startFaultyProxy(live.url, () => unavailable);
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url, maxRetries: 1 });
    await assert.rejects(client.getCredentials(), (error: unknown) => error instanceof ApiError && error.statusCode === 503);
    assert.equal(proxy.seen.length, 2);
  }
  {
    await using proxy = await startFaultyProxy(live.url, () => ({ kind: 'answer', status: 409, body: '{"detail":"no","code":"CONFLICT"}' }));
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url, maxRetries: 3 });
    await assert.rejects(client.getCredentials(), ConflictError);
    assert.equal(proxy.seen.length, 1);
  }
});

test('a hung request times out per attempt, is retried when safe, then throws TimeoutError', async () => {
  await using proxy = await startFaultyProxy(live.url, () => ({ kind: 'hang' }));
  const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url, timeout: 200, maxRetries: 1 });
  await assert.rejects(client.getCredentials(), (error: unknown) => error instanceof TimeoutError && error.timeoutMs === 200);
  assert.equal(proxy.seen.length, 2);
  // Per call: a longer limit and no retry.
  await assert.rejects(client.getCredentials({}, { timeout: '300 milliseconds', maxRetries: 0 }), (error: unknown) => error instanceof TimeoutError && error.timeoutMs === 300);
  assert.equal(proxy.seen.length, 3);
});

test('an AbortSignal cancels a request in flight and a wait between retries', async () => {
  {
    await using proxy = await startFaultyProxy(live.url, () => ({ kind: 'hang' }));
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(client.getCredentials({}, { signal: controller.signal }), (error: unknown) => (error as Error).name === 'AbortError');
  }
  {
    await using proxy = await startFaultyProxy(live.url, () => ({ kind: 'answer', status: 503, headers: { 'retry-after': '30' } }));
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    setTimeout(() => controller.abort(reason), 150);
    const started = Date.now();
    await assert.rejects(client.getCredentials({}, { signal: controller.signal }), (error: unknown) => error === reason);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(proxy.seen.length, 1);
  }
  {
    const client = new Petrel({ apiKey: live.apiKey, baseUrl: live.url });
    await assert.rejects(client.getCredentials({}, { signal: AbortSignal.abort() }), (error: unknown) => (error as Error).name === 'AbortError');
  }
});

test('extra headers are sent, per client and per call', async () => {
  await using proxy = await startFaultyProxy(live.url, () => ({ kind: 'forward' }));
  const client = new Petrel({ apiKey: live.apiKey, baseUrl: proxy.url, headers: { 'x-client-tag': 'a' } });
  await client.getCredentials({}, { headers: { 'x-call-tag': 'b', 'x-request-id': 'trace123' } });
  assert.equal(proxy.seen[0]?.headers['x-client-tag'], 'a');
  assert.equal(proxy.seen[0]?.headers['x-call-tag'], 'b');
  assert.equal(proxy.seen[0]?.headers['x-api-key'], live.apiKey);
});
