// The one way Petrel makes HTTP requests on behalf of users (webhooks, `http_request` blocks,
// `totp_url`). Every hop, redirects included, is checked by the address policy: IP literals before
// connecting, host names inside the socket's DNS lookup. The socket connects to the very addresses
// that were checked (undici's `connect.lookup`), so a DNS answer that changes between the check and
// the connection (DNS rebinding) cannot slip through.
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { PetrelError } from '@petrel/protocol';
import { Agent, fetch } from 'undici';
import type { Response } from 'undici';
import { isMetadataHostname, judgeAddress } from './address-policy.ts';

/** Resolves a host name to its addresses. */
export type HostResolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>;

/** Options of `createOutboundFetch`. */
export type OutboundFetchOptions = {
  /** Also refuse loopback, private, link-local, CGNAT, ULA and other non-public addresses. Default false. */
  blockPrivateNetworks?: boolean;
  /** Default time limit of one request (all hops, until the response headers), in ms. Default 30 000. */
  timeoutMs?: number;
  /** Most redirects followed. Default 5. */
  maxRedirects?: number;
  /** Resolver used instead of the system's (tests use it to simulate DNS answers). */
  resolve?: HostResolver;
  /** `User-Agent` sent when the caller sets none. Default `Petrel`. */
  userAgent?: string;
};

/** One outbound request. */
export type OutboundRequest = {
  /** HTTP method. Default GET. */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Body; a string or bytes, so it can be sent again on a 307/308 redirect. */
  body?: string | Uint8Array;
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Time limit of this request in ms; overrides the default. */
  timeoutMs?: number;
  /** `follow` (default) follows redirects, each hop checked; `manual` returns the 3xx. */
  redirect?: 'follow' | 'manual';
};

/** A fetch that applies the outbound policy. Dispose to close its connections. */
export type OutboundFetch = {
  (url: string | URL, request?: OutboundRequest): Promise<Response>;
  /** Whether private networks are refused. */
  readonly blockPrivateNetworks: boolean;
  [Symbol.asyncDispose](): Promise<void>;
};

const systemResolver: HostResolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

function blocked(operation: string, what: string, reason: 'metadata' | 'private'): PetrelError {
  const why = reason === 'metadata' ? 'a cloud metadata address' : 'a private or local address';
  return new PetrelError('OUTBOUND_BLOCKED', `${operation}: ${what} is ${why}, which the outbound policy refuses`, { nonRetryable: true });
}

function findPetrelCause(error: unknown): PetrelError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof PetrelError) return current;
    current = current.cause;
  }
  return undefined;
}

/** Builds the policy-checked fetch. */
export function createOutboundFetch(options: OutboundFetchOptions = {}): OutboundFetch {
  const blockPrivateNetworks = options.blockPrivateNetworks ?? false;
  const defaultTimeoutMs = options.timeoutMs ?? 30_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const resolve = options.resolve ?? systemResolver;
  const userAgent = options.userAgent ?? 'Petrel';

  // Called by net.connect for every new socket; only checked addresses are handed back.
  const checkedLookup = (
    hostname: string,
    lookupOptions: { all?: boolean; family?: number | string },
    callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolve(hostname).then(
      (found) => {
        if (found.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        for (const entry of found) {
          const verdict = judgeAddress(entry.address, blockPrivateNetworks);
          if (verdict !== undefined) return callback(blocked('outbound.connect', `host ${hostname}`, verdict), '', 0);
        }
        const wanted = lookupOptions.family === 6 || lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family === 4 || lookupOptions.family === 'IPv4' ? 4 : 0;
        const usable = wanted === 0 ? found : found.filter((entry) => entry.family === wanted);
        const list = (usable.length > 0 ? usable : found).map((entry) => ({ address: entry.address, family: entry.family }));
        if (lookupOptions.all === true) return callback(null, list);
        const first = list[0]!;
        return callback(null, first.address, first.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), '', 0),
    );
  };

  const agent = new Agent({ connect: { lookup: checkedLookup as never }, connections: 16 });

  const checkUrl = (url: URL): void => {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new PetrelError('OUTBOUND_BLOCKED', `outbound.fetch: only http and https URLs are allowed (got ${url.protocol})`, { nonRetryable: true });
    }
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    if (isIP(host) !== 0) {
      const verdict = judgeAddress(host, blockPrivateNetworks);
      if (verdict !== undefined) throw blocked('outbound.fetch', `address ${host}`, verdict);
    } else if (isMetadataHostname(host)) {
      throw blocked('outbound.fetch', `host ${host}`, 'metadata');
    }
  };

  const outbound = async (input: string | URL, request: OutboundRequest = {}): Promise<Response> => {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new PetrelError('INVALID_INPUT', 'outbound.fetch: the URL is not valid');
    }
    const timeoutMs = request.timeoutMs ?? defaultTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]);
    let method = (request.method ?? 'GET').toUpperCase();
    let body = request.body;
    let headers: Record<string, string> = { 'user-agent': userAgent, ...request.headers };

    for (let hop = 0; ; hop++) {
      checkUrl(url);
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          redirect: 'manual',
          signal,
          dispatcher: agent,
        });
      } catch (error) {
        const cause = findPetrelCause(error);
        if (cause !== undefined) throw cause;
        if (timeout.aborted && request.signal?.aborted !== true) {
          throw new PetrelError('TIMEOUT', `outbound.fetch: no response from ${url.host} within ${timeoutMs} ms`, { cause: error });
        }
        if (request.signal?.aborted === true) throw new PetrelError('CANCELED', 'outbound.fetch: aborted', { cause: error });
        throw error;
      }
      const location = response.headers.get('location');
      if (request.redirect === 'manual' || response.status < 300 || response.status >= 400 || location === null) return response;
      await response.body?.cancel();
      if (hop >= maxRedirects) throw new PetrelError('OUTBOUND_BLOCKED', `outbound.fetch: more than ${maxRedirects} redirects`, { nonRetryable: true });
      const next = new URL(location, url);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-(type|length|encoding)$/i.test(name)));
      }
      if (next.origin !== url.origin) {
        // Credentials meant for one origin are not forwarded to another (as the fetch standard does).
        headers = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^(authorization|cookie|proxy-authorization)$/i.test(name)));
      }
      url = next;
    }
  };

  return Object.assign(outbound, {
    blockPrivateNetworks,
    async [Symbol.asyncDispose]() {
      await agent.close();
    },
  });
}
