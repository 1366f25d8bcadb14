import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOutboundFetch } from '@petrel/server';
import type { HostResolver } from '@petrel/server';
import { startLoopbackServer } from '../helpers/loopback-server.ts';

const mixed: HostResolver = async () => [
  { address: '93.184.216.34', family: 4 },
  { address: '10.0.0.5', family: 4 },
];

const isBlocked = (error: Error & { code?: string }) => {
  assert.equal(error.code, 'OUTBOUND_BLOCKED');
  return true;
};

test('loopback is reachable when private blocking is off and refused when on', async () => {
  await using server = await startLoopbackServer((_request, response) => response.end('hello'));
  await using open = createOutboundFetch({ blockPrivateNetworks: false });
  const response = await open(`${server.url}/ping`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), 'hello');

  await using closed = createOutboundFetch({ blockPrivateNetworks: true });
  await assert.rejects(closed(`${server.url}/ping`), isBlocked);
  await assert.rejects(closed(`http://localhost:${server.port}/ping`), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'OUTBOUND_BLOCKED');
    assert.match(error.message, /host localhost is a private or local address/);
    return true;
  });
  await assert.rejects(closed(`http://[::ffff:127.0.0.1]:${server.port}/ping`), isBlocked, 'IPv4-mapped IPv6 literal');
  await assert.rejects(closed(`http://[::1]:${server.port}/ping`), isBlocked);
  await assert.rejects(closed(`http://0x7f000001:${server.port}/ping`), isBlocked, 'hex IPv4 is normalised by the URL parser');
  assert.equal(server.received.length, 1, 'no refused request reached the server');
});

test('metadata endpoints are refused even with private networks allowed, without any connection', async () => {
  let lookups = 0;
  const resolve: HostResolver = async () => {
    lookups++;
    return [{ address: '169.254.169.254', family: 4 }];
  };
  await using open = createOutboundFetch({ blockPrivateNetworks: false, resolve, timeoutMs: 2000 });
  await assert.rejects(open('http://169.254.169.254/latest/meta-data/'), isBlocked);
  await assert.rejects(open('http://[fd00:ec2::254]/latest/meta-data/'), isBlocked);
  await assert.rejects(open('http://metadata.google.internal/computeMetadata/v1/'), isBlocked);
  assert.equal(lookups, 0, 'literal and well-known names are refused before DNS');
  await assert.rejects(open('http://innocent.test/'), isBlocked, 'a name resolving to the metadata address');
  assert.equal(lookups, 1);
});

test('the connection goes to the address that was checked (no second DNS lookup)', async () => {
  await using server = await startLoopbackServer((request, response) => response.end(request.headers.host ?? ''));
  const calls: string[] = [];
  const resolve: HostResolver = async (hostname) => {
    calls.push(hostname);
    return [{ address: '127.0.0.1', family: 4 }];
  };
  await using open = createOutboundFetch({ blockPrivateNetworks: false, resolve });
  const response = await open(`http://pinned.test:${server.port}/`);
  assert.equal(await response.text(), `pinned.test:${server.port}`, 'Host stays the name; the socket went to the resolved address');
  assert.deepEqual(calls, ['pinned.test']);

  // A name that resolves to private space (a rebinding answer) is refused when blocking, before connecting.
  await using closed = createOutboundFetch({ blockPrivateNetworks: true, resolve });
  await assert.rejects(closed(`http://rebind.test:${server.port}/`), isBlocked);
  assert.equal(server.received.length, 1);

  // Any private address among the answers refuses the host.
  await using strict = createOutboundFetch({ blockPrivateNetworks: true, resolve: mixed });
  await assert.rejects(strict('http://mixed.test/'), isBlocked);
});

test('every redirect hop is checked; credentials are not forwarded to another origin', async () => {
  await using target = await startLoopbackServer((_request, response) => response.end('landed'));
  await using hops = await startLoopbackServer((request, response) => {
    if (request.url === '/to-metadata') response.writeHead(302, { location: 'http://169.254.169.254/latest/' }).end();
    else if (request.url === '/to-target') response.writeHead(307, { location: `${target.url}/final` }).end();
    else if (request.url === '/see-other') response.writeHead(303, { location: '/landing' }).end();
    else if (request.url === '/loop') response.writeHead(302, { location: '/loop' }).end();
    else response.end(`${request.method} ${request.url} ${request.body}`);
  });
  await using open = createOutboundFetch({ blockPrivateNetworks: false, maxRedirects: 3 });
  await assert.rejects(open(`${hops.url}/to-metadata`), isBlocked);

  const followed = await open(`${hops.url}/to-target`, { method: 'POST', body: 'payload', headers: { authorization: 'Bearer s3cret', 'content-type': 'text/plain' } });
  assert.equal(await followed.text(), 'landed');
  const landed = target.received.at(-1)!;
  assert.equal(landed.method, 'POST', '307 keeps the method');
  assert.equal(landed.body, 'payload', '307 keeps the body');
  assert.equal(landed.headers.authorization, undefined, 'no Authorization to another origin');

  const seeOther = await open(`${hops.url}/see-other`, { method: 'POST', body: 'x' });
  assert.equal(await seeOther.text(), 'GET /landing ', '303 turns into GET without a body');

  await assert.rejects(open(`${hops.url}/loop`), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'OUTBOUND_BLOCKED');
    assert.match(error.message, /more than 3 redirects/);
    return true;
  });
  const manual = await open(`${hops.url}/to-target`, { redirect: 'manual' });
  assert.equal(manual.status, 307);
});

test('non-HTTP schemes are refused and slow servers time out', async () => {
  await using open = createOutboundFetch({ blockPrivateNetworks: false });
  await assert.rejects(open('file:///etc/passwd'), isBlocked);
  await assert.rejects(open('ftp://example.com/'), isBlocked);
  await assert.rejects(open('not a url'), { code: 'INVALID_INPUT' });

  await using slow = await startLoopbackServer(() => new Promise<void>(() => {}));
  await assert.rejects(open(slow.url, { timeoutMs: 200 }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'TIMEOUT');
    return true;
  });
  const controller = new AbortController();
  const pending = open(slow.url, { signal: controller.signal });
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(pending, { code: 'CANCELED' });
});
