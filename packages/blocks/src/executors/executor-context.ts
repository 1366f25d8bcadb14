// What the non-browser executors need from a run, in one narrow type: the run's secrets, files,
// outbound fetch, model, mailer and storage defaults. The interpreter builds one per block from its
// own `BlockContext` (see `interpreter/block-executor.ts`); tests build one directly. Keeping the
// executors on this type (and not on the interpreter's context) lets them be tested alone and keeps
// the two halves decoupled.
import { createHash } from 'node:crypto';
import type { LanguageModel, SecretRedactor } from '@petrel/agent';
import type { ArtifactRecord, ArtifactType, RunContext, S3BlobStoreOptions } from '@petrel/browser';
import type { Logger, RunError } from '@petrel/protocol';
import { PetrelError, silentLogger } from '@petrel/protocol';
import type { SandboxLimits } from '../integrations/code-sandbox.ts';
import type { Mailer } from '../integrations/mailer.ts';
import type { OutboundFetchLike } from '../integrations/outbound-http.ts';

/** The name Skyvern gives the run's downloads folder in file references (`SKYVERN_DOWNLOAD_DIRECTORY/<name>`). */
export const DOWNLOAD_DIRECTORY = 'SKYVERN_DOWNLOAD_DIRECTORY';

/** A file of the run (a download, an upload) that an executor can read. */
export type RunFile = {
  /** The file name, e.g. `invoice_ORD-10001.pdf`. */
  name: string;
  /** Size in bytes, when known before reading. */
  size?: number;
  /** MIME type, when known. */
  contentType?: string;
  /** The bytes. */
  read(options?: { signal?: AbortSignal }): Promise<Uint8Array>;
};

/** A file an executor saved into the run's downloads. */
export type SavedRunFile = { name: string; size: number; sha256: string; contentType: string; artifactId?: string };

/** The run's files as executors see them. */
export type RunFiles = {
  /** Every file the run downloaded so far, oldest first: what `SKYVERN_DOWNLOAD_DIRECTORY` means. */
  listDownloads(options?: { signal?: AbortSignal }): Promise<RunFile[]>;
  /**
   * Saves bytes as a new download of the run (a name already taken gets a ` (1)` suffix) and returns
   * what was stored under which name.
   */
  saveDownload(name: string, body: Uint8Array, options?: { contentType?: string; signal?: AbortSignal }): Promise<SavedRunFile>;
  /**
   * Resolves any other file reference a block may hold (an uploaded file's URL, a `file_url`
   * parameter value) to a file, or undefined when the reference is not one of the run's files; the
   * executors then fetch http(s) URLs themselves.
   */
  resolveFile?(reference: string, options?: { signal?: AbortSignal }): Promise<RunFile | undefined>;
};

/** Everything a non-browser executor may use. Optional members are integrations a server may lack. */
export type ExecutorContext = {
  /** The workflow run (`wr_…`). */
  runId: string;
  /** The block's label (for messages and artifact names). */
  label: string;
  /** Fires when the run is canceled or the step times out. */
  signal: AbortSignal;
  /** The run's logger; default silent. */
  logger?: Logger;
  /** The run's secrets: placeholders in rendered fields are revealed through it, and outputs are redacted with it. */
  redactor: SecretRedactor;
  /**
   * Values a block may name by key: run parameters, credentials (as their placeholder views),
   * `<label>_output` of finished blocks. Secrets appear as placeholders.
   */
  parameters: Readonly<Record<string, unknown>>;
  /** Parameters that exist but cannot be resolved (vault kinds Petrel lacks), with the error to report. */
  unavailableParameters?: Readonly<Record<string, PetrelError>>;
  /** Outbound HTTP through the server's outbound policy; every request an executor makes goes through it. */
  fetch: OutboundFetchLike;
  /** The run's files. */
  files: RunFiles;
  /** The model for text_prompt and file parsing with a schema; absent when none is configured. */
  model?: LanguageModel;
  /** The workflow's system prompt, when the block does not ignore it. */
  systemPrompt?: string;
  /** The server's default mailer (SMTP settings of the server); absent when none is configured. */
  mailer?: Mailer;
  /** Builds a mailer for a block's own SMTP settings; default `createSmtpMailer`. */
  createMailer?: (options: { host: string; port: number; username?: string; password?: string }) => Mailer;
  /** The server's object storage for the legacy `upload_to_s3` / `download_to_s3` blocks; absent when none is configured. */
  s3?: S3BlobStoreOptions;
  /** Limits of the code block's sandbox over the defaults (300 s, 64 MiB). */
  codeLimits?: Partial<SandboxLimits>;
  /** The run's browser, for the code block's `page` (opened on first use); absent for runs without a browser. */
  browser?: () => Promise<RunContext>;
  /** Stores an artifact of the block (best effort: undefined when storing failed or is not possible). */
  recordArtifact?: (type: ArtifactType, body: string | Uint8Array, options: { contentType: string; name?: string }) => Promise<ArtifactRecord | undefined>;
};

/** What an executor reports: the block's status and its output (recorded as `<label>_output` even on failure, as Skyvern does). */
export type ExecutorResult = {
  status: 'completed' | 'failed' | 'terminated' | 'timed_out';
  /** The JSON output; secrets in it are placeholders. */
  output: unknown;
  /** Why the block did not complete (no secrets). */
  failureReason?: string;
  /** Error codes of the block's `error_code_mapping` that apply. */
  errorCodes?: RunError[];
};

/** A completed result. */
export function completed(output: unknown): ExecutorResult {
  return { status: 'completed', output };
}

/** A failed result with an output. */
export function failed(output: unknown, failureReason: string, errorCodes?: RunError[]): ExecutorResult {
  return { status: 'failed', output, failureReason, ...(errorCodes && errorCodes.length > 0 ? { errorCodes } : {}) };
}

/** A `VALIDATION_FAILED` error naming a block field. */
export function fieldError(operation: string, field: string, why: string, extra: Record<string, unknown> = {}): PetrelError {
  return new PetrelError('VALIDATION_FAILED', `${operation}: ${field} ${why}`, { details: { field, ...extra } });
}

/** Throws `CANCELED` when the block's signal fired. */
export function throwIfCanceled(ctx: Pick<ExecutorContext, 'signal'>, operation: string): void {
  if (ctx.signal.aborted) throw new PetrelError('CANCELED', `${operation}: the run was canceled`, { cause: ctx.signal.reason });
}

/** The logger of a context. */
export function loggerOf(ctx: Pick<ExecutorContext, 'logger' | 'runId' | 'label'>): Logger {
  return (ctx.logger ?? silentLogger).child({ runId: ctx.runId, block: ctx.label });
}

/** Replaces every placeholder of the run's secrets in every string of a JSON value with the real value. */
export function revealJson<T>(redactor: SecretRedactor, value: T): T {
  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return redactor.revealIn(node);
    if (depth > 64 || node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(node)) out[redactor.revealIn(key)] = walk(item, depth + 1);
    return out;
  };
  return walk(value, 0) as T;
}

/** A file name safe for storage keys and attachments: path parts dropped, odd characters replaced. */
export function safeFileName(name: string, fallback = 'file'): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replaceAll(/[^\w.~@=+,-]+/g, '_')
    .replaceAll(/^[._]+/g, '')
    .slice(0, 200);
  return clean === '' ? fallback : clean;
}

/** Lower-case hex sha256. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function memoryFile(entry: { name: string; body: Uint8Array; contentType: string }): RunFile {
  return { name: entry.name, size: entry.body.byteLength, contentType: entry.contentType, read: async () => entry.body };
}

/** In-memory `RunFiles` for tests and standalone use: downloads held as bytes. */
export function createMemoryRunFiles(initial: Array<{ name: string; body: Uint8Array | string; contentType?: string }> = []): RunFiles & {
  readonly downloads: ReadonlyArray<{ name: string; body: Uint8Array; contentType: string }>;
} {
  const downloads: Array<{ name: string; body: Uint8Array; contentType: string }> = [];
  const uniqueName = (name: string) => {
    const taken = new Set(downloads.map((d) => d.name));
    if (!taken.has(name)) return name;
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 1; ; n++) if (!taken.has(`${stem} (${n})${ext}`)) return `${stem} (${n})${ext}`;
  };
  for (const file of initial) {
    downloads.push({ name: file.name, body: typeof file.body === 'string' ? Buffer.from(file.body) : file.body, contentType: file.contentType ?? 'application/octet-stream' });
  }
  return {
    downloads,
    async listDownloads() {
      return downloads.map(memoryFile);
    },
    async saveDownload(name, body, options = {}) {
      const entry = { name: uniqueName(safeFileName(name)), body: new Uint8Array(body), contentType: options.contentType ?? 'application/octet-stream' };
      downloads.push(entry);
      return { name: entry.name, size: entry.body.byteLength, sha256: sha256Hex(entry.body), contentType: entry.contentType };
    },
  };
}
