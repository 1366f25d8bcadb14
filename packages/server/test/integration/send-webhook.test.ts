import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createOutboundFetch,
  createOrganization,
  createServerStore,
  createVault,
  decideWebhookRetry,
  generateMasterKey,
  getWebhookSecret,
  recordWebhookAttempt,
  sendWebhook,
  verifyWebhookSignature,
} from '@petrel/server';
import { openSqliteTestDatabase } from '../helpers/databases.ts';
import { startLoopbackServer } from '../helpers/loopback-server.ts';

const BODY = JSON.stringify({ run_id: 'wr_1', status: 'completed', output: { total: 3 } });

test('a delivery is signed so that the receiver can verify it, and lands in the delivery log', async () => {
  await using database = await openSqliteTestDatabase();
  const store = createServerStore(database);
  const vault = createVault({ key: generateMasterKey() });
  const org = await createOrganization(store, vault, { name: 'acme', keyName: 'k', now: new Date() });
  const { secret } = await getWebhookSecret(store, vault, org.organizationId, new Date());

  let verified: boolean | undefined;
  await using receiver = await startLoopbackServer((request, response) => {
    verified = verifyWebhookSignature(secret, request.headers['x-petrel-timestamp'] as string, request.body, request.headers['x-petrel-signature'] as string);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await using fetch = createOutboundFetch({ blockPrivateNetworks: false });

  const attempt = await sendWebhook(`${receiver.url}/hook`, BODY, { secret, fetch });
  assert.equal(verified, true, 'the receiver verified the signature with the organization secret');
  const received = receiver.received[0]!;
  assert.equal(received.method, 'POST');
  assert.equal(received.body, BODY, 'the signed bytes are the bytes sent');
  assert.equal(received.headers['content-type'], 'application/json');
  assert.equal(received.headers['x-skyvern-signature'], received.headers['x-petrel-signature']);
  assert.equal(received.headers['x-skyvern-timestamp'], received.headers['x-petrel-timestamp']);
  assert.equal(attempt.statusCode, 200);
  assert.equal(attempt.error, null);
  assert.equal(attempt.responseExcerpt, '{"ok":true}');
  assert.deepEqual(decideWebhookRetry(1, attempt.outcome, { now: Date.now(), random: 0.5 }), { retry: false, reason: 'delivered' });

  const row = await recordWebhookAttempt(store, org.organizationId, 'wr_1', 1, attempt);
  const log = await store.webhookDeliveries.listForRun(org.organizationId, 'wr_1');
  assert.deepEqual(log, [row]);
  assert.equal(log[0]!.status_code, 200);
  assert.equal(log[0]!.url, `${receiver.url}/hook`);
  assert.deepEqual(await store.webhookDeliveries.listForRun('o_other', 'wr_1'), [], 'scoped by organization');
});

test('failures come back as data: a 503 with Retry-After, a refused address, a dead port; long answers are cut to 2 KiB', async () => {
  await using receiver = await startLoopbackServer((request, response) => {
    if (request.url === '/busy') response.writeHead(503, { 'retry-after': '42' }).end('busy');
    else response.writeHead(500).end('x'.repeat(10_000));
  });
  await using fetch = createOutboundFetch({ blockPrivateNetworks: false });
  const busy = await sendWebhook(`${receiver.url}/busy`, BODY, { secret: 'whsec_x', fetch });
  assert.equal(busy.statusCode, 503);
  assert.equal(busy.error, 'the receiver answered HTTP 503');
  assert.deepEqual(busy.outcome, { kind: 'response', status: 503, retryAfter: '42' });
  assert.deepEqual(decideWebhookRetry(1, busy.outcome, { now: Date.now(), random: 0 }), { retry: true, delayMs: 42_000 });

  const long = await sendWebhook(`${receiver.url}/long`, BODY, { secret: 'whsec_x', fetch });
  assert.equal(long.responseExcerpt?.length, 2048);

  await using strict = createOutboundFetch({ blockPrivateNetworks: true });
  const blocked = await sendWebhook(`${receiver.url}/busy`, BODY, { secret: 'whsec_x', fetch: strict });
  assert.equal(blocked.statusCode, null);
  assert.deepEqual(blocked.outcome, { kind: 'blocked' });
  assert.match(blocked.error ?? '', /outbound policy refuses/);
  assert.deepEqual(decideWebhookRetry(1, blocked.outcome, { now: Date.now(), random: 0 }), { retry: false, reason: 'not_retryable' });

  const dead = await sendWebhook('http://127.0.0.1:1/hook', BODY, { secret: 'whsec_x', fetch });
  assert.deepEqual(dead.outcome, { kind: 'network_error' });
  assert.match(dead.error ?? '', /network error/);

  const controller = new AbortController();
  controller.abort();
  await assert.rejects(sendWebhook(`${receiver.url}/busy`, BODY, { secret: 'whsec_x', fetch, signal: controller.signal }), { code: 'CANCELED' });
});
