// One HTTP call to the API, with everything around it: the URL from an operation's path template
// and query, the key header, JSON (camelCase in the SDK, snake_case on the wire), a time limit per
// attempt, the caller's AbortSignal, typed errors, and retries. Only retry-safe requests are retried
// (GET, PUT, DELETE, or anything carrying an `Idempotency-Key`, which the SDK adds to creates when
// retries are on), after a network error, a timed-out attempt, 408, 429, a 5xx, or a 409 that says
// when to come back (`Retry-After`: the first request with the same key is still running). Waits
// grow exponentially with jitter and honour `Retry-After`.
// Browser-safe: only `fetch`, `AbortController`, `FormData` and `crypto.randomUUID` are used.
import type { Duration } from './durations.ts';
import { toMilliseconds } from './durations.ts';
import { ConnectionError, TimeoutError, createApiError } from './errors.ts';
import type { OperationSpec } from './generated/operations.ts';
import { fromWire, toWire } from './wire-casing.ts';

/** Options of one call; each overrides the client's setting. */
export type RequestOptions = {
  /** Time limit of each attempt: milliseconds or a string such as `"30 seconds"`. Default: the client's `timeout`. */
  timeout?: Duration;
  /** How many times a retry-safe request is tried again after a retryable failure. Default: the client's `maxRetries`. */
  maxRetries?: number;
  /** Extra headers of this request. */
  headers?: Record<string, string>;
  /** Cancels the request and any wait between retries; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** `Idempotency-Key` to send (makes any request retry-safe). Default: a random key on creates when retries are on. */
  idempotencyKey?: string;
};

/** The fetch function the client calls (the global one by default). */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/** Settings of the HTTP layer, validated by the client's constructor. */
export type HttpSettings = {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  maxRetries: number;
  headers: Record<string, string>;
  fetch: FetchFunction;
};

/** What one call sends. */
export type CallInput = {
  /** Values of the path template's placeholders. */
  path?: Record<string, string>;
  /** Query parameters (camelCase; arrays repeat the key; `undefined` and `null` are left out). */
  query?: object | undefined;
  /** JSON body (camelCase), or a `FormData` for multipart operations. */
  body?: unknown;
};

const RETRY_SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const INITIAL_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 10_000;
/** A `Retry-After` longer than this is not waited for: the error is thrown instead. */
const MAX_RETRY_AFTER_MS = 60_000;

/** A random idempotency key (`sdk_` + a UUID). */
export function newIdempotencyKey(): string {
  return `sdk_${crypto.randomUUID()}`;
}

/** Milliseconds a `Retry-After` header asks for (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Delay before retry number `retry` (1-based): exponential, capped, with jitter over its upper half. */
export function backoffDelay(retry: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_RETRY_DELAY_MS, INITIAL_RETRY_DELAY_MS * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function buildUrl(settings: HttpSettings, spec: OperationSpec, input: CallInput): string {
  const path = spec.path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
    const value = input.path?.[name];
    if (value === undefined || value === '') throw new TypeError(`${spec.method} ${spec.path}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const url = `${settings.baseUrl}${path}`;
  if (input.query === undefined) return url;
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(toWire(input.query) as Record<string, unknown>)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === undefined || item === null) continue;
      search.append(key, item instanceof Date ? item.toISOString() : String(item));
    }
  }
  const text = search.toString();
  return text === '' ? url : `${url}?${text}`;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

type Attempt = { kind: 'response'; response: Response; body: unknown } | { kind: 'error'; error: Error };

/** The HTTP layer of a client. */
export class HttpClient {
  readonly settings: HttpSettings;

  constructor(settings: HttpSettings) {
    this.settings = settings;
  }

  /** Calls an operation and returns its JSON answer in camelCase (undefined for an empty answer). */
  async call(name: string, spec: OperationSpec, input: CallInput, options: RequestOptions = {}): Promise<unknown> {
    const { body } = await this.exchange(name, spec, input, options, true);
    return fromWire(body);
  }

  /**
   * Calls an operation and returns the successful `Response` with its body unread, for bytes and
   * streams: the time limit covers the wait for the headers; the signal also cancels the body.
   * Error statuses still throw `ApiError`s.
   */
  async send(name: string, spec: OperationSpec, input: CallInput, options: RequestOptions = {}): Promise<Response> {
    return (await this.exchange(name, spec, input, options, false)).response;
  }

  private async exchange(name: string, spec: OperationSpec, input: CallInput, options: RequestOptions, buffered: boolean): Promise<{ response: Response; body: unknown }> {
    const settings = this.settings;
    const url = buildUrl(settings, spec, input);
    const timeoutMs = options.timeout === undefined ? settings.timeoutMs : toMilliseconds(options.timeout, `${name}: timeout`);
    const maxRetries = options.maxRetries ?? settings.maxRetries;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new RangeError(`${name}: maxRetries must be a whole number ≥ 0`);

    const headers: Record<string, string> = { accept: 'application/json', ...settings.headers, 'x-api-key': settings.apiKey };
    let body: BodyInit | undefined;
    if (input.body instanceof FormData) {
      body = input.body;
    } else if (input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(toWire(input.body));
    }
    const idempotencyKey = options.idempotencyKey ?? (spec.idempotencyKey && maxRetries > 0 ? newIdempotencyKey() : undefined);
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    Object.assign(headers, options.headers);
    const retrySafe = RETRY_SAFE_METHODS.has(spec.method) || idempotencyKey !== undefined;
    const init: RequestInit = { method: spec.method, headers, ...(body === undefined ? {} : { body }) };

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(name, url, init, timeoutMs, options.signal, buffered);
      if (outcome.kind === 'response' && outcome.response.ok) return outcome;

      let retryAfterMs: number | undefined;
      let retryable: boolean;
      if (outcome.kind === 'error') {
        retryable = true;
      } else {
        const { status } = outcome.response;
        retryAfterMs = parseRetryAfter(outcome.response.headers.get('retry-after'));
        retryable = status === 408 || status === 429 || status >= 500 || (status === 409 && retryAfterMs !== undefined);
      }
      const canRetry = retrySafe && retryable && attempt < maxRetries && (retryAfterMs === undefined || retryAfterMs <= MAX_RETRY_AFTER_MS);
      if (!canRetry) {
        if (outcome.kind === 'error') throw outcome.error;
        const { response } = outcome;
        throw createApiError(`${name}: ${spec.method} ${spec.path} answered ${response.status}`, {
          statusCode: response.status,
          body: buffered ? outcome.body : await readBody(response),
          requestId: response.headers.get('x-request-id') ?? undefined,
          headers: response.headers,
        });
      }
      if (outcome.kind === 'response' && !buffered) await outcome.response.body?.cancel();
      await sleep(Math.max(retryAfterMs ?? 0, backoffDelay(attempt + 1)), options.signal);
    }
  }

  private async attempt(name: string, url: string, init: RequestInit, timeoutMs: number, signal: AbortSignal | undefined, buffered: boolean): Promise<Attempt> {
    if (signal?.aborted) throw signal.reason;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let streaming = false;
    try {
      const response = await this.settings.fetch(url, { ...init, signal: controller.signal });
      if (!buffered && response.ok) {
        // The caller reads the body; the signal must still cancel it, so the listener stays (once).
        streaming = true;
        return { kind: 'response', response, body: undefined };
      }
      return { kind: 'response', response, body: buffered ? await readBody(response) : undefined };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timedOut) return { kind: 'error', error: new TimeoutError(`${name}: no answer within ${timeoutMs} ms`, { timeoutMs, cause: error }) };
      return { kind: 'error', error: new ConnectionError(`${name}: cannot reach ${new URL(url).origin}`, { cause: error }) };
    } finally {
      clearTimeout(timer);
      if (!streaming) signal?.removeEventListener('abort', onAbort);
    }
  }
}
