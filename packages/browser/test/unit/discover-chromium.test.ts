// Chromium discovery order and the error that says what to do.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import { findChromium, getChromium } from '@petrel/browser';

describe('Chromium discovery', () => {
  let dir: string;
  let fake: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'petrel-discover-'));
    fake = join(dir, 'chromium');
    await writeFile(fake, '#!/bin/sh\n');
    await chmod(fake, 0o755);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('uses an explicit path first and refuses a missing one without falling back', () => {
    assert.deepEqual(findChromium({ executablePath: fake }), { path: fake, source: 'explicit' });
    assert.throws(() => findChromium({ executablePath: join(dir, 'nope') }), (e) => isPetrelError(e) && e.code === 'BROWSER_NOT_FOUND');
  });

  it('falls back to system locations in order', () => {
    assert.deepEqual(findChromium({ playwright: false, systemPaths: [join(dir, 'missing'), fake] }), { path: fake, source: 'system' });
    assert.equal(findChromium({ playwright: false, systemPaths: [join(dir, 'missing')] }), undefined);
  });

  it('throws BROWSER_NOT_FOUND with the fix when nothing is installed', () => {
    assert.throws(
      () => getChromium({ playwright: false, systemPaths: [] }),
      (e) => isPetrelError(e) && e.code === 'BROWSER_NOT_FOUND' && e.message.includes('npm run setup') && e.message.includes('executablePath'),
    );
  });
});
