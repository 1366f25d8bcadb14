// Golden histories: instances recorded by an earlier engine (files in `histories/`, re-recorded by
// `record.ts`) are loaded into a fresh store and finished by this engine, which must produce the
// recorded outcome without re-running any step whose result was recorded.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { createEngine, createSqliteStore } from '@petrel/engine';
import type { GoldenHistory } from './golden-format.ts';
import { executions, goldenWorkflows } from './golden-workflows.ts';
import { GOLDEN_OPTIONS } from './record.ts';

const dir = join(dirname(new URL(import.meta.url).pathname), 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are golden histories to replay', () => {
  assert.ok(files.length >= 4, `found ${files.length} history files`);
});

for (const file of files) {
  const history = JSON.parse(readFileSync(join(dir, file), 'utf8')) as GoldenHistory;
  test(`golden ${history.scenario}: ${history.description}`, async (t) => {
    const store = await createSqliteStore({ path: ':memory:' });
    t.after(() => store.close());
    const definition = goldenWorkflows.find((w) => w.name === history.workflow);
    assert.ok(definition, `workflow ${history.workflow} exists`);
    assert.equal(definition.versionKey, history.versionKey, 'the history was recorded with this version of the workflow');
    const engine = await createEngine({ ...GOLDEN_OPTIONS, store, workflows: goldenWorkflows });
    t.after(() => engine.close());
    const ref = { workflow: history.workflow, id: history.snapshot.instance.id };
    const before = (executions.get(ref.id) ?? []).length;
    await store.importInstance(history.snapshot);
    for (const event of history.events) await engine.instances.sendEvent({ ...ref, type: event.type, payload: event.payload });
    const done = await engine.instances.waitForStatus(ref, { timeoutMs: 15_000 });
    assert.equal(done.status, history.expected.status);
    assert.deepEqual(done.output, history.expected.output);
    assert.deepEqual(done.error, history.expected.error);
    assert.deepEqual(done.rollback, history.expected.rollback);
    assert.deepEqual(
      done.steps.map((s) => `${s.type}:${s.displayName}`),
      history.expected.steps,
    );
    assert.deepEqual(
      (executions.get(ref.id) ?? []).slice(before).sort(),
      [...history.expected.executions].sort(),
      'only the steps not recorded in the history ran',
    );
    const recorded = history.snapshot.steps.filter((s) => s.status === 'complete');
    for (const step of recorded) {
      const now = done.steps.find((s) => s.type === step.type && s.name === step.name && s.count === step.count);
      assert.equal(now?.endedAt?.getTime(), step.endedAt, `${step.key} kept its recorded result`);
    }
  });
}
