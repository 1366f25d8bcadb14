// One contract suite for every BlobStore adapter: the local folder and S3 (s3rver on loopback).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it, before, after } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import { createDiskBlobStore, createS3BlobStore, type BlobStore } from '@petrel/browser';
import { startLocalS3 } from '@petrel/testing';
import type { LocalS3 } from '@petrel/testing';

const sha = (value: string | Buffer) => createHash('sha256').update(value).digest('hex');

function contract(name: string, open: () => Promise<{ store: BlobStore; close(): Promise<void> }>) {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    let opened: { store: BlobStore; close(): Promise<void> } | undefined;
    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(async () => opened?.close());

    it('puts a string and reads it back with type, size and sha256', async () => {
      const info = await store.put('runs/wr_1/hello.txt', 'hello blob', { contentType: 'text/plain' });
      assert.equal(info.size, 10);
      assert.equal(info.sha256, sha('hello blob'));
      assert.equal(info.contentType, 'text/plain');
      const got = await store.get('runs/wr_1/hello.txt');
      assert.equal(got.body.toString('utf8'), 'hello blob');
      assert.equal(got.info.sha256, info.sha256);
      const head = await store.head('runs/wr_1/hello.txt');
      assert.equal(head?.size, 10);
      assert.equal(head?.contentType, 'text/plain');
      assert.equal(head?.sha256, sha('hello blob'));
    });

    it('puts a stream exactly (no chunk framing) and streams a byte range', async () => {
      const big = Buffer.alloc(300_000, 7);
      big.write('start', 0);
      big.write('end!!', big.length - 5);
      const chunks = [big.subarray(0, 100_000), big.subarray(100_000, 250_000), big.subarray(250_000)];
      const info = await store.put('runs/wr_1/big.bin', Readable.from(chunks));
      assert.equal(info.size, big.length);
      assert.equal(info.sha256, sha(big));
      const whole = await store.get('runs/wr_1/big.bin');
      assert.equal(whole.body.length, big.length);
      assert.ok(whole.body.equals(big));
      const ranged = await store.stream('runs/wr_1/big.bin', { range: { start: big.length - 5 } });
      assert.deepEqual(ranged.range, { start: big.length - 5, end: big.length - 1 });
      assert.equal(await text(ranged.body), 'end!!');
      const first = await store.stream('runs/wr_1/big.bin', { range: { start: 0, end: 4 } });
      assert.equal(await text(first.body), 'start');
      await assert.rejects(store.stream('runs/wr_1/big.bin', { range: { start: big.length + 10 } }), (e) => isPetrelError(e) && e.code === 'VALIDATION_FAILED');
    });

    it('lists by prefix in key order and deletes', async () => {
      await store.put('list/b', 'b');
      await store.put('list/a', 'a');
      await store.put('list/sub/c', 'c');
      await store.put('listing-other', 'x');
      const keys = (await store.list('list/')).map((info) => info.key);
      assert.deepEqual(keys, ['list/a', 'list/b', 'list/sub/c']);
      assert.equal(await store.delete('list/a'), true);
      assert.equal(await store.delete('list/a'), false);
      assert.deepEqual((await store.list('list/')).map((info) => info.key), ['list/b', 'list/sub/c']);
    });

    it('overwrites a key', async () => {
      await store.put('over/k', 'one');
      const info = await store.put('over/k', 'three', { contentType: 'text/plain' });
      assert.equal((await store.get('over/k')).body.toString(), 'three');
      assert.equal(info.sha256, sha('three'));
    });

    it('answers missing keys with undefined (head) or NOT_FOUND (get, stream)', async () => {
      assert.equal(await store.head('missing/key'), undefined);
      await assert.rejects(store.get('missing/key'), (e) => isPetrelError(e) && e.code === 'NOT_FOUND');
      await assert.rejects(store.stream('missing/key'), (e) => isPetrelError(e) && e.code === 'NOT_FOUND');
    });

    it('refuses keys that could escape or are malformed', async () => {
      for (const key of ['../etc/passwd', '/abs', 'a//b', 'a/./b', '', 'sp ace']) {
        await assert.rejects(store.put(key, 'x'), (e) => isPetrelError(e) && e.code === 'VALIDATION_FAILED', key);
      }
    });

    it('honours an aborted signal', async () => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(store.put('abort/k', 'x', { signal: controller.signal }), (e) => isPetrelError(e) && e.code === 'CANCELED');
      assert.equal(await store.head('abort/k'), undefined);
    });
  });
}

contract('disk', async () => {
  const root = await mkdtemp(join(tmpdir(), 'petrel-blobs-'));
  return { store: createDiskBlobStore({ root }), close: () => rm(root, { recursive: true, force: true }) };
});

contract('s3 (s3rver)', async () => {
  const s3: LocalS3 = await startLocalS3();
  const store = createS3BlobStore({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: s3.bucket,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
  return {
    store,
    async close() {
      await store.close();
      await s3.close();
    },
  };
});
