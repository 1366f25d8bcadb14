// The portal's two origins over real sockets: the main site on 127.0.0.1 and the second origin on
// `localhost`, answering on every loopback address Chromium may pick for that name (`::1` first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { startPortal } from '@petrel/fixture-portal';

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.internal && i.family === 'IPv6' && i.address === '::1'));

test('the payment form is served on localhost, on both loopback addresses, and the main site is not', async () => {
  await using portal = await startPortal();
  const cross = new URL(portal.crossOriginUrl);
  assert.equal(cross.hostname, 'localhost');
  const addresses = ['127.0.0.1', ...(hasIpv6Loopback ? ['[::1]'] : [])];
  for (const address of addresses) {
    const response = await fetch(`http://${address}:${cross.port}/embed/payment`);
    assert.equal(response.status, 200, address);
    assert.match(await response.text(), /Name on card/, address);
  }
  const main = await fetch(`http://127.0.0.1:${cross.port}/dashboard`, { redirect: 'manual' });
  assert.equal(main.status, 404, 'the second origin serves only the embeds');
  await portal.close();
  await assert.rejects(fetch(`http://127.0.0.1:${cross.port}/embed/payment`), 'every listener is closed');
  if (hasIpv6Loopback) await assert.rejects(fetch(`http://[::1]:${cross.port}/embed/payment`));
});

test('with another host the second origin is that host on another port', async () => {
  await using portal = await startPortal({ crossOriginHost: '127.0.0.1' });
  const [main, cross] = [new URL(portal.url), new URL(portal.crossOriginUrl)];
  assert.equal(cross.hostname, '127.0.0.1');
  assert.notEqual(cross.port, main.port);
  assert.equal((await fetch(`${portal.crossOriginUrl}/embed/payment`)).status, 200);
});
