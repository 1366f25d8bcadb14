// The agent stores the page it sent to the model as a `visible_elements_tree` artifact (Skyvern's name).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ARTIFACT_TYPES, createArtifactRecorder, createDiskBlobStore } from '@petrel/browser';
import { silentLogger } from '@petrel/protocol';

it('records a visible_elements_tree artifact as text', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'petrel-artifact-types-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  assert.ok(ARTIFACT_TYPES.includes('visible_elements_tree'));
  const blobStore = createDiskBlobStore({ root });
  const recorder = createArtifactRecorder({ runId: 'tsk_1', blobStore, logger: silentLogger });
  const record = await recorder.record('visible_elements_tree', 'url: http://x/\n---\n[e1 button] Go', { contentType: 'text/plain; charset=utf-8' });
  assert.ok(record);
  assert.equal(record.type, 'visible_elements_tree');
  assert.match(record.key, /visible_elements_tree\.txt$/);
  assert.equal((await blobStore.get(record.key)).body.toString(), 'url: http://x/\n---\n[e1 button] Go');
});
