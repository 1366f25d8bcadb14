// The SDK's list of final run statuses is the protocol's (the SDK may not import it at run time).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FINAL_RUN_STATUSES, RUN_STATUSES } from '@petrel/protocol';
import { FINAL_RUN_STATUSES as SDK_FINAL, isFinalRunStatus } from '../../src/wait-for-completion.ts';

test('final run statuses match @petrel/protocol', () => {
  assert.deepEqual([...SDK_FINAL].sort(), [...FINAL_RUN_STATUSES].sort());
  for (const status of RUN_STATUSES) assert.equal(isFinalRunStatus(status), FINAL_RUN_STATUSES.includes(status), status);
});
