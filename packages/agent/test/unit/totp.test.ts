// TOTP codes against RFC 6238's published test vectors, seeds as base32 or otpauth URIs, and seeds
// that are not usable (the error never contains the seed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import { generateTotpCode, totpRemainingMs } from '@petrel/agent';

// RFC 6238 appendix B: the ASCII secret "12345678901234567890", SHA-1, 8 digits.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
];

test('RFC 6238 vectors through an otpauth URI (8 digits) and a bare base32 seed (6 digits)', () => {
  const uri = `otpauth://totp/RFC:test?secret=${RFC_SECRET}&digits=8&period=30&algorithm=SHA1`;
  for (const [seconds, code] of VECTORS) {
    assert.equal(generateTotpCode(uri, { now: seconds * 1000 }), code);
    assert.equal(generateTotpCode(RFC_SECRET, { now: seconds * 1000 }), code.slice(2), 'six digits are the low digits');
  }
});

test('seeds as authenticator apps print them: lower case, spaces, dashes, padding', () => {
  const now = 1_700_000_000_000;
  const expected = generateTotpCode(RFC_SECRET, { now });
  assert.equal(generateTotpCode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq', { now }), expected);
  assert.equal(generateTotpCode('GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ====', { now }), expected);
});

test('codes change with the period and report how long they stay valid', () => {
  assert.notEqual(generateTotpCode(RFC_SECRET, { now: 59_000 }), generateTotpCode(RFC_SECRET, { now: 61_000 }));
  assert.equal(totpRemainingMs(RFC_SECRET, { now: 59_000 }), 1000);
  assert.equal(totpRemainingMs(`otpauth://totp/x?secret=${RFC_SECRET}&period=60`, { now: 59_000 }), 1000);
});

test('unusable seeds are VALIDATION_FAILED and the message does not echo them', () => {
  for (const bad of ['not base32 at all!', 'ABC', 'otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQ&counter=1', 'otpauth://totp/x']) {
    assert.throws(
      () => generateTotpCode(bad),
      (error: unknown) => {
        assert.ok(isPetrelError(error));
        assert.equal(error.code, 'VALIDATION_FAILED');
        assert.ok(!error.message.includes(bad));
        return true;
      },
    );
  }
});
