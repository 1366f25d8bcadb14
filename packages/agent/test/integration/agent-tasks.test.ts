// Browser tasks end to end against the fixture portal: the agent runs on the engine (SQLite file), drives
// headless Chromium, and decides through the fake model speaking OpenAI's chat protocol, where a policy
// answers from the prompt the agent really sent. The last test greps everything the runs stored for the
// credential's password and TOTP seed.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEMO_USER, LOGIN_FAILED_MESSAGE, filterOrders } from '@petrel/fixture-portal';
import type { AgentStepRecord } from '@petrel/agent';
import { TASK_WORKFLOW_NAME, TOTP_EVENT_TYPE } from '@petrel/agent';
import type { FakeModelRequest } from '@petrel/fake-model';
import { startHarness, scanForSecrets, skipWithoutChromium, waitFor } from '../support/agent-harness.ts';
import type { Harness } from '../support/agent-harness.ts';
import { parsePrompt, portalPolicy } from '@petrel/testing';

const ORDERS_SCHEMA = {
  type: 'object',
  properties: {
    orders: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          order_id: { type: 'string' },
          date: { type: 'string' },
          status: { type: 'string' },
          total: { type: 'number' },
          url: { type: 'string', description: 'Link to the order page' },
        },
        required: ['order_id', 'date', 'status', 'total', 'url'],
      },
    },
    order_count: { type: 'integer' },
    grand_total: { type: 'number' },
  },
  required: ['orders', 'order_count', 'grand_total'],
};

describe('agent tasks against the portal', skipWithoutChromium, () => {
  let h: Harness;
  const seen: Array<{ kind: string; request: FakeModelRequest }> = [];
  const scenario = { claimEarly: false };

  before(async () => {
    const policy = portalPolicy({ onRequest: ({ kind }, request) => seen.push({ kind, request }) });
    const early = portalPolicy({ claimEarly: true, onRequest: ({ kind }, request) => seen.push({ kind, request }) });
    h = await startHarness({ respond: (request) => (scenario.claimEarly ? early(request) : policy(request)) });
    h.credentials.set(h.namespace, 'cred_demo', { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret });
    h.credentials.set(h.namespace, 'cred_wrong', { credential_type: 'password', username: DEMO_USER.email, password: 'not-the-password-77' });
    h.credentials.set(h.namespace, 'cred_pushed', { credential_type: 'password', username: DEMO_USER.email, password: DEMO_USER.password });
  });
  after(() => h?.close());

  const steps = async (runId: string): Promise<AgentStepRecord[]> => {
    const details = await h.engine.instances.get({ namespace: h.namespace, workflow: TASK_WORKFLOW_NAME, id: runId }, { steps: true });
    return details.steps.filter((s) => s.type === 'do' && /^agent-step-\d+$/.test(s.name)).map((s) => s.output as AgentStepRecord);
  };

  it('logs in with a TOTP credential; a premature "complete" is caught by verification', async () => {
    scenario.claimEarly = true;
    const firstSeen = seen.length;
    const started = await h.service.login(h.namespace, { credential_id: 'cred_demo', url: `${h.portal.url}/login` });
    assert.match(started.run_id, /^tsk_/);
    assert.equal(started.status, 'queued');
    const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 90_000 });
    scenario.claimEarly = false;
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.equal(run.step_count, 4);
    const logins = h.portal.submissions.logins.filter((l) => l.email === DEMO_USER.email);
    assert.deepEqual(logins.slice(-2).map((l) => `${l.step}:${l.outcome}`), ['password:ok', 'totp:ok']);
    // The model saw placeholders, never the values; the claim on the 2FA page was refused and said so.
    const actions = seen.slice(firstSeen).filter((s) => s.kind === 'action');
    const first = parsePrompt(actions[0]?.request.lastUserText ?? '');
    const credential = first.parameters.credential as Record<string, string>;
    assert.match(credential.password ?? '', /^petrel_secret_password_[a-z0-9]{6}$/);
    assert.match(credential.totp ?? '', /^petrel_secret_totp_[a-z0-9]{6}$/);
    const verifications = seen.slice(firstSeen).filter((s) => s.kind === 'verify');
    assert.equal(verifications.length, 2);
    const afterRefusal = parsePrompt(actions[2]?.request.lastUserText ?? '');
    assert.ok(afterRefusal.notes.some((n) => n.includes('not achieved')), 'the refused claim is a note in the next prompt');
    assert.ok(run.input_tokens > 0 && run.output_tokens > 0);
    assert.ok(run.screenshot_urls && run.screenshot_urls.length >= 3);
    assert.equal(run.run_type, 'task_v1');
    assert.deepEqual(run.run_request?.credential_id, 'cred_demo');
  });

  it('filters last month\'s orders and extracts them into the schema, page by page', async () => {
    const started = await h.service.runTask(
      h.namespace,
      {
        prompt: "Log in, filter last month's orders and give me the totals as JSON.",
        url: `${h.portal.url}/login`,
        data_extraction_schema: ORDERS_SCHEMA,
        max_steps: 12,
      },
      { credentials: { portal: 'cred_demo' } },
    );
    const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 120_000 });
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const june = filterOrders(h.portal.data.orders, { start: '2026-06-01', end: '2026-06-30', status: '' });
    assert.equal(june.length, 44);
    const expected = june.map((o) => ({ order_id: o.id, date: o.date, status: o.status, total: o.total, url: `${h.portal.url}/orders/${o.id}` }));
    const output = run.output as { orders: unknown[]; order_count: number; grand_total: number };
    assert.deepEqual(output.orders, expected);
    assert.equal(output.order_count, 44);
    assert.equal(output.grand_total, Math.round(june.reduce((sum, o) => sum + o.total * 100, 0)) / 100);
    // Pages 1 and 2 were extracted by the model's extract calls, page 3 by the final extraction.
    const records = await steps(run.run_id);
    assert.equal(records.filter((r) => r.extracted).length, 2);
    assert.ok(records.every((r) => r.actions.every((a) => !a.value?.includes(DEMO_USER.password))));
  });

  it('downloads an invoice with the download helper and names it with the suffix', async () => {
    const order = filterOrders(h.portal.data.orders, { start: '2026-06-01', end: '2026-06-30', status: '' })[5];
    assert.ok(order);
    const started = await h.service.downloadFiles(
      h.namespace,
      { navigation_goal: `Download the invoice of order ${order.id}.`, url: `${h.portal.url}/orders`, download_suffix: `invoice-${order.id}.pdf` },
      { credentials: { credential: 'cred_demo' } },
    );
    const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 90_000 });
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    assert.equal(run.downloaded_files?.length, 1);
    const file = run.downloaded_files?.[0];
    assert.equal(file?.filename, `invoice-${order.id}.pdf`);
    const artifact = h.sink.forRun(run.run_id).find((a) => a.artifactId === file?.artifact_id);
    assert.ok(artifact, 'the download is an artifact of the run');
    const bytes = (await h.pool.blobStore.get(artifact.key)).body;
    const cookie = h.portal.sessionCookie();
    const direct = Buffer.from(await (await fetch(`${h.portal.url}/orders/${order.id}/invoice`, { headers: { cookie: `${cookie.name}=${cookie.value}` } })).arrayBuffer());
    assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
    assert.equal(file?.checksum, createHash('sha256').update(direct).digest('hex'), 'the stored invoice is the portal\'s invoice');
    assert.equal(run.run_request?.navigation_goal, `Download the invoice of order ${order.id}.`);
  });

  it('terminates with the mapped error code on a wrong password', async () => {
    const started = await h.service.runTask(
      h.namespace,
      {
        prompt: 'Log in to the portal.',
        url: `${h.portal.url}/login`,
        error_code_mapping: { INVALID_CREDENTIALS: LOGIN_FAILED_MESSAGE, ACCOUNT_LOCKED: 'Account has been locked or suspended' },
      },
      { credentials: { credential: 'cred_wrong' } },
    );
    const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 60_000 });
    assert.equal(run.status, 'terminated');
    assert.equal(run.errors.length, 1);
    assert.equal(run.errors[0]?.error_code, 'INVALID_CREDENTIALS');
    assert.ok((run.errors[0]?.confidence_float ?? 0) > 0.5);
    assert.match(run.failure_reason ?? '', /Login failed/);
    assert.equal(run.step_count, 2);
  });

  it('fails cleanly at max_steps with what it tried and where it stopped (engine skyvern-2.0: with a plan)', async () => {
    const cookie = h.portal.sessionCookie();
    const firstSeen = seen.length;
    const started = await h.service.runTask(h.namespace, {
      prompt: 'Find the unicorn page.',
      url: `${h.portal.url}/dashboard`,
      max_steps: 3,
      engine: 'skyvern-2.0',
      extra_http_headers: { cookie: `${cookie.name}=${cookie.value}` },
    });
    assert.match(started.run_id, /^tsk_v2_/);
    const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 60_000 });
    assert.equal(run.run_type, 'task_v2');
    assert.deepEqual(seen.slice(firstSeen).map((s) => s.kind), ['plan', 'action', 'action', 'action']);
    assert.match(seen[firstSeen + 1]?.request.lastUserText ?? '', /^PLAN:\n1\. Sign in\n/m);
    assert.equal(run.status, 'failed');
    assert.equal(run.step_count, 3);
    assert.match(run.failure_reason ?? '', /^Reached the maximum steps \(3\)/);
    assert.match(run.failure_reason ?? '', /scroll/);
    assert.match(run.failure_reason ?? '', /Stopped at http:\/\/127\.0\.0\.1:\d+\/dashboard/);
    assert.deepEqual(run.errors, []);
  });

  it('waits durably for a pushed 2FA code (paused), then finishes the login', async () => {
    const started = await h.service.runTask(
      h.namespace,
      { prompt: 'Log in to the portal.', url: `${h.portal.url}/login`, totp_identifier: 'sms:+15550100' },
      { credentials: { credential: 'cred_pushed' } },
    );
    const ref = { namespace: h.namespace, workflow: TASK_WORKFLOW_NAME, id: started.run_id };
    await h.engine.instances.waitForStatus(ref, { statuses: ['waiting'], timeoutMs: 60_000 });
    const paused = await h.service.getTaskRun(h.namespace, started.run_id);
    assert.equal(paused.status, 'paused');
    const waiting = (await h.engine.instances.get(ref, { steps: true })).steps.find((s) => s.type === 'waitForEvent' && s.status === 'waiting');
    assert.equal(waiting?.eventType, TOTP_EVENT_TYPE);
    h.pushed.push(h.namespace, 'sms:+15550100', h.portal.totp());
    await h.engine.instances.sendEvent({ ...ref, type: TOTP_EVENT_TYPE, payload: { totp_identifier: 'sms:+15550100' } });
    const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 60_000 });
    assert.equal(run.status, 'completed', run.failure_reason ?? '');
    const records = await steps(run.run_id);
    assert.ok(records.some((r) => r.outcome.kind === 'needs_code'));
    const typed = records.flatMap((r) => r.actions).find((a) => a.type === 'input_text' && a.value?.startsWith('petrel_secret_verification_code_'));
    assert.ok(typed, 'the code was typed through its placeholder');
  });

  it('gets a 2FA code from the totp_url with a signed request', async () => {
    const calls: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        calls.push({ headers: request.headers, body });
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verification_code: h.portal.totp() }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const started = await h.service.runTask(
        h.namespace,
        { prompt: 'Log in to the portal.', url: `${h.portal.url}/login`, totp_url: `http://127.0.0.1:${port}/totp` },
        { credentials: { credential: 'cred_pushed' } },
      );
      const run = await h.service.waitForTaskRun(h.namespace, started.run_id, { timeoutMs: 60_000 });
      assert.equal(run.status, 'completed', run.failure_reason ?? '');
      assert.ok(calls.length >= 1);
      assert.match(String(calls[0]?.headers['x-petrel-signature'] ?? ''), /^v0=[0-9a-f]{64}$/);
      assert.equal((JSON.parse(calls[0]?.body ?? '{}') as { task_id?: string }).task_id, started.run_id);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('stores no credential value anywhere: artifacts, traces, the engine database, logs and model requests', async () => {
    await waitFor('the fake model to be idle', async () => {
      await h.fake.idle(5000);
      return true;
    });
    const leaks = await scanForSecrets(h, [DEMO_USER.password, DEMO_USER.totpSecret, DEMO_USER.email, encodeURIComponent(DEMO_USER.email)]);
    assert.deepEqual(leaks, []);
    assert.ok(h.sink.records.some((r) => r.artifact.type === 'trace'), 'traces were stored and scanned');
    assert.ok(h.sink.records.some((r) => r.artifact.type === 'llm_request'), 'model requests were stored and scanned');
  });
});
