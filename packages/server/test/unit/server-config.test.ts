import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { loadServerConfig } from '@petrel/server';

test('defaults: SQLite in ./.petrel on 127.0.0.1:8000', () => {
  const config = loadServerConfig({});
  assert.equal(config.dataDir, resolve('.petrel'));
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.port, 8000);
  assert.equal(config.masterKey, undefined);
  assert.equal(config.publicUrl, undefined);
  assert.equal(config.outboundBlockPrivate, false);
  assert.equal(config.maxBodyBytes, 2 * 1024 * 1024);
  assert.equal(config.logLevel, 'info');
  assert.equal(config.shutdownTimeoutMs, 10_000);
});

test('environment variables and flags (flags win)', () => {
  const env = {
    PETREL_DATA_DIR: '/tmp/petrel-x',
    PETREL_DATABASE_URL: 'postgres://u:p@db:5432/petrel',
    PETREL_HOST: '0.0.0.0',
    PETREL_PORT: '9000',
    PETREL_PUBLIC_URL: 'https://petrel.example.com/',
    PETREL_OUTBOUND_BLOCK_PRIVATE: 'true',
    PETREL_MAX_BODY_BYTES: '4096',
    PETREL_LOG_LEVEL: 'DEBUG',
    PETREL_SHUTDOWN_TIMEOUT_MS: '500',
    PETREL_MASTER_KEY: 'k',
  };
  const config = loadServerConfig(env);
  assert.equal(config.dataDir, '/tmp/petrel-x');
  assert.equal(config.databaseUrl, 'postgres://u:p@db:5432/petrel');
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.port, 9000);
  assert.equal(config.publicUrl, 'https://petrel.example.com');
  assert.equal(config.outboundBlockPrivate, true);
  assert.equal(config.maxBodyBytes, 4096);
  assert.equal(config.logLevel, 'debug');
  assert.equal(config.shutdownTimeoutMs, 500);
  assert.equal(config.masterKey, 'k');
  const flagged = loadServerConfig(env, ['--port', '9100', '--host=::1', '--data-dir', '/tmp/other', '--log-level', 'warn']);
  assert.equal(flagged.port, 9100);
  assert.equal(flagged.host, '::1');
  assert.equal(flagged.dataDir, '/tmp/other');
  assert.equal(flagged.logLevel, 'warn');
});

test('bad values fail with the variable named and no secret echoed', () => {
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ PETREL_PORT: 'http' }, [], /PETREL_PORT must be a whole number from 0 to 65535/],
    [{ PETREL_PORT: '70000' }, [], /PETREL_PORT/],
    [{ PETREL_DATABASE_URL: 'mysql://root:hunter2@db/x' }, [], /PETREL_DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
    [{ PETREL_DATABASE_URL: 'hunter2' }, [], /PETREL_DATABASE_URL is not a valid URL/],
    [{ PETREL_PUBLIC_URL: 'ftp://x' }, [], /PETREL_PUBLIC_URL/],
    [{ PETREL_OUTBOUND_BLOCK_PRIVATE: 'maybe' }, [], /PETREL_OUTBOUND_BLOCK_PRIVATE must be true or false/],
    [{ PETREL_MAX_BODY_BYTES: '10' }, [], /PETREL_MAX_BODY_BYTES/],
    [{ PETREL_LOG_LEVEL: 'loud' }, [], /PETREL_LOG_LEVEL must be one of/],
    [{}, ['--nope'], /Unknown option '--nope'/],
  ];
  for (const [env, argv, pattern] of cases) {
    assert.throws(() => loadServerConfig(env, argv), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('hunter2'), 'the secret stays out of the message');
      return true;
    });
  }
});
