// BlobStore on a local folder: bytes under `<root>/data/<key>`, their info (content type, size, sha256,
// time) in `<root>/meta/<key>.json`. Writes go to `<root>/tmp` first and are renamed into place, so a
// reader never sees half a blob and a crash leaves at most a stray temp file.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { PetrelError } from '@petrel/protocol';
import {
  bodyChunks,
  checkBlobKey,
  resolveRange,
  throwIfAborted,
  type BlobBody,
  type BlobInfo,
  type BlobPutOptions,
  type BlobRange,
  type BlobStore,
  type BlobStream,
} from './blob-store.ts';

/** Options of `createDiskBlobStore`. */
export type DiskBlobStoreOptions = {
  /** Folder holding the blobs; created when missing. Required. */
  root: string;
};

/** The disk store: a BlobStore that can also say where a blob's bytes are on disk. */
export type DiskBlobStore = BlobStore & {
  /** The folder given at creation. */
  readonly root: string;
  /** The file holding a key's bytes (it exists once `put` has finished). */
  pathOf(key: string): string;
};

/** A BlobStore on the local file system (the default store). */
export function createDiskBlobStore(options: DiskBlobStoreOptions): DiskBlobStore {
  if (typeof options?.root !== 'string' || options.root.length === 0) {
    throw new PetrelError('VALIDATION_FAILED', 'createDiskBlobStore: root must be a folder path', { details: { field: 'root' } });
  }
  const root = options.root;
  const dataPath = (key: string) => join(root, 'data', ...key.split('/'));
  const metaPath = (key: string) => `${join(root, 'meta', ...key.split('/'))}.json`;

  async function readInfo(key: string): Promise<BlobInfo | undefined> {
    try {
      return JSON.parse(await readFile(metaPath(key), 'utf8')) as BlobInfo;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async function getInfo(key: string, operation: string): Promise<BlobInfo> {
    const info = await readInfo(checkBlobKey(key, operation));
    if (!info) throw new PetrelError('NOT_FOUND', `${operation}: no blob under that key`, { details: { key } });
    return info;
  }

  return {
    description: `disk:${root}`,
    root,
    pathOf: (key: string) => dataPath(checkBlobKey(key, 'blobs.pathOf')),

    async put(key: string, body: BlobBody, putOptions: BlobPutOptions = {}): Promise<BlobInfo> {
      checkBlobKey(key, 'blobs.put');
      throwIfAborted(putOptions.signal, 'blobs.put');
      const tmpDir = join(root, 'tmp');
      await mkdir(tmpDir, { recursive: true });
      const tmp = join(tmpDir, randomUUID());
      const hash = createHash('sha256');
      let size = 0;
      try {
        const counted = Readable.from(
          (async function* () {
            for await (const chunk of bodyChunks(body)) {
              hash.update(chunk);
              size += chunk.byteLength;
              yield chunk;
            }
          })(),
        );
        await pipeline(counted, createWriteStream(tmp), putOptions.signal ? { signal: putOptions.signal } : {});
        const info: BlobInfo = {
          key,
          contentType: putOptions.contentType ?? 'application/octet-stream',
          size,
          sha256: hash.digest('hex'),
          createdAt: new Date().toISOString(),
        };
        await mkdir(dirname(dataPath(key)), { recursive: true });
        await mkdir(dirname(metaPath(key)), { recursive: true });
        await rename(tmp, dataPath(key));
        const metaTmp = `${tmp}.json`;
        await writeFile(metaTmp, JSON.stringify(info));
        await rename(metaTmp, metaPath(key));
        return info;
      } catch (error) {
        await rm(tmp, { force: true });
        if (putOptions.signal?.aborted) throw new PetrelError('CANCELED', 'blobs.put: aborted', { cause: error });
        throw error;
      }
    },

    async get(key: string, getOptions: { signal?: AbortSignal } = {}) {
      throwIfAborted(getOptions.signal, 'blobs.get');
      const info = await getInfo(key, 'blobs.get');
      return { info, body: await readFile(dataPath(key), getOptions.signal ? { signal: getOptions.signal } : {}) };
    },

    async stream(key: string, streamOptions: { range?: BlobRange; signal?: AbortSignal } = {}): Promise<BlobStream> {
      throwIfAborted(streamOptions.signal, 'blobs.stream');
      const info = await getInfo(key, 'blobs.stream');
      if (!streamOptions.range) {
        return { info, body: createReadStream(dataPath(key), streamOptions.signal ? { signal: streamOptions.signal } : {}) };
      }
      const range = resolveRange(streamOptions.range, info.size, 'blobs.stream');
      const body = createReadStream(dataPath(key), {
        start: range.start,
        end: range.end,
        ...(streamOptions.signal ? { signal: streamOptions.signal } : {}),
      });
      return { info, body, range };
    },

    async head(key: string) {
      return readInfo(checkBlobKey(key, 'blobs.head'));
    },

    async delete(key: string) {
      checkBlobKey(key, 'blobs.delete');
      const existed = (await readInfo(key)) !== undefined;
      await rm(metaPath(key), { force: true });
      await rm(dataPath(key), { force: true });
      return existed;
    },

    async list(prefix = '', listOptions: { signal?: AbortSignal } = {}) {
      const metaRoot = join(root, 'meta');
      const found: BlobInfo[] = [];
      async function walk(dir: string): Promise<void> {
        throwIfAborted(listOptions.signal, 'blobs.list');
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
        for (const entry of entries) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) {
            // Skip whole folders that cannot hold a key with this prefix.
            const folderKey = relative(metaRoot, path).split(sep).join('/');
            if (prefix.startsWith(`${folderKey}/`) || `${folderKey}/`.startsWith(prefix) || folderKey.startsWith(prefix)) await walk(path);
          } else if (entry.name.endsWith('.json')) {
            const key = relative(metaRoot, path).split(sep).join('/').slice(0, -'.json'.length);
            if (key.startsWith(prefix)) {
              const info = await readInfo(key).catch(() => undefined);
              if (info) found.push(info);
            }
          }
        }
      }
      await walk(metaRoot);
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
  };
}

