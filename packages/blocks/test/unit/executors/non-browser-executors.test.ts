// The dispatcher of the non-browser executors: which block types it runs, that it refuses the others,
// that registration covers every type, and the in-memory run files twin the other tests rely on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NON_BROWSER_BLOCK_TYPES, createMemoryRunFiles, executeNonBrowserBlock, isNonBrowserBlock, registerNonBrowserExecutors } from '@petrel/blocks';
import { createSecretRedactor } from '@petrel/agent';
import { BlockSchema, isPetrelError } from '@petrel/protocol';
import type { BlockType } from '@petrel/protocol';

function context() {
  return { runId: 'wr_1', label: 'b', signal: new AbortController().signal, redactor: createSecretRedactor(), parameters: {}, fetch, files: createMemoryRunFiles() };
}

test('the non-browser block types, and nothing else', async () => {
  assert.deepEqual([...NON_BROWSER_BLOCK_TYPES].sort(), ['code', 'download_to_s3', 'file_upload', 'file_url_parser', 'http_request', 'pdf_parser', 'send_email', 'text_prompt', 'upload_to_s3']);
  const navigation = BlockSchema.parse({ block_type: 'navigation', label: 'nav', navigation_goal: 'go' });
  assert.equal(isNonBrowserBlock(navigation), false);
  await assert.rejects(executeNonBrowserBlock(navigation, context()), (error: unknown) => isPetrelError(error) && error.code === 'UNSUPPORTED_BLOCK');
  const code = BlockSchema.parse({ block_type: 'code', label: 'c', code: 'const answer = 6 * 7' });
  assert.equal(isNonBrowserBlock(code), true);
  const result = await executeNonBrowserBlock(code, context());
  assert.deepEqual(result, { status: 'completed', output: { answer: 42 } });
});

test('registerNonBrowserExecutors registers a step executor for every type', () => {
  const registered = new Map<BlockType, unknown>();
  const registry = {
    register(type: BlockType, executor: unknown) {
      registered.set(type, executor);
      return registry;
    },
    registerDurable() {
      throw new Error('no durable executors here');
    },
    find: () => undefined,
    types: () => [...registered.keys()],
  };
  registerNonBrowserExecutors(registry as never);
  assert.deepEqual([...registered.keys()].sort(), [...NON_BROWSER_BLOCK_TYPES].sort());
});

test('memory run files: unique names, safe names, bytes kept', async () => {
  const files = createMemoryRunFiles([{ name: 'a.pdf', body: 'one' }]);
  const second = await files.saveDownload('a.pdf', new TextEncoder().encode('two'));
  const third = await files.saveDownload('../../etc/pass wd', new Uint8Array([1, 2]));
  assert.equal(second.name, 'a (1).pdf');
  assert.equal(third.name, 'pass_wd');
  assert.equal(second.sha256.length, 64);
  const listed = await files.listDownloads();
  assert.deepEqual(listed.map((f) => f.name), ['a.pdf', 'a (1).pdf', 'pass_wd']);
  assert.equal(new TextDecoder().decode(await listed[1]!.read()), 'two');
});
