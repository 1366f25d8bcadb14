// Cancelling a running task (the model call in flight is aborted), and the requests that fail before a
// run exists: no model configured, an engine that is not built.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEMO_USER } from '@petrel/fixture-portal';
import { isPetrelError } from '@petrel/protocol';
import { startHarness, skipWithoutChromium, waitFor } from '../support/agent-harness.ts';
import type { Harness } from '../support/agent-harness.ts';
import { portalPolicy } from '@petrel/testing';

describe('cancelling a task', skipWithoutChromium, () => {
  let h: Harness;
  before(async () => {
    // The model takes a minute to answer on the 2FA page: the run is canceled meanwhile.
    h = await startHarness({ respond: portalPolicy({ delayMs: (prompt) => (prompt.url.includes('/login/totp') ? 60_000 : 0) }) });
    h.credentials.set(h.namespace, 'cred_demo', { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret });
  });
  after(() => h?.close());

  it('aborts the model call in flight, ends canceled and closes the browser', async () => {
    const started = await h.service.login(h.namespace, { credential_id: 'cred_demo', url: `${h.portal.url}/login` });
    await waitFor('the slow model call on the 2FA page', () => h.fake.requests.some((r) => !r.done && r.request?.lastUserText.includes('/login/totp')));
    assert.equal((await h.service.getTaskRun(h.namespace, started.run_id)).status, 'running');
    const canceledAt = Date.now();
    const canceled = await h.service.cancelTaskRun(h.namespace, started.run_id);
    assert.equal(canceled.status, 'canceled');
    await waitFor('the model request to be aborted', () => h.fake.requests.every((r) => r.done), 10_000);
    const slow = h.fake.requests.find((r) => r.request?.lastUserText.includes('/login/totp'));
    assert.equal(slow?.aborted, true, 'the client went away instead of waiting a minute');
    assert.ok(Date.now() - canceledAt < 10_000);
    const count = h.fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(h.fake.requests.length, count, 'no model call after the cancel');
    await waitFor('the run browser to close', () => h.browsers.find(started.run_id) === undefined, 10_000);
    const again = await h.service.cancelTaskRun(h.namespace, started.run_id);
    assert.equal(again.status, 'canceled', 'cancelling twice is harmless');
  });
});

describe('requests refused before a run exists', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ respond: () => undefined, noModel: true });
  });
  after(() => h?.close());

  it('answers LLM_NOT_CONFIGURED at once when no model is configured', async () => {
    await assert.rejects(h.service.runTask(h.namespace, { prompt: 'Log in', url: 'https://example.com' }), (error) => isPetrelError(error) && error.code === 'LLM_NOT_CONFIGURED');
  });

  it('answers UNSUPPORTED_ENGINE for computer-use engines and bad input with the field', async () => {
    for (const engine of ['openai-cua', 'anthropic-cua', 'ui-tars']) {
      await assert.rejects(h.service.runTask(h.namespace, { prompt: 'x', engine }), (error) => isPetrelError(error) && error.code === 'UNSUPPORTED_ENGINE' && error.status === 400);
    }
    await assert.rejects(h.service.runTask(h.namespace, { url: 'https://example.com' }), (error) => isPetrelError(error) && error.code === 'VALIDATION_FAILED' && /prompt/.test(error.message));
    await assert.rejects(
      h.service.runTask(h.namespace, { prompt: 'x', data_extraction_schema: { type: 'object', properties: { a: { type: 'no-such-type' } } } }),
      (error) => isPetrelError(error) && error.code === 'VALIDATION_FAILED',
    );
    await assert.rejects(h.service.getTaskRun(h.namespace, 'tsk_01ARZ3NDEKTSV4RRFFQ69G5FAV'), (error) => isPetrelError(error) && error.code === 'RUN_NOT_FOUND');
  });

  it('a run on a worker without a model fails at its first step with LLM_NOT_CONFIGURED, without retries', async () => {
    const h2 = await startHarness({ respond: () => undefined, noModel: true, requireModel: false });
    try {
      const started = await h2.service.runTask(h2.namespace, { prompt: 'Log in', url: `${h2.portal.url}/login` });
      const run = await h2.service.waitForTaskRun(h2.namespace, started.run_id, { timeoutMs: 30_000 });
      assert.equal(run.status, 'failed');
      assert.match(run.failure_reason ?? '', /^Step 1 failed: LLM_NOT_CONFIGURED/);
      assert.equal(h2.fake.requests.length, 0);
    } finally {
      await h2.close();
    }
  });
});
