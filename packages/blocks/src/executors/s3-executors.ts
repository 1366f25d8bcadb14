// The storage blocks on S3-compatible object storage (the browser package's S3 BlobStore adapter):
// - `file_upload` (`storage_type: s3`): the run's downloads to the customer's bucket, with the
//   block's credentials, region and endpoint (secrets revealed), under `<path or run id>/<uuid>_<name>`;
//   Azure, Google Drive and SFTP fail with `INTEGRATION_NOT_CONFIGURED` naming the type.
// - `upload_to_s3` (legacy): files named by `path` (usually `SKYVERN_DOWNLOAD_DIRECTORY`) to the
//   server's own object storage.
// - `download_to_s3` (legacy): fetches `url` through the outbound fetch into the server's storage.
// Outputs are `s3://bucket/key` URIs, as Skyvern's.
import { randomUUID } from 'node:crypto';
import { createS3BlobStore } from '@petrel/browser';
import type { S3BlobStoreOptions } from '@petrel/browser';
import type { DownloadToS3Block, FileUploadBlock, UploadToS3Block } from '@petrel/protocol';
import { PetrelError } from '@petrel/protocol';
import { detectFileType } from '../integrations/file-parsing.ts';
import { checkHttpUrl } from '../integrations/outbound-http.ts';
import { completed, fieldError, loggerOf, safeFileName, throwIfCanceled } from './executor-context.ts';
import type { ExecutorContext, ExecutorResult } from './executor-context.ts';
import { isDownloadDirectory, loadDownloads, loadFile } from './file-references.ts';
import type { LoadedFile } from './file-references.ts';

/** Most files one block uploads. */
export const MAX_UPLOAD_FILES = 100;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function keySegments(path: string): string {
  return path
    .split('/')
    .map((segment) => segment.trim().replaceAll(/[^A-Za-z0-9._~@=+,-]+/g, '_'))
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
    .join('/');
}

async function contentTypeOf(file: LoadedFile): Promise<string> {
  if (file.contentType) return file.contentType.split(';')[0]!.trim();
  return (await detectFileType(file.bytes, { name: file.name }))?.mediaType ?? 'application/octet-stream';
}

async function uploadAll(options: S3BlobStoreOptions, folder: string, files: LoadedFile[], ctx: ExecutorContext, operation: string): Promise<string[]> {
  if (files.length > MAX_UPLOAD_FILES) {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: ${files.length} files is more than the ${MAX_UPLOAD_FILES} one block uploads`, { details: { field: 'path' } });
  }
  await using store = createS3BlobStore(options);
  const uris: string[] = [];
  for (const file of files) {
    throwIfCanceled(ctx, operation);
    const key = `${folder}/${randomUUID()}_${safeFileName(file.name)}`;
    try {
      await store.put(key, file.bytes, { contentType: await contentTypeOf(file), signal: ctx.signal });
    } catch (error) {
      if (error instanceof PetrelError && error.code === 'CANCELED') throw error;
      // The SDK's message can name the bucket's owner or the key id; keep the error name only.
      const name = (error as { cause?: { name?: string } })?.cause?.name ?? 'error';
      throw new PetrelError('UNAVAILABLE', `${operation}: uploading ${file.name} to bucket ${options.bucket} failed (${name})`, { cause: error, details: { bucket: options.bucket } });
    }
    uris.push(`s3://${options.bucket}/${options.prefix ?? ''}${key}`);
  }
  loggerOf(ctx).info({ files: uris.length, bucket: options.bucket }, `${operation} uploaded files`);
  return uris;
}

function serverStorage(ctx: ExecutorContext, operation: string): S3BlobStoreOptions {
  if (!ctx.s3) {
    throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `${operation}: the server has no S3 storage configured for ${operation} blocks`, {
      details: { integration: 's3' },
      nonRetryable: true,
    });
  }
  return ctx.s3;
}

/** Runs a `file_upload` block. */
export async function executeFileUploadBlock(block: FileUploadBlock, ctx: ExecutorContext): Promise<ExecutorResult> {
  const operation = 'file_upload';
  throwIfCanceled(ctx, operation);
  const storageType = block.storage_type ?? 's3';
  if (storageType !== 's3') {
    const names: Record<string, string> = { azure: 'Azure Blob Storage', google_drive: 'Google Drive', sftp: 'SFTP' };
    throw new PetrelError('INTEGRATION_NOT_CONFIGURED', `file_upload: storage_type ${storageType} (${names[storageType] ?? storageType}) is not available in Petrel; use s3`, {
      details: { field: 'storage_type', storage_type: storageType },
      nonRetryable: true,
    });
  }
  const reveal = (value: string | null | undefined) => (value ? ctx.redactor.revealIn(value).trim() : '');
  const bucket = reveal(block.s3_bucket);
  if (bucket === '') throw fieldError(operation, 's3_bucket', 'is required for storage_type s3');
  if (!BUCKET.test(bucket)) throw fieldError(operation, 's3_bucket', 'is not a valid bucket name');
  const accessKeyId = reveal(block.aws_access_key_id);
  const secretAccessKey = reveal(block.aws_secret_access_key);
  if ((accessKeyId === '') !== (secretAccessKey === '')) {
    throw fieldError(operation, accessKeyId === '' ? 'aws_access_key_id' : 'aws_secret_access_key', 'must be given together with its pair');
  }
  const endpoint = reveal(block.endpoint_url);
  if (endpoint !== '') checkHttpUrl(endpoint, 'endpoint_url', operation);
  if (block.prompt) loggerOf(ctx).warn({}, 'file_upload: prompt (choosing files with the model) is not supported; every downloaded file is uploaded');
  const options: S3BlobStoreOptions = {
    bucket,
    region: reveal(block.region_name) || 'us-east-1',
    ...(endpoint !== '' ? { endpoint, forcePathStyle: true } : {}),
    ...(accessKeyId !== '' ? { credentials: { accessKeyId, secretAccessKey } } : {}),
  };
  const folder = keySegments(block.path ? ctx.redactor.revealIn(block.path) : '') || ctx.runId;
  const files = await loadDownloads(ctx, { field: 'path', operation });
  return completed(await uploadAll(options, folder, files, ctx, operation));
}

/** Runs an `upload_to_s3` block (legacy: to the server's storage). */
export async function executeUploadToS3Block(block: UploadToS3Block, ctx: ExecutorContext): Promise<ExecutorResult> {
  const operation = 'upload_to_s3';
  throwIfCanceled(ctx, operation);
  const path = block.path ? ctx.redactor.revealIn(block.path).trim() : '';
  if (path === '') throw fieldError(operation, 'path', 'is required (e.g. SKYVERN_DOWNLOAD_DIRECTORY)');
  const storage = serverStorage(ctx, operation);
  const files = isDownloadDirectory(path) ? await loadDownloads(ctx, { field: 'path', operation }) : [await loadFile(ctx, path, { field: 'path', operation })];
  return completed(await uploadAll(storage, ctx.runId, files, ctx, operation));
}

/** Runs a `download_to_s3` block (legacy: a URL into the server's storage). */
export async function executeDownloadToS3Block(block: DownloadToS3Block, ctx: ExecutorContext): Promise<ExecutorResult> {
  const operation = 'download_to_s3';
  throwIfCanceled(ctx, operation);
  const url = checkHttpUrl(ctx.redactor.revealIn(block.url ?? ''), 'url', operation).toString();
  const storage = serverStorage(ctx, operation);
  const file = await loadFile(ctx, url, { field: 'url', operation, maxBytes: 100 * 1024 * 1024 });
  const [uri] = await uploadAll(storage, ctx.runId, [file], ctx, operation);
  return completed(uri);
}
