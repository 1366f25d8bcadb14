// The issue's end-to-end test over a real port: start the server (SQLite in a temp dir, headless
// Chromium, the fake model speaking OpenAI's protocol), create a key, store the portal's credential,
// create a workflow from YAML (a login with password and TOTP, then an extraction), run it against
// the fixture portal while watching its live events, receive the signed webhook on a loopback
// receiver that verifies it (and, for a second run, on one that fails twice first), then fetch the
// run, its artifacts (a screenshot through its signed URL, no key) and its timeline.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startFakeModel } from '@petrel/fake-model';
import { DEMO_USER, startPortal } from '@petrel/fixture-portal';
import { createServerLogger, loadServerConfig, startServer } from '@petrel/server';
import { ordersOnPage, portalPolicy } from '@petrel/testing';
import { startLoopbackServer } from '../helpers/loopback-server.ts';
import type { ReceivedRequest } from '../helpers/loopback-server.ts';
import { readSse } from '../helpers/sse-reader.ts';
import { until } from '../helpers/test-runs.ts';

type Json = Record<string, unknown>;

const WORKFLOW = `title: Portal orders
description: Sign in to the portal (password and one-time code), then read the first page of orders.
workflow_definition:
  parameters:
    - key: portal_url
      parameter_type: workflow
      workflow_parameter_type: string
    - key: login
      parameter_type: workflow
      workflow_parameter_type: credential_id
  blocks:
    - block_type: login
      label: sign_in
      url: "{{ portal_url }}/login"
      parameter_keys: [login]
      navigation_goal: Log in with the credential, then type the one-time code. COMPLETE when the page shows a Sign out button.
    - block_type: extraction
      label: orders
      url: "{{ portal_url }}/orders"
      data_extraction_goal: Extract the order id and total of every order listed on this page.
      data_schema:
        type: object
        properties:
          orders:
            type: array
            items:
              type: object
              properties:
                order_id: {type: string}
                total: {type: number}
              required: [order_id, total]
        required: [orders]
`;

async function read<T = Json>(response: Response): Promise<T> {
  assert.ok(response.ok, `${response.status} ${await response.clone().text()}`);
  return (await response.json()) as T;
}

/** What a receiver does with a webhook: check the signature as docs/server.md shows. */
function verify(secret: string, request: ReceivedRequest): boolean {
  const timestamp = Number(request.headers['x-petrel-timestamp']);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${request.body}`).digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-petrel-signature'] ?? ''));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

test('a YAML workflow with a login and an extraction runs on the portal end to end: key, SSE, verified webhooks (one after two failures), artifacts, timeline', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-runs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await using portal = await startPortal({ cookieBanner: false });
  await using fake = await startFakeModel({ respond: portalPolicy() });
  await using receiver = await startLoopbackServer((_request, response) => {
    response.writeHead(200).end('thanks');
  });
  let flakyCalls = 0;
  await using flaky = await startLoopbackServer((_request, response) => {
    flakyCalls++;
    if (flakyCalls <= 2) response.writeHead(503).end('busy');
    else response.writeHead(200).end('ok');
  });

  await using server = await startServer({
    config: loadServerConfig({
      PETREL_DATA_DIR: dir,
      PETREL_PORT: '0',
      PETREL_WORKER_SLOTS: '4',
      PETREL_LLM_PROVIDER: 'openai-compatible',
      PETREL_LLM_MODEL: 'fake-model',
      PETREL_LLM_BASE_URL: fake.openaiBaseUrl,
      PETREL_LLM_STRUCTURED: 'true',
      ...(process.env.PETREL_CHROMIUM_PATH ? { PETREL_CHROMIUM_PATH: process.env.PETREL_CHROMIUM_PATH } : {}),
    }),
    logger: createServerLogger({ level: 'silent' }),
    agent: { runtime: { retryDelayMs: 100 } },
  });
  const bootstrapKey = server.bootstrap!.apiKey.api_key;
  const api = async (path: string, init: RequestInit & { json?: unknown; key?: string } = {}): Promise<Response> => {
    const { json, key, ...rest } = init;
    const headers = new Headers(rest.headers);
    headers.set('x-api-key', key ?? apiKey);
    if (json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${server.url}${path}`, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
  };

  // A key of our own, made with the bootstrap key.
  let apiKey = bootstrapKey;
  apiKey = String((await read(await api('/v1/keys', { method: 'POST', json: { name: 'e2e' } })))['api_key']);
  assert.notEqual(apiKey, bootstrapKey);
  const secret = String((await read(await api('/v1/webhooks/secret')))['secret']);

  const credential = await read(
    await api('/v1/credentials', {
      method: 'POST',
      json: { name: 'portal', credential_type: 'password', credential: { username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret } },
    }),
  );
  const workflow = await read(await api('/v1/workflows', { method: 'POST', body: WORKFLOW, headers: { 'content-type': 'application/x-yaml' } }));
  const workflowId = String(workflow['workflow_permanent_id']);

  const start = async (webhookUrl: string): Promise<string> => {
    const run = await read(
      await api('/v1/run/workflows', {
        method: 'POST',
        json: { workflow_id: workflowId, parameters: { portal_url: portal.url, login: credential['credential_id'] }, webhook_url: webhookUrl },
      }),
    );
    assert.equal(run['status'], 'queued');
    return String(run['run_id']);
  };
  const runId = await start(`${receiver.url}/petrel`);
  const events = readSse(await api(`/v1/runs/${runId}/events`, { headers: { accept: 'text/event-stream' } }));
  const flakyRunId = await start(`${flaky.url}/petrel`);

  // Live events: the snapshot, agent steps, actions, blocks, screenshots, then done.
  const frames = await events.until((frame) => frame.event === 'done', 180_000);
  const kinds = new Set(frames.map((frame) => frame.event));
  for (const kind of ['snapshot', 'agent_step', 'action', 'block', 'screenshot', 'status', 'done']) assert.ok(kinds.has(kind), `a ${kind} event (got ${[...kinds].join(', ')})`);
  const done = JSON.parse(frames.at(-1)!.data) as Json;
  assert.equal(done['status'], 'completed');
  const actions = frames.filter((frame) => frame.event === 'action').map((frame) => JSON.parse(frame.data) as Json);
  assert.ok(actions.some((a) => a['action_type'] === 'input_text' && String(a['value']).includes('petrel_secret_')), 'typed values are shown as placeholders');
  assert.ok(!frames.some((frame) => frame.data.includes(DEMO_USER.password)), 'the password never reaches the stream');

  // The run.
  const run = await read(await api(`/v1/runs/${runId}`));
  assert.equal(run['status'], 'completed', String(run['failure_reason']));
  const extracted = ((run['output'] as Json)['orders_output'] as Json)['extracted_information'] as { orders: Array<{ order_id: string }> };
  const portalPage = await (await fetch(`${portal.url}/orders`, { headers: { cookie: '' } })).text();
  assert.ok(extracted.orders.length > 0, JSON.stringify(run['output']));
  assert.ok(extracted.orders.every((order) => /^ORD-\d+$/.test(order.order_id)));
  assert.ok(ordersOnPage(portalPage).length === 0, 'the orders page needs the login the run did');
  assert.ok(Array.isArray(run['screenshot_urls']) && (run['screenshot_urls'] as string[]).length > 0);

  // The verified webhook.
  await until(() => receiver.received.length > 0, 'the webhook', 60_000);
  const delivery = receiver.received[0]!;
  assert.equal(verify(secret, delivery), true, 'the signature verifies with the organization\'s secret');
  assert.equal(verify(secret, { ...delivery, body: delivery.body.replace('completed', 'failed') }), false);
  const payload = JSON.parse(delivery.body) as Json;
  assert.equal(payload['run_id'], runId);
  assert.equal(payload['workflow_run_id'], runId);
  assert.equal(payload['workflow_id'], workflowId);
  assert.equal(payload['status'], 'completed');
  assert.deepEqual(((payload['outputs'] as Json)['orders_output'] as Json)['extracted_information'], extracted);
  assert.equal(delivery.headers['x-skyvern-signature'], delivery.headers['x-petrel-signature']);

  // Artifacts: a screenshot through its signed URL (no key), and the run's list.
  const artifacts = await read<Array<Json>>(await api(`/v1/runs/${runId}/artifacts`));
  const types = new Set(artifacts.map((a) => a['artifact_type']));
  assert.ok(types.has('screenshot_action') || types.has('screenshot_final'), [...types].join(', '));
  assert.ok(types.has('llm_request') && types.has('llm_response'));
  const screenshot = artifacts.find((a) => String(a['artifact_type']).startsWith('screenshot'))!;
  const image = await fetch(String(screenshot['signed_url']));
  assert.equal(image.status, 200);
  const bytes = new Uint8Array(await image.arrayBuffer());
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50;
  assert.ok(isJpeg || isPng, 'a real image');
  const llmRequests = await Promise.all(artifacts.filter((a) => a['artifact_type'] === 'llm_request').map(async (a) => (await fetch(String(a['signed_url']))).text()));
  assert.ok(llmRequests.every((text) => !text.includes(DEMO_USER.password)), 'model requests hold placeholders, not the password');

  // The timeline: the login block with its actions, then the extraction.
  const timeline = await read<Array<{ type: string; block: Json }>>(await api(`/v1/runs/${runId}/timeline`));
  assert.deepEqual(timeline.map((node) => [node.block['label'], node.block['block_type'], node.block['status']]), [
    ['sign_in', 'login', 'completed'],
    ['orders', 'extraction', 'completed'],
  ]);
  assert.ok((timeline[0]!.block['actions'] as unknown[]).length >= 4, 'email, password, sign in, code, verify');

  // The second run's webhook got through on the third attempt.
  await until(async () => (await read<Array<Json>>(await api(`/v1/runs/${flakyRunId}/webhook_deliveries`))).some((a) => a['status_code'] === 200), 'the flaky receiver to accept', 120_000);
  const attempts = await read<Array<Json>>(await api(`/v1/runs/${flakyRunId}/webhook_deliveries`));
  assert.deepEqual(attempts.map((a) => a['status_code']), [503, 503, 200]);
  assert.equal(flaky.received.length, 3);
  assert.ok(flaky.received.every((request) => verify(secret, request)));
  assert.equal(new Set(flaky.received.map((request) => request.body)).size, 1, 'every attempt sends the same bytes');
  const listed = await read<Array<Json>>(await api('/v1/runs?page_size=10'));
  assert.equal(listed.find((item) => item['run_id'] === flakyRunId)?.['webhook_failure_reason'], '');
});

test('step.browser and step.task in a code workflow served with --workflows: the browser carries over, the child task is a run of its own', { timeout: 180_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-e2e-steps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await using portal = await startPortal({ cookieBanner: false });
  await using fake = await startFakeModel({ respond: portalPolicy() });
  await using server = await startServer({
    config: loadServerConfig({
      PETREL_DATA_DIR: dir,
      PETREL_PORT: '0',
      PETREL_WORKFLOWS_DIR: fileURLToPath(new URL('../fixtures/browser-workflows', import.meta.url)),
      PETREL_LLM_PROVIDER: 'openai-compatible',
      PETREL_LLM_MODEL: 'fake-model',
      PETREL_LLM_BASE_URL: fake.openaiBaseUrl,
      PETREL_LLM_STRUCTURED: 'true',
      ...(process.env.PETREL_CHROMIUM_PATH ? { PETREL_CHROMIUM_PATH: process.env.PETREL_CHROMIUM_PATH } : {}),
    }),
    logger: createServerLogger({ level: 'silent' }),
    agent: { runtime: { retryDelayMs: 100 } },
  });
  const key = server.bootstrap!.apiKey.api_key;
  const call = async (path: string, init: RequestInit & { json?: unknown } = {}): Promise<Json> => {
    const { json, ...rest } = init;
    const response = await fetch(`${server.url}${path}`, {
      ...rest,
      headers: { authorization: `Bearer ${key}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    assert.ok(response.ok, `${path}: ${response.status} ${await response.clone().text()}`);
    return (await response.json()) as Json;
  };
  const credential = await call('/v1/credentials', {
    method: 'POST',
    json: { name: 'portal', credential_type: 'password', credential: { username: DEMO_USER.email, password: DEMO_USER.password, totp: DEMO_USER.totpSecret } },
  });
  const account = String(((await call('/client/v4/accounts'))['result'] as Json[])[0]?.['id']);
  const base = `/client/v4/accounts/${account}/workflows/portal-steps/instances`;
  const created = (await call(base, { method: 'POST', json: { params: { portalUrl: portal.url, credentialId: credential['credential_id'] } } }))['result'] as Json;
  let instance: Json = {};
  await until(async () => {
    instance = (await call(`${base}/${String(created['id'])}`))['result'] as Json;
    return ['complete', 'errored', 'terminated'].includes(String(instance['status']));
  }, 'the code workflow to finish', 150_000);
  assert.equal(instance['status'], 'complete', JSON.stringify(instance['error']));
  const output = instance['output'] as { title: string; login: { runId: string; status: string; failureReason: string | null }; after: { path: string; signedIn: boolean } };
  assert.match(output.title, /sign in|log in|ember/i);
  assert.equal(output.login.status, 'completed', output.login.failureReason ?? '');
  assert.deepEqual(output.after, { path: output.after.path, signedIn: true }, 'the last browser step sees the signed-in page the task left');
  assert.notEqual(output.after.path, '/login');

  // The child task is a run of its own: indexed by the outbox consumer, with its timeline.
  let task: Json = {};
  await until(async () => {
    const response = await fetch(`${server.url}/v1/runs/${output.login.runId}`, { headers: { 'x-api-key': key } });
    if (response.status !== 200) return false;
    task = (await response.json()) as Json;
    return true;
  }, 'the child task run to be indexed', 30_000);
  assert.equal(task['status'], 'completed');
  assert.equal(task['run_type'], 'task_v1');
  const timeline = (await (await fetch(`${server.url}/v1/runs/${output.login.runId}/timeline`, { headers: { 'x-api-key': key } })).json()) as Array<{ block: Json }>;
  assert.ok(((timeline[0]?.block['actions'] as unknown[] | undefined)?.length ?? 0) >= 4);
});
