// BlobStore on S3-compatible object storage (AWS S3, MinIO, R2, s3rver in tests). The sha256 and the
// creation time travel as object metadata (`x-amz-meta-sha256`, `x-amz-meta-created-at`); the content
// type is the object's own. Bodies that are streams are spooled to a temp file first so the upload has a
// known length and a digest without holding the bytes in memory.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { PetrelError } from '@petrel/protocol';
import {
  bodyChunks,
  checkBlobKey,
  resolveRange,
  sha256Hex,
  throwIfAborted,
  type BlobBody,
  type BlobInfo,
  type BlobPutOptions,
  type BlobRange,
  type BlobStore,
  type BlobStream,
} from './blob-store.ts';

/** Options of `createS3BlobStore`. */
export type S3BlobStoreOptions = {
  /** Bucket name (3–63 characters). Required. */
  bucket: string;
  /** Region; default `us-east-1`. */
  region?: string;
  /** Endpoint URL for S3-compatible services (MinIO, R2, s3rver); default AWS. */
  endpoint?: string;
  /** Static credentials; default the AWS SDK's provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Path-style addressing (`endpoint/bucket/key`), needed by most S3-compatible servers; default false. */
  forcePathStyle?: boolean;
  /** Prefix put in front of every key, e.g. `petrel/`; default none. */
  prefix?: string;
};

/** A BlobStore on S3-compatible storage. Call `[Symbol.asyncDispose]` (or `close`) to free the client's sockets. */
export function createS3BlobStore(options: S3BlobStoreOptions): BlobStore & AsyncDisposable & { close(): Promise<void> } {
  if (typeof options?.bucket !== 'string' || options.bucket.length < 3) {
    throw new PetrelError('VALIDATION_FAILED', 'createS3BlobStore: bucket must be a bucket name', { details: { field: 'bucket' } });
  }
  const bucket = options.bucket;
  const prefix = options.prefix ?? '';
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    // With the default (WHEN_SUPPORTED) a stream body is sent aws-chunked and some S3-compatible
    // servers store the chunk framing as content (toolchain.md §8).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  async function headInfo(key: string, signal?: AbortSignal): Promise<BlobInfo | undefined> {
    try {
      const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }), signal ? { abortSignal: signal } : {});
      return infoOf(key, out);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw wrap(error, 'blobs.head');
    }
  }

  async function getObject(key: string, operation: string, range: string | undefined, signal?: AbortSignal): Promise<GetObjectCommandOutput> {
    try {
      return await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: prefix + key, ...(range ? { Range: range } : {}) }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (isMissing(error)) throw new PetrelError('NOT_FOUND', `${operation}: no blob under that key`, { details: { key } });
      throw wrap(error, operation);
    }
  }

  const store = {
    description: `s3:${bucket}${prefix ? `/${prefix}` : ''}`,

    async put(key: string, body: BlobBody, putOptions: BlobPutOptions = {}): Promise<BlobInfo> {
      checkBlobKey(key, 'blobs.put');
      throwIfAborted(putOptions.signal, 'blobs.put');
      const contentType = putOptions.contentType ?? 'application/octet-stream';
      const createdAt = new Date().toISOString();
      let spoolDir: string | undefined;
      try {
        let payload: Uint8Array | Readable;
        let size: number;
        let sha256: string;
        if (typeof body === 'string' || body instanceof Uint8Array) {
          payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
          size = payload.byteLength;
          sha256 = sha256Hex(payload);
        } else {
          spoolDir = await mkdtemp(join(tmpdir(), 'petrel-s3-'));
          const spool = join(spoolDir, randomUUID());
          const hash = createHash('sha256');
          size = 0;
          const counted = Readable.from(
            (async function* () {
              for await (const chunk of bodyChunks(body)) {
                hash.update(chunk);
                size += chunk.byteLength;
                yield chunk;
              }
            })(),
          );
          await pipeline(counted, createWriteStream(spool), putOptions.signal ? { signal: putOptions.signal } : {});
          sha256 = hash.digest('hex');
          payload = createReadStream(spool);
        }
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: prefix + key,
            Body: payload,
            ContentLength: size,
            ContentType: contentType,
            Metadata: { sha256, 'created-at': createdAt },
          }),
          putOptions.signal ? { abortSignal: putOptions.signal } : {},
        );
        return { key, contentType, size, sha256, createdAt };
      } catch (error) {
        if (putOptions.signal?.aborted) throw new PetrelError('CANCELED', 'blobs.put: aborted', { cause: error });
        throw wrap(error, 'blobs.put');
      } finally {
        if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
      }
    },

    async get(key: string, getOptions: { signal?: AbortSignal } = {}) {
      checkBlobKey(key, 'blobs.get');
      const out = await getObject(key, 'blobs.get', undefined, getOptions.signal);
      const body = Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      return { info: { ...infoOf(key, out), size: body.byteLength }, body };
    },

    async stream(key: string, streamOptions: { range?: BlobRange; signal?: AbortSignal } = {}): Promise<BlobStream> {
      checkBlobKey(key, 'blobs.stream');
      if (!streamOptions.range) {
        const out = await getObject(key, 'blobs.stream', undefined, streamOptions.signal);
        return { info: infoOf(key, out), body: out.Body as Readable };
      }
      // The full size is needed to resolve open ranges and to answer 416 the same way the disk store does.
      const info = await headInfo(key, streamOptions.signal);
      if (!info) throw new PetrelError('NOT_FOUND', 'blobs.stream: no blob under that key', { details: { key } });
      const range = resolveRange(streamOptions.range, info.size, 'blobs.stream');
      const out = await getObject(key, 'blobs.stream', `bytes=${range.start}-${range.end}`, streamOptions.signal);
      return { info, body: out.Body as Readable, range };
    },

    async head(key: string, headOptions: { signal?: AbortSignal } = {}) {
      checkBlobKey(key, 'blobs.head');
      return headInfo(key, headOptions.signal);
    },

    async delete(key: string, deleteOptions: { signal?: AbortSignal } = {}) {
      checkBlobKey(key, 'blobs.delete');
      const existed = (await headInfo(key, deleteOptions.signal)) !== undefined;
      if (!existed) return false;
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }), deleteOptions.signal ? { abortSignal: deleteOptions.signal } : {});
      } catch (error) {
        throw wrap(error, 'blobs.delete');
      }
      return true;
    },

    async list(listPrefix = '', listOptions: { signal?: AbortSignal } = {}) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        throwIfAborted(listOptions.signal, 'blobs.list');
        let out;
        try {
          out = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix + listPrefix, ...(token ? { ContinuationToken: token } : {}) }),
            listOptions.signal ? { abortSignal: listOptions.signal } : {},
          );
        } catch (error) {
          throw wrap(error, 'blobs.list');
        }
        for (const object of out.Contents ?? []) if (object.Key) keys.push(object.Key.slice(prefix.length));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
      // Listing does not return metadata, so each key is headed (eight at a time).
      const infos: BlobInfo[] = [];
      for (let i = 0; i < keys.length; i += 8) {
        const batch = await Promise.all(keys.slice(i, i + 8).map((key) => headInfo(key, listOptions.signal)));
        for (const info of batch) if (info) infos.push(info);
      }
      return infos.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },

    async close() {
      client.destroy();
    },

    async [Symbol.asyncDispose]() {
      client.destroy();
    },
  };
  return store;
}

function infoOf(key: string, out: { ContentType?: string | undefined; ContentLength?: number | undefined; Metadata?: Record<string, string> | undefined; LastModified?: Date | undefined }): BlobInfo {
  return {
    key,
    contentType: out.ContentType ?? 'application/octet-stream',
    size: out.ContentLength ?? 0,
    sha256: out.Metadata?.['sha256'] ?? '',
    createdAt: out.Metadata?.['created-at'] ?? out.LastModified?.toISOString() ?? new Date(0).toISOString(),
  };
}

function isMissing(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function wrap(error: unknown, operation: string): PetrelError {
  if (error instanceof PetrelError) return error;
  const name = (error as { name?: string })?.name ?? 'Error';
  return new PetrelError('UNAVAILABLE', `${operation}: object storage failed (${name})`, { cause: error });
}
