// s3rver (an S3-compatible server in Node) on loopback, for the S3 blob store tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; this is the part of its API the tests use.
// @ts-expect-error no type declarations
import S3rverModule from 's3rver';

type S3rverInstance = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver = S3rverModule as new (options: Record<string, unknown>) => S3rverInstance;

/** A running s3rver with one bucket. */
export type LocalS3 = { endpoint: string; bucket: string; [Symbol.asyncDispose](): Promise<void> };

/** Starts s3rver on 127.0.0.1 with an empty bucket. */
export async function startLocalS3(bucket = 'petrel-test'): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'petrel-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    async [Symbol.asyncDispose]() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
