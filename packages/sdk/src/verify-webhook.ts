// Verifies a webhook Petrel sent: `x-petrel-signature` is `v0=` + hex HMAC-SHA256 of
// `v0:{timestamp}:{raw body}` under the organization's webhook secret (`GET /v1/webhooks/secret`),
// `x-petrel-timestamp` is Unix seconds (the `x-skyvern-*` twins are read when Petrel's are absent).
// Web Crypto computes the HMAC, so this runs in Node ≥ 20, browsers, Deno, Bun and workers, and is
// therefore async. The signatures are compared in constant time.

/** Options of `verifyWebhook`. */
export type VerifyWebhookOptions = {
  /** Oldest accepted delivery, in seconds from now (either way, for clock skew). Default 300. */
  toleranceSeconds?: number;
  /** The current time, in Unix seconds. Default now. */
  now?: number;
};

/** Request headers: a `Headers` object or a plain record such as Node's `IncomingHttpHeaders`. */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

const SIGNATURE_HEADERS = ['x-petrel-signature', 'x-skyvern-signature'] as const;
const TIMESTAMP_HEADERS = ['x-petrel-timestamp', 'x-skyvern-timestamp'] as const;

function header(headers: WebhookHeaders, names: readonly string[]): string | undefined {
  for (const name of names) {
    let value: string | readonly string[] | null | undefined;
    if (headers instanceof Headers) {
      value = headers.get(name);
    } else {
      const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
      value = key === undefined ? undefined : headers[key];
    }
    const first = typeof value === 'string' ? value : value?.[0];
    if (first !== undefined && first !== '') return first;
  }
  return undefined;
}

function toBytes(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === 'string') return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

/** Compares two strings in time that depends only on their length. */
function constantTimeEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < left.length; i++) difference |= (left[i] ?? 0) ^ (right[i % Math.max(1, right.length)] ?? 0);
  return difference === 0;
}

/** `v0=<hex>`: the signature Petrel sends for a body and timestamp. */
export async function signWebhookPayload(secret: string, timestamp: number, rawBody: string | Uint8Array | ArrayBuffer): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const prefix = new TextEncoder().encode(`v0:${timestamp}:`);
  const body = toBytes(rawBody);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix, 0);
  message.set(body, prefix.length);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  return `v0=${Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * True when a webhook delivery is authentic and recent: its signature matches the raw body (the
 * exact bytes received, before any JSON parsing) under `secret`, and its timestamp is within
 * `toleranceSeconds` of now. Parse the body only after this resolves true.
 */
export async function verifyWebhook(
  rawBody: string | Uint8Array | ArrayBuffer,
  headers: WebhookHeaders,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<boolean> {
  const signature = header(headers, SIGNATURE_HEADERS);
  const timestampText = header(headers, TIMESTAMP_HEADERS);
  if (signature === undefined || timestampText === undefined || secret === '') return false;
  if (!/^\d{1,12}$/.test(timestampText.trim())) return false;
  const timestamp = Number(timestampText.trim());
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = await signWebhookPayload(secret, timestamp, rawBody);
  return constantTimeEqual(expected, signature.trim());
}
