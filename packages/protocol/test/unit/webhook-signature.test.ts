import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WEBHOOK_HEADERS, signWebhook, verifyWebhookSignature, webhookSignatureHeaders } from '@petrel/protocol';

// Vectors computed independently with Python: hmac.new(secret, b"v0:<ts>:<body>", sha256).hexdigest()
const SECRET = 'whsec_test';
const BODY = '{"run_id":"wr_1","status":"completed"}';

test('signWebhook is v0= + hex HMAC-SHA256 of v0:{timestamp}:{raw body}', () => {
  assert.equal(signWebhook(SECRET, 1_700_000_000, BODY), 'v0=4a5c4edf7fad0cec006d6b0ef33fbb05e03a9f4eeb325be18ddcbf89225a7cc1');
  assert.equal(
    signWebhook(SECRET, 1_700_000_000, '{"name":"café"}'),
    'v0=26296739b0f51d04fe7fa0f52ba0d589f9417c889e4fea1c1adcf50e025f2351',
    'the body is signed as UTF-8 bytes',
  );
  assert.equal(signWebhook(SECRET, 1_700_000_000, new TextEncoder().encode(BODY)), signWebhook(SECRET, 1_700_000_000, BODY));
});

test('the headers carry the same signature and timestamp under Petrel and Skyvern names', () => {
  const headers = webhookSignatureHeaders(SECRET, 1_700_000_000, BODY);
  assert.deepEqual(Object.keys(headers).sort(), [
    WEBHOOK_HEADERS.signature,
    WEBHOOK_HEADERS.timestamp,
    WEBHOOK_HEADERS.skyvernSignature,
    WEBHOOK_HEADERS.skyvernTimestamp,
  ].sort());
  assert.equal(headers['x-petrel-signature'], headers['x-skyvern-signature']);
  assert.equal(headers['x-petrel-timestamp'], '1700000000');
  assert.equal(headers['x-skyvern-timestamp'], '1700000000');
});

test('verifyWebhookSignature accepts the right signature and refuses tampering, other secrets and stale timestamps', () => {
  const ts = 1_700_000_000;
  const signature = signWebhook(SECRET, ts, BODY);
  assert.equal(verifyWebhookSignature(SECRET, ts, BODY, signature, { now: ts + 10 }), true);
  assert.equal(verifyWebhookSignature(SECRET, String(ts), BODY, signature, { now: ts }), true);
  assert.equal(verifyWebhookSignature(SECRET, ts, BODY.replace('completed', 'failed'), signature, { now: ts }), false);
  assert.equal(verifyWebhookSignature('whsec_other', ts, BODY, signature, { now: ts }), false);
  assert.equal(verifyWebhookSignature(SECRET, ts + 1, BODY, signature, { now: ts }), false, 'the timestamp is inside the MAC');
  assert.equal(verifyWebhookSignature(SECRET, ts, BODY, signature, { now: ts + 301 }), false, 'older than five minutes');
  assert.equal(verifyWebhookSignature(SECRET, ts, BODY, signature, { now: ts + 3000, toleranceSeconds: 3600 }), true);
  assert.equal(verifyWebhookSignature(SECRET, 'soon', BODY, signature, { now: ts }), false);
  assert.equal(verifyWebhookSignature(SECRET, ts, BODY, 'v0=short', { now: ts }), false);
});
