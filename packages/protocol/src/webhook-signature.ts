// Webhook signatures (DESIGN.md, "Security"): `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw
// body}`, the scheme Slack uses. The timestamp is inside the MAC so a captured delivery cannot be
// replayed later with a fresh timestamp; receivers should also refuse old timestamps. The one
// Node implementation: the server signs run webhooks with it and the agent signs `totp_url`
// requests. The SDK keeps a Web Crypto twin (`verifyWebhook`) because it must run in browsers; its
// test checks it against this signer.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WEBHOOK_HEADERS, WEBHOOK_SIGNATURE_VERSION } from './skyvern/webhook-schemas.ts';

/** Signs a webhook body: returns `v0=<hex>`. `timestamp` is Unix seconds. */
export function signWebhook(secret: string, timestamp: number, rawBody: string | Uint8Array): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${WEBHOOK_SIGNATURE_VERSION}:${timestamp}:`);
  mac.update(rawBody);
  return `${WEBHOOK_SIGNATURE_VERSION}=${mac.digest('hex')}`;
}

/** The signature headers of a signed body, under Petrel's names and Skyvern's. */
export function webhookSignatureHeaders(secret: string, timestamp: number, rawBody: string | Uint8Array): Record<string, string> {
  const signature = signWebhook(secret, timestamp, rawBody);
  return {
    [WEBHOOK_HEADERS.signature]: signature,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.skyvernSignature]: signature,
    [WEBHOOK_HEADERS.skyvernTimestamp]: String(timestamp),
  };
}

/** Options of `verifyWebhookSignature`. */
export type VerifyWebhookOptions = {
  /** Oldest accepted timestamp age, in seconds. Default 300. */
  toleranceSeconds?: number;
  /** Current Unix time in seconds. Default now. */
  now?: number;
};

/** True when `signature` is valid for the body and timestamp, and the timestamp is recent. */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number,
  rawBody: string | Uint8Array,
  signature: string,
  options: VerifyWebhookOptions = {},
): boolean {
  const seconds = typeof timestamp === 'number' ? timestamp : Number(timestamp);
  if (!Number.isInteger(seconds)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - seconds) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, seconds, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
