// Retry timing: Retry-After parsing and the backoff curve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, newIdempotencyKey, parseRetryAfter } from '../../src/http-client.ts';

test('Retry-After in seconds or as an HTTP date', () => {
  assert.equal(parseRetryAfter('2'), 2000);
  assert.equal(parseRetryAfter('0.5'), 500);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
});

test('backoff doubles from 500 ms to a 10 s cap, jittered over the upper half', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, () => 1)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, () => 0)), [250, 500, 1000]);
});

test('idempotency keys are fresh and valid header values', () => {
  const a = newIdempotencyKey();
  assert.match(a, /^sdk_[0-9a-f-]{36}$/);
  assert.notEqual(a, newIdempotencyKey());
});
