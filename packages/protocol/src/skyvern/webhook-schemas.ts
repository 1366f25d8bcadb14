// Webhook signing as Petrel does it (DESIGN.md, "Security"): `v0=` + hex HMAC-SHA256 of
// `v0:{timestamp}:{raw body}` under the organization's webhook secret, sent under Petrel's header
// names and Skyvern's. Receivers verify with the SDK's `verifyWebhook` or by hand.
import { z } from 'zod';

/** The headers a signed webhook carries. */
export const WEBHOOK_HEADERS = {
  signature: 'x-petrel-signature',
  timestamp: 'x-petrel-timestamp',
  skyvernSignature: 'x-skyvern-signature',
  skyvernTimestamp: 'x-skyvern-timestamp',
} as const;

/** The version tag that prefixes a signature and its signed string. */
export const WEBHOOK_SIGNATURE_VERSION = 'v0';

/** An organization's webhook signing secret. */
export const WebhookSecretSchema = z
  .object({
    secret: z.string().describe('`whsec_…`; HMAC key of webhook signatures.'),
    created_at: z.string().describe('When this secret was made (by the first start or the last rotation).'),
  })
  .meta({ id: 'WebhookSecret' });
/** A webhook secret. */
export type WebhookSecret = z.infer<typeof WebhookSecretSchema>;

/** The body of `POST /v1/webhooks/secret/rotate` (empty). */
export const RotateWebhookSecretRequestSchema = z.strictObject({}).meta({ id: 'RotateWebhookSecretRequest' });

/** One attempt to deliver a run's webhook, as the delivery log keeps it. */
export const WebhookDeliverySchema = z
  .object({
    delivery_id: z.string().describe('`whd_…`'),
    run_id: z.string(),
    attempt: z.number().int().describe('1 for the first attempt of a delivery.'),
    url: z.string(),
    status_code: z.number().int().nullable().describe('HTTP status of the answer; null when none came.'),
    duration_ms: z.number().int(),
    error: z.string().nullable().describe('Why the attempt failed; null on success.'),
    response_excerpt: z.string().nullable().describe('The first 2 KiB of the answer body.'),
    created_at: z.string(),
    source: z.enum(['delivery', 'retry_webhook']).describe('The delivery workflow, or a `retry_webhook` call.'),
  })
  .meta({ id: 'WebhookDelivery' });
/** One delivery attempt. */
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;
