// Finds the one-time code in a pushed email or SMS. Skyvern asks an LLM when the content is longer
// than a bare code; Petrel uses rules, which cover the usual messages ("Your code is 123456",
// "123-456 is your verification code", "G-482913") without a model call:
//   1. a bare code (4-10 letters or digits, no spaces) is the code itself;
//   2. a 4-8 digit number (or 3+3 digits split by a space or dash) soon after a keyword such as
//      "code", "OTP", "passcode", "PIN" or "verification", or just before "is your ... code";
//   3. otherwise the only 4-8 digit number that is not a year, a time or part of a phone number;
//   4. with no code, a link that looks like a sign-in link becomes a magic link.
import type { OtpType } from '@petrel/protocol';

/** A code found in a message. */
export type ExtractedOtp = { code: string; otpType: OtpType };

const KEYWORD = String.raw`(?:code|otp|passcode|pass code|pin|verification|verify|one[- ]time|2fa|mfa|token|security)`;
const DIGITS = String.raw`(\d{3}[ -]\d{3}|\d{4,8})`;
const AFTER_KEYWORD = new RegExp(String.raw`${KEYWORD}[^\d\n]{0,40}?(?<![\d+])${DIGITS}(?![\d:/])`, 'i');
const BEFORE_KEYWORD = new RegExp(String.raw`(?<![\d+])${DIGITS}(?![\d:/])\s+(?:is|as)\s+(?:your|the)\b[^\n]{0,30}?${KEYWORD}`, 'i');
const ANY_NUMBER = /(?<![\d+:/.-])(\d{4,8})(?![\d:/.]|-\d)/g;
const URL_PATTERN = /https?:\/\/[^\s<>"')\]]+/gi;
const LINK_HINT = /(magic|login|log-in|signin|sign-in|verify|verification|confirm|auth|token|otp|session)/i;

/** Extracts the code (or magic link) of a pushed message; undefined when there is none. */
export function extractOtp(content: string): ExtractedOtp | undefined {
  const text = content.replaceAll('\u0000', '').trim();
  if (/^[A-Za-z0-9]{4,10}$/.test(text)) return { code: text, otpType: 'totp' };

  for (const pattern of [AFTER_KEYWORD, BEFORE_KEYWORD]) {
    const match = pattern.exec(text);
    if (match?.[1] !== undefined) return { code: match[1].replaceAll(/[ -]/g, ''), otpType: 'totp' };
  }

  const numbers = [...text.matchAll(ANY_NUMBER)].map((match) => match[1]!).filter((value) => !/^(19|20)\d\d$/.test(value));
  const distinct = [...new Set(numbers)];
  if (distinct.length === 1) return { code: distinct[0]!, otpType: 'totp' };

  const links = [...text.matchAll(URL_PATTERN)].map((match) => match[0].replace(/[.,;:!?]+$/, ''));
  const signIn = links.filter((link) => LINK_HINT.test(link));
  if (signIn.length > 0) return { code: signIn[0]!, otpType: 'magic_link' };
  if (links.length === 1 && distinct.length === 0) return { code: links[0]!, otpType: 'magic_link' };
  return undefined;
}
