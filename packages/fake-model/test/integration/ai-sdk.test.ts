// The Vercel AI SDK's providers, unchanged, against the fake over loopback HTTP: every protocol the
// fake speaks gets text, streaming, multi-step tool use with `stopWhen`, structured output and errors.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { APICallError, Output, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import type { LanguageModel } from 'ai';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { z } from 'zod';
import { startFakeModel } from '@petrel/fake-model';
import type { FakeModel, FakeProtocol } from '@petrel/fake-model';

// The SDK prints compatibility warnings (unknown model ids) to the console; they are noise here.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

let fake: FakeModel;
before(async () => {
  fake = await startFakeModel({ script: [] });
});
after(() => fake.close());
beforeEach(() => fake.reset());

type Provider = { name: string; protocol: FakeProtocol; model: () => LanguageModel; providerOptions?: Record<string, Record<string, string>> };

const providers: Provider[] = [
  { name: 'openai chat', protocol: 'openai-chat', model: () => createOpenAI({ baseURL: fake.openaiBaseUrl, apiKey: 'k' }).chat('gpt-4o') },
  { name: 'openai responses', protocol: 'openai-responses', model: () => createOpenAI({ baseURL: fake.openaiBaseUrl, apiKey: 'k' })('gpt-4o') },
  {
    name: 'openai-compatible',
    protocol: 'openai-chat',
    model: () =>
      createOpenAICompatible({ name: 'local', baseURL: fake.openaiBaseUrl, apiKey: 'k', supportsStructuredOutputs: true, includeUsage: true })('llama3.1'),
  },
  { name: 'anthropic', protocol: 'anthropic', model: () => createAnthropic({ baseURL: fake.anthropicBaseUrl, apiKey: 'k' })('claude-sonnet-4-5') },
  {
    name: 'anthropic (json tool)',
    protocol: 'anthropic',
    model: () => createAnthropic({ baseURL: fake.anthropicBaseUrl, apiKey: 'k' })('claude-sonnet-4-5'),
    providerOptions: { anthropic: { structuredOutputMode: 'jsonTool' } },
  },
  { name: 'google', protocol: 'google', model: () => createGoogleGenerativeAI({ baseURL: fake.googleBaseUrl, apiKey: 'k' })('gemini-2.5-flash') },
];

const weatherTool = tool({
  description: 'Current weather in a city',
  inputSchema: z.object({ city: z.string() }),
  execute: ({ city }) => Promise.resolve({ city, celsius: 21 }),
});

type CommonOptions = { model: LanguageModel; maxRetries: number; providerOptions?: Record<string, Record<string, string>> };

function commonOptions(provider: Provider): CommonOptions {
  return { model: provider.model(), maxRetries: 0, ...(provider.providerOptions ? { providerOptions: provider.providerOptions } : {}) };
}

for (const provider of providers) {
  describe(provider.name, () => {

    test('text with system prompt and usage', async () => {
      fake.enqueue({ text: 'Bonjour' });
      const result = await generateText({ ...commonOptions(provider), instructions: 'Answer in French.', prompt: 'Say hello' });
      assert.equal(result.text, 'Bonjour');
      assert.equal(result.finishReason, 'stop');
      assert.equal(result.usage.outputTokens, 2);
      assert.ok((result.usage.inputTokens ?? 0) > 0);
      const seen = fake.requests[0]?.request;
      assert.equal(seen?.protocol, provider.protocol);
      assert.equal(seen?.system, 'Answer in French.');
      assert.equal(seen?.lastUserText, 'Say hello');
    });

    test('streaming text', async () => {
      fake.enqueue({ text: 'one two three four five six seven' });
      const result = streamText({ ...commonOptions(provider), prompt: 'count', onError: () => {} });
      const parts: string[] = [];
      for await (const delta of result.textStream) parts.push(delta);
      assert.equal(parts.join(''), 'one two three four five six seven');
      assert.ok(parts.length > 1, 'several deltas');
      assert.equal(await result.finishReason, 'stop');
      assert.equal(fake.requests[0]?.request?.stream, true);
    });

    test('multi-step tool use with stopWhen; the tool result reaches the model', async () => {
      fake.enqueue({ toolCalls: [{ name: 'weather', input: { city: 'Lyon' } }] }, { text: 'It is 21 degrees in Lyon.' });
      const result = await generateText({ ...commonOptions(provider), prompt: 'Weather in Lyon?', tools: { weather: weatherTool }, stopWhen: stepCountIs(3) });
      assert.equal(result.text, 'It is 21 degrees in Lyon.');
      assert.equal(result.steps.length, 2);
      assert.deepEqual(result.steps[0]?.toolCalls[0]?.input, { city: 'Lyon' });
      const second = fake.requests[1]?.request;
      const toolMessage = second?.messages.find((m) => m.role === 'tool');
      const output = toolMessage?.toolResults[0]?.output;
      assert.match(JSON.stringify(output), /"celsius":21/);
      const assistant = second?.messages.find((m) => m.role === 'assistant');
      assert.equal(assistant?.toolCalls[0]?.name, 'weather');
    });

    test('streamed tool calls', async () => {
      fake.enqueue({ toolCalls: [{ name: 'weather', input: { city: 'São Paulo, Brasil' } }] }, { text: 'done' });
      const result = streamText({ ...commonOptions(provider), prompt: 'Weather?', tools: { weather: weatherTool }, stopWhen: stepCountIs(3), onError: () => {} });
      const steps = await result.steps;
      assert.deepEqual(steps[0]?.toolCalls[0]?.input, { city: 'São Paulo, Brasil' });
      assert.equal(await result.text, 'done');
    });

    test('structured output with Output.object', async () => {
      fake.enqueue({ object: { title: 'Invoice 7', total: 99.5, lines: ['a', 'b'] } });
      const schema = z.object({ title: z.string(), total: z.number(), lines: z.array(z.string()) });
      const result = await generateText({ ...commonOptions(provider), prompt: 'Extract', output: Output.object({ schema }) });
      assert.deepEqual(result.output, { title: 'Invoice 7', total: 99.5, lines: ['a', 'b'] });
      const format = fake.requests[0]?.request?.responseFormat;
      assert.equal(format?.type, 'json_schema');
      assert.deepEqual(Object.keys((format?.type === 'json_schema' ? format.schema : {}) as object).includes('properties'), true);
    });

    test('errors: status, retryability and retry-after reach APICallError', async () => {
      fake.enqueue({ status: 429, retryAfter: 3, message: 'slow down' }, { status: 400, message: 'nope' });
      await assert.rejects(generateText({ ...commonOptions(provider), prompt: 'x' }), (error: unknown) => {
        assert.ok(APICallError.isInstance(error));
        assert.equal(error.statusCode, 429);
        assert.equal(error.isRetryable, true);
        assert.equal(error.responseHeaders?.['retry-after'], '3');
        assert.match(error.message, /slow down/);
        return true;
      });
      await assert.rejects(generateText({ ...commonOptions(provider), prompt: 'x' }), (error: unknown) => {
        assert.ok(APICallError.isInstance(error));
        assert.equal(error.statusCode, 400);
        assert.equal(error.isRetryable, false);
        return true;
      });
    });
  });
}

test('a respond function sees images, tools and the schema in one normalised shape', async () => {
  const png = Buffer.from('89504e470d0a1a0a', 'hex');
  const seen: string[] = [];
  await using responder = await startFakeModel({
    respond: (request) => {
      seen.push(`${request.protocol}:${request.messages[0]?.images[0]?.mediaType ?? 'none'}:${request.messages[0]?.images[0]?.data ?? ''}`);
      const price = /price is (\d+)/.exec(request.lastUserText)?.[1];
      return { object: { price: Number(price) } };
    },
  });
  const models = [
    createOpenAI({ baseURL: responder.openaiBaseUrl, apiKey: 'k' }).chat('gpt-4o'),
    createOpenAI({ baseURL: responder.openaiBaseUrl, apiKey: 'k' })('gpt-4o'),
    createAnthropic({ baseURL: responder.anthropicBaseUrl, apiKey: 'k' })('claude-sonnet-4-5'),
    createGoogleGenerativeAI({ baseURL: responder.googleBaseUrl, apiKey: 'k' })('gemini-2.5-flash'),
  ];
  for (const model of models) {
    const result = await generateText({
      model,
      maxRetries: 0,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'The price is 42 today.' },
            { type: 'file', mediaType: 'image/png', data: png },
          ],
        },
      ],
      output: Output.object({ schema: jsonSchema<{ price: number }>({ type: 'object', properties: { price: { type: 'number' } }, required: ['price'] }) }),
    });
    assert.deepEqual(result.output, { price: 42 });
  }
  const b64 = png.toString('base64');
  assert.deepEqual(seen, [`openai-chat:image/png:${b64}`, `openai-responses:image/png:${b64}`, `anthropic:image/png:${b64}`, `google:image/png:${b64}`]);
});
