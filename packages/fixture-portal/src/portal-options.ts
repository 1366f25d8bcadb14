// Options of `startPortal`, validated once into a complete settings object.

/** Options of `startPortal`. */
export type PortalOptions = {
  /** Port of the main origin; default 0 (a free port). */
  port?: number;
  /** Port of the second origin that serves the cross-site iframe; default 0 (a free port). */
  crossOriginPort?: number;
  /** Interface the main server listens on; default `'127.0.0.1'`. */
  host?: string;
  /**
   * Host name of the second origin. Default `'localhost'` when `host` is a loopback address (another
   * site than `127.0.0.1`, so Chromium runs the iframe in its own process; the server then listens on
   * both loopback addresses, since Chromium tries `::1` first), `'127.0.0.1'` when `host` is
   * `'localhost'`, otherwise `host` (a same-site frame on another port).
   */
  crossOriginHost?: string;
  /** Seed of the generated data; default 2026. */
  seed?: number;
  /** How long `/slow` takes to answer, in ms; default 2000. */
  slowPageMs?: number;
  /** The latest report shows "Processing" on its first N page loads and is ready from load N+1; default 2. */
  reportReadyAfterLoads?: number;
  /** The latest report is also ready this many ms after its page was first loaded; default 10000. */
  reportReadyAfterMs?: number;
  /** Orders per page of `/orders`; default 20. */
  pageSize?: number;
  /** Product rows on `/big` (each row is about 8 elements); default 400. */
  bigPageRows?: number;
  /** Show the cookie banner until the visitor answers it; default true. */
  cookieBanner?: boolean;
};

/** Options with every default applied. */
export type PortalSettings = Required<PortalOptions>;

function nonNegativeInteger(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`startPortal: ${name} must be an integer from 0 to ${max}, got ${String(value)}`);
  }
  return value;
}

/** Applies defaults and rejects values out of range. */
export function resolvePortalOptions(options: PortalOptions = {}): PortalSettings {
  const pageSize = nonNegativeInteger('pageSize', options.pageSize ?? 20, 1000);
  if (pageSize === 0) throw new RangeError('startPortal: pageSize must be at least 1');
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw new TypeError('startPortal: host must be a non-empty string');
  const crossOriginHost = options.crossOriginHost ?? (host === '127.0.0.1' || host === '::1' ? 'localhost' : host === 'localhost' ? '127.0.0.1' : host);
  if (typeof crossOriginHost !== 'string' || crossOriginHost === '') throw new TypeError('startPortal: crossOriginHost must be a non-empty string');
  const seed = options.seed ?? 2026;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`startPortal: seed must be an integer, got ${String(seed)}`);
  return {
    port: nonNegativeInteger('port', options.port ?? 0, 65535),
    crossOriginPort: nonNegativeInteger('crossOriginPort', options.crossOriginPort ?? 0, 65535),
    host,
    crossOriginHost,
    seed,
    slowPageMs: nonNegativeInteger('slowPageMs', options.slowPageMs ?? 2000, 600_000),
    reportReadyAfterLoads: nonNegativeInteger('reportReadyAfterLoads', options.reportReadyAfterLoads ?? 2, 1_000_000),
    reportReadyAfterMs: nonNegativeInteger('reportReadyAfterMs', options.reportReadyAfterMs ?? 10_000, 86_400_000),
    pageSize,
    bigPageRows: nonNegativeInteger('bigPageRows', options.bigPageRows ?? 400, 100_000),
    cookieBanner: options.cookieBanner ?? true,
  };
}
