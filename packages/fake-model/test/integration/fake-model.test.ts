// The fake's own behaviour over raw HTTP: wire formats of streams and errors, recording, scripts and
// their exhaustion, failFirst, API keys, aborted clients, the echo policy, and the CLI.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startFakeModel } from '@petrel/fake-model';

const chatBody = (content: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ model: 'm', messages: [{ role: 'user', content }], ...extra });

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k', ...headers }, body });
}

test('OpenAI SSE: role chunk, deltas, finish chunk, usage chunk, [DONE]', async () => {
  await using fake = await startFakeModel({ script: [{ text: 'hello world' }] });
  const res = await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('hi', { stream: true, stream_options: { include_usage: true } }));
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  const lines = (await res.text()).split('\n\n').filter(Boolean);
  assert.equal(lines.at(-1), 'data: [DONE]');
  const chunks = lines.slice(0, -1).map((l) => JSON.parse(l.slice('data: '.length)) as { choices: Array<{ delta: { content?: string; role?: string }; finish_reason: string | null }>; usage?: unknown });
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
  assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'hello world');
  assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
  assert.deepEqual(chunks.at(-1)?.choices, []);
  assert.deepEqual(chunks.at(-1)?.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
});

type AnthropicEvent = {
  content_block?: { type: string; name?: string };
  delta?: { type?: string; partial_json?: string; stop_reason?: string };
  usage?: { output_tokens: number };
};

test('Anthropic SSE: event names in order, tool_use with input_json_delta', async () => {
  await using fake = await startFakeModel({ script: [{ text: 'ok', toolCalls: [{ id: 'toolu_1', name: 'click', input: { id: 'AAAB' } }] }] });
  const res = await post(
    `${fake.url}/v1/messages`,
    JSON.stringify({ model: 'claude', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'go' }], tools: [{ name: 'click', input_schema: { type: 'object' } }] }),
    { 'anthropic-version': '2023-06-01' },
  );
  const events = (await res.text())
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine?.slice('event: '.length), data: JSON.parse(dataLine?.slice('data: '.length) ?? '{}') as AnthropicEvent };
    });
  const names = events.map((e) => e.event).filter((name, i, all) => name !== all[i - 1]); // collapse repeated deltas
  assert.deepEqual(names, [
    'message_start',
    'ping',
    'content_block_start',
    'content_block_delta',
    'content_block_stop',
    'content_block_start',
    'content_block_delta',
    'content_block_stop',
    'message_delta',
    'message_stop',
  ]);
  assert.equal(events.find((e) => e.data.content_block?.type === 'tool_use')?.data.content_block?.name, 'click');
  const json = events.filter((e) => e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta?.partial_json ?? '');
  assert.deepEqual(JSON.parse(json.join('')), { id: 'AAAB' });
  assert.equal(events.at(-2)?.data.delta?.stop_reason, 'tool_use');
  assert.equal(events.at(-2)?.data.usage?.output_tokens, Math.ceil(`okclick${JSON.stringify({ id: 'AAAB' })}`.length / 4));
});

test('error bodies follow each provider’s format; 429 carries retry-after', async () => {
  await using fake = await startFakeModel({ script: [{ status: 429 }, { status: 429, retryAfter: 0 }, { status: 500 }] });
  const openai = await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('x'));
  assert.equal(openai.status, 429);
  assert.equal(openai.headers.get('retry-after'), '1');
  assert.deepEqual(((await openai.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');

  const anthropic = await post(`${fake.url}/v1/messages`, JSON.stringify({ model: 'c', max_tokens: 5, messages: [] }), { 'anthropic-version': '2023-06-01' });
  assert.equal(anthropic.headers.get('retry-after'), '0');
  assert.deepEqual(await anthropic.json(), { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached. Please try again later.' } });

  const google = await post(`${fake.googleBaseUrl}/models/gemini-2.5-flash:generateContent`, JSON.stringify({ contents: [] }));
  assert.equal(google.status, 500);
  assert.equal(((await google.json()) as { error: { status: string } }).error.status, 'INTERNAL');
});

test('malformed requests get 400s like the real APIs', async () => {
  await using fake = await startFakeModel();
  const badJson = await post(`${fake.openaiBaseUrl}/chat/completions`, '{not json');
  assert.equal(badJson.status, 400);
  const noMessages = await post(`${fake.openaiBaseUrl}/chat/completions`, JSON.stringify({ model: 'm' }));
  assert.equal(noMessages.status, 400);
  const noVersion = await post(`${fake.url}/v1/messages`, JSON.stringify({ model: 'c', max_tokens: 5, messages: [] }));
  assert.equal(noVersion.status, 400);
  assert.match(((await noVersion.json()) as { error: { message: string } }).error.message, /anthropic-version/);
  const noMaxTokens = await post(`${fake.url}/v1/messages`, JSON.stringify({ model: 'c', messages: [] }), { 'anthropic-version': '2023-06-01' });
  assert.equal(noMaxTokens.status, 400);
  const unknown = await post(`${fake.url}/v2/whatever`, '{}');
  assert.equal(unknown.status, 404);
});

test('script order, exhaustion answered as a 500, respond after the script, reset', async () => {
  await using fake = await startFakeModel({ script: [{ text: 'first' }, { text: 'second' }] });
  const texts = async (): Promise<string> => {
    const res = await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('x'));
    const body = (await res.json()) as { choices?: Array<{ message: { content: string } }>; error?: { message: string } };
    return body.choices?.[0]?.message.content ?? `error ${res.status}: ${body.error?.message}`;
  };
  assert.equal(await texts(), 'first');
  assert.equal(await texts(), 'second');
  assert.match(await texts(), /^error 500: fake-model: the script has no turn left for model request 3/);
  fake.reset();
  assert.equal(fake.requests.length, 0);
  assert.equal(await texts(), 'first');
  fake.enqueue({ text: 'queued later' });
  assert.equal(await texts(), 'second');
  assert.equal(await texts(), 'queued later');

  await using mixed = await startFakeModel({ script: [{ text: 'scripted' }], respond: (r) => ({ text: `responded to ${r.lastUserText}` }) });
  const a = await post(`${mixed.openaiBaseUrl}/chat/completions`, chatBody('one'));
  const b = await post(`${mixed.openaiBaseUrl}/chat/completions`, chatBody('two'));
  assert.equal(((await a.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'scripted');
  assert.equal(((await b.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'responded to two');
});

test('failFirst fails the first n model requests only; apiKey is enforced per provider', async () => {
  await using fake = await startFakeModel({ failFirst: 2, apiKey: 'secret-key' });
  const ok = { authorization: 'Bearer secret-key' };
  assert.equal((await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('x'), ok)).status, 500);
  assert.equal((await fetch(`${fake.openaiBaseUrl}/models`)).status, 200, 'GET /v1/models does not count');
  assert.equal((await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('x'), ok)).status, 500);
  assert.equal((await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('x'), ok)).status, 200);
  assert.equal((await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('x'), { authorization: 'Bearer nope' })).status, 401);
  const anthropic = await post(`${fake.url}/v1/messages`, JSON.stringify({ model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }), {
    'anthropic-version': '2023-06-01',
    authorization: '',
    'x-api-key': 'secret-key',
  });
  assert.equal(anthropic.status, 200);
  const google = await post(`${fake.googleBaseUrl}/models/g:generateContent`, JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }), {
    authorization: '',
    'x-goog-api-key': 'wrong',
  });
  assert.equal(google.status, 401);
  assert.equal(((await google.json()) as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
  for (const r of fake.requests) {
    assert.equal(r.headers['x-api-key'], undefined);
    assert.equal(r.headers['x-goog-api-key'], undefined);
    assert.equal(r.headers.authorization, undefined);
  }
});

test('an aborted client is recorded as aborted and the server keeps serving', async () => {
  await using fake = await startFakeModel({ script: [{ text: 'too late', delayMs: 30_000 }, { text: 'still alive' }] });
  const controller = new AbortController();
  const aborted = fetch(`${fake.openaiBaseUrl}/chat/completions`, { method: 'POST', body: chatBody('slow'), signal: controller.signal }).catch(
    (error: unknown) => (error instanceof Error ? error.name : 'error'),
  );
  while (fake.requests[0]?.request === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  controller.abort();
  assert.equal(await aborted, 'AbortError');
  await fake.idle();
  assert.equal(fake.requests[0]?.aborted, true);
  assert.equal(fake.requests[0]?.status, undefined, 'nothing was answered');
  const next = await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('again'));
  assert.equal(((await next.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'still alive');
});

test('close() drops a request that is still waiting, promptly', async () => {
  const fake = await startFakeModel({ script: [{ text: 'never', delayMs: 60_000 }] });
  const pending = post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('slow')).then(
    () => 'answered',
    (error: unknown) => (error instanceof Error ? error.name : 'error'),
  );
  while (fake.requests[0]?.request === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
  const started = Date.now();
  await fake.close();
  assert.equal(await pending, 'TypeError', 'the client sees the connection drop');
  assert.ok(Date.now() - started < 5_000);
  assert.equal(fake.requests[0]?.aborted, true);
});

test('aborting mid-stream: the server stops writing and records the abort', async () => {
  await using fake = await startFakeModel({ script: [{ text: 'x'.repeat(400), chunkDelayMs: 50 }, { text: 'next' }] });
  const controller = new AbortController();
  const res = await fetch(`${fake.openaiBaseUrl}/chat/completions`, { method: 'POST', body: chatBody('s', { stream: true }), signal: controller.signal });
  const reader = res.body!.getReader();
  await reader.read();
  controller.abort();
  await fake.idle();
  assert.equal(fake.requests[0]?.aborted, true);
  assert.equal(fake.requests[0]?.status, 200);
  const next = await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('again'));
  assert.equal(((await next.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'next');
});

test('echo policy: echoes text, fills a schema, calls a forced tool', async () => {
  await using fake = await startFakeModel();
  const text = await post(`${fake.openaiBaseUrl}/chat/completions`, chatBody('ping'));
  assert.equal(((await text.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'echo: ping');
  const schema = {
    type: 'object',
    properties: { n: { type: 'integer', minimum: 3 }, tags: { type: 'array', items: { type: 'string' } }, kind: { enum: ['a', 'b'] } },
  };
  const structured = await post(
    `${fake.openaiBaseUrl}/chat/completions`,
    chatBody('x', { response_format: { type: 'json_schema', json_schema: { name: 'r', schema } } }),
  );
  const content = ((await structured.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content ?? '';
  assert.deepEqual(JSON.parse(content), { n: 3, tags: ['echo'], kind: 'a' });
  const forced = await post(
    `${fake.openaiBaseUrl}/chat/completions`,
    chatBody('x', {
      tools: [
        { type: 'function', function: { name: 'a', parameters: { type: 'object' } } },
        { type: 'function', function: { name: 'b', parameters: { type: 'object', properties: { q: { type: 'string' } } } } },
      ],
      tool_choice: { type: 'function', function: { name: 'b' } },
    }),
  );
  const call = ((await forced.json()) as { choices: Array<{ message: { tool_calls: Array<{ function: { name: string; arguments: string } }> } }> }).choices[0]
    ?.message.tool_calls[0];
  assert.equal(call?.function.name, 'b');
  assert.deepEqual(JSON.parse(call?.function.arguments ?? ''), { q: 'echo' });
});

test('CLI: serves a JSON script and prints its base URLs', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'petrel-fake-model-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'turns.json');
  await writeFile(script, JSON.stringify([{ text: 'from the script file' }]));
  const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, [cli, '--port', '0', '--script', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGTERM'));
  let output = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`CLI did not start: ${output}`)), 15_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /OpenAI-compatible base URL: (\S+)[\s\S]*Google base URL/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`CLI exited with ${code}: ${output}`));
    });
  });
  assert.match(output, /Anthropic base URL/);
  const res = await post(`${baseUrl}/chat/completions`, chatBody('x'));
  assert.equal(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content, 'from the script file');
  const exited = new Promise((resolve) => child.once('close', resolve)); // 'close': stdout is drained too
  child.kill('SIGTERM');
  await exited;
  assert.match(output, /stopping after 1 request/);
});
