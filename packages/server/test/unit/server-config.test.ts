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

test('engine settings: workflows directory, slots, worker id and metrics port', () => {
  const defaults = loadServerConfig({});
  assert.equal(defaults.workflowsDir, undefined);
  assert.equal(defaults.workerSlots, 10);
  assert.equal(defaults.workerId, undefined);
  assert.equal(defaults.metricsPort, undefined);
  const env = { PETREL_WORKFLOWS_DIR: 'wf', PETREL_WORKER_SLOTS: '0', PETREL_WORKER_ID: 'host-a:1', PETREL_METRICS_PORT: '9464' };
  const fromEnv = loadServerConfig(env);
  assert.equal(fromEnv.workflowsDir, resolve('wf'));
  assert.equal(fromEnv.workerSlots, 0);
  assert.equal(fromEnv.workerId, 'host-a:1');
  assert.equal(fromEnv.metricsPort, 9464);
  const flagged = loadServerConfig(env, ['--workflows', '/srv/flows', '--slots', '4', '--worker-id', 'w2', '--metrics-port', '0']);
  assert.equal(flagged.workflowsDir, '/srv/flows');
  assert.equal(flagged.workerSlots, 4);
  assert.equal(flagged.workerId, 'w2');
  assert.equal(flagged.metricsPort, 0);
  assert.throws(() => loadServerConfig({ PETREL_WORKER_SLOTS: 'many' }), /PETREL_WORKER_SLOTS must be a whole number from 0 to 10000/);
  assert.throws(() => loadServerConfig({ PETREL_WORKER_ID: 'has space' }), /PETREL_WORKER_ID must be 1 to 128/);
  assert.throws(() => loadServerConfig({}, ['--metrics-port=-1']), /PETREL_METRICS_PORT/);
});

test('the model of PETREL_LLM_*: validated like the agent validates it, the key never echoed', () => {
  assert.equal(loadServerConfig({}).llm, undefined);
  const config = loadServerConfig({
    PETREL_LLM_PROVIDER: 'openai-compatible',
    PETREL_LLM_MODEL: 'qwen2.5:14b',
    PETREL_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
    PETREL_LLM_STRUCTURED: 'true',
    PETREL_LLM_ALLOWED_MODELS: 'qwen2.5:14b, llama3.1 ,',
  });
  assert.deepEqual(config.llm, { provider: 'openai-compatible', model: 'qwen2.5:14b', baseUrl: 'http://127.0.0.1:11434/v1', supportsStructuredOutputs: true });
  assert.deepEqual(config.llmAllowedModels, ['qwen2.5:14b', 'llama3.1']);
  assert.deepEqual(loadServerConfig({ PETREL_LLM_PROVIDER: 'openai', PETREL_LLM_MODEL: 'gpt-4o-mini', PETREL_LLM_API_KEY: 'sk-canary-5521' }).llm, {
    provider: 'openai',
    model: 'gpt-4o-mini',
    apiKey: 'sk-canary-5521',
  });
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PETREL_LLM_PROVIDER: 'openai', PETREL_LLM_API_KEY: 'sk-canary-5521' }, /PETREL_LLM_MODEL is required/],
    [{ PETREL_LLM_PROVIDER: 'openai', PETREL_LLM_MODEL: 'gpt-4o-mini' }, /PETREL_LLM_API_KEY/],
    [{ PETREL_LLM_PROVIDER: 'openai-compatible', PETREL_LLM_MODEL: 'm' }, /PETREL_LLM_BASE_URL/],
    [{ PETREL_LLM_PROVIDER: 'watson', PETREL_LLM_MODEL: 'm' }, /PETREL_LLM_PROVIDER must be one of/],
    [{ PETREL_LLM_MODEL: 'm', PETREL_LLM_API_KEY: 'sk-canary-5521' }, /PETREL_LLM_MODEL is set but PETREL_LLM_PROVIDER is not/],
    [{ PETREL_LLM_ALLOWED_MODELS: ' , ' }, /at least one model id/],
  ];
  for (const [env, message] of cases) {
    assert.throws(() => loadServerConfig(env), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_CONFIG');
      assert.match(error.message, message);
      assert.ok(!error.message.includes('sk-canary-5521'), 'the key is not echoed');
      return true;
    });
  }
});

test('browser address and SMTP settings', () => {
  const config = loadServerConfig({
    PETREL_BROWSER_ADDRESS: 'ws://browser:9222/devtools/browser/x',
    PETREL_SMTP_HOST: 'smtp.example.com',
    PETREL_SMTP_PORT: '465',
    PETREL_SMTP_SECURE: 'true',
    PETREL_SMTP_USERNAME: 'mailer',
    PETREL_SMTP_PASSWORD: 'pw',
  });
  assert.equal(config.browserAddress, 'ws://browser:9222/devtools/browser/x');
  assert.deepEqual(config.smtp, { host: 'smtp.example.com', port: 465, secure: true, username: 'mailer', password: 'pw' });
  assert.throws(() => loadServerConfig({ PETREL_BROWSER_ADDRESS: 'ftp://x' }), /PETREL_BROWSER_ADDRESS must start with/);
  assert.throws(() => loadServerConfig({ PETREL_SMTP_HOST: 'h', PETREL_SMTP_USERNAME: 'u' }), /go together/);
  assert.throws(() => loadServerConfig({ PETREL_SMTP_PORT: '25' }), /PETREL_SMTP_PORT is set but PETREL_SMTP_HOST is not/);
});
