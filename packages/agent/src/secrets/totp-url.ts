// Asking a customer's `totp_url` for a 2FA code, Skyvern's contract: a signed JSON POST, answered with
// 200 `{ "verification_code": "123456" }`; any other answer means "not yet" (the caller polls). Signed
// like Petrel's webhooks, by the same signer (protocol's `webhookSignatureHeaders`): `v0=` + hex
// HMAC-SHA256 of `v0:{timestamp}:{body}`, under Petrel's and Skyvern's header names. The HTTP call
// goes through an injected fetch so the server's outbound policy (private address blocking)
// applies; redirects are refused so a policy on the first hop cannot be bypassed by the second.
import { PetrelError, webhookSignatureHeaders } from '@petrel/protocol';
import type { FetchLike } from '../model/model-config.ts';

/** Options of `fetchTotpFromUrl`. */
export type TotpUrlOptions = {
  /** The customer's endpoint. */
  url: string;
  /** The organization's webhook secret, the HMAC key. */
  signingSecret: string;
  /** The JSON body, e.g. `{ task_id, workflow_run_id, workflow_permanent_id, totp_identifier }`; default `{}`. */
  payload?: Record<string, unknown>;
  /** The HTTP transport (the outbound policy's fetch); default the global `fetch`. */
  fetch?: FetchLike;
  /** Time limit of the request; default 10 000 ms. */
  timeoutMs?: number;
  /** Aborts the request; the call then rejects with `CANCELED`. */
  signal?: AbortSignal;
  /** Clock for the signature timestamp, ms since the epoch; default `Date.now`. */
  now?: () => number;
};

/** A code, or why there is none yet (the caller decides whether to poll again). */
export type TotpUrlResult = { code: string; status: number } | { code?: undefined; status?: number; reason: string };

const MAX_RESPONSE_BYTES = 64 * 1024;

async function readLimited(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Asks a `totp_url` for a code. Resolves with the code, or with a reason when the endpoint has none
 * (non-200, not JSON, no `verification_code`, timeout, network error). Rejects with `CANCELED` when
 * `signal` aborts, `VALIDATION_FAILED` for a URL that is not http(s), and rethrows a `PetrelError`
 * from the injected fetch (e.g. `OUTBOUND_BLOCKED`).
 */
export async function fetchTotpFromUrl(options: TotpUrlOptions): Promise<TotpUrlResult> {
  let target: URL;
  try {
    target = new URL(options.url);
  } catch {
    throw new PetrelError('VALIDATION_FAILED', 'totp.fetch: totp_url is not a valid URL', { details: { field: 'totp_url' } });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new PetrelError('VALIDATION_FAILED', 'totp.fetch: totp_url must be http or https', { details: { field: 'totp_url' } });
  }
  options.signal?.throwIfAborted();
  const body = JSON.stringify(options.payload ?? {});
  const timestamp = Math.floor((options.now ?? Date.now)() / 1000);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  const doFetch: FetchLike = options.fetch ?? fetch;
  try {
    const response = await doFetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...webhookSignatureHeaders(options.signingSecret, timestamp, body) },
      body,
      redirect: 'manual',
      signal,
    });
    const text = await readLimited(response);
    if (response.status !== 200) return { status: response.status, reason: `totp_url answered HTTP ${response.status}` };
    if (text === undefined) return { status: 200, reason: `totp_url answered more than ${MAX_RESPONSE_BYTES} bytes` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { status: 200, reason: 'totp_url answered with a body that is not JSON' };
    }
    const code = typeof parsed === 'object' && parsed !== null ? (parsed as { verification_code?: unknown }).verification_code : undefined;
    const clean = typeof code === 'number' ? String(code) : typeof code === 'string' ? code.trim() : '';
    if (clean === '') return { status: 200, reason: 'totp_url answered without a verification_code' };
    return { code: clean, status: 200 };
  } catch (error) {
    if (options.signal?.aborted) throw new PetrelError('CANCELED', 'totp.fetch: canceled', { cause: error });
    if (timeout.signal.aborted) return { reason: `totp_url did not answer within ${options.timeoutMs ?? 10_000} ms` };
    if (error instanceof PetrelError) throw error;
    return { reason: `totp_url could not be reached: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
