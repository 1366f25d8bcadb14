import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_STEP_CONFIG, retryDelayMs } from '@petrel/engine';
import { resolveStepConfig, willRetry } from '../../src/step-config.ts';

test('defaults are Cloudflare’s: 5 retries, 10 s, exponential, 10 minutes per attempt', () => {
  assert.deepEqual(DEFAULT_STEP_CONFIG, { retries: { limit: 5, delay: 10_000, backoff: 'exponential' }, timeout: 600_000 });
  assert.deepEqual(resolveStepConfig('s', undefined).stored, DEFAULT_STEP_CONFIG);
});

test('a partial config merges over the defaults, durations parse, a delay function is stored as [dynamic]', () => {
  const { stored } = resolveStepConfig('s', { retries: { limit: 2 }, timeout: '30 seconds', sensitive: 'output' });
  assert.deepEqual(stored, { retries: { limit: 2, delay: 10_000, backoff: 'exponential' }, timeout: 30_000, sensitive: 'output' });
  const dynamic = resolveStepConfig('s', { retries: { delay: () => 5 } });
  assert.equal(dynamic.stored.retries.delay, '[dynamic]');
  assert.equal(typeof dynamic.delayFn, 'function');
  assert.equal(resolveStepConfig('s', { retries: { delay: '2 minutes', backoff: 'linear' } }).stored.retries.delay, 120_000);
});

test('invalid configs are refused with INVALID_STEP_CONFIG naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ retry: {} }, /unknown key "retry"/],
    [{ retries: { limit: 1, jitter: true } }, /unknown key "retries.jitter"/],
    [{ retries: { limit: -1 } }, /retries.limit/],
    [{ retries: { limit: 10_001 } }, /retries.limit/],
    [{ retries: { limit: 1.5 } }, /retries.limit/],
    [{ retries: { backoff: 'random' } }, /backoff/],
    [{ retries: { delay: 'soon' } }, /retries.delay/],
    [{ timeout: 0 }, /timeout must be more than 0/],
    [{ timeout: -5 }, /timeout/],
    [{ sensitive: 'input' }, /sensitive/],
    ['fast', /expected an object/],
  ];
  for (const [config, message] of cases) {
    assert.throws(
      () => resolveStepConfig('charge card', config),
      (error: Error & { code?: string }) => error.code === 'INVALID_STEP_CONFIG' && message.test(error.message) && error.message.includes('charge card'),
      JSON.stringify(config),
    );
  }
});

test('retry delays: exponential doubles, linear grows, constant stays; no jitter', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => retryDelayMs('exponential', 1000, n)), [1000, 2000, 4000, 8000]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs('linear', 500, n)), [500, 1000, 1500]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs('constant', 700, n)), [700, 700, 700]);
});

test('limit counts retries: limit 0 is one attempt, limit 5 is six', () => {
  assert.equal(willRetry(0, 1), false);
  assert.equal(willRetry(5, 5), true);
  assert.equal(willRetry(5, 6), false);
});
