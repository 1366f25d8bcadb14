// Artifacts and uploads on S3-compatible storage (s3rver on loopback), with the blob store built
// from the server config (`PETREL_S3_*`): bytes recorded by the browser's recorder are served with
// Range and through signed URLs, an upload lands in the bucket under the organization's prefix, and
// the retention purge deletes objects and rows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createArtifactRecorder } from '@petrel/browser';
import { silentLogger } from '@petrel/protocol';
import { createConfiguredBlobStore, loadServerConfig, purgeExpired } from '@petrel/server';
import { startLocalS3 } from '@petrel/testing';
import { createTestApp } from '../helpers/test-app.ts';

test('artifacts and uploads on S3: Range, signed URLs, organization prefix, retention', async () => {
  await using s3 = await startLocalS3();
  const config = loadServerConfig({
    PETREL_DATA_DIR: '/tmp/petrel-unused',
    PETREL_S3_BUCKET: s3.bucket,
    PETREL_S3_ENDPOINT: s3.endpoint,
    PETREL_S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    PETREL_S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    PETREL_S3_PREFIX: 'petrel',
  });
  assert.equal(config.blobStore.kind, 's3');
  await using blobStore = createConfiguredBlobStore(config.blobStore);
  await using t = await createTestApp({ blobStore });

  const runId = 'tsk_01JS3RUN0000000000000000000';
  const recorder = createArtifactRecorder({ runId, blobStore, logger: silentLogger, onArtifact: t.deps.artifactSink!.hook({ namespace: t.organizationId, runId, step: 1 }) });
  const body = 'trace-bytes-'.repeat(1000);
  const trace = (await recorder.record('trace', body, { contentType: 'application/zip', name: 'trace.zip' }))!;
  assert.ok(trace, 'recorded on S3');
  assert.equal((await blobStore.head(trace.key))?.size, body.length, 'the object is in the bucket');

  const artifact = (await (await t.call(`/v1/artifacts/${trace.artifactId}`)).json()) as { task_id: string; file_size: number; signed_url: string };
  assert.equal(artifact.task_id, runId);
  assert.equal(artifact.file_size, body.length);
  const ranged = await t.call(`/v1/artifacts/${trace.artifactId}/content`, { headers: { range: 'bytes=12-23' } });
  assert.equal(ranged.status, 206);
  assert.equal(await ranged.text(), body.slice(12, 24));
  const signed = new URL(artifact.signed_url);
  const viaSignature = await t.call(`${signed.pathname}${signed.search}`, { key: null });
  assert.equal(viaSignature.status, 200);
  assert.equal(await viaSignature.text(), body);

  const form = new FormData();
  form.append('file', new Blob(['col\n1\n'], { type: 'text/csv' }), 'data.csv');
  const upload = (await (await t.call('/v1/upload_file', { method: 'POST', body: form })).json()) as { file_id: string };
  const keys = (await blobStore.list(`orgs/${t.organizationId}/files/`)).map((info) => info.key);
  assert.deepEqual(keys, [`orgs/${t.organizationId}/files/${upload.file_id}/data.csv`]);

  await t.database.db.updateTable('artifacts').set({ created_at: new Date(Date.now() - 90 * 86_400_000).toISOString() }).execute();
  const purged = await purgeExpired({ store: t.deps.store, blobStore, artifactRetentionDays: 30, logger: silentLogger });
  assert.equal(purged.artifacts, 1);
  assert.equal(await blobStore.head(trace.key), undefined, 'the object was deleted from the bucket');
  assert.equal((await t.call(`/v1/artifacts/${trace.artifactId}/content`)).status, 404);
});
