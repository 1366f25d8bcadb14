import assert from 'node:assert/strict';
import { test } from 'node:test';
import { derivedId, findIdTime, isId, newId } from '@petrel/protocol';

test('ids carry their prefix and sort by creation time', () => {
  const ids = Array.from({ length: 1000 }, () => newId('workflowRun'));
  assert.ok(ids.every((id) => id.startsWith('wr_')));
  assert.deepEqual([...ids].sort(), ids, 'ids made in sequence sort in creation order');
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(newId('workflowRun', Date.parse('2030-01-01')) > newId('workflowRun', Date.parse('2029-12-31')));
});

test('isId checks prefix and shape', () => {
  const id = newId('browserSession');
  assert.equal(isId('browserSession', id), true);
  assert.equal(isId('browserProfile', id), false);
  assert.equal(isId('browserSession', 'pbs_123'), false);
  assert.equal(isId('browserSession', 42), false);
  // tsk_ and tsk_v2_ must not be confused
  assert.equal(isId('task', newId('taskV2')), false);
});

test('findIdTime recovers the creation time', () => {
  const at = Date.parse('2026-11-21T10:00:00.123Z');
  assert.equal(findIdTime(newId('task', at))?.toISOString(), '2026-11-21T10:00:00.123Z');
  assert.equal(findIdTime('not-an-id'), undefined);
});

test('derivedId gives the same valid id for the same key and time, another for another key or time', () => {
  const at = Date.parse('2026-11-21T10:00:00.000Z');
  const id = derivedId('workflowRun', at, 'wfs_1@2026-11-21T10:00:00.000Z');
  assert.equal(isId('workflowRun', id), true);
  assert.equal(findIdTime(id)?.toISOString(), '2026-11-21T10:00:00.000Z');
  assert.equal(derivedId('workflowRun', at, 'wfs_1@2026-11-21T10:00:00.000Z'), id);
  assert.notEqual(derivedId('workflowRun', at, 'wfs_2@2026-11-21T10:00:00.000Z'), id);
  assert.notEqual(derivedId('workflowRun', at + 1, 'wfs_1@2026-11-21T10:00:00.000Z'), id);
});
