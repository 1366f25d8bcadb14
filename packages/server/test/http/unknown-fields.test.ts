// Request bodies are strict (issue 9): on every route that takes a body, a field the body does not
// define is a 422 in FastAPI's shape, `loc` naming the field (nested ones with their path), and
// nothing is created. A workflow definition is a document, not an envelope: its unknown block fields
// stay warnings (workflows.test.ts), while the create body's envelope is strict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTestApp } from '../helpers/test-app.ts';

type Issue = { loc: Array<string | number>; msg: string; type: string };

const extra = (...loc: Array<string | number>): Issue => ({ loc: ['body', ...loc], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });

/** A valid body of each route, and the route; the test adds `surprise` (and nested extras where the body nests objects). */
const ROUTES: Array<{ method: string; path: string; body: Record<string, unknown> }> = [
  { method: 'POST', path: '/v1/run/tasks', body: { prompt: 'Open the page.', url: 'https://example.com' } },
  { method: 'POST', path: '/v1/run/tasks/login', body: { credential_id: 'cred_1', url: 'https://example.com/login' } },
  { method: 'POST', path: '/v1/run/tasks/download_files', body: { navigation_goal: 'Download the invoice.', url: 'https://example.com' } },
  { method: 'POST', path: '/v1/run/workflows', body: { workflow_id: 'wpid_1', parameters: {} } },
  { method: 'POST', path: '/v1/run/agents', body: { agent_id: 'wpid_1' } },
  { method: 'POST', path: '/api/v1/workflows/wpid_1/run', body: { data: {} } },
  { method: 'POST', path: '/v1/workflows', body: { yaml_definition: 'title: x' } },
  { method: 'POST', path: '/v1/agents', body: { json_definition: { title: 'x' } } },
  { method: 'POST', path: '/v1/workflows/wpid_1', body: { yaml_definition: 'title: x' } },
  { method: 'POST', path: '/v1/credentials', body: { name: 'n', credential_type: 'secret', credential: { secret_value: 'v' } } },
  { method: 'POST', path: '/v1/credentials/cred_1/update', body: { name: 'n', credential_type: 'secret', credential: { secret_value: 'v' } } },
  { method: 'POST', path: '/v1/credentials/totp', body: { totp_identifier: 'a@example.com', content: '123456' } },
  { method: 'POST', path: '/v1/browser_sessions', body: { timeout: 10 } },
  { method: 'POST', path: '/v1/browser_profiles', body: { name: 'p' } },
  { method: 'PATCH', path: '/v1/browser_profiles/bp_1', body: { name: 'p' } },
  { method: 'POST', path: '/v1/runs/cancel', body: { run_ids: ['wr_1'] } },
  { method: 'POST', path: '/v1/runs/wr_1/retry_webhook', body: { webhook_url: 'https://example.com/hook' } },
  { method: 'POST', path: '/v1/runs/wr_1/human_interaction/review', body: { decision: 'approve', token: 't' } },
  { method: 'POST', path: '/v1/keys', body: { name: 'ci' } },
  { method: 'POST', path: '/v1/webhooks/secret/rotate', body: {} },
  { method: 'POST', path: '/v1/folders', body: { title: 'f' } },
  { method: 'PUT', path: '/v1/folders/fld_1', body: { title: 'f' } },
  { method: 'PUT', path: '/v1/workflows/wpid_1/folder', body: { folder_id: null } },
  { method: 'POST', path: '/v1/workflows/wpid_1/schedules', body: { cron_expression: '0 * * * *' } },
];

test('an unknown field on any request body is a 422 naming it', async () => {
  await using t = await createTestApp();
  for (const route of ROUTES) {
    const response = await t.call(route.path, { method: route.method, json: { ...route.body, surprise: 1 } });
    const answer = await response.text();
    assert.equal(response.status, 422, `${route.method} ${route.path}: ${answer}`);
    assert.deepEqual(JSON.parse(answer), { detail: [extra('surprise')], code: 'VALIDATION_FAILED' }, `${route.method} ${route.path}`);
  }
});

test('unknown fields of nested request objects are named with their path; several are all named', async () => {
  await using t = await createTestApp();
  const issues = async (path: string, json: unknown): Promise<Issue[]> => {
    const response = await t.call(path, { method: 'POST', json });
    assert.equal(response.status, 422, path);
    return ((await response.json()) as { detail: Issue[] }).detail.sort((a, b) => a.loc.join('.').localeCompare(b.loc.join('.')));
  };
  const password = { username: 'u', password: 'p', pin: '1234' };
  assert.deepEqual(await issues('/v1/credentials', { name: 'n', credential_type: 'password', credential: password, folder: 'x' }), [extra('credential', 'pin'), extra('folder')]);
  const card = { card_number: '4242', card_cvv: '123', card_exp_month: '12', card_exp_year: '2030', card_brand: 'visa', card_holder_name: 'D', billing_address: { line1: 'x', zip: '1' } };
  assert.deepEqual(await issues('/v1/credentials', { name: 'n', credential_type: 'credit_card', credential: card }), [extra('credential', 'billing_address', 'zip')]);
  assert.deepEqual(await issues('/v1/run/tasks', { prompt: 'p', proxy_location: { country: 'US', zip: '94107' }, promt: 'typo' }), [extra('promt'), extra('proxy_location', 'zip')]);
  // Nothing was created by the refused requests.
  assert.deepEqual(await (await t.call('/v1/credentials')).json(), []);
});

test('every field Skyvern documents for a body is accepted (not applied fields included)', async () => {
  await using t = await createTestApp();
  const task = {
    prompt: 'p',
    url: 'https://example.com',
    engine: 'skyvern-1.0',
    title: 't',
    proxy_location: 'RESIDENTIAL',
    data_extraction_schema: { type: 'object' },
    error_code_mapping: { NO: 'no' },
    max_steps: 3,
    webhook_url: 'https://example.com/hook',
    totp_identifier: 'a@example.com',
    totp_url: 'https://example.com/totp',
    browser_session_id: null,
    browser_profile_id: null,
    start_fresh_browser: false,
    model: { model_name: 'm' },
    extra_http_headers: { 'x-a': '1' },
    cdp_connect_headers: null,
    publish_workflow: false,
    include_action_history_in_verification: true,
    max_screenshot_scrolls: 3,
    browser_address: null,
    run_with: 'agent',
  };
  const run = {
    workflow_id: 'wpid_missing',
    parameters: {},
    title: 't',
    proxy_location: 'NONE',
    webhook_url: 'https://example.com/hook',
    totp_url: 'https://example.com/totp',
    totp_identifier: 'a@example.com',
    browser_session_id: null,
    reuse_browser_session: null,
    browser_profile_id: null,
    start_fresh_browser: false,
    max_screenshot_scrolls: 1,
    max_elapsed_time_minutes: 30,
    extra_http_headers: {},
    cdp_connect_headers: {},
    browser_address: null,
    ai_fallback: true,
    run_with: 'agent',
    run_metadata: { k: 'v' },
  };
  const session = { url: 'https://example.com', timeout: 5, proxy_location: 'NONE', proxy_session_id: 's', extensions: [], browser_type: 'chrome', browser_profile_id: null, generate_browser_profile: false };
  const totp = { totp_identifier: 'a@example.com', content: 'code 123456', task_id: null, workflow_id: null, workflow_run_id: null, source: 'email', expired_at: null, type: null };
  const credential = {
    name: 'n',
    credential_type: 'password',
    credential: { username: 'u', password: 'p', totp: null, totp_type: 'none', totp_identifier: null },
    vault_type: 'skyvern',
    proxy_location: null,
    proxy_session_id: null,
    rotate_proxy_session_id: false,
  };
  for (const [path, json] of [
    ['/v1/run/tasks', task],
    ['/v1/run/workflows', run],
    ['/v1/browser_sessions', session],
    ['/v1/credentials/totp', totp],
    ['/v1/credentials', credential],
  ] as const) {
    const response = await t.call(path, { method: 'POST', json });
    const body = (await response.json()) as { detail?: Issue[] };
    assert.ok(!(body.detail ?? []).some?.((issue) => issue.type === 'extra_forbidden'), `${path}: ${JSON.stringify(body)}`);
    assert.notEqual(response.status, 422, `${path}: ${JSON.stringify(body)}`);
  }
});

test('an upload with a form part it does not define is a 422 naming it, and nothing is stored', async () => {
  await using t = await createTestApp();
  const form = new FormData();
  form.set('file', new Blob(['hello']), 'hello.txt');
  form.set('expires', '7');
  const response = await t.call('/v1/upload_file', { method: 'POST', body: form });
  assert.equal(response.status, 422);
  assert.deepEqual(await response.json(), { detail: [extra('expires')], code: 'VALIDATION_FAILED' });
  assert.deepEqual(await t.blobStore.list(''), []);
});
