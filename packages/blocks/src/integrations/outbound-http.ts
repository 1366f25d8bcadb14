// HTTP on behalf of a block (http_request, fetching a file by URL, download_to_s3), always through
// the fetch the run was given: in a server that is the outbound-policy fetch, which checks every
// hop of a redirect chain; in tests it is the global fetch. Adds a time limit that covers reading
// the body, and a size limit on the body.
import { PetrelError } from '@petrel/protocol';

/** The reader of a response body, as much of it as executors use. */
type BodyReader = { read(): Promise<{ done: boolean; value?: unknown }>; cancel(reason?: unknown): Promise<void>; releaseLock(): void };

/** The response shape executors read (the global `Response` and undici's both fit). */
export type OutboundResponse = {
  status: number;
  headers: { get(name: string): string | null; forEach(callback: (value: string, name: string) => void): void };
  body: { getReader(): BodyReader; cancel(reason?: unknown): Promise<void> } | null;
};

/** One request as executors make it. */
export type OutboundInit = {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  signal: AbortSignal;
  /** `follow` lets the fetch follow redirects (hop by hop under the policy); `manual` returns the 3xx. */
  redirect: 'follow' | 'manual';
  /** The time limit, for fetches that enforce their own (the server's outbound fetch does). */
  timeoutMs?: number;
};

/**
 * A `fetch`-shaped function. The global `fetch` fits, and so does the server's outbound-policy fetch
 * (`createOutboundFetch`), which is what a server hands the executors.
 */
export type OutboundFetchLike = (url: string, init: OutboundInit) => Promise<OutboundResponse>;

/** Options of `fetchBytes`. */
export type FetchBytesOptions = {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  /** Time limit for the whole exchange, body included; default 30 000 ms. */
  timeoutMs?: number;
  /** Follow redirects; default true. */
  followRedirects?: boolean;
  /** Largest body read; a larger one fails with `PAYLOAD_TOO_LARGE`; default 50 MiB. */
  maxBytes?: number;
  /** The run's signal. */
  signal?: AbortSignal;
  /** Prefix of error messages; default `http.request`. */
  operation?: string;
};

/** A response with its whole body. */
export type FetchedBytes = { status: number; headers: Record<string, string>; body: Uint8Array; url: string };

/** Reads a response's headers into a plain object (lower-case names; repeated headers joined by `, `). */
export function headersOf(response: OutboundResponse): Record<string, string> {
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    out[name.toLowerCase()] = value;
  });
  return out;
}

/** Checks that a string is an absolute http(s) URL; throws `VALIDATION_FAILED` naming `field`. */
export function checkHttpUrl(value: unknown, field: string, operation: string): URL {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: ${field} is required`, { details: { field } });
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: ${field} is not an absolute URL`, { details: { field } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: ${field} must be an http or https URL (got ${url.protocol})`, { details: { field } });
  }
  return url;
}

/**
 * Makes one request and reads the whole body. Rejects with `TIMEOUT` past the time limit (body
 * included), `CANCELED` when `signal` fires, `PAYLOAD_TOO_LARGE` past `maxBytes`, the fetch's own
 * `PetrelError`s (`OUTBOUND_BLOCKED`), and `UNAVAILABLE` for network failures.
 */
export async function fetchBytes(fetch: OutboundFetchLike, url: string, options: FetchBytesOptions = {}): Promise<FetchedBytes> {
  const operation = options.operation ?? 'http.request';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const host = safeHost(url);
  const translate = (error: unknown): PetrelError => {
    if (options.signal?.aborted) return new PetrelError('CANCELED', `${operation}: the run was canceled`, { cause: error });
    if (timeout.aborted) return new PetrelError('TIMEOUT', `${operation}: no complete answer from ${host} within ${timeoutMs} ms`, { cause: error, nonRetryable: false });
    if (error instanceof PetrelError) return error;
    const code = (error as { cause?: { code?: unknown } })?.cause?.code;
    return new PetrelError('UNAVAILABLE', `${operation}: ${host} could not be reached${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error });
  };

  let response: OutboundResponse;
  try {
    response = await fetch(url, {
      method: (options.method ?? 'GET').toUpperCase(),
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      signal,
      redirect: options.followRedirects === false ? 'manual' : 'follow',
      timeoutMs,
    });
  } catch (error) {
    throw translate(error);
  }

  const headers = headersOf(response);
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw new PetrelError('PAYLOAD_TOO_LARGE', `${operation}: the answer from ${host} is ${declared} bytes, more than the ${maxBytes} allowed`, {
      details: { max_bytes: maxBytes },
    });
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (response.body) {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!(value instanceof Uint8Array)) continue;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => {});
          throw new PetrelError('PAYLOAD_TOO_LARGE', `${operation}: the answer from ${host} is more than the ${maxBytes} bytes allowed`, {
            details: { max_bytes: maxBytes },
          });
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof PetrelError && error.code === 'PAYLOAD_TOO_LARGE') throw error;
      throw translate(error);
    } finally {
      reader.releaseLock();
    }
  }
  return { status: response.status, headers, body: Buffer.concat(chunks, size), url };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

/** The file name a response suggests (`Content-Disposition`), else the last segment of the URL path. */
export function suggestedFileName(headers: Record<string, string>, url: string): string | undefined {
  const disposition = headers['content-disposition'];
  if (disposition) {
    const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition);
    if (star?.[1]) {
      try {
        return decodeURIComponent(star[1].trim());
      } catch {
        // Fall through to the plain parameter.
      }
    }
    const plain = /filename\s*=\s*(?:"([^"]*)"|([^;]+))/.exec(disposition);
    const name = plain?.[1] ?? plain?.[2]?.trim();
    if (name) return name;
  }
  try {
    const last = new URL(url).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}
