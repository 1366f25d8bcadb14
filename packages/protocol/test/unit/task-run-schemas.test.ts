import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INSTANCE_STATUSES, TaskRunRequestSchema, TaskRunResponseSchema, toRunStatus } from '@petrel/protocol';

const paths = (input: unknown) => TaskRunRequestSchema.safeParse(input).error?.issues.map((i) => i.path.join('.'));

describe('TaskRunRequestSchema', () => {
  it('applies Skyvern defaults, refuses unknown fields and maps legacy run_with values', () => {
    const parsed = TaskRunRequestSchema.parse({ prompt: 'Log in', url: 'https://example.com', run_with: 'ai' });
    assert.equal(parsed.engine, 'skyvern-1.0');
    assert.equal(parsed.start_fresh_browser, false);
    assert.equal(parsed.run_with, 'agent');
    const unknown = TaskRunRequestSchema.safeParse({ prompt: 'Log in', surprise: 1 }).error?.issues;
    assert.deepEqual(unknown?.map((i) => [i.code, i.path, (i as { keys?: string[] }).keys]), [['unrecognized_keys', [], ['surprise']]]);
    assert.equal(TaskRunRequestSchema.parse({ prompt: 'x', run_with: 'code_v2' }).run_with, 'code');
  });

  it('refuses a missing prompt, a non-http url, an unknown engine and start_fresh_browser with a session', () => {
    assert.deepEqual(paths({}), ['prompt']);
    assert.deepEqual(paths({ prompt: 'x', url: 'file:///etc/passwd' }), ['url']);
    assert.deepEqual(paths({ prompt: 'x', engine: 'skyvern-9' }), ['engine']);
    assert.deepEqual(paths({ prompt: 'x', start_fresh_browser: true, browser_session_id: 'pbs_1' }), ['start_fresh_browser']);
  });

  it('clamps max_screenshot_scrolls to 0..1000 and accepts the three data_extraction_schema forms', () => {
    assert.equal(TaskRunRequestSchema.parse({ prompt: 'x', max_screenshot_scrolls: 5000 }).max_screenshot_scrolls, 1000);
    for (const schema of [{ type: 'object' }, [{ type: 'string' }], 'the order ids']) {
      assert.equal(TaskRunRequestSchema.safeParse({ prompt: 'x', data_extraction_schema: schema }).success, true);
    }
  });
});

describe('toRunStatus', () => {
  it('maps every instance status', () => {
    const expected = {
      queued: 'queued',
      running: 'running',
      paused: 'paused',
      errored: 'failed',
      terminated: 'canceled',
      complete: 'completed',
      waiting: 'running',
      waitingForPause: 'running',
      rollingBack: 'running',
    } as const;
    for (const status of INSTANCE_STATUSES) assert.equal(toRunStatus({ instanceStatus: status }), expected[status], status);
  });

  it('uses the outcome of a complete instance, shows waiting for a person as paused and a never-started run as created', () => {
    assert.equal(toRunStatus({ instanceStatus: 'complete', outcomeStatus: 'terminated' }), 'terminated');
    assert.equal(toRunStatus({ instanceStatus: 'complete', outcomeStatus: 'failed' }), 'failed');
    assert.equal(toRunStatus({ instanceStatus: 'complete', outcomeStatus: 'timed_out' }), 'timed_out');
    assert.equal(toRunStatus({ instanceStatus: 'waiting', waitingForHuman: true }), 'paused');
    assert.equal(toRunStatus({ instanceStatus: 'queued', neverStarted: true }), 'created');
  });
});

describe('TaskRunResponseSchema', () => {
  it('accepts a minimal response', () => {
    const result = TaskRunResponseSchema.safeParse({
      run_id: 'tsk_1', status: 'queued', output: null, downloaded_files: [], recording_url: null, recording_archived: false,
      screenshot_urls: [], failure_reason: null, created_at: '2026-01-01T00:00:00.000Z', modified_at: '2026-01-01T00:00:00.000Z',
      queued_at: null, started_at: null, finished_at: null, app_url: null, browser_session_id: null, browser_profile_id: null,
      max_screenshot_scrolls: null, script_run: null, errors: [], step_count: 0, run_type: 'task_v1', run_with: 'agent',
      run_request: { prompt: 'x' }, input_tokens: 0, output_tokens: 0, total_cost: null,
    });
    assert.equal(result.success, true, JSON.stringify(result.error?.issues));
  });
});
