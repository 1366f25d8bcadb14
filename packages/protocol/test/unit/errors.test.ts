import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES, PetrelError, getHttpStatus, isErrorCode, isPetrelError } from '@petrel/protocol';

test('every code maps to an HTTP error status', () => {
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    assert.ok(entry.status >= 400 && entry.status < 600, code);
    assert.ok(entry.meaning.length > 10, `${code} explains itself`);
    assert.ok(isErrorCode(code));
  }
  assert.equal(getHttpStatus('INSTANCE_NOT_FOUND'), 404);
  assert.equal(isErrorCode('NOPE'), false);
});

test('PetrelError carries code, status, retry hints and a cause that stays out of JSON', () => {
  const cause = new Error('secret connection string postgres://u:p@h');
  const error = new PetrelError('STORE_UNAVAILABLE', 'store.claim: database unreachable', { cause, retryAfterMs: 500 });
  assert.equal(error.status, 503);
  assert.equal(error.nonRetryable, false);
  assert.equal(error.retryAfterMs, 500);
  assert.equal(error.cause, cause);
  assert.deepEqual(JSON.parse(JSON.stringify(error)), { code: 'STORE_UNAVAILABLE', message: 'store.claim: database unreachable' });
  assert.equal(new PetrelError('VALIDATION_FAILED', 'x').nonRetryable, true);
  assert.ok(isPetrelError(error));
  assert.equal(isPetrelError(new Error('plain')), false);
});
