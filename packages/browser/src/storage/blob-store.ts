// The BlobStore port: named byte blobs with a content type, size and sha256. Artifacts, downloads,
// profiles and large checkpoints are written through it. Two adapters live next to it: a local folder
// (the default) and S3-compatible object storage. Both pass the same contract test.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PetrelError } from '@petrel/protocol';

/** What a store knows about one blob. */
export type BlobInfo = {
  /** The key the blob is stored under, e.g. `runs/wr_123/a_456-screenshot.png`. */
  key: string;
  /** MIME type given at `put` (default `application/octet-stream`). */
  contentType: string;
  /** Size in bytes. */
  size: number;
  /** Lower-case hex sha256 of the bytes. */
  sha256: string;
  /** When the blob was written (ISO 8601). */
  createdAt: string;
};

/** Bytes to store: a buffer, a string (UTF-8), a Node readable or any async iterable of chunks. */
export type BlobBody = Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

/** Options of `BlobStore.put`. */
export type BlobPutOptions = {
  /** MIME type; default `application/octet-stream`. */
  contentType?: string;
  /** Aborts the write; a partly written blob is removed. */
  signal?: AbortSignal;
};

/** An inclusive byte range, as an HTTP `Range: bytes=start-end` header asks for. */
export type BlobRange = { start: number; end?: number };

/** A stored blob's content as a stream, with its info. */
export type BlobStream = { info: BlobInfo; body: Readable; range?: { start: number; end: number } };

/** The storage port for artifacts, downloads, profiles and large checkpoints. */
export type BlobStore = {
  /** A short label for logs, e.g. `disk:/var/petrel/blobs` or `s3:bucket`. */
  readonly description: string;
  /** Writes (or overwrites) a blob and returns its info, with size and sha256 computed while writing. */
  put(key: string, body: BlobBody, options?: BlobPutOptions): Promise<BlobInfo>;
  /** Reads a whole blob into memory; throws `NOT_FOUND` when the key does not exist. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<{ info: BlobInfo; body: Buffer }>;
  /** Streams a blob (optionally a byte range); throws `NOT_FOUND` when missing, `VALIDATION_FAILED` for an unsatisfiable range. */
  stream(key: string, options?: { range?: BlobRange; signal?: AbortSignal }): Promise<BlobStream>;
  /** The blob's info, or `undefined` when the key does not exist. */
  head(key: string, options?: { signal?: AbortSignal }): Promise<BlobInfo | undefined>;
  /** Deletes a blob; returns false when it did not exist. */
  delete(key: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  /** Every blob whose key starts with `prefix`, sorted by key. */
  list(prefix?: string, options?: { signal?: AbortSignal }): Promise<BlobInfo[]>;
};

const KEY_SEGMENT = /^[A-Za-z0-9._~@=+,-]+$/;

/**
 * Checks a key: `/`-separated segments of letters, digits and `._~@=+,-`, no empty, `.` or `..`
 * segment, at most 1024 characters. Returns the key; throws `VALIDATION_FAILED` otherwise.
 */
export function checkBlobKey(key: string, operation = 'blobs'): string {
  const ok =
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= 1024 &&
    key.split('/').every((segment) => segment !== '.' && segment !== '..' && KEY_SEGMENT.test(segment));
  if (!ok) {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: invalid blob key; use "/"-separated segments of letters, digits and ._~@=+,-`, {
      details: { field: 'key' },
    });
  }
  return key;
}

/** Turns any accepted body into an async iterable of byte chunks. */
export async function* bodyChunks(body: BlobBody): AsyncIterable<Uint8Array> {
  if (typeof body === 'string') {
    yield Buffer.from(body, 'utf8');
  } else if (body instanceof Uint8Array) {
    yield body;
  } else {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    }
  }
}

/** Lower-case hex sha256 of some bytes. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves an HTTP-style range against a size; throws `VALIDATION_FAILED` when it cannot be satisfied. */
export function resolveRange(range: BlobRange, size: number, operation: string): { start: number; end: number } {
  const end = Math.min(range.end ?? size - 1, size - 1);
  if (!Number.isInteger(range.start) || range.start < 0 || range.start >= size || end < range.start) {
    throw new PetrelError('VALIDATION_FAILED', `${operation}: range ${range.start}-${range.end ?? ''} is outside a ${size}-byte blob`, {
      details: { field: 'range', size },
    });
  }
  return { start: range.start, end };
}

/** Throws the `CANCELED` error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, operation: string): void {
  if (signal?.aborted) throw new PetrelError('CANCELED', `${operation}: aborted`, { cause: signal.reason });
}
