// s3rver (an S3-compatible server in Node) on loopback, for tests of the S3 blob store and of the
// blocks that write to a customer's bucket.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; this is the part of its API the tests use.
// @ts-expect-error no type declarations
import S3rverModule from 's3rver';

type S3rverInstance = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver = S3rverModule as new (options: Record<string, unknown>) => S3rverInstance;

/** A running s3rver. `bucket` is the first of its buckets. */
export type LocalS3 = {
  endpoint: string;
  bucket: string;
  buckets: string[];
  /** The keys s3rver accepts (any key works; these are its documented defaults). */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops the server and deletes its files. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Starts s3rver on 127.0.0.1 with empty buckets (default one, `petrel-test`). */
export async function startLocalS3(buckets: string | readonly string[] = 'petrel-test'): Promise<LocalS3> {
  const names = typeof buckets === 'string' ? [buckets] : [...buckets];
  const directory = await mkdtemp(join(tmpdir(), 'petrel-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: names.map((name) => ({ name, configs: [] })) });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    })());
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: names[0] ?? '',
    buckets: names,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    close,
    [Symbol.asyncDispose]: close,
  };
}
