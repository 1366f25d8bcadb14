// TOTP codes: RFC 6238's SHA-1 test vectors (6-digit truncation) and drift handling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totpCode } from '@petrel/fixture-portal';
import { verifyTotp } from '../../src/totp.ts';

// RFC 6238 appendix B uses the ASCII secret "12345678901234567890"; this is its base32 form.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

test('codes match the RFC 6238 SHA-1 vectors', () => {
  // The RFC lists 8-digit codes; 6-digit codes are their last six digits.
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ];
  for (const [seconds, code] of vectors) assert.equal(totpCode(RFC_SECRET, seconds * 1000), code.slice(2), `T=${seconds}`);
});

test('verification accepts one step of drift either way and nothing else', () => {
  const now = 1_800_000_000_000;
  const code = totpCode(RFC_SECRET, now);
  assert.equal(verifyTotp(RFC_SECRET, code, now), true);
  assert.equal(verifyTotp(RFC_SECRET, code, now + 30_000), true);
  assert.equal(verifyTotp(RFC_SECRET, code, now - 30_000), true);
  assert.equal(verifyTotp(RFC_SECRET, code, now + 120_000), false);
  assert.equal(verifyTotp(RFC_SECRET, '12345', now), false);
  assert.equal(verifyTotp(RFC_SECRET, 'abcdef', now), false);
});
