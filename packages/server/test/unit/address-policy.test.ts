import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMetadataHostname, judgeAddress } from '@petrel/server';

test('cloud metadata addresses are refused even when private networks are allowed', () => {
  for (const address of [
    '169.254.169.254',
    '169.254.170.2',
    '100.100.100.200',
    'fd00:ec2::254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
  ]) {
    assert.equal(judgeAddress(address, false), 'metadata', address);
    assert.equal(judgeAddress(address, true), 'metadata', address);
  }
  for (const name of ['metadata.google.internal', 'METADATA.google.internal.', 'metadata']) assert.equal(isMetadataHostname(name), true, name);
  assert.equal(isMetadataHostname('example.com'), false);
});

test('private, local and reserved ranges are refused only when blocking is on', () => {
  const privateAddresses = [
    '127.0.0.1',
    '127.8.9.10',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.1.1',
    '100.64.0.1',
    '100.127.255.254',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
    '::1',
    '::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '64:ff9b::7f00:1',
    '2002:7f00:1::',
    '2001::1',
  ];
  for (const address of privateAddresses) {
    assert.equal(judgeAddress(address, true), 'private', address);
    assert.equal(judgeAddress(address, false), undefined, address);
  }
});

test('public addresses pass', () => {
  for (const address of ['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
    assert.equal(judgeAddress(address, true), undefined, address);
  }
});

test('text that is not an address is refused when blocking', () => {
  assert.equal(judgeAddress('not-an-ip', true), 'private');
  assert.equal(judgeAddress('not-an-ip', false), undefined);
});
