// The blob store the server writes artifacts, uploads and profiles to, built from the config: a
// folder under the data directory by default, S3-compatible storage (AWS, MinIO, R2…) when a bucket
// is configured. Vendor types stay in `@petrel/browser`'s adapters.
import { createDiskBlobStore, createS3BlobStore } from '@petrel/browser';
import type { BlobStore } from '@petrel/browser';
import type { BlobStoreConfig } from '../config/server-config.ts';

/** A blob store the server owns: dispose it at shutdown (frees the S3 client's sockets). */
export type OwnedBlobStore = BlobStore & AsyncDisposable;

/** Builds the configured blob store. */
export function createConfiguredBlobStore(config: BlobStoreConfig): OwnedBlobStore {
  if (config.kind === 'disk') {
    const disk = createDiskBlobStore({ root: config.root });
    return Object.assign(disk, { [Symbol.asyncDispose]: () => Promise.resolve() });
  }
  return createS3BlobStore({
    bucket: config.bucket,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.accessKeyId === undefined || config.secretAccessKey === undefined
      ? {}
      : { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } }),
    ...(config.prefix === '' ? {} : { prefix: config.prefix.endsWith('/') ? config.prefix : `${config.prefix}/` }),
  });
}

/** The blob key prefix of an organization's uploads and profiles (artifacts keep the browser's `runs/<run>/…` keys; the table scopes them). */
export function organizationPrefix(organizationId: string): string {
  return `orgs/${organizationId}`;
}
