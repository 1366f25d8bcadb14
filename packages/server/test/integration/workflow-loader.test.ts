// Loading code workflows from a directory: classes and definitions are found by name, Cloudflare's
// module specifiers resolve, a change to a module's text is a new version key, and broken
// directories fail with INVALID_CONFIG naming the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadWorkflowModules } from '@petrel/server';
import { FIXTURE_WORKFLOWS } from '../helpers/test-app.ts';

function entrypointModule(name: string): string {
  return `import { WorkflowEntrypoint } from '@petrel/engine';\nexport class ${name} extends WorkflowEntrypoint { async run() { return 1; } }\n`;
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-loader-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('classes and definitions are collected by name; .d.ts files are skipped; Cloudflare specifiers resolve', async () => {
  const loaded = await loadWorkflowModules(FIXTURE_WORKFLOWS);
  assert.deepEqual(loaded.units.map((u) => [u.className, u.scriptName, u.defaultWorkflowName]), [
    ['greet', 'greet', 'greet'],
    ['OrderWorkflow', 'orders', 'OrderWorkflow'],
    ['RefundWorkflow', 'refund', 'RefundWorkflow'],
  ]);
  assert.equal(loaded.find('RefundWorkflow')?.file, join(FIXTURE_WORKFLOWS, 'refund.ts'), 'imports from cloudflare:workers loaded');
  assert.equal(loaded.find('Missing'), undefined);
  const definition = loaded.find('OrderWorkflow')!.definitionFor('orders-eu');
  assert.equal(definition.name, 'orders-eu');
  assert.equal(definition.className, 'OrderWorkflow');
  assert.equal(definition.versionKey, loaded.find('OrderWorkflow')!.versionKey);
  assert.deepEqual(definition.config, {});
});

test('a change anywhere in a module is a new version key; the same text is the same key', async (t) => {
  const source = readFileSync(join(FIXTURE_WORKFLOWS, 'greet.ts'), 'utf8');
  const a = tempDir(t);
  const b = tempDir(t);
  const c = tempDir(t);
  writeFileSync(join(a, 'greet.ts'), source);
  writeFileSync(join(b, 'greet.ts'), source);
  writeFileSync(join(c, 'greet.ts'), `${source}\nexport const helperConstant = 2;\n`);
  const [first, same, changed] = await Promise.all([a, b, c].map((dir) => loadWorkflowModules(dir)));
  assert.equal(first!.units[0]!.versionKey, same!.units[0]!.versionKey);
  assert.notEqual(first!.units[0]!.versionKey, changed!.units[0]!.versionKey);
});

test('two units with one name, a module that throws, and an unreadable directory are INVALID_CONFIG', async (t) => {
  const dup = tempDir(t);
  writeFileSync(join(dup, 'a.ts'), entrypointModule('Twin'));
  writeFileSync(join(dup, 'b.ts'), entrypointModule('Twin'));
  await assert.rejects(loadWorkflowModules(dup), (error: Error & { code?: string }) => error.code === 'INVALID_CONFIG' && /"Twin" is exported by both a\.ts and b\.ts/.test(error.message));
  const broken = tempDir(t);
  writeFileSync(join(broken, 'broken.ts'), 'throw new Error("boom at load");\n');
  await assert.rejects(loadWorkflowModules(broken), (error: Error & { code?: string }) => error.code === 'INVALID_CONFIG' && /cannot load broken\.ts \(boom at load\)/.test(error.message));
  await assert.rejects(loadWorkflowModules(join(broken, 'nope')), /cannot read the workflows directory/);
  const empty = tempDir(t);
  writeFileSync(join(empty, 'notes.md'), '# not code');
  writeFileSync(join(empty, 'helper.ts'), 'export const x = 1;\n');
  assert.deepEqual((await loadWorkflowModules(empty)).units, []);
});
