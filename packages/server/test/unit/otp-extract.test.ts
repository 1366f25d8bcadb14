import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractOtp } from '@petrel/server';

test('codes are found in the usual email and SMS wordings', () => {
  const cases: [string, string][] = [
    ['123456', '123456'],
    ['  AB12CD  ', 'AB12CD'],
    ['Your verification code is 123456. It expires in 10 minutes.', '123456'],
    ['G-482913 is your Google verification code.', '482913'],
    ['482 913 is your code', '482913'],
    ['Use code: 7781 to sign in. Call +1 415 555 0123 for help.', '7781'],
    ['Hi John, on 2026-01-31 at 10:45 your login code is 00451234', '00451234'],
    ['Your Amazon OTP is 334455', '334455'],
    ['Your security code: 918273 (valid until 12:30)', '918273'],
    ['<p>Your one-time passcode</p><p><b>246810</b></p>', '246810'],
    ['Code 12345678 expires 2026', '12345678'],
    ['Thanks for signing in.\n\n  559201\n\nIf this was not you, ignore this email.', '559201'],
    ['Your PIN is 4821', '4821'],
  ];
  for (const [content, code] of cases) assert.deepEqual(extractOtp(content), { code, otpType: 'totp' }, content);
});

test('a sign-in link without a code becomes a magic link', () => {
  assert.deepEqual(extractOtp('Click https://example.com/magic-login?token=abc to log in.'), {
    code: 'https://example.com/magic-login?token=abc',
    otpType: 'magic_link',
  });
  assert.deepEqual(extractOtp('Sign in: https://app.example.com/auth/verify?t=Zx9.'), {
    code: 'https://app.example.com/auth/verify?t=Zx9',
    otpType: 'magic_link',
  });
});

test('messages without a code give nothing', () => {
  for (const content of ['Nothing here', 'Order 2025 shipped', 'Meeting at 10:30 on 2026-02-03', 'Numbers 1234 and 5678 with no hint', 'hi']) {
    assert.equal(extractOtp(content), undefined, content);
  }
});

test('NUL bytes are ignored', () => {
  assert.deepEqual(extractOtp('code\u0000: 123456'), { code: '123456', otpType: 'totp' });
});
