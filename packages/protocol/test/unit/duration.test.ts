import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, isPetrelError, parseDuration } from '@petrel/protocol';

test('parses milliseconds and unit strings', () => {
  assert.equal(parseDuration(5000), 5000);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('10 seconds'), 10_000);
  assert.equal(parseDuration('1 second'), 1_000);
  assert.equal(parseDuration('1 hour'), 3_600_000);
  assert.equal(parseDuration('2 days'), 172_800_000);
  assert.equal(parseDuration('1.5 minutes'), 90_000);
  assert.equal(parseDuration(' 3 Weeks '), 3 * 7 * 86_400_000);
});

test('rejects what is not a duration, naming the field', () => {
  for (const bad of [-1, Number.NaN, Infinity, '10 parsecs', 'soon', '', null, {}]) {
    assert.throws(
      () => parseDuration(bad, 'retries.delay'),
      (error: unknown) => isPetrelError(error) && error.code === 'INVALID_DURATION' && error.message.startsWith('retries.delay:'),
      `input ${JSON.stringify(bad)}`,
    );
  }
});

test('formats durations as Cloudflare echoes them', () => {
  assert.equal(formatDuration(10_000), '10 seconds');
  assert.equal(formatDuration(600_000), '10 minutes');
  assert.equal(formatDuration(3_600_000), '1 hour');
  assert.equal(formatDuration(1500), 1500);
});
