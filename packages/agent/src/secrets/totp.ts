// TOTP codes (RFC 6238) from a credential's seed: a base32 secret (spaces and dashes allowed, as
// authenticator apps print them) or an `otpauth://totp/...` URI carrying its own digits, period and
// algorithm. Generated with `otpauth`.
import * as OTPAuth from 'otpauth';
import { PetrelError } from '@petrel/protocol';

/** Options of `generateTotpCode`. */
export type TotpOptions = {
  /** The time to generate for, in ms since the epoch; default now. */
  now?: number;
};

function invalid(cause?: unknown): PetrelError {
  return new PetrelError('VALIDATION_FAILED', 'totp.generate: the TOTP secret is not a base32 secret or an otpauth://totp/ URI', cause === undefined ? {} : { cause });
}

function totpOf(seed: string): OTPAuth.TOTP {
  const trimmed = seed.trim();
  if (trimmed.toLowerCase().startsWith('otpauth://')) {
    let parsed: OTPAuth.HOTP | OTPAuth.TOTP;
    try {
      parsed = OTPAuth.URI.parse(trimmed);
    } catch (error) {
      throw invalid(error);
    }
    if (!(parsed instanceof OTPAuth.TOTP)) throw invalid();
    return parsed;
  }
  const base32 = trimmed.replaceAll(/[\s-]/g, '').toUpperCase().replace(/=+$/, '');
  if (base32.length < 8 || !/^[A-Z2-7]+$/.test(base32)) throw invalid();
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32), digits: 6, period: 30, algorithm: 'SHA1' });
}

/** The current code of a TOTP seed; throws `VALIDATION_FAILED` when the seed is not usable (the message never contains it). */
export function generateTotpCode(seed: string, options: TotpOptions = {}): string {
  return totpOf(seed).generate({ timestamp: options.now ?? Date.now() });
}

/** How long the code of `now` stays valid, in ms (for callers deciding whether to wait for the next one). */
export function totpRemainingMs(seed: string, options: TotpOptions = {}): number {
  const period = totpOf(seed).period * 1000;
  const now = options.now ?? Date.now();
  return period - (now % period);
}

/** The base32 secret inside a seed (itself, or the `secret` parameter of an otpauth URI), for redaction. */
export function totpSeedOf(seed: string): string | undefined {
  const trimmed = seed.trim();
  if (!trimmed.toLowerCase().startsWith('otpauth://')) return trimmed;
  try {
    return new URL(trimmed).searchParams.get('secret') ?? undefined;
  } catch {
    return undefined;
  }
}
