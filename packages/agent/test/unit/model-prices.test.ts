// Price lookup and cost: exact ids, dated snapshots by longest prefix, vendor-prefixed ids, overrides,
// and no cost for unknown models.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeCostUsd, findModelPrice } from '@petrel/agent';

test('exact ids and dated snapshots resolve to the right entry (longest prefix wins)', () => {
  assert.deepEqual(findModelPrice('gpt-4o'), { inputPerMillion: 2.5, outputPerMillion: 10 });
  assert.deepEqual(findModelPrice('gpt-4o-2024-08-06'), { inputPerMillion: 2.5, outputPerMillion: 10 });
  assert.deepEqual(findModelPrice('gpt-4o-mini-2024-07-18'), { inputPerMillion: 0.15, outputPerMillion: 0.6 });
  assert.deepEqual(findModelPrice('claude-3-5-haiku-latest'), { inputPerMillion: 0.8, outputPerMillion: 4 });
  assert.deepEqual(findModelPrice('claude-sonnet-4-5-20250929'), { inputPerMillion: 3, outputPerMillion: 15 });
  assert.deepEqual(findModelPrice('openai/gpt-4.1-mini'), { inputPerMillion: 0.4, outputPerMillion: 1.6 });
  assert.equal(findModelPrice('gpt-4oo'), undefined, 'a prefix must end at a dash');
  assert.equal(findModelPrice('llama3.1:8b'), undefined);
});

test('overrides win and extend the table', () => {
  const prices = { 'gpt-4o': { inputPerMillion: 1, outputPerMillion: 2 }, 'llama3.1': { inputPerMillion: 0, outputPerMillion: 0 } };
  assert.deepEqual(findModelPrice('gpt-4o-2024-11-20', prices), { inputPerMillion: 1, outputPerMillion: 2 });
  assert.deepEqual(findModelPrice('gpt-4o-mini', prices), { inputPerMillion: 0.15, outputPerMillion: 0.6 }, 'an override of gpt-4o leaves gpt-4o-mini alone');
  assert.deepEqual(findModelPrice('llama3.1', prices), { inputPerMillion: 0, outputPerMillion: 0 });
});

test('cost is tokens times price per million, rounded to a millionth of a dollar', () => {
  assert.equal(computeCostUsd({ inputTokens: 1_000_000, outputTokens: 1_000_000 }, { inputPerMillion: 2.5, outputPerMillion: 10 }), 12.5);
  assert.equal(computeCostUsd({ inputTokens: 1234, outputTokens: 56 }, { inputPerMillion: 0.15, outputPerMillion: 0.6 }), 0.000219);
  assert.equal(computeCostUsd({ inputTokens: 0, outputTokens: 0 }, { inputPerMillion: 3, outputPerMillion: 15 }), 0);
});
