// The official `openai` client, unchanged, against the fake over loopback HTTP: chat completions (JSON,
// SSE with usage, tool calls reassembled from fragments, parsed structured output), the Responses API,
// `models.list`, and error statuses surfacing as the client's typed errors.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, RateLimitError } from 'openai';
import { zodFunction, zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel } from '@petrel/fake-model';

let fake: FakeModel;
let client: OpenAI;

before(async () => {
  fake = await startFakeModel({ script: [], apiKey: 'sk-test' });
  client = new OpenAI({ baseURL: fake.openaiBaseUrl, apiKey: 'sk-test', maxRetries: 0 });
});
after(() => fake.close());
beforeEach(() => fake.reset());

test('chat completion: text, usage and the recorded request (without the key)', async () => {
  fake.enqueue({ text: 'Hello from the fake' });
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
    ],
  });
  assert.equal(completion.choices[0]?.message.content, 'Hello from the fake');
  assert.equal(completion.choices[0]?.finish_reason, 'stop');
  assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
  assert.equal(completion.usage?.completion_tokens, Math.ceil('Hello from the fake'.length / 4));

  const recorded = fake.requests[0];
  assert.equal(recorded?.path, '/v1/chat/completions');
  assert.equal(recorded?.request?.system, 'Be brief.');
  assert.equal(recorded?.request?.lastUserText, 'Say hello');
  assert.equal(recorded?.headers.authorization, undefined, 'credentials are not recorded');
  assert.match(recorded?.headers['user-agent'] ?? '', /OpenAI\/JS/);
});

test('chat completion stream: deltas reassemble, include_usage adds a usage chunk', async () => {
  fake.enqueue({ text: 'A streamed answer that spans several chunks.' });
  const stream = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'stream please' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish: string | null | undefined;
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.choices[0]?.delta.content ?? '';
    finish ??= chunk.choices[0]?.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text, 'A streamed answer that spans several chunks.');
  assert.ok(chunks > 3, 'the answer arrives in several chunks');
  assert.equal(finish, 'stop');
  assert.equal(usage?.completion_tokens, Math.ceil(text.length / 4));
});

test('chat completion: tool calls, JSON and streamed (fragments reassembled by the client)', async () => {
  const tools = [zodFunction({ name: 'get_weather', parameters: z.object({ city: z.string() }) })];
  fake.enqueue({ toolCalls: [{ id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }] });
  const plain = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'weather?' }], tools });
  const call = plain.choices[0]?.message.tool_calls?.[0];
  assert.equal(plain.choices[0]?.finish_reason, 'tool_calls');
  assert.equal(call?.type === 'function' ? call.function.arguments : undefined, '{"city":"Paris"}');
  assert.equal(fake.requests[0]?.request?.tools[0]?.name, 'get_weather');

  fake.enqueue({ toolCalls: [{ name: 'get_weather', input: { city: 'Reykjavík, Iceland' } }, { name: 'get_weather', input: { city: 'Oslo' } }] });
  const runner = client.chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'two cities' }], tools });
  const final = await runner.finalChatCompletion();
  const calls = final.choices[0]?.message.tool_calls ?? [];
  assert.equal(calls.length, 2);
  assert.deepEqual(
    calls.map((c) => (c.type === 'function' ? JSON.parse(c.function.arguments) : undefined)),
    [{ city: 'Reykjavík, Iceland' }, { city: 'Oslo' }],
  );
});

test('chat completion: parse() with a zod response format', async () => {
  const Person = z.object({ name: z.string(), age: z.number() });
  fake.enqueue({ object: { name: 'Ada', age: 36 } });
  const parsed = await client.chat.completions.parse({
    model: 'gpt-4o',
    messages: [{ role: 'user', content: 'who?' }],
    response_format: zodResponseFormat(Person, 'person'),
  });
  assert.deepEqual(parsed.choices[0]?.message.parsed, { name: 'Ada', age: 36 });
  const format = fake.requests[0]?.request?.responseFormat;
  assert.equal(format?.type, 'json_schema');
  assert.equal(format?.type === 'json_schema' ? format.name : undefined, 'person');
});

test('responses API: text, function call, JSON schema output and streaming', async () => {
  fake.enqueue({ text: 'Plain responses text' });
  const text = await client.responses.create({ model: 'gpt-4o', input: 'hi', instructions: 'Be kind.' });
  assert.equal(text.output_text, 'Plain responses text');
  assert.equal(fake.requests[0]?.request?.system, 'Be kind.');

  fake.enqueue({ toolCalls: [{ id: 'call_r', name: 'lookup', input: { q: 'x' } }] });
  const fn = await client.responses.create({
    model: 'gpt-4o',
    input: 'call it',
    tools: [{ type: 'function', name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: false }],
  });
  const item = fn.output.find((o) => o.type === 'function_call');
  assert.equal(item?.type === 'function_call' ? item.call_id : undefined, 'call_r');
  assert.equal(item?.type === 'function_call' ? item.arguments : undefined, '{"q":"x"}');

  fake.enqueue({ object: { total: 12.5 } });
  const structured = await client.responses.parse({
    model: 'gpt-4o',
    input: 'total?',
    text: { format: zodTextFormat(z.object({ total: z.number() }), 'invoice') },
  });
  assert.deepEqual(structured.output_parsed, { total: 12.5 });

  fake.enqueue({ text: 'streamed via responses' });
  const stream = client.responses.stream({ model: 'gpt-4o', input: 'stream' });
  let deltas = '';
  stream.on('response.output_text.delta', (event) => {
    deltas += event.delta;
  });
  const final = await stream.finalResponse();
  assert.equal(deltas, 'streamed via responses');
  assert.equal(final.output_text, 'streamed via responses');
  assert.equal(final.usage?.output_tokens, Math.ceil('streamed via responses'.length / 4));
});

test('models.list', async () => {
  const page = await client.models.list();
  assert.deepEqual(
    page.data.map((m) => m.id),
    ['fake-model'],
  );
});

const ask = (): Promise<unknown> => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });

test('errors: 400, 401, 429 with retry-after, 500 become the client’s typed errors', async () => {
  fake.enqueue({ status: 400, message: 'bad thing' }, { status: 429, retryAfter: 7 }, { status: 500 });
  await assert.rejects(ask(), (error: unknown) => error instanceof BadRequestError && error.message.includes('bad thing'));
  await assert.rejects(ask(), (error: unknown) => error instanceof RateLimitError && error.headers.get('retry-after') === '7');
  await assert.rejects(ask(), (error: unknown) => error instanceof InternalServerError && error.type === 'server_error');

  const wrongKey = new OpenAI({ baseURL: fake.openaiBaseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(
    wrongKey.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    (error: unknown) => error instanceof AuthenticationError && error.code === 'invalid_api_key',
  );
});

test('the client’s own retries reach a scripted answer after failFirst', async () => {
  await using flaky = await startFakeModel({ failFirst: { count: 2, status: 503, retryAfter: 0 }, script: [{ text: 'third time lucky' }] });
  const retrying = new OpenAI({ baseURL: flaky.openaiBaseUrl, apiKey: 'k', maxRetries: 2 });
  const completion = await retrying.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(completion.choices[0]?.message.content, 'third time lucky');
  assert.deepEqual(
    flaky.requests.map((r) => r.status),
    [503, 503, 200],
  );
});
