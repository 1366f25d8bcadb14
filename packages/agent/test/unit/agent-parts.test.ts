// The pure parts of the loop: tools and their mapping onto browser actions, prompts and history,
// failure summaries, extraction helpers, and the runtime's per-run secrets.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createBrowserPool } from '@petrel/browser';
import { isPetrelError } from '@petrel/protocol';
import {
  ACTION_SYSTEM_PROMPT,
  HISTORY_STEPS,
  buildStepPrompt,
  chunkPageText,
  createAgentRuntime,
  createMemoryCredentialResolver,
  createRunBrowserManager,
  formatPromptDate,
  historyLine,
  markUrlFields,
  parseToolCalls,
  summarizeRun,
  toolsFor,
} from '@petrel/agent';
import type { ToolContext } from '@petrel/agent';

const context: ToolContext = { errorCodes: ['INVALID_CREDENTIALS'], extraction: true, verificationCode: false, files: [] };
const onePage = { tabs: [{ index: 0, url: 'http://x/', title: 'x', active: true }], dialogs: [] };

describe('tools', () => {
  it('offers browser tools derived from the action schema, and tab, dialog, extract and code tools only when they apply', () => {
    const names = toolsFor(onePage, context).map((t) => t.name);
    assert.ok(names.includes('click') && names.includes('input_text') && names.includes('complete') && names.includes('terminate') && names.includes('extract'));
    assert.ok(!names.includes('switch_tab') && !names.includes('accept_dialog') && !names.includes('get_verification_code') && !names.includes('upload_file'));
    const busy = { tabs: [...onePage.tabs, { index: 1, url: 'http://y/', title: 'y', active: false }], dialogs: [{ type: 'confirm' as const, message: 'Sure?' }] };
    const more = toolsFor(busy, { ...context, verificationCode: true, extraction: false, files: ['/tmp/a.pdf'] }).map((t) => t.name);
    for (const name of ['switch_tab', 'close_tab', 'accept_dialog', 'dismiss_dialog', 'get_verification_code', 'upload_file']) assert.ok(more.includes(name), name);
    assert.ok(!more.includes('extract'));
    const input = toolsFor(onePage, context).find((t) => t.name === 'input_text');
    assert.deepEqual(Object.keys(input?.inputSchema.properties ?? {}).sort(), ['id', 'text'], 'the element argument is id, as the page writes it; pressEnter is a keypress');
    assert.deepEqual(input?.inputSchema.required, ['id', 'text']);
    const terminate = toolsFor(onePage, context).find((t) => t.name === 'terminate');
    const terminateProperties = (terminate?.inputSchema.properties ?? {}) as { error_code?: { enum?: unknown } };
    assert.deepEqual(terminateProperties.error_code?.enum, ['INVALID_CREDENTIALS']);
  });

  it('offers download only near a file-like link (or in a download task) and wait only while the page says it is busy', () => {
    const page = (names: string[], text: string) => ({
      ...onePage,
      text,
      elements: names.map((name, i) => ({ id: `e${i}`, frameId: 'f0', tag: 'a', role: 'link', name, attributes: { href: `/x/${i}` }, bounds: { x: 0, y: 0, width: 1, height: 1 } })),
    });
    const names = (observation: Parameters<typeof toolsFor>[0], more: Partial<ToolContext> = {}) => toolsFor(observation, { ...context, ...more }).map((t) => t.name);
    const plain = names(page(['Orders', 'Help'], 'Order history'));
    assert.ok(!plain.includes('download') && !plain.includes('wait'), plain.join());
    assert.ok(names(page(['Download invoice'], 'Order ORD-1')).includes('download'));
    assert.ok(names({ ...page(['Statement'], 'x'), elements: [{ ...page(['Get it'], 'x').elements[0]!, attributes: { href: '/files/report.csv' } }] }).includes('download'));
    assert.ok(names(page(['Orders'], 'x'), { downloads: true }).includes('download'));
    assert.ok(names(page(['Orders'], 'Report 42 is processing, check back soon')).includes('wait'));
    assert.ok(names(page(['Orders'], 'Loading results...')).includes('wait'));
    const scroll = toolsFor({ ...onePage, elements: [] }, context).find((t) => t.name === 'scroll');
    assert.deepEqual(Object.keys(scroll?.inputSchema.properties ?? {}).sort(), ['direction', 'id', 'text']);
  });

  it('maps tool calls 1:1 onto browser actions and rejects what does not parse', () => {
    const { decisions, rejected } = parseToolCalls(
      [
        { id: '1', name: 'input_text', input: { id: 'e3', text: 'hello', pressEnter: true } },
        { id: '2', name: 'click', input: { id: 'button-3' } },
        { id: '3', name: 'teleport', input: {} },
        { id: '4', name: 'upload_file', input: { id: 'e9', files: ['/etc/passwd'] } },
        { id: '5', name: 'wait', input: { ms: 600_000 } },
        { id: '6', name: 'terminate', input: { reasoning: 'bad password', error_code: 'NOT_MAPPED', confidence: 2 } },
      ],
      context,
    );
    assert.deepEqual(decisions, [
      { kind: 'browser', action: { type: 'input_text', elementId: 'e3', text: 'hello', pressEnter: true } },
      { kind: 'browser', action: { type: 'wait', ms: 10_000 } },
      { kind: 'terminate', reasoning: 'bad password' },
    ]);
    assert.deepEqual(
      rejected.map((r) => r.name),
      ['click', 'teleport', 'upload_file'],
    );
    assert.match(rejected[0]?.reason ?? '', /^id: an element id such as e12/, 'the reason names the argument as the model knows it');
  });
});

describe('prompts', () => {
  it('puts goal, criteria, error codes, parameters, date, history, notes, code and page into one message', () => {
    const text = buildStepPrompt({
      goal: 'Log in',
      completeCriterion: 'the dashboard shows',
      errorCodeMapping: { INVALID_CREDENTIALS: 'Login failed' },
      parameters: { credential: { password: 'petrel_secret_password_abcdef' } },
      now: new Date('2026-07-15T10:00:00Z'),
      step: 3,
      maxSteps: 10,
      history: [{ step: 1, text: 'click button "Sign in" ok' }],
      notes: ['completion was not verified'],
      verificationCode: 'petrel_secret_verification_code_abcdef',
      page: 'url: http://x/\n---\n[e1 button] Go',
    });
    assert.match(text, /^GOAL: Log in\nCOMPLETE WHEN: the dashboard shows\nERROR CODES[^\n]*\nINVALID_CREDENTIALS: Login failed\nPARAMETERS: \{"credential":\{"password":"petrel_secret_password_abcdef"\}\}\n/);
    assert.match(text, /DATE: 2026-07-15 Wed 10:00 UTC\nSTEP: 3 of 10\nHISTORY:\n1\. click button "Sign in" ok\nNOTE: completion was not verified\nVERIFICATION CODE: type petrel_secret_verification_code_abcdef/);
    assert.ok(text.endsWith('PAGE:\nurl: http://x/\n---\n[e1 button] Go'));
    assert.ok(!text.includes(ACTION_SYSTEM_PROMPT) && !ACTION_SYSTEM_PROMPT.includes('GOAL:'), 'the fixed instructions stay in the system prompt');
    assert.equal(formatPromptDate(new Date('2026-01-04T23:59:00Z')), '2026-01-04 Sun 23:59 UTC');
  });

  it('writes one compact history line per step: kinds grouped, long queries cut, values only in the full form', () => {
    const actions = [
      { type: 'input_text', target: '"Start date"', value: '2026-06-01', ok: true },
      { type: 'input_text', target: '"End date"', value: '2026-06-30', ok: true },
      { type: 'click', target: '"Filter"', ok: true, url: 'http://x:1/orders?start=2026-06-01&end=2026-06-30&status=' },
      { type: 'click', target: '"Next"', ok: true, skipped: true as const },
    ];
    const continued = { kind: 'continue' as const };
    assert.equal(
      historyLine(actions, [], continued),
      'input_text "Start date" = "2026-06-01", "End date" = "2026-06-30"; click "Filter" → /orders; click "Next" (skipped)',
    );
    assert.equal(historyLine(actions, [], continued, false), 'input_text "Start date", "End date"; click "Filter" → /orders; click "Next" (skipped)');
    const failed = [
      { type: 'click', target: '"Search"', ok: true, url: 'http://x:1/search?q=beans' },
      { type: 'click', target: '"Gone"', ok: false, error: 'element not found' },
      { type: 'click', target: '"Other"', ok: true },
    ];
    assert.equal(historyLine(failed, [{ name: 'teleport', reason: 'unknown tool' }], { kind: 'complete', reasoning: 'done' }), 'click "Search" → /search?q=beans; click "Gone" FAILED: element not found; click "Other"; teleport REJECTED (unknown tool); complete: done');
  });

  it('keeps the history compact: the last steps one line each, older ones counted', () => {
    const history = Array.from({ length: HISTORY_STEPS + 5 }, (_, i) => ({ step: i + 1, text: `scroll down ok (${i + 1})` }));
    const text = buildStepPrompt({ goal: 'g', now: new Date(0), step: 18, maxSteps: 20, history, notes: [], page: '' });
    assert.match(text, /\(5 earlier steps not shown\)\n6\. scroll down ok \(6\)/);
    assert.ok(!text.includes('(5)\n'));
  });

  it('summarizes what was tried and where the run stopped', () => {
    const history = Array.from({ length: 7 }, (_, i) => ({ step: i + 1, text: `action ${i + 1}` }));
    assert.equal(
      summarizeRun(history, { url: 'http://x/orders', title: 'Orders' }),
      ' Tried: (2 earlier steps) 3. action 3 | 4. action 4 | 5. action 5 | 6. action 6 | 7. action 7. Stopped at http://x/orders ("Orders").',
    );
    assert.equal(summarizeRun([], undefined), '');
  });
});

describe('extraction helpers', () => {
  it('asks for element ids in link fields', () => {
    const schema = markUrlFields({
      type: 'object',
      properties: { items: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, order_url: { type: 'string' }, href: { type: ['string', 'null'] } } } } },
    });
    const item = ((schema.properties as Record<string, { items: { properties: Record<string, { description?: string }> } }>).items?.items.properties ?? {}) as Record<string, { description?: string }>;
    assert.match(item.order_url?.description ?? '', /element id/);
    assert.match(item.href?.description ?? '', /element id/);
    assert.equal(item.name?.description, undefined);
  });

  it('cuts a long page into parts that each carry the header', () => {
    const body = Array.from({ length: 400 }, (_, i) => `[e${i} link /orders/ORD-${i}] ORD-${i} | 2026-06-01 | pending | 2 | $10.00`).join('\n');
    const page = `url: http://x/orders\ntitle: Orders\n---\n${body}`;
    assert.deepEqual(chunkPageText(page, 100_000), [page]);
    const parts = chunkPageText(page, 1000);
    assert.ok(parts.length >= 8, `${parts.length} parts`);
    for (const part of parts) assert.ok(part.startsWith('url: http://x/orders\ntitle: Orders\n---\n'));
    const lines = parts.flatMap((p) => p.split('\n').slice(3));
    assert.deepEqual(lines, body.split('\n'), 'every line once, in order');
  });
});

describe('runtime', () => {
  it('gives a run the same placeholders in every process, and keeps values out of the parameters', async () => {
    const credentials = createMemoryCredentialResolver();
    credentials.set('org1', 'cred_1', { credential_type: 'password', username: 'ann@example.com', password: 'pw-Secret-123', totp: 'JBSWY3DPEHPK3PXP' });
    const pool = createBrowserPool();
    try {
      const make = () => createAgentRuntime({ browsers: createRunBrowserManager({ pool }), credentials });
      const [a, b] = [make(), make()];
      const first = await a.secrets('org1', 'tsk_1', { credentials: { login: 'cred_1' } });
      const second = await b.secrets('org1', 'tsk_1', { credentials: { login: 'cred_1' } });
      assert.deepEqual(first.parameters, second.parameters);
      const view = first.parameters?.login as Record<string, string>;
      assert.match(view.password ?? '', /^petrel_secret_password_[a-z0-9]{6}$/);
      assert.ok(!JSON.stringify(first.parameters).includes('pw-Secret-123'));
      assert.equal(first.redactor.reveal(view.password ?? ''), 'pw-Secret-123');
      assert.match(first.redactor.reveal(view.totp ?? ''), /^\d{6}$/);
      const other = await a.secrets('org1', 'tsk_2', { credentials: { login: 'cred_1' } });
      const otherView = (other.parameters?.login ?? {}) as Record<string, string>;
      assert.notEqual(otherView.password, view.password, 'another run gets other placeholders');
      assert.equal(a.codePlaceholder('tsk_1', '3'), b.codePlaceholder('tsk_1', '3'));
      await assert.rejects(a.secrets('org1', 'tsk_3', { credentials: { login: 'cred_missing' } }), (error) => isPetrelError(error) && error.code === 'NOT_FOUND' && error.nonRetryable);
    } finally {
      await pool.close();
    }
  });

  it('refuses to build a model without configuration, as a non-retryable LLM_NOT_CONFIGURED', () => {
    const pool = createBrowserPool();
    const runtime = createAgentRuntime({ browsers: createRunBrowserManager({ pool }) });
    assert.throws(() => runtime.model(), (error) => isPetrelError(error) && error.code === 'LLM_NOT_CONFIGURED' && error.nonRetryable);
    const configured = createAgentRuntime({ browsers: createRunBrowserManager({ pool }), model: { provider: 'openai', model: 'gpt-4o-mini', apiKey: 'sk-test' }, allowedModels: ['gpt-4o-mini'] });
    assert.equal(configured.model().model, 'gpt-4o-mini');
    assert.throws(() => configured.model({ model_name: 'gpt-5' }), (error) => isPetrelError(error) && error.code === 'VALIDATION_FAILED');
    assert.throws(() => createAgentRuntime({ browsers: createRunBrowserManager({ pool }), maxRetriesPerStep: 99 }), /maxRetriesPerStep/);
    void pool.close();
  });
});
