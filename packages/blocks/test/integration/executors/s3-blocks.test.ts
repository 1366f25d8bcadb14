// file_upload, upload_to_s3 and download_to_s3 against s3rver on loopback; what is in the bucket is
// read back with the AWS SDK directly, not through the code under test.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DownloadToS3BlockSchema, FileUploadBlockSchema, UploadToS3BlockSchema, isPetrelError } from '@petrel/protocol';
import { createMemoryRunFiles, executeDownloadToS3Block, executeFileUploadBlock, executeUploadToS3Block } from '@petrel/blocks';
import { startLocalS3 } from '@petrel/testing';
import type { LocalS3 } from '@petrel/testing';
import { startTestHttpServer, testContext } from './executor-fixture.ts';

let server: LocalS3;
let endpoint: string;
let client: S3Client;
let credentials: LocalS3['credentials'];

before(async () => {
  server = await startLocalS3(['customer-bucket', 'petrel-uploads']);
  ({ endpoint, credentials } = server);
  client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
});
after(async () => {
  client?.destroy();
  await server?.close();
});

async function objects(bucket: string, prefix = ''): Promise<Map<string, Buffer>> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const out = new Map<string, Buffer>();
  for (const entry of listed.Contents ?? []) {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: entry.Key }));
    out.set(entry.Key!, Buffer.from(await got.Body!.transformToByteArray()));
  }
  return out;
}

test('file_upload puts every downloaded file into the customer bucket under path, with the block credentials as secrets', async () => {
  const files = createMemoryRunFiles([
    { name: 'invoice_ORD-1.pdf', body: '%PDF-1.4 one', contentType: 'application/pdf' },
    { name: 'report march.csv', body: 'a,b\n1,2\n' },
  ]);
  const ctx = testContext({ files });
  // The secret key arrives as a placeholder, as a rendered secret parameter would.
  const keyPlaceholder = ctx.redactor.register(credentials.secretAccessKey, { label: 'aws_secret_access_key' });
  const result = await executeFileUploadBlock(
    FileUploadBlockSchema.parse({
      block_type: 'file_upload',
      label: 'upload',
      storage_type: 's3',
      s3_bucket: 'customer-bucket',
      aws_access_key_id: credentials.accessKeyId,
      aws_secret_access_key: keyPlaceholder,
      region_name: 'us-east-1',
      endpoint_url: endpoint,
      path: 'invoices/2026 q1',
    }),
    ctx,
  );
  assert.equal(result.status, 'completed');
  const uris = result.output as string[];
  assert.equal(uris.length, 2);
  for (const uri of uris) assert.match(uri, /^s3:\/\/customer-bucket\/invoices\/2026_q1\/[0-9a-f-]{36}_/);
  const stored = await objects('customer-bucket', 'invoices/2026_q1/');
  const byName = new Map([...stored].map(([key, body]) => [key.replace(/^.*\/[0-9a-f-]{36}_/, ''), body.toString()]));
  assert.deepEqual(Object.fromEntries(byName), { 'invoice_ORD-1.pdf': '%PDF-1.4 one', 'report_march.csv': 'a,b\n1,2\n' });
  const head = await client.send(new GetObjectCommand({ Bucket: 'customer-bucket', Key: uris[0]!.replace('s3://customer-bucket/', '') }));
  assert.equal(head.ContentType, 'application/pdf');
});

test('without path the run id is the folder; other storage types and missing fields fail naming them', async () => {
  const files = createMemoryRunFiles([{ name: 'a.txt', body: 'A' }]);
  const ctx = testContext({ files });
  const result = await executeFileUploadBlock(
    FileUploadBlockSchema.parse({ block_type: 'file_upload', label: 'u', s3_bucket: 'customer-bucket', aws_access_key_id: 'S3RVER', aws_secret_access_key: 'S3RVER', endpoint_url: endpoint }),
    ctx,
  );
  assert.match((result.output as string[])[0]!, new RegExp(`^s3://customer-bucket/${ctx.runId}/`));

  for (const storage of ['azure', 'google_drive', 'sftp']) {
    await assert.rejects(executeFileUploadBlock(FileUploadBlockSchema.parse({ block_type: 'file_upload', label: 'u', storage_type: storage }), ctx), (error: unknown) => {
      assert.ok(isPetrelError(error));
      assert.equal(error.code, 'INTEGRATION_NOT_CONFIGURED');
      assert.match(error.message, new RegExp(`storage_type ${storage}`));
      return true;
    });
  }
  await assert.rejects(executeFileUploadBlock(FileUploadBlockSchema.parse({ block_type: 'file_upload', label: 'u' }), ctx), (error: unknown) => isPetrelError(error) && (error.details as { field: string }).field === 's3_bucket');
  await assert.rejects(
    executeFileUploadBlock(FileUploadBlockSchema.parse({ block_type: 'file_upload', label: 'u', s3_bucket: 'customer-bucket', aws_access_key_id: 'only-half' }), ctx),
    (error: unknown) => isPetrelError(error) && (error.details as { field: string }).field === 'aws_secret_access_key',
  );
  const denied = executeFileUploadBlock(
    FileUploadBlockSchema.parse({ block_type: 'file_upload', label: 'u', s3_bucket: 'no-such-bucket', aws_access_key_id: 'S3RVER', aws_secret_access_key: 'S3RVER', endpoint_url: endpoint }),
    ctx,
  );
  await assert.rejects(denied, (error: unknown) => isPetrelError(error) && error.code === 'UNAVAILABLE' && /no-such-bucket/.test(error.message));
});

test('upload_to_s3 and download_to_s3 use the server storage', async () => {
  await using web = await startTestHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-disposition': 'attachment; filename="export.json"' });
    response.end('{"rows":3}');
  });
  const s3 = { bucket: 'petrel-uploads', endpoint, credentials, forcePathStyle: true, prefix: 'uploads/' };
  const files = createMemoryRunFiles([
    { name: 'one.pdf', body: '%PDF one' },
    { name: 'two.pdf', body: '%PDF two' },
  ]);
  const ctx = testContext({ files, s3 });
  const uploaded = await executeUploadToS3Block(UploadToS3BlockSchema.parse({ block_type: 'upload_to_s3', label: 'u', path: 'SKYVERN_DOWNLOAD_DIRECTORY' }), ctx);
  assert.equal((uploaded.output as string[]).length, 2);
  const single = await executeUploadToS3Block(UploadToS3BlockSchema.parse({ block_type: 'upload_to_s3', label: 'u', path: 'SKYVERN_DOWNLOAD_DIRECTORY/two.pdf' }), ctx);
  assert.equal((single.output as string[]).length, 1);
  const downloaded = await executeDownloadToS3Block(DownloadToS3BlockSchema.parse({ block_type: 'download_to_s3', label: 'd', url: `${web.url}/export` }), ctx);
  const uri = downloaded.output as string;
  assert.match(uri, new RegExp(`^s3://petrel-uploads/uploads/${ctx.runId}/[0-9a-f-]{36}_export\\.json$`));

  const stored = await objects('petrel-uploads', `uploads/${ctx.runId}/`);
  assert.deepEqual([...stored.values()].map((b) => b.toString()).sort(), ['%PDF one', '%PDF two', '%PDF two', '{"rows":3}']);

  await assert.rejects(
    executeUploadToS3Block(UploadToS3BlockSchema.parse({ block_type: 'upload_to_s3', label: 'u', path: 'SKYVERN_DOWNLOAD_DIRECTORY' }), testContext({ files })),
    (error: unknown) => isPetrelError(error) && error.code === 'INTEGRATION_NOT_CONFIGURED',
  );
  await assert.rejects(executeUploadToS3Block(UploadToS3BlockSchema.parse({ block_type: 'upload_to_s3', label: 'u' }), ctx), /path is required/);
});
