// A task instance as Skyvern's TaskRunResponse, at each point of its life.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InstanceDetails, StepInfo } from '@petrel/engine';
import { TaskRunRequestSchema, TaskRunResponseSchema } from '@petrel/protocol';
import { TOTP_EVENT_TYPE, createSecretRedactor, downloadedFileName, toTaskRunResponse } from '@petrel/agent';
import type { AgentStepRecord, AgentTaskOutcome, DownloadedFile, TaskWorkflowParams } from '@petrel/agent';

const request = TaskRunRequestSchema.parse({ prompt: 'Get the invoices', url: 'https://portal.example/', cdp_connect_headers: { authorization: 'Bearer x' } });
const params: TaskWorkflowParams = { kind: 'task', request, downloadSuffix: 'invoice.pdf' };
const file: DownloadedFile = { filename: 'INV-1.pdf', size: 10, sha256: 'ab', sourceUrl: 'https://portal.example/inv/1', artifactId: 'a_1', createdAt: '2026-07-15T10:00:00.000Z' };

function stepInfo(name: string, output: unknown, extra: Partial<StepInfo> = {}): StepInfo {
  return {
    type: 'do', name, count: 1, displayName: `${name}-1`, status: 'complete', startedAt: new Date(0), endedAt: new Date(1), success: true, output,
    error: null, config: null, attempts: [], wakeAt: null, eventType: null, sensitive: false, ...extra,
  };
}

function record(step: number, screenshot: string): AgentStepRecord {
  return {
    step, url: 'https://portal.example/', title: 'Portal', endUrl: 'https://portal.example/', actions: [], rejected: [], outcome: { kind: 'continue' },
    downloads: step === 2 ? [file] : [], usage: { inputTokens: 100, outputTokens: 10, costUsd: 0.001, modelCalls: 1, modelMs: 5 },
    artifactIds: [screenshot], screenshotArtifactIds: [screenshot], checkpoint: null, history: 'x', historyBrief: 'x', startedAt: '2026-07-15T10:00:00.000Z', durationMs: 1, observationChars: 10,
    timings: { browser: 0, observe: 0, model: 0, actions: 0, act: 0, checkpoint: 0, artifacts: 0 },
  };
}

function details(status: InstanceDetails['status'], steps: StepInfo[], output: unknown = null, error: InstanceDetails['error'] = null): InstanceDetails {
  return {
    id: 'tsk_01ARZ3NDEKTSV4RRFFQ69G5FAV', namespace: 'o_1', workflowName: 'petrel_task', status, versionId: 'v', triggerSource: 'api',
    createdAt: new Date('2026-07-15T10:00:00Z'), startedAt: new Date('2026-07-15T10:00:01Z'), endedAt: status === 'complete' ? new Date('2026-07-15T10:01:00Z') : null,
    modifiedAt: new Date('2026-07-15T10:00:30Z'), params, output, error, schedule: null, rollback: null, statusReason: null, pausedAt: null, stepCount: steps.length, steps,
  };
}

describe('toTaskRunResponse', () => {
  it('shows a running task\'s progress from its recorded steps', () => {
    const response = toTaskRunResponse(details('running', [stepInfo('agent-step-1', record(1, 'a_s1')), stepInfo('agent-step-2', record(2, 'a_s2'))]), {
      artifactUrl: (id) => `https://petrel.example/v1/artifacts/${id}/content`,
    });
    assert.equal(TaskRunResponseSchema.safeParse(response).success, true);
    assert.equal(response.status, 'running');
    assert.equal(response.step_count, 2);
    assert.equal(response.input_tokens, 200);
    assert.equal(response.total_cost, 0.002);
    assert.deepEqual(response.screenshot_urls, ['https://petrel.example/v1/artifacts/a_s2/content', 'https://petrel.example/v1/artifacts/a_s1/content']);
    assert.equal(response.downloaded_files?.[0]?.filename, 'invoice.pdf');
    assert.equal(response.output, null);
    assert.deepEqual((response.run_request as { cdp_connect_headers?: unknown }).cdp_connect_headers, { authorization: '********' });
  });

  it('is paused while it waits for a pushed 2FA code', () => {
    const waiting = stepInfo('verification-code-3-wait-1', null, { type: 'waitForEvent', status: 'waiting', eventType: TOTP_EVENT_TYPE });
    assert.equal(toTaskRunResponse(details('waiting', [stepInfo('agent-step-1', record(1, 'a'))])).status, 'running');
    assert.equal(toTaskRunResponse(details('waiting', [stepInfo('agent-step-1', record(1, 'a')), waiting])).status, 'paused');
  });

  it('reports the outcome of a finished task, a crashed one and a canceled one', () => {
    const outcome: AgentTaskOutcome = {
      status: 'terminated', output: { partial: true }, failureReason: 'Login failed', errors: [{ error_code: 'INVALID_CREDENTIALS', reasoning: 'r', confidence_float: 0.9 }],
      stepCount: 2, downloadedFiles: [], screenshotArtifactIds: ['a_2', 'a_1'], recordingArtifactId: 'a_rec', usage: { inputTokens: 5, outputTokens: 1, costUsd: null, modelCalls: 2, modelMs: 3 },
      finalUrl: null, checkpoint: null,
    };
    const done = toTaskRunResponse(details('complete', [], outcome));
    assert.equal(done.status, 'terminated');
    assert.deepEqual(done.output, { partial: true });
    assert.equal(done.errors[0]?.error_code, 'INVALID_CREDENTIALS');
    assert.equal(done.recording_url, 'a_rec');
    assert.equal(done.finished_at, '2026-07-15T10:01:00.000Z');
    assert.equal(done.total_cost, null);
    const crashed = toTaskRunResponse(details('errored', [], null, { name: 'PetrelError', message: 'boom', code: 'INTERNAL' }));
    assert.equal(crashed.status, 'failed');
    assert.equal(crashed.failure_reason, 'INTERNAL: boom');
    assert.equal(toTaskRunResponse(details('terminated', [])).status, 'canceled');
  });

  it('names downloads after the suffix', () => {
    assert.equal(downloadedFileName(file, null, 0), 'INV-1.pdf');
    assert.equal(downloadedFileName(file, 'invoice.pdf', 0), 'invoice.pdf');
    assert.equal(downloadedFileName(file, 'invoice.pdf', 1), 'invoice-2.pdf');
    assert.equal(downloadedFileName(file, '_june', 0), 'INV-1_june.pdf');
  });
});

describe('secret redactor placeholders', () => {
  it('takes an explicit placeholder (a run rebuilt elsewhere keeps its tokens) and refuses a malformed or used one', () => {
    const redactor = createSecretRedactor();
    assert.equal(redactor.register('hunter2-secret', { placeholder: 'petrel_secret_password_abc123' }), 'petrel_secret_password_abc123');
    assert.equal(redactor.reveal('petrel_secret_password_abc123'), 'hunter2-secret');
    assert.throws(() => redactor.register('other-secret', { placeholder: 'petrel_secret_password_abc123' }), /unused/);
    assert.throws(() => redactor.register('other-secret', { placeholder: '{{ password }}' }), /petrel_secret_/);
    const view = redactor.registerCredential({ credential_type: 'secret', secret_value: 'tok-9876543' }, { placeholderFor: (field) => `petrel_secret_${field}_fixed1` });
    assert.deepEqual(view, { secret_value: 'petrel_secret_secret_fixed1' });
  });
});
