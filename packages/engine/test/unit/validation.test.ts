import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkInstanceId, checkStepName, checkWorkflowName, toJsonText } from '../../src/validation.ts';

const codes = { invalid: 'STEP_OUTPUT_NOT_SERIALIZABLE', tooLarge: 'STEP_OUTPUT_TOO_LARGE' } as const;

test('names and ids follow Cloudflare’s pattern and lengths', () => {
  assert.equal(checkWorkflowName('op', 'order-flow_2'), 'order-flow_2');
  assert.equal(checkInstanceId('op', 'a'.repeat(100)), 'a'.repeat(100));
  const bad: Array<[() => unknown, RegExp]> = [
    [() => checkWorkflowName('op', 'a'.repeat(65)), /65 characters; the limit is 64/],
    [() => checkWorkflowName('op', '-leading'), /may contain only/],
    [() => checkWorkflowName('op', ''), /non-empty/],
    [() => checkInstanceId('op', 'a'.repeat(101)), /101 characters; the limit is 100/],
    [() => checkInstanceId('op', 'has space'), /"has space"/],
    [() => checkInstanceId('op', 42), /non-empty string/],
  ];
  for (const [fn, message] of bad) assert.throws(fn, (e: Error & { code?: string }) => e.code === 'INVALID_ID' && message.test(e.message) && e.message.startsWith('op: '));
  assert.throws(() => checkStepName('step.do', 'x'.repeat(257)), /limit is 256/);
  assert.throws(() => checkStepName('step.do', 'a\nb'), /control characters/);
});

test('JSON text: refuses what JSON cannot carry, measures UTF-8 bytes', () => {
  assert.equal(toJsonText('op', 'v', { a: [1, 'x', null], d: new Date(0) }, 100, codes), '{"a":[1,"x",null],"d":"1970-01-01T00:00:00.000Z"}');
  assert.equal(toJsonText('op', 'v', undefined, 100, codes), null);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const value of [{ f: () => 1 }, new Map([[1, 2]]), { s: new Set() }, 10n, cyclic, Symbol('x')]) {
    assert.throws(() => toJsonText('op', 'the output', value, 100, codes), (e: Error & { code?: string }) => e.code === 'STEP_OUTPUT_NOT_SERIALIZABLE' && /not JSON-serialisable/.test(e.message));
  }
  assert.throws(() => toJsonText('op', 'v', 'é'.repeat(60), 100, codes), (e: Error & { code?: string }) => e.code === 'STEP_OUTPUT_TOO_LARGE' && /122 bytes/.test(e.message));
  assert.equal(toJsonText('op', 'v', 'é'.repeat(40), 100, codes)?.length, 42);
});
