// Server config of blobs, artifacts and browsers: the disk default, S3 from PETREL_S3_*, retention,
// signed URL lifetime, browser limits; bad values name the variable and never echo a secret.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadServerConfig } from '@petrel/server';

const base = { PETREL_DATA_DIR: '/var/petrel' };

test('defaults: blobs in <data dir>/blobs, 30-day artifact retention, 24 h signed URLs, 4 contexts, 16 sessions', () => {
  const config = loadServerConfig(base);
  assert.deepEqual(config.blobStore, { kind: 'disk', root: '/var/petrel/blobs' });
  assert.equal(config.artifactRetentionDays, 30);
  assert.equal(config.signedUrlTtlSeconds, 86_400);
  assert.equal(config.browserContexts, 4);
  assert.equal(config.browserSessions, 16);
  assert.equal(config.chromiumPath, undefined);
  assert.deepEqual(loadServerConfig({ ...base, PETREL_BLOB_DIR: '/srv/blobs' }).blobStore, { kind: 'disk', root: '/srv/blobs' });
});

test('S3 from PETREL_S3_*: path-style by default with an endpoint; credentials go together', () => {
  const config = loadServerConfig({
    ...base,
    PETREL_S3_BUCKET: 'petrel-artifacts',
    PETREL_S3_ENDPOINT: 'http://127.0.0.1:9000',
    PETREL_S3_REGION: 'eu-west-1',
    PETREL_S3_ACCESS_KEY_ID: 'AKIA',
    PETREL_S3_SECRET_ACCESS_KEY: 'very-secret-value',
    PETREL_S3_PREFIX: 'prod/',
  });
  assert.deepEqual(config.blobStore, {
    kind: 's3',
    bucket: 'petrel-artifacts',
    endpoint: 'http://127.0.0.1:9000',
    region: 'eu-west-1',
    accessKeyId: 'AKIA',
    secretAccessKey: 'very-secret-value',
    forcePathStyle: true,
    prefix: 'prod/',
  });
  const aws = loadServerConfig({ ...base, PETREL_S3_BUCKET: 'petrel-artifacts' }).blobStore;
  assert.equal(aws.kind === 's3' && aws.forcePathStyle, false);

  const bad = (env: Record<string, string>, pattern: RegExp) => assert.throws(() => loadServerConfig({ ...base, ...env }), (error: Error & { code?: string }) => error.code === 'INVALID_CONFIG' && pattern.test(error.message) && !error.message.includes('very-secret-value'));
  bad({ PETREL_S3_SECRET_ACCESS_KEY: 'very-secret-value' }, /PETREL_S3_SECRET_ACCESS_KEY is set but PETREL_S3_BUCKET is not/);
  bad({ PETREL_S3_BUCKET: 'b', PETREL_S3_SECRET_ACCESS_KEY: 'very-secret-value' }, /PETREL_S3_BUCKET must be a bucket name/);
  bad({ PETREL_S3_BUCKET: 'bucket', PETREL_S3_SECRET_ACCESS_KEY: 'very-secret-value' }, /go together/);
  bad({ PETREL_S3_BUCKET: 'bucket', PETREL_S3_ENDPOINT: 'not a url' }, /PETREL_S3_ENDPOINT is not a valid URL/);
  bad({ PETREL_S3_BUCKET: 'bucket', PETREL_BLOB_DIR: '/x' }, /cannot both be set/);
  bad({ PETREL_ARTIFACT_RETENTION_DAYS: '-1' }, /PETREL_ARTIFACT_RETENTION_DAYS/);
  bad({ PETREL_SIGNED_URL_TTL_SECONDS: '5' }, /PETREL_SIGNED_URL_TTL_SECONDS/);
  bad({ PETREL_BROWSER_CONTEXTS: '0' }, /PETREL_BROWSER_CONTEXTS/);
  assert.equal(loadServerConfig({ ...base, PETREL_ARTIFACT_RETENTION_DAYS: '0' }).artifactRetentionDays, 0);
  assert.equal(loadServerConfig({ ...base, PETREL_BROWSER_SESSIONS: '0' }).browserSessions, 0);
});
