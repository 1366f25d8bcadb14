import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

const secretBody = { name: 'x', credential_type: 'secret', credential: { secret_value: 'v' } };

test('malformed JSON is 400, a wrong Content-Type 415, never 500', async () => {
  await using t = await createTestApp();
  for (const body of ['{bad', '{"name": }', '', '\u0000']) {
    const response = await t.call('/v1/credentials', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    assert.equal(response.status, 400, JSON.stringify(body));
    assert.deepEqual(await response.json(), { detail: 'Malformed JSON in request body', code: 'INVALID_INPUT' });
  }
  const text = await t.call('/v1/credentials', { method: 'POST', body: JSON.stringify(secretBody), headers: { 'content-type': 'text/plain' } });
  assert.equal(text.status, 415);
  assert.equal(((await text.json()) as { code: string }).code, 'UNSUPPORTED_MEDIA_TYPE');
  const noType = await t.call('/v1/credentials', { method: 'POST', body: JSON.stringify(secretBody) });
  assert.equal(noType.status, 415);
  const vendor = await t.call('/v1/credentials', { method: 'POST', body: JSON.stringify(secretBody), headers: { 'content-type': 'application/json; charset=utf-8' } });
  assert.equal(vendor.status, 201, 'parameters of the media type are fine');
});

test('bodies over the limit are 413, with or without Content-Length', async () => {
  await using t = await createTestApp({ maxBodyBytes: 4096 });
  const big = JSON.stringify({ ...secretBody, credential: { secret_value: 'x'.repeat(10_000) } });
  const declared = await t.call('/v1/credentials', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
  assert.equal(declared.status, 413);
  assert.deepEqual(await declared.json(), { detail: 'request: the body is over the 4096-byte limit', code: 'PAYLOAD_TOO_LARGE' });
  const bytes = new TextEncoder().encode(big);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 1000) controller.enqueue(bytes.subarray(offset, offset + 1000));
      controller.close();
    },
  });
  const chunked = await t.app.request('/v1/credentials', {
    method: 'POST',
    body: stream,
    headers: { 'content-type': 'application/json', 'x-api-key': t.apiKey, 'transfer-encoding': 'chunked' },
    duplex: 'half',
  } as RequestInit);
  assert.equal(chunked.status, 413);
  const small = await t.call('/v1/credentials', { method: 'POST', json: secretBody });
  assert.equal(small.status, 201);
});

test('unknown routes are 404 {"detail":"Not Found"}; trailing slashes are accepted', async () => {
  await using t = await createTestApp();
  for (const path of ['/v1/nothing', '/', '/v2/credentials', '/v1/credentials/x/y/z']) {
    const response = await t.call(path);
    assert.equal(response.status, 404, path);
    assert.deepEqual(await response.json(), { detail: 'Not Found', code: 'NOT_FOUND' });
  }
  const unknownNoKey = await t.call('/v1/nothing', { key: null });
  assert.equal(unknownNoKey.status, 404, 'unknown routes are 404 even without a key, as in FastAPI');
  assert.equal((await t.call('/v1/credentials/')).status, 200);
  assert.equal((await t.call('/healthz/')).status, 200);
});

test('every answer carries x-request-id: the client one when well-formed, else a new req_ id', async () => {
  await using t = await createTestApp();
  const generated = await t.call('/healthz');
  assert.match(generated.headers.get('x-request-id') ?? '', /^req_[0-9A-Z]{26}$/);
  const given = await t.call('/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
  assert.equal(given.headers.get('x-request-id'), 'trace-abc.123');
  const hostile = await t.call('/healthz', { headers: { 'x-request-id': 'evil value\twith spaces' } });
  assert.match(hostile.headers.get('x-request-id') ?? '', /^req_/);
  for (const response of [await t.call('/nope'), await t.call('/v1/credentials', { key: null })]) {
    assert.match(response.headers.get('x-request-id') ?? '', /^req_/, 'errors carry it too');
  }
  const line = t.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.req_id === 'trace-abc.123');
  assert.ok(line);
  assert.equal(line.method, 'GET');
  assert.equal(line.path, '/healthz');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
});

test('an unexpected failure is a 500 with a request id; the cause is logged, not returned', async () => {
  await using t = await createTestApp();
  // Warm the key cache, then break the database under the app.
  assert.equal((await t.call('/v1/credentials')).status, 200);
  await t.database.close();
  const response = await t.call('/v1/credentials', { headers: { 'x-request-id': 'boom-1' } });
  assert.equal(response.status, 500);
  assert.deepEqual(await response.json(), { detail: 'Internal error', code: 'INTERNAL', request_id: 'boom-1' });
  const logged = t.logs.lines.map((l) => JSON.parse(l) as { req_id?: string; level: string; msg: string; err?: { message?: string } });
  const error = logged.find((l) => l.req_id === 'boom-1' && l.level === 'error');
  assert.ok(error, 'the failure is logged with the request id');
  assert.ok(error.err?.message, 'with its cause');
});

test('odd bodies get a 4xx, never a 500', async () => {
  await using t = await createTestApp({ maxBodyBytes: 512 * 1024 });
  const deep = `{"name":"x","credential_type":"secret","credential":{"secret_value":"v"},"proxy_location":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
  const bodies = [
    'null',
    '"a string"',
    '42',
    'true',
    '[]',
    '{}',
    deep,
    '{"name":"x","credential_type":"secret","credential":{"secret_value":"v"},"__proto__":{"polluted":true}}',
    '{"name":"\\ud800","credential_type":"secret","credential":{"secret_value":"\\u0000"}}',
    '{"name":"x","credential_type":"password","credential":{"username":"u","password":"p","totp":"otpauth://totp/x?secret=not base32"}}',
    '{"name":"x","credential_type":"credit_card","credential":{"card_number":1}}',
    '\uFEFF{"name":"x"}',
  ];
  for (const body of bodies) {
    for (const path of ['/v1/credentials', '/v1/credentials/totp', '/v1/keys', '/v1/webhooks/secret/rotate']) {
      const response = await t.call(path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.ok(response.status < 500, `${path} ${body.slice(0, 60)} → ${response.status}`);
      const json = (await response.json()) as { code?: string };
      if (response.status >= 400) assert.ok(json.code, 'errors carry a code');
    }
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});
