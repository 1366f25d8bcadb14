// verifyWebhook against the signer the server uses (protocol's): good, tampered body, stale timestamp, wrong secret,
// missing headers, Skyvern's header names, bytes and Headers objects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signWebhook, webhookSignatureHeaders } from '@petrel/protocol';
import { Petrel, signWebhookPayload, verifyWebhook } from '@petrel/sdk';

const secret = 'whsec_test_secret_0123456789';
const body = JSON.stringify({ run_id: 'tsk_1', status: 'completed', output: { total: 42, note: 'café ✓' } });
const now = Math.floor(Date.now() / 1000);

test('a delivery signed by the server verifies', async () => {
  const headers = webhookSignatureHeaders(secret, now, body);
  assert.equal(await verifyWebhook(body, headers, secret), true);
  assert.equal(await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), secret), true);
  assert.equal(await verifyWebhook(new TextEncoder().encode(body).buffer, headers, secret), true);
  // The seed-000 spelling, on the client.
  const client = new Petrel({ apiKey: 'pk_unused' });
  assert.equal(await client.verifyWebhook(body, headers, secret), true);
});

test('the SDK signs exactly as the server does', async () => {
  assert.equal(await signWebhookPayload(secret, now, body), signWebhook(secret, now, body));
});

test('a tampered body, a wrong secret, a stale or future timestamp, or missing headers do not verify', async () => {
  const headers = webhookSignatureHeaders(secret, now, body);
  assert.equal(await verifyWebhook(body.replace('42', '43'), headers, secret), false);
  assert.equal(await verifyWebhook(`${body} `, headers, secret), false);
  assert.equal(await verifyWebhook(body, headers, 'whsec_other'), false);
  assert.equal(await verifyWebhook(body, headers, ''), false);

  // Against the same clock reading the headers were made from (a loaded machine may be a second on by now).
  const stale = webhookSignatureHeaders(secret, now - 301, body);
  assert.equal(await verifyWebhook(body, stale, secret, { now }), false);
  assert.equal(await verifyWebhook(body, stale, secret, { now, toleranceSeconds: 600 }), true);
  const future = webhookSignatureHeaders(secret, now + 301, body);
  assert.equal(await verifyWebhook(body, future, secret, { now }), false);
  assert.equal(await verifyWebhook(body, headers, secret, { now: now + 1000 }), false);

  // A valid signature moved onto another timestamp fails: the timestamp is inside the MAC.
  assert.equal(await verifyWebhook(body, { ...headers, 'x-petrel-timestamp': String(now - 1) }, secret), false);
  assert.equal(await verifyWebhook(body, {}, secret), false);
  assert.equal(await verifyWebhook(body, { 'x-petrel-signature': headers['x-petrel-signature'] }, secret), false);
  assert.equal(await verifyWebhook(body, { ...headers, 'x-petrel-timestamp': 'yesterday', 'x-skyvern-timestamp': 'yesterday' }, secret), false);
  const truncated = { ...headers, 'x-petrel-signature': headers['x-petrel-signature']!.slice(0, -1) };
  assert.equal(await verifyWebhook(body, truncated, secret), false);
});

test('Skyvern\'s header names are read when Petrel\'s are absent, in any case, and Node\'s array values', async () => {
  const headers = webhookSignatureHeaders(secret, now, body);
  const skyvernOnly = { 'X-Skyvern-Signature': headers['x-skyvern-signature'], 'X-Skyvern-Timestamp': [headers['x-skyvern-timestamp']!] };
  assert.equal(await verifyWebhook(body, skyvernOnly, secret), true);
});
