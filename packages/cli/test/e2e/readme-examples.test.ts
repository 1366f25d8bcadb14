// The README's CLI examples run as written: every ```sh block of README.md that follows the marker
// `<!-- ci: readme-examples.test.ts runs the next block -->` is executed by bash (`-euo pipefail`),
// `npx petrel` and all, from a folder that sees the checkout's `examples/` and `node_modules/`, with
// a live `petrel serve` (SQLite in a temp dir, the fake model, Chromium), the fixture portal as
// $PORTAL, and the key in PETREL_API_KEY.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, collect, isolatedEnv, startServe, tempDir } from '../helpers/cli-harness.ts';
import { startTaskStage } from '@petrel/testing';
import { needsChromium } from '../helpers/needs-chromium.ts';

const MARKER = '<!-- ci: readme-examples.test.ts runs the next block -->';

/** The marked shell blocks of the README. */
function markedBlocks(readme: string): string[] {
  const blocks: string[] = [];
  let at = readme.indexOf(MARKER);
  while (at !== -1) {
    const fence = /```sh\n([\s\S]*?)\n```/.exec(readme.slice(at));
    assert.ok(fence?.[1] !== undefined, 'a marker is followed by a ```sh block');
    blocks.push(fence[1]);
    at = readme.indexOf(MARKER, at + MARKER.length);
  }
  return blocks;
}

test('README CLI examples run as written', needsChromium, async () => {
  const blocks = markedBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 1, 'the README has marked CLI examples');
  using home = tempDir('petrel-cli-readme-');
  await using stage = await startTaskStage();
  await using serve = await startServe(home.path, join(home.path, 'data'), stage.llmEnv);
  const work = join(home.path, 'work');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(work);
  for (const entry of ['examples', 'node_modules']) symlinkSync(join(ROOT, entry), join(work, entry));

  for (const block of blocks) {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', block], {
      cwd: work,
      env: { ...isolatedEnv(home.path), PETREL_BASE_URL: serve.url, PETREL_API_KEY: serve.apiKey, PORTAL: stage.portal.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = await collect(child, 300_000);
    assert.equal(result.code, 0, `the block failed:\n${block}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    // Both runs completed (the workflow by `runs watch`, the task by `run task --wait`), with progress lines.
    assert.equal(result.stdout.match(/^status:\s+completed$/gm)?.length, 2, result.stdout);
    assert.match(result.stdout, /"orders": \[/);
    assert.match(result.stdout, /^sign_in\s+code\s+completed/m);
    assert.match(result.stderr, /block sign_in completed/);
    assert.match(result.stderr, /step 1: click /);
    const artifacts = join(work, 'petrel-artifacts');
    assert.ok(existsSync(artifacts) && readdirSync(artifacts).length > 0, 'screenshots downloaded');
    assert.match(result.stdout, /^RUN\s+TYPE\s+STATUS/m);
  }
});
