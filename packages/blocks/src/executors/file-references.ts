// How a block names a file, and how the executors get its bytes:
// - `SKYVERN_DOWNLOAD_DIRECTORY` alone: every file the run downloaded (attachments, uploads);
// - `SKYVERN_DOWNLOAD_DIRECTORY/<name>`: one downloaded file by name;
// - an http(s) URL: the run's own file if the run knows it (an uploaded file), else fetched through
//   the outbound fetch;
// - a rendered block output (`{{ block_output }}` → JSON with `downloaded_files` or
//   `downloaded_file_urls`), as Skyvern accepts: its first file;
// - anything else the run's `resolveFile` knows.
import { PetrelError } from '@petrel/protocol';
import { fetchBytes, suggestedFileName } from '../integrations/outbound-http.ts';
import { DOWNLOAD_DIRECTORY } from './executor-context.ts';
import type { ExecutorContext, RunFile } from './executor-context.ts';

/** A file with its bytes. */
export type LoadedFile = { name: string; bytes: Uint8Array; contentType?: string; source: 'download' | 'url' | 'run' };

/** Options of the resolvers. */
export type FileReferenceOptions = {
  /** The block field holding the reference (for errors). */
  field: string;
  /** Largest file; default 50 MiB. */
  maxBytes?: number;
  /** Prefix of error messages. */
  operation: string;
};

/** True for `SKYVERN_DOWNLOAD_DIRECTORY` (with or without a trailing slash). */
export function isDownloadDirectory(reference: string): boolean {
  return reference.trim().replace(/\/+$/, '') === DOWNLOAD_DIRECTORY;
}

function fromBlockOutput(reference: string): string | undefined {
  const trimmed = reference.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(trimmed) as { downloaded_files?: Array<{ url?: unknown }>; downloaded_file_urls?: unknown[] };
    const first = value.downloaded_files?.find((file) => typeof file?.url === 'string')?.url ?? value.downloaded_file_urls?.find((url) => typeof url === 'string');
    return typeof first === 'string' ? first : undefined;
  } catch {
    return undefined;
  }
}

async function readRunFile(file: RunFile, options: FileReferenceOptions, signal: AbortSignal, source: LoadedFile['source']): Promise<LoadedFile> {
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  if (file.size !== undefined && file.size > maxBytes) {
    throw new PetrelError('PAYLOAD_TOO_LARGE', `${options.operation}: ${file.name} is ${file.size} bytes, more than the ${maxBytes} allowed`, { details: { field: options.field } });
  }
  const bytes = await file.read({ signal });
  return { name: file.name, bytes, ...(file.contentType ? { contentType: file.contentType } : {}), source };
}

/** Every downloaded file of the run, read. */
export async function loadDownloads(ctx: ExecutorContext, options: FileReferenceOptions): Promise<LoadedFile[]> {
  const files = await ctx.files.listDownloads({ signal: ctx.signal });
  const loaded: LoadedFile[] = [];
  for (const file of files) loaded.push(await readRunFile(file, options, ctx.signal, 'download'));
  return loaded;
}

/**
 * Loads the one file a reference names. Throws `VALIDATION_FAILED` for something that is not a file
 * reference, `NOT_FOUND` for a download the run does not have (naming the ones it has), and the
 * fetch's errors for URLs.
 */
export async function loadFile(ctx: ExecutorContext, reference: string, options: FileReferenceOptions): Promise<LoadedFile> {
  const raw = typeof reference === 'string' ? reference.trim() : '';
  if (raw === '') throw new PetrelError('VALIDATION_FAILED', `${options.operation}: ${options.field} is empty`, { details: { field: options.field } });
  const value = fromBlockOutput(raw) ?? raw;

  if (value.startsWith(`${DOWNLOAD_DIRECTORY}/`)) {
    const name = value.slice(DOWNLOAD_DIRECTORY.length + 1);
    const files = await ctx.files.listDownloads({ signal: ctx.signal });
    const file = files.find((f) => f.name === name);
    if (!file) {
      const names = files.map((f) => f.name);
      throw new PetrelError('NOT_FOUND', `${options.operation}: the run has no downloaded file named ${JSON.stringify(name)} (${names.length === 0 ? 'it has downloaded nothing' : `it has ${names.slice(0, 20).join(', ')}`})`, {
        details: { field: options.field, downloads: names.slice(0, 100) },
      });
    }
    return readRunFile(file, options, ctx.signal, 'download');
  }
  if (isDownloadDirectory(value)) {
    throw new PetrelError('VALIDATION_FAILED', `${options.operation}: ${options.field} names the whole downloads folder; name one file, e.g. ${DOWNLOAD_DIRECTORY}/invoice.pdf`, {
      details: { field: options.field },
    });
  }

  const known = await ctx.files.resolveFile?.(value, { signal: ctx.signal });
  if (known) return readRunFile(known, options, ctx.signal, 'run');

  if (/^https?:\/\//i.test(value)) {
    const fetched = await fetchBytes(ctx.fetch, value, {
      signal: ctx.signal,
      maxBytes: options.maxBytes ?? 50 * 1024 * 1024,
      timeoutMs: 120_000,
      operation: options.operation,
    });
    if (fetched.status < 200 || fetched.status >= 300) {
      throw new PetrelError('UNAVAILABLE', `${options.operation}: fetching ${options.field} answered HTTP ${fetched.status}`, {
        details: { field: options.field, status: fetched.status },
        nonRetryable: fetched.status >= 400 && fetched.status < 500 && fetched.status !== 408 && fetched.status !== 429,
      });
    }
    const contentType = fetched.headers['content-type'];
    return {
      name: suggestedFileName(fetched.headers, value) ?? 'file',
      bytes: fetched.body,
      ...(contentType ? { contentType } : {}),
      source: 'url',
    };
  }
  throw new PetrelError('VALIDATION_FAILED', `${options.operation}: ${options.field} is not a file reference (use an http(s) URL or ${DOWNLOAD_DIRECTORY}/<file name>)`, {
    details: { field: options.field },
  });
}

/** Looks a parameter up by key: its value, or the error of an unavailable one, or a `VALIDATION_FAILED` naming `field`. */
export function getParameter(ctx: ExecutorContext, key: string, field: string, operation: string): unknown {
  const unavailable = ctx.unavailableParameters?.[key];
  if (unavailable) throw unavailable;
  if (!Object.hasOwn(ctx.parameters, key)) {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: ${field} names ${key}, which has no value in this run`, { details: { field, parameter: key } });
  }
  return ctx.parameters[key];
}
