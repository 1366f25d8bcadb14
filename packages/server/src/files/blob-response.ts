// Serving a stored blob over HTTP with single-range support (RFC 9110 §14): `Range: bytes=a-b`,
// `bytes=a-` and `bytes=-n` answer 206 with `Content-Range`; a range outside the blob answers 416
// with `Content-Range: bytes */size`; a malformed or multi-range header is ignored (200, whole body),
// as the RFC allows. Bodies stream from the blob store; nothing is read into memory.
import { Readable } from 'node:stream';
import type { BlobStore } from '@petrel/browser';
import { PetrelError } from '@petrel/protocol';

/** What to serve. */
export type BlobToServe = {
  key: string;
  size: number;
  sha256: string;
  contentType: string;
  /** A file name for `Content-Disposition` (inline). */
  filename: string | null;
};

/** A parsed `Range` header against a size: the range, `unsatisfiable`, or undefined (serve it all). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (match === null) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Answers a GET for a blob, honouring `Range`. */
export async function serveBlob(blobStore: BlobStore, blob: BlobToServe, rangeHeader: string | undefined, signal?: AbortSignal): Promise<Response> {
  const headers = new Headers({
    'content-type': blob.contentType,
    'accept-ranges': 'bytes',
    etag: `"${blob.sha256}"`,
    'cache-control': 'private, no-transform',
    'x-content-type-options': 'nosniff',
  });
  if (blob.filename !== null) headers.set('content-disposition', contentDisposition(blob.filename));
  const range = parseRange(rangeHeader, blob.size);
  if (range === 'unsatisfiable') {
    headers.set('content-range', `bytes */${blob.size}`);
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify({ detail: `artifacts.content: the range is outside the ${blob.size}-byte content`, code: 'RANGE_NOT_SATISFIABLE' }), {
      status: 416,
      headers,
    });
  }
  let stream;
  try {
    stream = await blobStore.stream(blob.key, { ...(range === undefined ? {} : { range }), ...(signal === undefined ? {} : { signal }) });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'NOT_FOUND') {
      throw new PetrelError('NOT_FOUND', 'blobs.serve: the stored bytes are gone (purged or deleted)', { cause: error });
    }
    throw error;
  }
  const body = Readable.toWeb(stream.body) as ReadableStream<Uint8Array>;
  if (range === undefined) {
    headers.set('content-length', String(blob.size));
    return new Response(body, { status: 200, headers });
  }
  headers.set('content-range', `bytes ${range.start}-${range.end}/${blob.size}`);
  headers.set('content-length', String(range.end - range.start + 1));
  return new Response(body, { status: 206, headers });
}
