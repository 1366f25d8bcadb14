// The SDK's duration parser agrees with the protocol's (the SDK may not import it at run time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '@petrel/protocol';
import { toMilliseconds } from '../../src/durations.ts';

test('toMilliseconds agrees with parseDuration of @petrel/protocol', () => {
  for (const input of [0, 1500, 1.6, '250', ' 30 seconds', '1 second', '5 minutes', '1.5 hours', '2 days', '1 week', '1 month', '1 year', '10 MILLISECONDS']) {
    assert.equal(toMilliseconds(input as never, 'timeout'), parseDuration(input), String(input));
  }
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '', 'soon', '5 fortnights', '-5 seconds', null, {}]) {
    assert.throws(() => parseDuration(bad));
    assert.throws(() => toMilliseconds(bad as never, 'timeout'), (error: Error) => error instanceof RangeError && error.message.startsWith('timeout: '));
  }
});
