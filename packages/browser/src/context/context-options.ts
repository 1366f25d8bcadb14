// Options of a run context, validated once where the context is made.
import { PetrelError } from '@petrel/protocol';
import type { BrowserContext, BrowserContextOptions } from 'playwright-core';
import type { ArtifactRecord } from '../artifacts/artifact-recorder.ts';

/** Cookies, localStorage and (when captured with it) IndexedDB, as Playwright's `storageState()` returns them. */
export type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>;

/** How the context waits for the page to settle after an action. */
export type SettleOptions = {
  /** The DOM must be free of mutations this long; default 60 ms. */
  quietMs?: number;
  /** Upper bound of the whole wait; default 5000 ms. */
  capMs?: number;
};

/** Options of one run context (one per run; its blocks share it). */
export type RunContextOptions = {
  /** The run the context belongs to (artifact keys, logs); default a new `wr_` id. */
  runId?: string;
  /** User-Agent header and `navigator.userAgent`; default Chromium's. */
  userAgent?: string;
  /** Headers sent with every request of the context; default none. */
  extraHttpHeaders?: Record<string, string>;
  /** Proxy for the context's traffic; default none. */
  proxy?: { server: string; bypass?: string; username?: string; password?: string };
  /** Viewport in CSS pixels; default 1280×720. */
  viewport?: { width: number; height: number };
  /** Locale such as `de-DE`; default Chromium's. */
  locale?: string;
  /** IANA time zone such as `Europe/Berlin`; default the host's. */
  timezoneId?: string;
  /** State to start from (a profile or a checkpoint); default empty. */
  storageState?: StorageState;
  /** Folder for this run's downloads; default `<pool downloadsRoot>/<runId>`. */
  downloadsDir?: string;
  /** Record a Playwright trace (`trace.zip`); default true. */
  trace?: boolean;
  /** Record video: `auto` when ffmpeg is available, `on` (logs why not when impossible), `off`; default `auto`. */
  video?: 'auto' | 'on' | 'off';
  /** Screenshots: after every action and at the end (`action`), only at the end (`final`), or `off`; default `action`. */
  screenshots?: 'action' | 'final' | 'off';
  /** Screenshot encoding; default `jpeg` (quality 80), several times faster than png on big pages. */
  screenshotFormat?: 'jpeg' | 'png';
  /** Store the final page HTML; default true. */
  html?: boolean;
  /** Default time limit of one action (waiting for its element included); default 10000 ms. */
  actionTimeoutMs?: number;
  /** Time limit of navigations; default 30000 ms. */
  navigationTimeoutMs?: number;
  /** Settling after each action. */
  settle?: SettleOptions;
  /** JavaScript dialogs: keep them open for `accept_dialog`/`dismiss_dialog` (`pending`), or `accept`/`dismiss` at once; default `pending`. */
  dialogs?: 'pending' | 'accept' | 'dismiss';
  /** Accept invalid TLS certificates; default false. */
  ignoreHttpsErrors?: boolean;
  /** Values to keep out of the trace, HTML snapshot and console log (e.g. a credential's password); default none. */
  secrets?: string[];
  /** Called after each stored artifact, for the server to persist the record; default none. */
  onArtifact?: (record: ArtifactRecord) => void | Promise<void>;
};

/** Options after validation, with defaults applied. */
export type ResolvedContextOptions = Required<
  Pick<RunContextOptions, 'runId' | 'trace' | 'video' | 'screenshots' | 'screenshotFormat' | 'html' | 'actionTimeoutMs' | 'navigationTimeoutMs' | 'dialogs'>
> & {
  settle: Required<SettleOptions>;
  viewport: { width: number; height: number };
  raw: RunContextOptions;
};

function positiveInt(value: unknown, field: string, max = 24 * 3_600_000): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw new PetrelError('VALIDATION_FAILED', `browser.newContext: ${field} must be a positive integer`, { details: { field } });
  }
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (!allowed.includes(value as T)) {
    throw new PetrelError('VALIDATION_FAILED', `browser.newContext: ${field} must be one of ${allowed.join(', ')}`, { details: { field } });
  }
  return value as T;
}

/** Validates run context options and applies the defaults. */
export function resolveContextOptions(options: RunContextOptions, defaultRunId: () => string): ResolvedContextOptions {
  const viewport = options.viewport ?? { width: 1280, height: 720 };
  positiveInt(viewport.width, 'viewport.width', 10_000);
  positiveInt(viewport.height, 'viewport.height', 10_000);
  if (options.proxy !== undefined && (typeof options.proxy.server !== 'string' || options.proxy.server.length === 0)) {
    throw new PetrelError('VALIDATION_FAILED', 'browser.newContext: proxy.server is required when a proxy is given', { details: { field: 'proxy.server' } });
  }
  if (options.extraHttpHeaders !== undefined) {
    for (const [name, value] of Object.entries(options.extraHttpHeaders)) {
      if (typeof value !== 'string') {
        throw new PetrelError('VALIDATION_FAILED', `browser.newContext: extraHttpHeaders.${name} must be a string`, { details: { field: 'extraHttpHeaders' } });
      }
    }
  }
  if (options.runId !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(options.runId)) {
    throw new PetrelError('VALIDATION_FAILED', 'browser.newContext: runId must be 1–128 letters, digits, _ or -', { details: { field: 'runId' } });
  }
  return {
    runId: options.runId ?? defaultRunId(),
    trace: options.trace ?? true,
    video: oneOf(options.video ?? 'auto', ['auto', 'on', 'off'], 'video'),
    screenshots: oneOf(options.screenshots ?? 'action', ['action', 'final', 'off'], 'screenshots'),
    screenshotFormat: oneOf(options.screenshotFormat ?? 'jpeg', ['jpeg', 'png'], 'screenshotFormat'),
    html: options.html ?? true,
    actionTimeoutMs: positiveInt(options.actionTimeoutMs ?? 10_000, 'actionTimeoutMs'),
    navigationTimeoutMs: positiveInt(options.navigationTimeoutMs ?? 30_000, 'navigationTimeoutMs'),
    dialogs: oneOf(options.dialogs ?? 'pending', ['pending', 'accept', 'dismiss'], 'dialogs'),
    settle: {
      quietMs: positiveInt(options.settle?.quietMs ?? 60, 'settle.quietMs', 60_000),
      capMs: positiveInt(options.settle?.capMs ?? 5000, 'settle.capMs', 600_000),
    },
    viewport,
    raw: options,
  };
}

/** The Playwright context options for a fresh context (video is added by the pool when possible). */
export function playwrightContextOptions(resolved: ResolvedContextOptions): BrowserContextOptions {
  const o = resolved.raw;
  return {
    viewport: resolved.viewport,
    acceptDownloads: true,
    ...(o.userAgent ? { userAgent: o.userAgent } : {}),
    ...(o.extraHttpHeaders ? { extraHTTPHeaders: o.extraHttpHeaders } : {}),
    ...(o.proxy
      ? {
          proxy: {
            server: o.proxy.server,
            ...(o.proxy.bypass ? { bypass: o.proxy.bypass } : {}),
            ...(o.proxy.username ? { username: o.proxy.username } : {}),
            ...(o.proxy.password ? { password: o.proxy.password } : {}),
          },
        }
      : {}),
    ...(o.locale ? { locale: o.locale } : {}),
    ...(o.timezoneId ? { timezoneId: o.timezoneId } : {}),
    ...(o.storageState ? { storageState: o.storageState } : {}),
    ...(o.ignoreHttpsErrors ? { ignoreHTTPSErrors: true } : {}),
  };
}
