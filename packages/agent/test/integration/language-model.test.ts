// The model layer over real HTTP against the fake model: every provider adapter (OpenAI Responses and
// chat, Anthropic, Google, OpenAI-compatible) for text, tool calls, structured output and images; then
// cancellation, timeouts, retries, error mapping and secret redaction.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { isPetrelError } from '@petrel/protocol';
import type { PetrelError } from '@petrel/protocol';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeProtocol } from '@petrel/fake-model';
import { compileExtractionSchema, createLanguageModel, createSecretRedactor, parseExtractionOutput } from '@petrel/agent';
import type { ModelConfig, ModelHttpExchange } from '@petrel/agent';

let fake: FakeModel;
before(async () => {
  fake = await startFakeModel({ script: [] });
});
after(() => fake.close());
beforeEach(() => fake.reset());

type Case = { name: string; protocol: FakeProtocol; path: string; config: () => ModelConfig; priced: boolean };

const cases: Case[] = [
  {
    name: 'openai (responses)',
    protocol: 'openai-responses',
    path: '/v1/responses',
    config: () => ({ provider: 'openai', model: 'gpt-4o-mini', baseUrl: fake.openaiBaseUrl, apiKey: 'k' }),
    priced: true,
  },
  {
    name: 'openai (chat)',
    protocol: 'openai-chat',
    path: '/v1/chat/completions',
    config: () => ({ provider: 'openai', api: 'chat', model: 'gpt-4.1', baseUrl: fake.openaiBaseUrl, apiKey: 'k' }),
    priced: true,
  },
  {
    name: 'anthropic',
    protocol: 'anthropic',
    path: '/v1/messages',
    config: () => ({ provider: 'anthropic', model: 'claude-sonnet-4-5', baseUrl: fake.anthropicBaseUrl, apiKey: 'k' }),
    priced: true,
  },
  {
    name: 'google',
    protocol: 'google',
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    config: () => ({ provider: 'google', model: 'gemini-2.5-flash', baseUrl: fake.googleBaseUrl, apiKey: 'k' }),
    priced: true,
  },
  {
    name: 'openai-compatible',
    protocol: 'openai-chat',
    path: '/v1/chat/completions',
    config: () => ({ provider: 'openai-compatible', model: 'llama3.1:8b', baseUrl: fake.openaiBaseUrl, supportsStructuredOutputs: true }),
    priced: false,
  },
];

const clickTool = {
  name: 'click',
  description: 'Click an element by its id',
  inputSchema: { type: 'object', properties: { element_id: { type: 'string' } }, required: ['element_id'], additionalProperties: false },
};

for (const c of cases) {
  describe(c.name, () => {
    test('text: usage, cost, raw request and response bodies', async () => {
      fake.enqueue({ text: 'The page is a login form.' });
      const model = createLanguageModel(c.config());
      const result = await model.generate({ system: 'You drive a browser.', messages: [{ role: 'user', content: 'What is on the page?' }] });
      assert.equal(result.text, 'The page is a login form.');
      assert.equal(result.finishReason, 'stop');
      assert.equal(result.usage.outputTokens, Math.ceil('The page is a login form.'.length / 4));
      assert.ok(result.usage.inputTokens > 0);
      if (c.priced) assert.ok(typeof result.costUsd === 'number' && result.costUsd > 0, `cost ${String(result.costUsd)}`);
      else assert.equal(result.costUsd, undefined);
      assert.equal(result.attempts, 1);
      assert.ok(result.request.url.endsWith(c.path), result.request.url);
      assert.match(result.request.body, /You drive a browser\./);
      assert.equal(result.response.status, 200);
      assert.match(result.response.body, /The page is a login form\./);
      const seen = fake.requests[0]?.request;
      assert.equal(seen?.protocol, c.protocol);
      assert.equal(seen?.system, 'You drive a browser.');
    });

    test('tool calls come back unexecuted; the next call carries the call and its result', async () => {
      fake.enqueue({ toolCalls: [{ name: 'click', input: { element_id: 'AAAB' } }] }, { text: 'Clicked.' });
      const model = createLanguageModel(c.config());
      const first = await model.generate({ messages: [{ role: 'user', content: 'Press login' }], tools: [clickTool], toolChoice: 'required' });
      assert.equal(first.finishReason, 'tool-calls');
      assert.equal(first.toolCalls.length, 1);
      const call = first.toolCalls[0]!;
      assert.deepEqual({ name: call.name, input: call.input, error: call.error }, { name: 'click', input: { element_id: 'AAAB' }, error: undefined });
      assert.ok(call.id.length > 0);

      const second = await model.generate({
        messages: [
          { role: 'user', content: 'Press login' },
          { role: 'assistant', content: '', toolCalls: [call] },
          { role: 'tool', toolCallId: call.id, toolName: 'click', output: { ok: true, url: '/home' } },
        ],
        tools: [clickTool],
      });
      assert.equal(second.text, 'Clicked.');
      const seen = fake.requests[1]?.request;
      assert.equal(seen?.messages.find((m) => m.role === 'assistant')?.toolCalls[0]?.name, 'click');
      assert.deepEqual(seen?.messages.find((m) => m.role === 'tool')?.toolResults[0]?.output, { ok: true, url: '/home' });
      const choice = fake.requests[0]?.request?.toolChoice;
      assert.equal(choice, 'required');
    });

    test('structured output is parsed and validated', async () => {
      fake.enqueue({ object: { title: 'Invoice 7', total: 99.5 } });
      const model = createLanguageModel(c.config());
      const schema = { type: 'object', properties: { title: { type: 'string' }, total: { type: 'number' } }, required: ['title', 'total'], additionalProperties: false };
      const result = await model.generate({ messages: [{ role: 'user', content: 'Extract the invoice' }], output: { schema, name: 'invoice' } });
      assert.deepEqual(result.object, { title: 'Invoice 7', total: 99.5 });
      assert.equal(result.outputError, undefined);
      const format = fake.requests[0]?.request?.responseFormat;
      assert.equal(format?.type, 'json_schema');
    });

    test('images travel as the provider’s image parts', async () => {
      fake.enqueue({ text: 'I see a PNG.' });
      const png = Uint8Array.from(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
      const model = createLanguageModel(c.config());
      await model.generate({
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Screenshot:' }, { type: 'image', data: png, mediaType: 'image/png' }] }],
      });
      const image = fake.requests[0]?.request?.messages[0]?.images[0];
      assert.equal(image?.mediaType, 'image/png');
      assert.equal(image?.data, Buffer.from(png).toString('base64'));
    });
  });
}

function assertPetrel(error: unknown, code: string): PetrelError {
  assert.ok(isPetrelError(error), `expected a PetrelError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

const openai = (extra: Partial<ModelConfig> = {}): ModelConfig => ({
  provider: 'openai',
  api: 'chat',
  model: 'gpt-4o-mini',
  baseUrl: fake.openaiBaseUrl,
  apiKey: 'k',
  retryBaseDelayMs: 10,
  ...extra,
});

test('abort mid-request: the call rejects promptly with CANCELED and the fake records the abort', async () => {
  fake.enqueue({ text: 'too late', delayMs: 60_000 });
  const exchanges: ModelHttpExchange[] = [];
  const controller = new AbortController();
  const model = createLanguageModel(openai());
  const pending = model.generate({ messages: [{ role: 'user', content: 'slow' }], signal: controller.signal, onExchange: (e) => exchanges.push(e) });
  while (fake.requests[0]?.request === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = Date.now();
  controller.abort();
  await assert.rejects(pending, (error: unknown) => {
    assertPetrel(error, 'CANCELED');
    return true;
  });
  assert.ok(Date.now() - started < 5_000, 'prompt');
  await fake.idle();
  assert.equal(fake.requests[0]?.aborted, true);
  assert.equal(fake.requests.length, 1, 'a canceled call is not retried');
  assert.equal(exchanges.length, 1);
  assert.match(exchanges[0]?.error ?? '', /abort/i);
});

test('an already-aborted signal makes no request', async () => {
  const model = createLanguageModel(openai());
  await assert.rejects(model.generate({ messages: [{ role: 'user', content: 'x' }], signal: AbortSignal.abort() }), (error: unknown) => {
    assertPetrel(error, 'CANCELED');
    return true;
  });
  assert.equal(fake.requests.length, 0);
});

test('a silent provider times out with TIMEOUT (retryable) after its retries', async () => {
  fake.enqueue({ text: 'late', delayMs: 60_000 }, { text: 'late', delayMs: 60_000 });
  const model = createLanguageModel(openai({ timeoutMs: 150, maxRetries: 1 }));
  await assert.rejects(model.generate({ messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    const e = assertPetrel(error, 'TIMEOUT');
    assert.equal(e.nonRetryable, false);
    assert.deepEqual(e.details, { provider: 'openai', model: 'gpt-4o-mini', attempts: 2 });
    return true;
  });
  await fake.idle();
  assert.deepEqual(
    fake.requests.map((r) => r.aborted),
    [true, true],
  );
});

test('5xx answers are retried (bounded) and every attempt is reported', async () => {
  await using flaky = await startFakeModel({ failFirst: 2, script: [{ text: 'finally' }] });
  const exchanges: ModelHttpExchange[] = [];
  const model = createLanguageModel(openai({ baseUrl: flaky.openaiBaseUrl }));
  const result = await model.generate({ messages: [{ role: 'user', content: 'x' }], onExchange: (e) => exchanges.push(e) });
  assert.equal(result.text, 'finally');
  assert.equal(result.attempts, 3);
  assert.deepEqual(
    exchanges.map((e) => [e.attempt, e.status]),
    [
      [1, 500],
      [2, 500],
      [3, 200],
    ],
  );
  assert.match(exchanges[0]?.responseBody ?? '', /server_error/);

  await using broken = await startFakeModel({ failFirst: 10 });
  const giveUp = createLanguageModel(openai({ baseUrl: broken.openaiBaseUrl, maxRetries: 2 }));
  await assert.rejects(giveUp.generate({ messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.equal(e.nonRetryable, false);
    assert.equal((e.details as { status: number; attempts: number }).status, 500);
    assert.equal((e.details as { attempts: number }).attempts, 3);
    return true;
  });
  assert.equal(broken.requests.length, 3);
});

test('429: retry-after is honoured over the backoff; a too-long retry-after ends the call with retryAfterMs', async () => {
  fake.enqueue({ status: 429, retryAfter: 0.2 }, { text: 'after the wait' });
  // Were retry-after ignored, the 60 s backoff would time the test out.
  const model = createLanguageModel(openai({ retryBaseDelayMs: 60_000, maxRetryDelayMs: 120_000 }));
  const started = Date.now();
  const result = await model.generate({ messages: [{ role: 'user', content: 'x' }] });
  assert.equal(result.text, 'after the wait');
  assert.ok(Date.now() - started >= 150, 'waited for retry-after');

  fake.reset();
  fake.enqueue({ status: 429, retryAfter: 120 });
  const patient = createLanguageModel(openai());
  await assert.rejects(patient.generate({ messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.equal(e.retryAfterMs, 120_000);
    assert.equal(e.nonRetryable, false);
    assert.match(e.message, /HTTP 429 \(rate limited\)/);
    return true;
  });
  assert.equal(fake.requests.length, 1, 'no in-call wait beyond maxRetryDelayMs');
});

test('4xx errors are not retried and say what to check', async () => {
  fake.enqueue({ status: 401, message: 'Incorrect API key provided' }, { status: 400, message: 'Invalid schema for function' }, { status: 404 });
  const model = createLanguageModel(openai());
  const ask = (): Promise<unknown> => model.generate({ messages: [{ role: 'user', content: 'x' }] });
  await assert.rejects(ask(), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.equal(e.nonRetryable, true);
    assert.match(e.message, /^model\.generate: openai model gpt-4o-mini answered HTTP 401 \(check the API key\)$/);
    assert.deepEqual(e.details, { provider: 'openai', model: 'gpt-4o-mini', attempts: 1, status: 401, providerMessage: 'Incorrect API key provided' });
    return true;
  });
  await assert.rejects(ask(), (error: unknown) => assertPetrel(error, 'LLM_ERROR').nonRetryable);
  await assert.rejects(ask(), (error: unknown) => /check the model name/.test(assertPetrel(error, 'LLM_ERROR').message));
  assert.equal(fake.requests.length, 3, 'one request each');

  await using anthropicFake = await startFakeModel({ apiKey: 'right' });
  const anthropic = createLanguageModel({ provider: 'anthropic', model: 'claude-sonnet-4-5', baseUrl: anthropicFake.anthropicBaseUrl, apiKey: 'wrong' });
  await assert.rejects(anthropic.generate({ messages: [{ role: 'user', content: 'x' }] }), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.equal((e.details as { status: number }).status, 401);
    assert.equal((e.details as { providerMessage: string }).providerMessage, 'Invalid API key.');
    return true;
  });
});

test('an unreachable server is a retryable LLM_ERROR without a status', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const model = createLanguageModel({ provider: 'openai-compatible', model: 'llama3.1', baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 1, retryBaseDelayMs: 10 });
  const exchanges: ModelHttpExchange[] = [];
  await assert.rejects(model.generate({ messages: [{ role: 'user', content: 'x' }], onExchange: (e) => exchanges.push(e) }), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.equal(e.nonRetryable, false);
    assert.match(e.message, /cannot reach openai-compatible model llama3\.1 at http:\/\/127\.0\.0\.1/);
    assert.equal((e.details as { status: unknown }).status, null);
    return true;
  });
  assert.equal(exchanges.length, 2);
  assert.ok(exchanges.every((e) => e.status === undefined && e.error !== undefined));
});

test('redaction: a canary secret never leaves in a request, a record or an error', async () => {
  const canary = 'Sup3r-Secret-Canary!';
  const redactor = createSecretRedactor();
  const placeholder = redactor.register(canary, { label: 'password' });
  const exchanges: ModelHttpExchange[] = [];
  await using echo = await startFakeModel({
    script: [
      // The model repeats what it saw, and also "knows" the raw value (as a leaky model might).
      { toolCalls: [{ name: 'type_text', input: { text: placeholder } }], text: `I will type it, not ${canary}` },
      { status: 400, message: `Invalid value near '${canary}'` },
    ],
  });
  const model = createLanguageModel(openai({ baseUrl: echo.openaiBaseUrl }));
  const typeTool = { name: 'type_text', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } };
  const result = await model.generate({
    system: `Log in. The page said: password is ${canary}`,
    messages: [
      { role: 'user', content: [{ type: 'text', text: `<input value="${canary}">` }] },
      { role: 'assistant', content: `typed ${canary}`, toolCalls: [{ id: 'c0', name: 'type_text', input: { text: canary } }] },
      { role: 'tool', toolCallId: 'c0', toolName: 'type_text', output: { typed: canary } },
      { role: 'user', content: `url: https://x.test/?pw=${encodeURIComponent(canary)}` },
    ],
    tools: [typeTool],
    redactor,
    onExchange: (e) => exchanges.push(e),
  });
  await assert.rejects(model.generate({ messages: [{ role: 'user', content: 'again' }], redactor, onExchange: (e) => exchanges.push(e) }), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.ok(!JSON.stringify(e.details).includes(canary));
    assert.match(JSON.stringify(e.details), new RegExp(placeholder));
    return true;
  });

  const leaks = (text: string): boolean => text.includes(canary) || text.includes(encodeURIComponent(canary)) || text.includes('Sup3r-Secret');
  for (const request of echo.requests) assert.ok(!leaks(JSON.stringify(request.body)), 'the provider never received the secret');
  assert.ok(JSON.stringify(echo.requests[0]?.body).includes(placeholder), 'it received the placeholder instead');
  assert.ok(!leaks(result.request.body) && !leaks(result.response.body) && !leaks(result.text));
  assert.equal(result.text, `I will type it, not ${placeholder}`);
  for (const e of exchanges) assert.ok(!leaks(e.requestBody) && !leaks(e.responseBody), 'recorded exchanges are redacted');
  assert.equal(result.toolCalls[0]?.input && redactor.revealIn((result.toolCalls[0].input as { text: string }).text), canary, 'the executor can reveal it');
});

test('tool inputs that do not match the schema come back with an error', async () => {
  fake.enqueue({ toolCalls: [{ name: 'click', input: { element: 'AAAB' } }, { name: 'teleport', input: {} }] });
  const model = createLanguageModel(openai());
  const result = await model.generate({ messages: [{ role: 'user', content: 'x' }], tools: [clickTool] });
  assert.match(result.toolCalls[0]?.error ?? '', /element_id: is required; element: is not allowed/);
  assert.deepEqual(result.toolCalls[0]?.input, { element: 'AAAB' });
  assert.equal(result.toolCalls[1]?.name, 'teleport');
  assert.ok(result.toolCalls[1]?.error, 'an unknown tool is flagged');
});

test('structured output from weak models: fenced or sloppy JSON is repaired, nonsense is reported', async () => {
  const schema = { type: 'object', properties: { count: { type: 'integer' } }, required: ['count'], additionalProperties: false };
  fake.enqueue({ text: "Sure! ```json\n{count: 3,}\n```" }, { text: 'I could not find it.' }, { object: { count: 'three' } });
  const model = createLanguageModel(openai());
  const ask = (): ReturnType<typeof model.generate> => model.generate({ messages: [{ role: 'user', content: 'count' }], output: { schema } });
  assert.deepEqual((await ask()).object, { count: 3 });
  const prose = await ask();
  assert.equal(prose.object, undefined);
  assert.equal(prose.outputError?.message, 'the answer is not JSON');
  assert.equal(prose.text, 'I could not find it.');
  const wrong = await ask();
  assert.equal(wrong.object, undefined);
  assert.deepEqual(wrong.outputError?.issues, [{ path: 'count', pointer: '/count', message: 'must be integer' }]);
});

test('structured output through the SDKs\' JSON-tool fallback (older Claude, Gemini with tools)', async () => {
  fake.enqueue({ object: { a: 'from a tool' } }, { object: { a: 'from gemini' } });
  const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
  const tools = [{ name: 'noop', inputSchema: { type: 'object', properties: {} } }];
  const claude = createLanguageModel({ provider: 'anthropic', model: 'claude-3-haiku-20240307', baseUrl: fake.anthropicBaseUrl, apiKey: 'k' });
  assert.deepEqual((await claude.generate({ messages: [{ role: 'user', content: 'x' }], output: { schema }, tools })).object, { a: 'from a tool' });
  const gemini = createLanguageModel({ provider: 'google', model: 'gemini-2.0-flash', baseUrl: fake.googleBaseUrl, apiKey: 'k' });
  assert.deepEqual((await gemini.generate({ messages: [{ role: 'user', content: 'x' }], output: { schema }, tools })).object, { a: 'from gemini' });
  const sentTools = fake.requests.map((r) => JSON.stringify(r.body).includes('"name":"json"'));
  assert.deepEqual(sentTools, [true, true], 'both went through the synthetic json tool');
});

test('OpenAI strict mode is used only for schemas that satisfy it', async () => {
  fake.enqueue({ object: { a: 'x' } }, { object: { a: 'x' } });
  const model = createLanguageModel(openai({ api: 'responses' }));
  const strict = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
  const loose = { type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a'] };
  assert.deepEqual((await model.generate({ messages: [{ role: 'user', content: 'x' }], output: { schema: strict } })).object, { a: 'x' });
  assert.deepEqual((await model.generate({ messages: [{ role: 'user', content: 'x' }], output: { schema: loose } })).object, { a: 'x' });
  const strictness = fake.requests.map((r) => (r.request?.responseFormat?.type === 'json_schema' ? r.request.responseFormat.strict : undefined));
  assert.deepEqual(strictness, [true, false]);
});

test('openai-compatible without schema support gets JSON mode and the schema in the prompt', async () => {
  await using local = await startFakeModel({
    respond: (request) => {
      assert.equal(request.responseFormat?.type, 'json_object');
      const schema = JSON.parse(/JSON Schema:\n(.*)$/s.exec(request.system)?.[1] ?? 'null') as { required: string[] };
      return { text: JSON.stringify(Object.fromEntries(schema.required.map((k) => [k, `${k}!`]))) };
    },
  });
  const model = createLanguageModel({ provider: 'openai-compatible', model: 'qwen2.5', baseUrl: local.openaiBaseUrl });
  const result = await model.generate({
    system: 'Extract.',
    messages: [{ role: 'user', content: 'x' }],
    output: { schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false } },
  });
  assert.deepEqual(result.object, { name: 'name!' });
  assert.match(local.requests[0]?.request?.system ?? '', /^Extract\.\n\nAnswer with one JSON value only/);
});

test('a required tool call that does not come is a retryable LLM_ERROR', async () => {
  fake.enqueue({ text: 'I refuse to click.' });
  const model = createLanguageModel(openai());
  await assert.rejects(model.generate({ messages: [{ role: 'user', content: 'x' }], tools: [clickTool], toolChoice: 'required' }), (error: unknown) => {
    const e = assertPetrel(error, 'LLM_ERROR');
    assert.equal(e.nonRetryable, false);
    assert.match(e.message, /did not call a tool/);
    return true;
  });
});

test('malformed calls are INVALID_INPUT before any request', async () => {
  const model = createLanguageModel(openai());
  const bad = [
    { messages: [] },
    { messages: [{ role: 'user' as const, content: 'x' }], tools: [{ name: 'has space', inputSchema: {} }] },
    { messages: [{ role: 'user' as const, content: 'x' }], tools: [clickTool, clickTool] },
    { messages: [{ role: 'user' as const, content: 'x' }], tools: [clickTool], toolChoice: { tool: 'scroll' } },
    { messages: [{ role: 'user' as const, content: 'x' }], toolChoice: 'required' as const },
  ];
  for (const call of bad) await assert.rejects(model.generate(call), (error: unknown) => assertPetrel(error, 'INVALID_INPUT') !== undefined);
  assert.equal(fake.requests.length, 0);
});

test('extraction end to end: the fake answers from the observation in the prompt', async () => {
  const extraction = compileExtractionSchema({
    type: 'object',
    properties: { plan: { type: 'string' }, monthly_price: { type: 'number', minimum: 0 }, discount: { type: 'string' } },
    required: ['plan', 'monthly_price'],
  });
  await using reader = await startFakeModel({
    respond: (request) => {
      const page = request.lastUserText;
      const plan = /Plan: (\w+)/.exec(page)?.[1];
      const price = /€(\d+(?:\.\d+)?)\/month/.exec(page)?.[1];
      return { object: { plan, monthly_price: Number(price), discount: null } };
    },
  });
  const model = createLanguageModel({ provider: 'anthropic', model: 'claude-haiku-4-5', baseUrl: reader.anthropicBaseUrl, apiKey: 'k' });
  const result = await model.generate({
    system: 'Extract the data the user asks for from the page.',
    messages: [{ role: 'user', content: '[12] <h1>Plan: Business</h1>\n[13] <span>€49.90/month</span>' }],
    output: { schema: extraction.outputSchema, name: 'extraction' },
  });
  assert.deepEqual(parseExtractionOutput(extraction, result.object), { ok: true, data: { plan: 'Business', monthly_price: 49.9 } });
  assert.ok((result.costUsd ?? 0) > 0);
});
