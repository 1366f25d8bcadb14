// The portal policy reads the agent's real prompt format (built here with the agent's own
// `buildStepPrompt`): element ids come from the page lines, typed values from the parameters'
// placeholders, order ranges from the prompt's date, extraction from the page and the schema.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTION_SYSTEM_PROMPT, buildStepPrompt } from '@petrel/agent';
import type { FakeModelRequest, FakeTurn } from '@petrel/fake-model';
import { ordersOnPage, parsePrompt, portalPolicy } from '@petrel/testing';
import type { PolicyLogEntry } from '@petrel/testing';

const CLICK = { name: 'click', inputSchema: { type: 'object', properties: { id: { type: 'string' } } } };
const TOOLS = [CLICK, { name: 'input_text', inputSchema: {} }, { name: 'complete', inputSchema: {} }, { name: 'terminate', inputSchema: {} }, { name: 'extract', inputSchema: {} }];

function request(system: string, text: string, extra: Partial<FakeModelRequest> = {}): FakeModelRequest {
  return { protocol: 'openai-chat', model: 'fake', stream: false, system, messages: [], tools: [], lastUserText: text, body: {}, headers: {}, ...extra };
}

function actionPrompt(goal: string, page: string, parameters: Record<string, unknown> = {}, errorCodeMapping?: Record<string, string>): string {
  return buildStepPrompt({ goal, parameters, errorCodeMapping, now: new Date('2026-07-15T10:00:00Z'), step: 1, maxSteps: 10, history: [], notes: [], page });
}

async function act(goal: string, page: string, parameters: Record<string, unknown> = {}, errorCodeMapping?: Record<string, string>): Promise<FakeTurn | undefined> {
  return portalPolicy()(request(ACTION_SYSTEM_PROMPT, actionPrompt(goal, page, parameters, errorCodeMapping), { tools: TOOLS }));
}

const LOGIN_PAGE = `url: http://127.0.0.1:4100/login\ntitle: Sign in - Ember Supply\n---\n# Sign in\n[e3 textbox] Email address\n[e4 textbox] Password\n[e5 button] Sign in`;
const credential = { username: 'petrel_secret_username_aaaaaa', password: 'petrel_secret_password_bbbbbb', totp: 'petrel_secret_totp_cccccc' };

test('signs in by typing the credential placeholders into the fields the page names', async () => {
  const turn = await act('Log in to the portal.', LOGIN_PAGE, { login: credential });
  assert.deepEqual(turn?.toolCalls, [
    { name: 'input_text', input: { id: 'e3', text: credential.username } },
    { name: 'input_text', input: { id: 'e4', text: credential.password } },
    { name: 'click', input: { id: 'e5' } },
  ]);
  // Without a credential a login goal cannot be reached; another goal on this page is not about logging in.
  assert.equal((await act('Log in to the portal.', LOGIN_PAGE))?.toolCalls?.[0]?.name, 'terminate');
  assert.equal((await act('Open the page.', LOGIN_PAGE))?.toolCalls?.[0]?.name, 'terminate');
});

test('uses the element argument the click tool declares', async () => {
  const elementId = { ...CLICK, inputSchema: { type: 'object', properties: { elementId: { type: 'string' } } } };
  const turn = await portalPolicy()(request(ACTION_SYSTEM_PROMPT, actionPrompt('Log in.', LOGIN_PAGE, { c: credential }), { tools: [elementId, ...TOOLS.slice(1)] }));
  assert.deepEqual(turn?.toolCalls?.[2], { name: 'click', input: { elementId: 'e5' } });
});

test('filters last month (from the prompt date) and stops on a mapped error the page shows', async () => {
  const orders = `url: http://127.0.0.1:4100/orders\ntitle: Orders - Ember Supply\n---\n[e7 textbox] Start date\n[e8 textbox] End date\n[e9 button] Filter`;
  const turn = await act("Filter last month's orders and give me the totals.", orders);
  assert.deepEqual(
    turn?.toolCalls?.map((c) => c.input),
    [{ id: 'e7', text: '2026-06-01' }, { id: 'e8', text: '2026-06-30' }, { id: 'e9' }],
  );
  const refused = `${LOGIN_PAGE}\nLogin failed - incorrect email or password`;
  const stopped = await act('Log in.', refused, { c: credential }, { INVALID_CREDENTIALS: 'Login failed - incorrect email or password' });
  assert.deepEqual(stopped?.toolCalls?.[0], { name: 'terminate', input: { reasoning: 'The page says "Login failed - incorrect email or password".', error_code: 'INVALID_CREDENTIALS', confidence: 0.95 } });
});

test('extracts the orders on the page, merged with what earlier pages gave, fitted to the schema', async () => {
  const page = [
    'url: http://127.0.0.1:4100/orders?start=2026-06-01&end=2026-06-30&page=2',
    'title: Orders - Ember Supply',
    '---',
    '[e20 link /orders/ORD-10002] ORD-10002 | 2026-06-02 | shipped | 1 | $1,250.50',
    '[e21 link /orders/ORD-10003] ORD-10003 | 2026-06-03 | pending | 2 | $9.50',
  ].join('\n');
  assert.deepEqual(
    ordersOnPage(page).map((o) => [o.order_id, o.total, o.url]),
    [
      ['ORD-10002', 1250.5, 'e20'],
      ['ORD-10003', 9.5, 'e21'],
    ],
  );
  const previous = { orders: [{ order_id: 'ORD-10001', date: '2026-06-01', status: 'shipped', total: 40, url: 'e9' }] };
  const text = `GOAL: Give me the totals of last month's orders.\nALREADY EXTRACTED (from earlier pages): ${JSON.stringify(previous)}\nPAGE:\n${page}`;
  const schema = {
    type: 'object',
    properties: { orders: { type: 'array', items: { type: 'object', properties: { order_id: { type: 'string' }, total: { type: 'number' } } } }, grand_total: { type: 'number' } },
    required: ['orders', 'grand_total'],
  };
  const seen: PolicyLogEntry[] = [];
  const turn = await portalPolicy({ onRequest: (entry) => seen.push(entry) })(
    request('You extract data from a web page as JSON matching the schema.', text, { responseFormat: { type: 'json_schema', schema } }),
  );
  assert.deepEqual(turn?.object, {
    orders: [
      { order_id: 'ORD-10001', total: 40 },
      { order_id: 'ORD-10002', total: 1250.5 },
      { order_id: 'ORD-10003', total: 9.5 },
    ],
    grand_total: 1300,
  });
  assert.deepEqual(seen.map((e) => [e.kind, e.url]), [['extract', 'http://127.0.0.1:4100/orders?start=2026-06-01&end=2026-06-30&page=2']]);
});

test('parsePrompt reads the sections of an action prompt', () => {
  const prompt = parsePrompt(actionPrompt('Log in.\nCOMPLETE when signed in.', LOGIN_PAGE, { c: credential }, { LOCKED: 'Account locked' }));
  assert.equal(prompt.goal, 'Log in.\nCOMPLETE when signed in.');
  assert.equal(prompt.date, '2026-07-15');
  assert.deepEqual(prompt.errorCodes, { LOCKED: 'Account locked' });
  assert.deepEqual(prompt.parameters, { c: credential });
  assert.equal(prompt.path, '/login');
  assert.equal(prompt.title, 'Sign in - Ember Supply');
  assert.deepEqual(prompt.elements.map((e) => `${e.id} ${e.role} ${e.name}`), ['e3 textbox Email address', 'e4 textbox Password', 'e5 button Sign in']);
});
