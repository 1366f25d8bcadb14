// Fetching a 2FA code from a customer's `totp_url` over loopback HTTP: the endpoint verifies the
// signature itself (HMAC computed here, independently), and every "not yet" answer is a reason, not a
// throw; aborts, blocked outbound calls and bad URLs are errors.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { PetrelError, isPetrelError } from '@petrel/protocol';
import { fetchTotpFromUrl } from '@petrel/agent';

const SECRET = 'whsec_test_secret';
type Seen = { headers: IncomingMessage['headers']; body: string; verified: boolean };
let seen: Seen[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
let base = '';
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const timestamp = String(req.headers['x-petrel-timestamp']);
    const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const given = String(req.headers['x-petrel-signature']);
    const verified = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    seen.push({ headers: req.headers, body, verified });
    if (!verified) {
      res.writeHead(401).end('bad signature');
      return;
    }
    answer(req, res);
  });
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  seen = [];
});

const json = (status: number, body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

test('a signed POST answered with a verification_code yields the code', async () => {
  answer = json(200, { verification_code: ' 123456 ' });
  const now = Date.UTC(2026, 10, 21, 8, 0, 0);
  const result = await fetchTotpFromUrl({
    url: `${base}/totp`,
    signingSecret: SECRET,
    payload: { task_id: 'tsk_1', workflow_run_id: null, totp_identifier: 'alice@example.com' },
    now: () => now,
  });
  assert.deepEqual(result, { code: '123456', status: 200 });
  const request = seen[0]!;
  assert.equal(request.verified, true, 'the endpoint verified the signature');
  assert.deepEqual(JSON.parse(request.body), { task_id: 'tsk_1', workflow_run_id: null, totp_identifier: 'alice@example.com' });
  assert.equal(request.headers['x-petrel-timestamp'], String(now / 1000));
  assert.equal(request.headers['x-skyvern-signature'], request.headers['x-petrel-signature']);
  assert.equal(request.headers['x-skyvern-timestamp'], request.headers['x-petrel-timestamp']);
  assert.equal(request.headers['content-type'], 'application/json');
});

test('a numeric code is accepted', async () => {
  answer = json(200, { verification_code: 654321 });
  assert.deepEqual(await fetchTotpFromUrl({ url: base, signingSecret: SECRET }), { code: '654321', status: 200 });
});

test('a wrong signing secret is refused by the endpoint: a reason, not a code', async () => {
  answer = json(200, { verification_code: '111111' });
  const result = await fetchTotpFromUrl({ url: base, signingSecret: 'whsec_wrong' });
  assert.equal(result.code, undefined);
  assert.equal(result.status, 401);
  assert.equal(seen[0]?.verified, false);
});

test('"not yet" answers are reasons: other statuses, not JSON, no code, redirects', async () => {
  const cases: Array<[(req: IncomingMessage, res: ServerResponse) => void, RegExp]> = [
    [json(404, { detail: 'no code yet' }), /HTTP 404/],
    [(_req, res) => res.writeHead(200).end('<html>ok</html>'), /not JSON/],
    [json(200, { verification_code: '' }), /without a verification_code/],
    [json(200, { code: '123456' }), /without a verification_code/],
    [(_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end(), /HTTP 302/],
    [(_req, res) => res.writeHead(200).end('x'.repeat(70_000)), /more than/],
  ];
  for (const [handler, reason] of cases) {
    answer = handler;
    const result = await fetchTotpFromUrl({ url: base, signingSecret: SECRET });
    assert.equal(result.code, undefined);
    assert.match('reason' in result ? result.reason : '', reason);
  }
});

test('a slow endpoint times out into a reason; an abort rejects with CANCELED', async () => {
  answer = () => {}; // never answers
  const slow = await fetchTotpFromUrl({ url: base, signingSecret: SECRET, timeoutMs: 100 });
  assert.match('reason' in slow ? slow.reason : '', /did not answer within 100 ms/);

  const controller = new AbortController();
  const pending = fetchTotpFromUrl({ url: base, signingSecret: SECRET, signal: controller.signal, timeoutMs: 60_000 });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(pending, (error: unknown) => isPetrelError(error) && error.code === 'CANCELED');
  server.closeAllConnections();
});

test('the injected fetch is the only way out: a blocking outbound policy surfaces as its error', async () => {
  const calls: string[] = [];
  const policyFetch = (input: string | URL | Request): Promise<Response> => {
    calls.push(input instanceof Request ? input.url : input.toString());
    return Promise.reject(new PetrelError('OUTBOUND_BLOCKED', 'outbound: 127.0.0.1 is a private address'));
  };
  await assert.rejects(
    fetchTotpFromUrl({ url: `${base}/totp`, signingSecret: SECRET, fetch: policyFetch }),
    (error: unknown) => isPetrelError(error) && error.code === 'OUTBOUND_BLOCKED',
  );
  assert.deepEqual(calls, [`${base}/totp`]);
  assert.equal(seen.length, 0, 'nothing reached the endpoint');
});

test('unreachable endpoints are reasons; bad URLs are VALIDATION_FAILED', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const down = await fetchTotpFromUrl({ url: `http://127.0.0.1:${closedPort}/`, signingSecret: SECRET });
  assert.match('reason' in down ? down.reason : '', /could not be reached/);
  for (const url of ['not a url', 'file:///etc/passwd']) {
    await assert.rejects(fetchTotpFromUrl({ url, signingSecret: SECRET }), (error: unknown) => isPetrelError(error) && error.code === 'VALIDATION_FAILED');
  }
});
