// Uploaded files (`POST /v1/upload_file`): the multipart body is parsed as a stream (busboy) and the
// `file` part goes straight into the blob store, counted against the upload limit; over the limit
// the partial blob is deleted and the request answers 413; a part the form does not define (another
// field or file) is a 422 naming it, and nothing is kept. A stored file is named by
// `petrel://files/<file_id>`, which runs of the same organization resolve with `openUploadedFile`
// (a `file_url` parameter, an `upload_file` action), and by a signed URL that works anywhere until
// it expires.
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import type { BlobStore } from '@petrel/browser';
import { PetrelError, newId } from '@petrel/protocol';
import type { UploadFileResponse } from '@petrel/protocol';
import { RequestValidationError } from '../http/error-handler.ts';
import type { ServerMetrics } from '../observability/metrics.ts';
import type { FileRow } from '../store/run-store.ts';
import type { ServerStore } from '../store/server-store.ts';
import { organizationPrefix } from './blob-setup.ts';
import type { UrlSigner } from './signed-urls.ts';

/** The scheme of file references runs resolve. */
export const FILE_REFERENCE_PREFIX = 'petrel://files/';

/** The reference of an uploaded file (`petrel://files/<file_id>`). */
export function fileReference(fileId: string): string {
  return `${FILE_REFERENCE_PREFIX}${fileId}`;
}

/** The file id a `petrel://files/<file_id>` reference names, or undefined for anything else. */
export function parseFileReference(value: string): string | undefined {
  if (!value.startsWith(FILE_REFERENCE_PREFIX)) return undefined;
  const id = value.slice(FILE_REFERENCE_PREFIX.length);
  return /^file_[0-9A-HJKMNP-TV-Z]{26}$/.test(id) ? id : undefined;
}

/** What `storeUpload` needs. */
export type UploadContext = {
  store: ServerStore;
  blobStore: BlobStore;
  urls: UrlSigner;
  /** Largest file, in bytes. */
  maxBytes: number;
  metrics?: ServerMetrics;
  now: () => Date;
};

const SAFE_NAME = /[^A-Za-z0-9._~@=+,-]+/g;

function keySegment(filename: string): string {
  const cleaned = filename.replace(SAFE_NAME, '_').replace(/^\.+/, '_').slice(0, 100);
  return cleaned === '' ? 'file' : cleaned;
}

function tooLarge(maxBytes: number): PetrelError {
  return new PetrelError('PAYLOAD_TOO_LARGE', `upload_file: the file is over the ${maxBytes}-byte limit`, { details: { max_bytes: maxBytes } });
}

/** The answer for a stored file, with a fresh signed URL. */
export function toUploadResponse(row: FileRow, urls: UrlSigner): UploadFileResponse {
  const signed = urls.signedUrl({ kind: 'file', id: row.file_id });
  return {
    s3_uri: fileReference(row.file_id),
    presigned_url: signed.url,
    file_id: row.file_id,
    expires_at: signed.expiresAt.toISOString(),
    filename: row.filename,
    file_size: row.size,
    checksum: row.sha256,
    content_type: row.content_type,
    retention_expires_at: row.expires_at,
  };
}

/** Parses a multipart upload from `request` and stores its `file` part for the organization. */
export async function storeUpload(context: UploadContext, organizationId: string, request: Request): Promise<UploadFileResponse> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new PetrelError('UNSUPPORTED_MEDIA_TYPE', 'upload_file: send multipart/form-data with a "file" part');
  }
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  // The form's own framing adds a little; anything far over the limit is refused before reading it.
  if (Number.isFinite(declared) && declared > context.maxBytes + 64 * 1024) throw tooLarge(context.maxBytes);
  if (request.body === null) throw new RequestValidationError([{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }]);

  const fileId = newId('file');
  const abort = new AbortController();
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fileSize: context.maxBytes + 1, fields: 20, fieldSize: 4096, parts: 30 } });
  } catch (error) {
    throw new PetrelError('INVALID_INPUT', 'upload_file: the multipart body is malformed', { cause: error });
  }
  let retentionRaw: string | undefined;
  // Parts the form does not define (fields other than `retention_days`, files other than one `file`): refused after parsing.
  const unknownParts = new Set<string>();
  let stored: Promise<{ key: string; filename: string; mimeType: string; info: Awaited<ReturnType<BlobStore['put']>> }> | undefined;
  let truncated = false;

  const done = new Promise<void>((resolve, reject) => {
    parser.on('field', (name, value) => {
      if (name === 'retention_days') retentionRaw = value;
      else unknownParts.add(name);
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'file' || stored !== undefined) {
        unknownParts.add(name);
        stream.resume();
        return;
      }
      const filename = basename((info.filename ?? '').replaceAll('\\', '/')).slice(0, 255) || 'file';
      const key = `${organizationPrefix(organizationId)}/files/${fileId}/${keySegment(filename)}`;
      // Past the limit busboy ends the stream early; the put finishes and the partial blob is deleted below.
      stream.on('limit', () => {
        truncated = true;
      });
      const mimeType = info.mimeType || 'application/octet-stream';
      stored = context.blobStore.put(key, stream, { contentType: mimeType, signal: abort.signal }).then((put) => ({ key, filename, mimeType, info: put }));
      // Handled below; keep an early failure from being reported as unhandled.
      stored.catch(() => {});
    });
    parser.on('error', (error) => reject(new PetrelError('INVALID_INPUT', 'upload_file: the multipart body is malformed', { cause: error })));
    parser.on('close', () => resolve());
  });

  const source = Readable.fromWeb(request.body as WebReadableStream<Uint8Array>);
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  try {
    await done;
  } catch (error) {
    abort.abort();
    await stored?.catch(() => {});
    throw error;
  }
  if (unknownParts.size > 0) {
    abort.abort();
    await stored?.then((put) => context.blobStore.delete(put.key)).catch(() => {});
    throw new RequestValidationError([...unknownParts].map((name) => ({ loc: ['body', name.slice(0, 100)], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' })));
  }
  if (stored === undefined) throw new RequestValidationError([{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }]);
  let result: Awaited<typeof stored>;
  try {
    result = await stored;
  } catch (error) {
    if (truncated) throw tooLarge(context.maxBytes);
    throw error;
  }
  // busboy stops one byte past the limit, so "over the limit" is seen exactly.
  if (truncated || result.info.size > context.maxBytes) {
    await context.blobStore.delete(result.key).catch(() => {});
    throw tooLarge(context.maxBytes);
  }

  let expiresAt: string | null = null;
  if (retentionRaw !== undefined && retentionRaw.trim() !== '') {
    const days = Number(retentionRaw.trim());
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      await context.blobStore.delete(result.key).catch(() => {});
      throw new RequestValidationError([{ loc: ['body', 'retention_days'], msg: 'Input should be a whole number from 1 to 3650', type: 'value_error' }]);
    }
    expiresAt = new Date(context.now().getTime() + days * 86_400_000).toISOString();
  }
  const row: FileRow = {
    file_id: fileId,
    organization_id: organizationId,
    blob_key: result.key,
    filename: result.filename,
    content_type: result.info.contentType,
    size: result.info.size,
    sha256: result.info.sha256,
    created_at: context.now().toISOString(),
    expires_at: expiresAt,
  };
  await context.store.files.insert(row);
  try {
    context.metrics?.uploadBytes.inc(row.size);
  } catch {
    // Metrics are best effort.
  }
  return toUploadResponse(row, context.urls);
}

/** An uploaded file's bytes for a run: the file a `petrel://files/<file_id>` reference names. */
export type OpenedFile = { fileId: string; filename: string; contentType: string; size: number; sha256: string; body: Readable };

/**
 * Opens the file a `petrel://files/<file_id>` reference names, in the organization's uploads (the run
 * services call it for `file_url` parameters and `upload_file` actions). Throws `NOT_FOUND` for a
 * reference of another organization or a purged file, `INVALID_INPUT` for anything that is not a reference.
 */
export async function openUploadedFile(
  context: { store: ServerStore; blobStore?: BlobStore | undefined },
  organizationId: string,
  reference: string,
  options: { signal?: AbortSignal } = {},
): Promise<OpenedFile> {
  if (context.blobStore === undefined) throw new PetrelError('UNAVAILABLE', 'files.open: no blob store is configured in this process');
  const fileId = parseFileReference(reference);
  if (fileId === undefined) throw new PetrelError('INVALID_INPUT', 'files.open: not a petrel://files/<file_id> reference');
  const row = await context.store.files.find(organizationId, fileId);
  if (row === undefined) throw new PetrelError('NOT_FOUND', `files.open: file ${fileId} not found`);
  const stream = await context.blobStore.stream(row.blob_key, options.signal === undefined ? {} : { signal: options.signal });
  return { fileId, filename: row.filename, contentType: row.content_type, size: row.size, sha256: row.sha256, body: stream.body };
}
