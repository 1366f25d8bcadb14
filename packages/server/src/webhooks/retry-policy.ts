// When to retry a webhook delivery and how long to wait: exponential backoff with full jitter
// (a random wait between 0 and min(cap, base * 2^attempt)), a server's `Retry-After` (seconds or an
// HTTP date) taking precedence up to a ceiling, and a maximum number of attempts. Pure functions:
// the delivery workflow feeds them the outcome and a random number.

/** Options of the retry policy. */
export type WebhookRetryPolicy = {
  /** Total attempts, the first included. Default 5. */
  maxAttempts: number;
  /** Base delay of the backoff, in ms. Default 1 000. */
  baseDelayMs: number;
  /** Largest backoff delay, in ms. Default 60 000. */
  maxDelayMs: number;
  /** Largest delay a `Retry-After` may ask for, in ms; longer requests are cut to it. Default 300 000. */
  maxRetryAfterMs: number;
};

/** The default policy. */
export const DEFAULT_WEBHOOK_RETRY_POLICY: WebhookRetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 300_000,
};

/** The outcome of one attempt, as the policy needs it. */
export type WebhookAttemptOutcome =
  | { kind: 'response'; status: number; retryAfter?: string | null | undefined }
  | { kind: 'network_error' }
  | { kind: 'timeout' }
  | { kind: 'blocked' };

/** What to do after an attempt. */
export type WebhookRetryDecision = { retry: true; delayMs: number } | { retry: false; reason: 'delivered' | 'not_retryable' | 'attempts_exhausted' };

// Skyvern retries these statuses too: 403 is often a WAF that lets the next try through, 408/425/429 ask for it.
const RETRYABLE_STATUSES = new Set([403, 408, 425, 429]);

/** True when an HTTP status of an attempt is worth retrying (any 5xx, 403, 408, 425, 429). */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || RETRYABLE_STATUSES.has(status);
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into ms from `now`; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only accept dates that look like HTTP dates; `Date.parse` accepts far more.
  if (!/^[A-Za-z]{3},? /.test(text) && !/^[A-Za-z]+day, /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** The backoff delay before attempt `attempt + 1` (attempt counts from 1), with full jitter; `random` in [0, 1). */
export function backoffDelay(attempt: number, policy: WebhookRetryPolicy, random: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random * ceiling);
}

/**
 * Decides whether to retry after attempt number `attempt` (from 1) ended with `outcome`, and how
 * long to wait. `now` is the current time in ms (for HTTP-date `Retry-After`), `random` in [0, 1).
 */
export function decideWebhookRetry(
  attempt: number,
  outcome: WebhookAttemptOutcome,
  options: { policy?: WebhookRetryPolicy; now: number; random: number },
): WebhookRetryDecision {
  const policy = options.policy ?? DEFAULT_WEBHOOK_RETRY_POLICY;
  if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) return { retry: false, reason: 'delivered' };
  if (outcome.kind === 'blocked') return { retry: false, reason: 'not_retryable' };
  if (outcome.kind === 'response' && !isRetryableStatus(outcome.status)) return { retry: false, reason: 'not_retryable' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'attempts_exhausted' };
  const backoff = backoffDelay(attempt, policy, options.random);
  if (outcome.kind === 'response') {
    const retryAfter = parseRetryAfter(outcome.retryAfter, options.now);
    if (retryAfter !== undefined) return { retry: true, delayMs: Math.min(policy.maxRetryAfterMs, Math.max(retryAfter, backoff)) };
  }
  return { retry: true, delayMs: backoff };
}
