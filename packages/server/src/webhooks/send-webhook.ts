// One signed webhook delivery attempt through the outbound policy, and the delivery log. An
// attempt never throws for the receiver's failures (a refused address, a timeout, a 500): it
// returns them as data for the retry policy and the log. Only aborting through `signal` throws.
import { PetrelError, newId, webhookSignatureHeaders } from '@petrel/protocol';
import type { OutboundFetch } from '../outbound/outbound-fetch.ts';
import type { ServerStore, WebhookDeliveryRow } from '../store/server-store.ts';
import type { WebhookAttemptOutcome } from './retry-policy.ts';

/** Most bytes of a receiver's answer kept in the log. */
export const RESPONSE_EXCERPT_BYTES = 2048;

/** Options of `sendWebhook`. */
export type SendWebhookOptions = {
  /** The organization's webhook secret. */
  secret: string;
  /** The policy-checked fetch. */
  fetch: OutboundFetch;
  /** Time limit of the attempt, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Aborts the attempt (throws `CANCELED`). */
  signal?: AbortSignal;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
};

/** What one attempt did. */
export type WebhookAttempt = {
  /** The target URL. */
  url: string;
  /** HTTP status, or null when no answer came. */
  statusCode: number | null;
  /** How long the attempt took, in ms. */
  durationMs: number;
  /** Why it failed, or null when the receiver answered 2xx. */
  error: string | null;
  /** The first 2 KiB of the answer body (UTF-8), or null. */
  responseExcerpt: string | null;
  /** The outcome as the retry policy reads it. */
  outcome: WebhookAttemptOutcome;
  /** The headers sent (signature and timestamp included; no secret). */
  headers: Record<string, string>;
};

async function readExcerpt(body: ReadableStream<Uint8Array> | null): Promise<string | null> {
  if (body === null) return null;
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < RESPONSE_EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES);
  // A cut may split a multi-byte character; the decoder replaces the broken tail.
  return new TextDecoder().decode(bytes);
}

/** Signs `rawBody` and POSTs it to `url` once. */
export async function sendWebhook(url: string, rawBody: string, options: SendWebhookOptions): Promise<WebhookAttempt> {
  const now = options.now ?? Date.now;
  const started = now();
  const headers = {
    'content-type': 'application/json',
    ...webhookSignatureHeaders(options.secret, Math.floor(started / 1000), rawBody),
  };
  const finish = (partial: Omit<WebhookAttempt, 'url' | 'durationMs' | 'headers'>): WebhookAttempt => ({
    url,
    durationMs: Math.max(0, Math.round(now() - started)),
    headers,
    ...partial,
  });
  try {
    const response = await options.fetch(url, {
      method: 'POST',
      headers,
      body: rawBody,
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const responseExcerpt = await readExcerpt(response.body as ReadableStream<Uint8Array> | null);
    const ok = response.status >= 200 && response.status < 300;
    return finish({
      statusCode: response.status,
      error: ok ? null : `the receiver answered HTTP ${response.status}`,
      responseExcerpt,
      outcome: { kind: 'response', status: response.status, retryAfter: response.headers.get('retry-after') },
    });
  } catch (error) {
    if (options.signal?.aborted === true) throw new PetrelError('CANCELED', 'webhooks.send: aborted', { cause: error });
    if (error instanceof PetrelError && error.code === 'OUTBOUND_BLOCKED') {
      return finish({ statusCode: null, error: error.message, responseExcerpt: null, outcome: { kind: 'blocked' } });
    }
    if (error instanceof PetrelError && error.code === 'TIMEOUT') {
      return finish({ statusCode: null, error: error.message, responseExcerpt: null, outcome: { kind: 'timeout' } });
    }
    if (error instanceof PetrelError && error.code === 'INVALID_INPUT') {
      return finish({ statusCode: null, error: error.message, responseExcerpt: null, outcome: { kind: 'blocked' } });
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const code = (cause as { code?: unknown } | null)?.code;
    const message = typeof code === 'string' ? `network error ${code}` : 'network error';
    return finish({ statusCode: null, error: `webhooks.send: ${message}`, responseExcerpt: null, outcome: { kind: 'network_error' } });
  }
}

/** Appends an attempt to the organization's delivery log for the run and returns the stored row. */
export async function recordWebhookAttempt(
  store: ServerStore,
  organizationId: string,
  runId: string,
  attemptNumber: number,
  attempt: WebhookAttempt,
  at: Date = new Date(),
  source: 'delivery' | 'retry_webhook' = 'delivery',
): Promise<WebhookDeliveryRow> {
  const row: WebhookDeliveryRow = {
    delivery_id: newId('webhookDelivery'),
    organization_id: organizationId,
    run_id: runId,
    attempt: attemptNumber,
    url: attempt.url,
    status_code: attempt.statusCode,
    duration_ms: attempt.durationMs,
    error: attempt.error,
    response_excerpt: attempt.responseExcerpt,
    created_at: at.toISOString(),
    source,
  };
  await store.webhookDeliveries.insert(row);
  return row;
}
