import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_WEBHOOK_RETRY_POLICY, backoffDelay, decideWebhookRetry, isRetryableStatus, parseRetryAfter } from '@petrel/server';
import type { WebhookRetryPolicy } from '@petrel/server';

const policy: WebhookRetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 5000, maxRetryAfterMs: 60_000 };
const NOW = Date.parse('2026-01-01T00:00:00Z');

test('backoff is exponential with full jitter and a cap', () => {
  assert.equal(backoffDelay(1, policy, 0), 0, 'full jitter starts at zero');
  assert.equal(backoffDelay(1, policy, 0.999_999), 999);
  assert.equal(backoffDelay(2, policy, 0.999_999), 1999);
  assert.equal(backoffDelay(3, policy, 0.999_999), 3999);
  assert.equal(backoffDelay(4, policy, 0.999_999), 4999, 'capped at maxDelayMs');
  assert.equal(backoffDelay(40, policy, 0.5), 2500, 'no overflow for large attempts');
  for (let attempt = 1; attempt < 10; attempt++) {
    const ceiling = Math.min(policy.maxDelayMs, 1000 * 2 ** (attempt - 1));
    for (const random of [0, 0.25, 0.5, 0.75, 0.999]) {
      const delay = backoffDelay(attempt, policy, random);
      assert.ok(delay >= 0 && delay < ceiling, `attempt ${attempt}, random ${random}: ${delay} within [0, ${ceiling})`);
    }
  }
});

test('Retry-After is read as seconds or an HTTP date', () => {
  assert.equal(parseRetryAfter('120', NOW), 120_000);
  assert.equal(parseRetryAfter(' 0 ', NOW), 0);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', NOW), 30_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', NOW), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('Thursday, 01-Jan-26 00:01:00 GMT', NOW), 60_000, 'RFC 850 dates');
  assert.equal(parseRetryAfter('soon', NOW), undefined);
  assert.equal(parseRetryAfter('-5', NOW), undefined);
  assert.equal(parseRetryAfter('2026-01-01', NOW), undefined, 'ISO dates are not HTTP dates');
  assert.equal(parseRetryAfter(null, NOW), undefined);
  assert.equal(parseRetryAfter(undefined, NOW), undefined);
});

test('which answers are retried', () => {
  for (const status of [500, 502, 503, 504, 403, 408, 425, 429]) assert.equal(isRetryableStatus(status), true, String(status));
  for (const status of [400, 401, 404, 405, 409, 410, 422]) assert.equal(isRetryableStatus(status), false, String(status));
});

test('decideWebhookRetry: delivered, not retryable, retried with backoff, Retry-After honoured and capped, attempts exhausted', () => {
  const options = { policy, now: NOW, random: 0.5 };
  assert.deepEqual(decideWebhookRetry(1, { kind: 'response', status: 204 }, options), { retry: false, reason: 'delivered' });
  assert.deepEqual(decideWebhookRetry(1, { kind: 'response', status: 404 }, options), { retry: false, reason: 'not_retryable' });
  assert.deepEqual(decideWebhookRetry(1, { kind: 'blocked' }, options), { retry: false, reason: 'not_retryable' });
  assert.deepEqual(decideWebhookRetry(1, { kind: 'network_error' }, options), { retry: true, delayMs: 500 });
  assert.deepEqual(decideWebhookRetry(2, { kind: 'timeout' }, options), { retry: true, delayMs: 1000 });
  assert.deepEqual(decideWebhookRetry(3, { kind: 'response', status: 503 }, options), { retry: true, delayMs: 2000 });
  assert.deepEqual(decideWebhookRetry(1, { kind: 'response', status: 429, retryAfter: '7' }, options), { retry: true, delayMs: 7000 });
  assert.deepEqual(
    decideWebhookRetry(1, { kind: 'response', status: 503, retryAfter: 'Thu, 01 Jan 2026 00:00:10 GMT' }, options),
    { retry: true, delayMs: 10_000 },
  );
  assert.deepEqual(decideWebhookRetry(1, { kind: 'response', status: 429, retryAfter: '86400' }, options), { retry: true, delayMs: 60_000 }, 'capped');
  assert.deepEqual(
    decideWebhookRetry(3, { kind: 'response', status: 429, retryAfter: '0' }, options),
    { retry: true, delayMs: 2000 },
    'a shorter Retry-After does not undercut the backoff',
  );
  assert.deepEqual(decideWebhookRetry(4, { kind: 'response', status: 500 }, options), { retry: false, reason: 'attempts_exhausted' });
  assert.deepEqual(decideWebhookRetry(4, { kind: 'response', status: 200 }, options), { retry: false, reason: 'delivered' });
});

test('the default policy retries five times in total', () => {
  assert.equal(DEFAULT_WEBHOOK_RETRY_POLICY.maxAttempts, 5);
  const outcome = { kind: 'network_error' } as const;
  const attempts: number[] = [];
  for (let attempt = 1; ; attempt++) {
    attempts.push(attempt);
    const decision = decideWebhookRetry(attempt, outcome, { now: NOW, random: 0.1 });
    if (!decision.retry) {
      assert.equal(decision.reason, 'attempts_exhausted');
      break;
    }
  }
  assert.deepEqual(attempts, [1, 2, 3, 4, 5]);
});
