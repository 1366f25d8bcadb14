// Run context options are validated once, with the error naming the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import { createBrowserPool } from '@petrel/browser';

describe('run context options', () => {
  it('rejects bad options before launching anything', async () => {
    await using pool = createBrowserPool({ executablePath: '/nonexistent/chromium' });
    const cases: [Record<string, unknown>, string][] = [
      [{ viewport: { width: 0, height: 10 } }, 'viewport.width'],
      [{ proxy: { server: '' } }, 'proxy.server'],
      [{ screenshots: 'sometimes' }, 'screenshots'],
      [{ actionTimeoutMs: -1 }, 'actionTimeoutMs'],
      [{ runId: 'has spaces' }, 'runId'],
      [{ extraHttpHeaders: { a: 1 } }, 'extraHttpHeaders'],
    ];
    for (const [options, field] of cases) {
      await assert.rejects(pool.newContext(options), (e) => isPetrelError(e) && e.code === 'VALIDATION_FAILED' && (e.details as { field: string }).field === field, field);
    }
    assert.equal(pool.stats().launched, false);
  });

  it('rejects a bad pool size', () => {
    assert.throws(() => createBrowserPool({ maxContexts: 0 }), (e) => isPetrelError(e) && e.code === 'VALIDATION_FAILED');
  });
});
