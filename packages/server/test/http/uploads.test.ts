// `POST /v1/upload_file`: a multipart upload streamed into the blob store, Skyvern's answer with a
// `petrel://files/<id>` reference that runs of the same organization resolve and a signed URL that
// works without a key; the size limit (413, partial blob removed), bad input, deletion, scoping.
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { openUploadedFile } from '@petrel/server';
import { createTestApp } from '../helpers/test-app.ts';

function form(bytes: Uint8Array | string, filename = 'invoice.csv', fields: Record<string, string> = {}): FormData {
  const data = new FormData();
  data.append('file', new Blob([bytes as BlobPart], { type: 'text/csv' }), filename);
  for (const [name, value] of Object.entries(fields)) data.append(name, value);
  return data;
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

test('an upload is stored, answered in Skyvern\'s shape, served by its signed URL and resolved by reference', async () => {
  await using t = await createTestApp();
  // Over the 64 KiB JSON body limit of the test app: uploads have their own limit.
  const content = `id,amount\n${'1,2.50\n'.repeat(20_000)}`;
  const res = await t.call('/v1/upload_file', { method: 'POST', body: form(content, '../../etc/invoice 2024.csv', { retention_days: '7' }) });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as Record<string, string | number | null>;
  assert.match(String(body['file_id']), /^file_[0-9A-Z]{26}$/);
  assert.equal(body['s3_uri'], `petrel://files/${body['file_id']}`);
  assert.equal(body['filename'], 'invoice 2024.csv', 'the path part of the name is dropped');
  assert.equal(body['file_size'], Buffer.byteLength(content));
  assert.equal(body['content_type'], 'text/csv');
  assert.ok(Date.parse(String(body['retention_expires_at'])) > Date.now() + 6 * 86_400_000);
  assert.match(String(body['presigned_url']), /^http:\/\/petrel\.test\/v1\/files\/file_/);

  const viaSignature = await t.call(pathOf(String(body['presigned_url'])), { key: null });
  assert.equal(viaSignature.status, 200);
  assert.equal(await viaSignature.text(), content);
  const head = await t.call(pathOf(String(body['presigned_url'])), { key: null, headers: { range: 'bytes=0-8' } });
  assert.equal(head.status, 206);
  assert.equal(await head.text(), 'id,amount');
  assert.equal((await t.call(`/v1/files/${body['file_id']}/content`)).status, 200, 'an API key works too');
  assert.equal((await t.call(`/v1/files/${body['file_id']}/content`, { key: t.otherApiKey })).status, 404);

  const opened = await openUploadedFile(t.deps, t.organizationId, body['s3_uri']);
  assert.equal(opened.filename, 'invoice 2024.csv');
  assert.equal(await text(opened.body), content);
  await assert.rejects(openUploadedFile(t.deps, t.otherOrganizationId, body['s3_uri']), { code: 'NOT_FOUND' });
  await assert.rejects(openUploadedFile(t.deps, t.organizationId, 'https://example.com/x.csv'), { code: 'INVALID_INPUT' });

  // The legacy path works the same.
  const legacy = await t.call('/api/v1/upload_file', { method: 'POST', body: form('a,b\n') });
  assert.equal(legacy.status, 200);
});

test('a file over the upload limit answers 413 and leaves no bytes behind', async () => {
  await using t = await createTestApp({ maxUploadBytes: 4096 });
  const streamed = await t.call('/v1/upload_file', { method: 'POST', body: form('x'.repeat(6000)) });
  assert.equal(streamed.status, 413);
  assert.equal(((await streamed.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
  const declared = await t.call('/v1/upload_file', { method: 'POST', body: form('y'.repeat(200_000)) });
  assert.equal(declared.status, 413, 'refused from its Content-Length');
  assert.deepEqual(await t.blobStore.list('orgs/'), [], 'the partial blob was deleted');
  const exact = await t.call('/v1/upload_file', { method: 'POST', body: form('z'.repeat(4096)) });
  assert.equal(exact.status, 200, 'exactly the limit is fine');
});

test('upload input errors: not multipart, no file part, bad retention, no key', async () => {
  await using t = await createTestApp();
  const json = await t.call('/v1/upload_file', { method: 'POST', json: { file: 'x' } });
  assert.equal(json.status, 415);
  const noFile = new FormData();
  noFile.append('retention_days', '3');
  const missing = await t.call('/v1/upload_file', { method: 'POST', body: noFile });
  assert.equal(missing.status, 422);
  assert.deepEqual(((await missing.json()) as { detail: Array<{ loc: string[] }> }).detail[0]?.loc, ['body', 'file']);
  const badRetention = await t.call('/v1/upload_file', { method: 'POST', body: form('a', 'a.csv', { retention_days: 'soon' }) });
  assert.equal(badRetention.status, 422);
  assert.deepEqual(await t.blobStore.list('orgs/'), [], 'a refused upload keeps no bytes');
  assert.equal((await t.call('/v1/upload_file', { method: 'POST', body: form('a'), key: null })).status, 403);
  assert.equal((await t.call('/v1/upload_file', { method: 'POST', body: form('a'), key: 'pk_nope' })).status, 403);
});

test('deleting a file removes its bytes; another organization cannot', async () => {
  await using t = await createTestApp();
  const body = (await (await t.call('/v1/upload_file', { method: 'POST', body: form('hello') })).json()) as { file_id: string; presigned_url: string };
  assert.equal((await t.call(`/v1/files/${body.file_id}`, { method: 'DELETE', key: t.otherApiKey })).status, 404);
  assert.equal((await t.call(`/v1/files/${body.file_id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await t.call(`/v1/files/${body.file_id}/content`)).status, 404);
  assert.equal((await t.call(pathOf(body.presigned_url), { key: null })).status, 404);
  assert.deepEqual(await t.blobStore.list('orgs/'), []);
  assert.equal((await t.call(`/v1/files/${body.file_id}`, { method: 'DELETE' })).status, 404);
});
