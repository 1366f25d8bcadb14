// The http_request block against a loopback HTTP server (and the fixture portal for a real PDF):
// what the server receives (method, headers, JSON/form/multipart bodies, revealed secrets), what the
// block outputs (Skyvern's shape, secrets as placeholders), redirects, time limits, error statuses,
// saving the answer as a download, and secret_response_paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpRequestBlockSchema } from '@petrel/protocol';
import type { HttpRequestBlock } from '@petrel/protocol';
import { isPetrelError, PetrelError } from '@petrel/protocol';
import { startPortal } from '@petrel/fixture-portal';
import { SECRET_RESPONSE_BODY_REDACTED, createMemoryRunFiles, executeHttpRequestBlock } from '@petrel/blocks';
import type { OutboundFetchLike } from '@petrel/blocks';
import { sendJson, startTestHttpServer, testContext } from './executor-fixture.ts';

function block(fields: Record<string, unknown>): HttpRequestBlock {
  return HttpRequestBlockSchema.parse({ block_type: 'http_request', label: 'call_api', ...fields });
}

test('GET: JSON answer parsed; output in Skyvern shape; a secret in the URL and a header is sent for real and stored as its placeholder', async () => {
  await using server = await startTestHttpServer((request, response) => sendJson(response, 200, { ok: true, orders: [{ id: 'ORD-1' }] }, { 'x-trace': 'abc' }));
  const ctx = testContext();
  const token = ctx.redactor.register('tok-live-8f2k91', { label: 'api_token' });
  const result = await executeHttpRequestBlock(block({ url: `${server.url}/orders?key=${token}`, headers: { Authorization: `Bearer ${token}` } }), ctx);

  assert.equal(result.status, 'completed');
  const [received] = server.requests;
  assert.equal(received?.method, 'GET');
  assert.equal(received?.path, '/orders?key=tok-live-8f2k91');
  assert.equal(received?.headers['authorization'], 'Bearer tok-live-8f2k91');
  const output = result.output as Record<string, unknown>;
  assert.equal(output['status_code'], 200);
  assert.deepEqual(output['response_body'], { ok: true, orders: [{ id: 'ORD-1' }] });
  assert.deepEqual(output['body'], output['response_body']);
  assert.equal((output['response_headers'] as Record<string, string>)['x-trace'], 'abc');
  assert.equal(output['request_method'], 'GET');
  assert.doesNotMatch(JSON.stringify(output), /tok-live-8f2k91/);
  assert.match(String(output['request_url']), new RegExp(`key=${token}`));
  assert.equal((output['request_headers'] as Record<string, string>)['Authorization'], `Bearer ${token}`);
});

test('POST: JSON body by default, a form when the Content-Type says so, multipart with files from the downloads', async () => {
  await using server = await startTestHttpServer((request, response) => sendJson(response, 201, { received: request.body.length }));
  const files = createMemoryRunFiles([{ name: 'invoice_ORD-1.pdf', body: '%PDF-1.4 fake invoice', contentType: 'application/pdf' }]);
  const ctx = testContext({ files });
  const secret = ctx.redactor.register('s3cret-pass', { label: 'password' });

  const json = await executeHttpRequestBlock(block({ method: 'post', url: `${server.url}/json`, body: { user: 'dana', password: secret, items: [1, 2] } }), ctx);
  assert.equal(json.status, 'completed');
  assert.equal(server.requests[0]?.headers['content-type'], 'application/json');
  assert.deepEqual(JSON.parse(String(server.requests[0]?.body)), { user: 'dana', password: 's3cret-pass', items: [1, 2] });
  assert.deepEqual((json.output as { request_body: unknown }).request_body, { user: 'dana', password: secret, items: [1, 2] });

  await executeHttpRequestBlock(
    block({ method: 'POST', url: `${server.url}/form`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: { q: 'a b&c', n: 3 } }),
    ctx,
  );
  assert.equal(server.requests[1]?.body.toString(), 'q=a+b%26c&n=3');

  const multipart = await executeHttpRequestBlock(
    block({ method: 'POST', url: `${server.url}/upload`, body: { note: 'monthly' }, files: { invoice: 'SKYVERN_DOWNLOAD_DIRECTORY/invoice_ORD-1.pdf' } }),
    ctx,
  );
  assert.equal(multipart.status, 'completed');
  const upload = server.requests[2]!;
  const form = await new Response(new Uint8Array(upload.body), { headers: { 'content-type': String(upload.headers['content-type']) } }).formData();
  assert.equal(form.get('note'), 'monthly');
  const file = form.get('invoice') as File;
  assert.equal(file.name, 'invoice_ORD-1.pdf');
  assert.equal(file.type, 'application/pdf');
  assert.equal(await file.text(), '%PDF-1.4 fake invoice');
});

test('redirects are followed unless follow_redirects is false', async () => {
  await using server = await startTestHttpServer((request, response) => {
    if (request.path === '/old') {
      response.writeHead(302, { location: '/new' });
      response.end();
    } else sendJson(response, 200, { at: request.path });
  });
  const followed = await executeHttpRequestBlock(block({ url: `${server.url}/old` }), testContext());
  assert.deepEqual((followed.output as { response_body: unknown }).response_body, { at: '/new' });
  const manual = await executeHttpRequestBlock(block({ url: `${server.url}/old`, follow_redirects: false }), testContext());
  assert.equal((manual.output as { status_code: number }).status_code, 302);
  assert.equal(manual.status, 'failed', 'a 3xx is not a success');
});

test('an error status fails the block with the answer in the output; text bodies stay text', async () => {
  await using server = await startTestHttpServer((_request, response) => {
    response.writeHead(503, { 'content-type': 'text/plain' });
    response.end('maintenance window');
  });
  const result = await executeHttpRequestBlock(block({ url: `${server.url}/x` }), testContext());
  assert.equal(result.status, 'failed');
  assert.equal(result.failureReason, 'HTTP 503: maintenance window');
  assert.equal((result.output as { response_body: unknown }).response_body, 'maintenance window');
});

test('the time limit ends a slow answer with timed_out', async () => {
  await using server = await startTestHttpServer(async (_request, response) => {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    sendJson(response, 200, {});
  });
  const result = await executeHttpRequestBlock(block({ url: `${server.url}/slow`, timeout: 1 }), testContext());
  assert.equal(result.status, 'timed_out');
  assert.equal(result.failureReason, 'Request timed out after 1 seconds');
  assert.deepEqual(result.output, { error: 'Request timed out', error_type: 'timeout' });
});

test('save_response_as_file stores a portal invoice in the run downloads', async () => {
  await using portal = await startPortal();
  const order = portal.data.orders[0]!;
  const cookie = portal.sessionCookie();
  const ctx = testContext();
  const session = ctx.redactor.register(cookie.value, { label: 'session' });
  const result = await executeHttpRequestBlock(
    block({ url: `${portal.url}/orders/${order.id}/invoice`, headers: { Cookie: `${cookie.name}=${session}` }, save_response_as_file: true }),
    ctx,
  );
  assert.equal(result.status, 'completed', result.failureReason);
  const saved = ctx.files.downloads[0]!;
  assert.equal(saved.name, `invoice_${order.id}.pdf`);
  assert.equal(Buffer.from(saved.body.subarray(0, 5)).toString(), '%PDF-');
  assert.deepEqual(result.output, {
    file_path: `SKYVERN_DOWNLOAD_DIRECTORY/invoice_${order.id}.pdf`,
    file_name: `invoice_${order.id}.pdf`,
    file_size: saved.body.byteLength,
    content_type: 'application/pdf',
    sha256: (result.output as { sha256: string }).sha256,
  });

  const named = await executeHttpRequestBlock(
    block({ url: `${portal.url}/orders/${order.id}/invoice`, headers: { Cookie: `${cookie.name}=${session}` }, save_response_as_file: true, download_filename: 'latest.pdf' }),
    ctx,
  );
  assert.equal((named.output as { file_name: string }).file_name, 'latest.pdf');
  const denied = await executeHttpRequestBlock(block({ url: `${portal.url}/orders/${order.id}/invoice`, save_response_as_file: true, follow_redirects: false }), ctx);
  assert.equal(denied.status, 'failed');
  assert.match(denied.failureReason ?? '', /^HTTP 30\d$/);
});

test('secret_response_paths: the values become secrets of the run and placeholders in the output', async () => {
  await using server = await startTestHttpServer((_request, response) =>
    sendJson(response, 200, { data: { token: 'eyJ-real-token-123', expires: 3600 }, echo: 'eyJ-real-token-123', list: [{ key: 'k-abcdef-1' }] }),
  );
  const ctx = testContext();
  const result = await executeHttpRequestBlock(block({ method: 'POST', url: `${server.url}/login`, secret_response_paths: ['data.token', 'list.0.key'] }), ctx);
  assert.equal(result.status, 'completed');
  const body = (result.output as { response_body: { data: { token: string }; echo: string; list: Array<{ key: string }> } }).response_body;
  assert.match(body.data.token, /^petrel_secret_token_/);
  assert.equal(body.echo, body.data.token, 'an echo of the secret is redacted too');
  assert.match(body.list[0]!.key, /^petrel_secret_key_/);
  assert.doesNotMatch(JSON.stringify(result.output), /eyJ-real-token-123|k-abcdef-1/);
  assert.equal(ctx.redactor.reveal(body.data.token), 'eyJ-real-token-123', 'later blocks can use it');

  const missing = await executeHttpRequestBlock(block({ method: 'POST', url: `${server.url}/login`, secret_response_paths: ['data.token', 'data.missing', 'data.expires'] }), testContext());
  assert.equal(missing.status, 'failed');
  assert.equal(missing.failureReason, 'secret_response_paths did not resolve to a non-empty string: data.missing, data.expires');
  assert.equal((missing.output as { response_body: unknown }).response_body, SECRET_RESPONSE_BODY_REDACTED);
  assert.doesNotMatch(JSON.stringify(missing.output), /eyJ-real-token-123/);
});

const refusing: OutboundFetchLike = async () => {
  throw new PetrelError('OUTBOUND_BLOCKED', 'outbound.fetch: address 10.0.0.1 is a private or local address, which the outbound policy refuses', { nonRetryable: true });
};

test('the outbound fetch is the only way out: its refusals fail the block', async () => {
  const result = await executeHttpRequestBlock(block({ url: 'http://10.0.0.1/internal' }), testContext({ fetch: refusing }));
  assert.equal(result.status, 'failed');
  assert.deepEqual((result.output as { error_type: string }).error_type, 'blocked');
  assert.match(result.failureReason ?? '', /outbound policy refuses/);
});

test('fields are validated naming the field; an abort is CANCELED', async () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ url: '' }, 'url'],
    [{ url: 'ftp://example.test/x' }, 'url'],
    [{ url: 'http://127.0.0.1/x', method: 'FETCH' }, 'method'],
    [{ url: 'http://127.0.0.1/x', body: { a: 1 } }, 'body'],
    [{ url: 'http://127.0.0.1/x', headers: { 'Bad Header': 'x' } }, 'headers'],
  ];
  for (const [fields, field] of cases) {
    await assert.rejects(executeHttpRequestBlock(block(fields), testContext()), (error: unknown) => {
      assert.ok(isPetrelError(error), String(error));
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.equal((error.details as { field: string }).field, field);
      return true;
    });
  }
  await using server = await startTestHttpServer(async (_request, response) => {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    sendJson(response, 200, {});
  });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(executeHttpRequestBlock(block({ url: `${server.url}/slow` }), testContext({ signal: controller.signal })), (error: unknown) => isPetrelError(error) && error.code === 'CANCELED');
});
