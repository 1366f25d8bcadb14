// Files across the blocks of a run, against loopback servers: http_request saves an answer as a file
// of the run, code reads the run's parameters, file_url_parser reads the saved file by its
// SKYVERN_DOWNLOAD_DIRECTORY name, file_upload puts the run's files into an S3 bucket (s3rver) with
// the secret key of a stored credential (a placeholder in the template, revealed only by the
// executor), and the run response lists the files. No browser.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startLocalS3 } from '@petrel/testing';
import type { LocalS3 } from '@petrel/testing';
import type { LocalPetrel } from '../../support/local-petrel.ts';
import { startLocalPetrel } from '../../support/local-petrel.ts';
import { outputOf, runYaml } from '../../support/workflow-kit.ts';

const CSV = 'sku,qty\nBEAN-ETH-1KG,3\nTMP-58-01,4\n';

describe('files across blocks', () => {
  let petrel: LocalPetrel;
  let s3: LocalS3;
  let endpoint = '';
  let files: ReturnType<typeof createServer>;
  let filesUrl = '';

  before(async () => {
    s3 = await startLocalS3('customer-bucket');
    endpoint = s3.endpoint;
    files = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(CSV);
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', () => resolve()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    petrel = await startLocalPetrel();
    petrel.credentials.set(petrel.namespace, 'cred_s3', { credential_type: 'secret', secret_value: 'S3RVER', secret_label: 's3 key' });
  });
  after(async () => {
    await petrel.close();
    await s3?.close();
    files.closeAllConnections();
    await new Promise<void>((resolve) => files.close(() => resolve()));
  });

  it('a saved HTTP answer is parsed by name and uploaded to S3 with a secret key', async () => {
    const run = await runYaml(
      petrel,
      `
title: files
workflow_definition:
  parameters:
    - {key: source, parameter_type: workflow, workflow_parameter_type: string}
    - {key: endpoint, parameter_type: workflow, workflow_parameter_type: string}
    - {key: s3_key, parameter_type: credential, credential_id: cred_s3}
  blocks:
    - block_type: http_request
      label: fetch_stock
      url: "{{ source }}/stock.csv"
      save_response_as_file: true
      download_filename: stock.csv
    - block_type: file_url_parser
      label: read_stock
      file_url: SKYVERN_DOWNLOAD_DIRECTORY/stock.csv
      file_type: csv
    - block_type: file_upload
      label: archive
      s3_bucket: customer-bucket
      aws_access_key_id: S3RVER
      aws_secret_access_key: "{{ s3_key.secret_value }}"
      region_name: us-east-1
      endpoint_url: "{{ endpoint }}"
      path: archive
`,
      { source: filesUrl, endpoint },
    );
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.deepEqual((run.downloaded_files ?? []).map((f) => [f.filename, f.file_size]), [['stock.csv', CSV.length]]);
    assert.match(JSON.stringify(outputOf(run, 'read_stock')), /BEAN-ETH-1KG/);
    const uris = outputOf<string[]>(run, 'archive');
    assert.equal(uris.length, 1);
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestChecksumCalculation: 'WHEN_REQUIRED' });
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: 'customer-bucket', Prefix: 'archive/' }));
      assert.equal(listed.Contents?.length, 1);
      const object = await client.send(new GetObjectCommand({ Bucket: 'customer-bucket', Key: listed.Contents?.[0]?.Key }));
      assert.equal(await object.Body?.transformToString(), CSV);
    } finally {
      client.destroy();
    }
  });
});
