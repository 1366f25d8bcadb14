// RFC 6238 codes through `otpauth`: SHA-1, 6 digits, 30-second steps (what authenticator apps use).
import { Secret, TOTP } from 'otpauth';

function createTotp(secret: string): TOTP {
  return new TOTP({ issuer: 'Ember Portal', algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
}

/** The 6-digit code for a base32 secret at `timestamp` (ms, default now). */
export function totpCode(secret: string, timestamp: number = Date.now()): string {
  return createTotp(secret).generate({ timestamp });
}

/** Whether `code` is valid for the secret at `timestamp`, allowing one step of clock drift either way. */
export function verifyTotp(secret: string, code: string, timestamp: number = Date.now()): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  return createTotp(secret).validate({ token: code, timestamp, window: 1 }) !== null;
}

/** The `otpauth://` URI an authenticator app would scan for this secret. */
export function totpUri(secret: string, email: string): string {
  return new TOTP({ issuer: 'Ember Portal', label: email, algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) }).toString();
}
