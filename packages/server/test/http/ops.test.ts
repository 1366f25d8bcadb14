import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

test('healthz and readyz answer without a key; readyz reflects the database', async () => {
  await using t = await createTestApp();
  assert.deepEqual(await (await t.call('/healthz', { key: null })).json(), { status: 'ok' });
  const ready = await t.call('/readyz', { key: null });
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  await t.database.close();
  const down = await t.call('/readyz', { key: null });
  assert.equal(down.status, 503);
  assert.equal(((await down.json()) as { code: string }).code, 'STORE_UNAVAILABLE');
  assert.equal((await t.call('/healthz', { key: null })).status, 200, 'liveness does not depend on the database');
});

test('metrics: Prometheus text with every Petrel metric and request counts', async () => {
  await using t = await createTestApp();
  await t.call('/v1/credentials');
  await t.call('/v1/credentials', { key: null });
  t.deps.metrics.webhookFailures.inc({ reason: 'timeout' });
  const response = await t.call('/metrics', { key: null });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  const text = await response.text();
  for (const name of [
    'petrel_http_requests_total',
    'petrel_http_request_duration_seconds',
    'petrel_runs',
    'petrel_step_duration_seconds',
    'petrel_queue_depth',
    'petrel_browser_pool',
    'petrel_webhook_failures_total',
    'petrel_webhook_deliveries_total',
    'petrel_process_resident_memory_bytes',
  ]) {
    assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(text, /petrel_http_requests_total\{method="GET",route="\/v1\/credentials",status="200"\} 1/);
  assert.match(text, /petrel_http_requests_total\{method="GET",route="\/v1\/credentials",status="403"\} 1/);
  assert.match(text, /petrel_webhook_failures_total\{reason="timeout"\} 1/);
});

test('/openapi.json is OpenAPI 3.1 generated from the schemas and equal to docs/openapi.json', async () => {
  await using t = await createTestApp();
  const document = (await (await t.call('/openapi.json', { key: null })).json()) as {
    openapi: string;
    'x-generated': string;
    paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown>; operationId?: string }>>;
    components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  };
  assert.equal(document.openapi, '3.1.0');
  assert.equal(Object.keys(document)[0], 'x-generated');
  assert.ok(document.paths['/v1/credentials']?.post);
  assert.equal(document.paths['/v1/credentials']?.post?.operationId, 'createCredential');
  assert.ok(document.paths['/v1/credentials']?.post?.responses['422']);
  assert.ok(document.paths['/v1/credentials']?.post?.security, 'authenticated routes declare their security');
  assert.equal(document.paths['/healthz']?.get?.security, undefined);
  for (const schema of ['CreateCredentialRequest', 'CredentialResponse', 'TOTPCodeCreate', 'TOTPCode', 'ApiKey', 'CreatedApiKey', 'ErrorResponse', 'ValidationErrorResponse', 'WebhookSecret']) {
    assert.ok(document.components.schemas[schema], schema);
  }
  assert.deepEqual(Object.keys(document.components.securitySchemes).sort(), ['ApiKeyHeader', 'BearerAuth', 'XAuthKey']);
  const snapshot = JSON.parse(readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8')) as unknown;
  assert.deepEqual(document, snapshot, 'docs/openapi.json is stale: run npm run gen:openapi');
});

test('/docs serves Swagger UI from local assets (no CDN)', async () => {
  await using t = await createTestApp();
  const page = await t.call('/docs', { key: null });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<div id="swagger-ui">/);
  assert.ok(!/https?:\/\//.test(html), 'no external URL');
  for (const src of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
    const asset = await t.call(src[1]!, { key: null });
    assert.equal(asset.status, 200, src[1]);
    assert.ok((await asset.arrayBuffer()).byteLength > 10, src[1]);
  }
  assert.match(await (await t.call('/docs/assets/init.js', { key: null })).text(), /url: '\/openapi\.json'/);
  assert.equal((await t.call('/docs/assets/package.json', { key: null })).status, 404, 'only listed assets are served');
  assert.equal((await t.call('/docs/assets/..%2Fpackage.json', { key: null })).status, 404);
});
