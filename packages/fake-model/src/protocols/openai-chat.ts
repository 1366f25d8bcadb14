// OpenAI chat completions (`POST /v1/chat/completions`), also what every OpenAI-compatible server speaks:
// JSON and SSE answers, streamed tool calls as index/id/argument fragments, the final chunk with
// `finish_reason`, the optional `stream_options.include_usage` usage chunk, and `[DONE]`.
import { FakeHttpError, chunkText, isRecord, lastUserText, parseImageUrl, parseJsonArgument, str } from '../fake-answer.ts';
import type { FakeMessage, FakeModelRequest, FakeResponseFormat, FakeTool, SseEvent } from '../fake-turn.ts';
import type { ParsedRequest, ProtocolHandler } from '../protocol-handler.ts';

function contentText(content: unknown): { text: string; images: FakeMessage['images'] } {
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) return { text: '', images: [] };
  const texts: string[] = [];
  const images: FakeMessage['images'] = [];
  for (const part of content) {
    if (!isRecord(part)) continue;
    if ((part.type === 'text' || part.type === 'input_text') && typeof part.text === 'string') texts.push(part.text);
    if (part.type === 'image_url') {
      const url = isRecord(part.image_url) ? part.image_url.url : part.image_url;
      if (typeof url === 'string') images.push(parseImageUrl(url));
    }
  }
  return { text: texts.join('\n'), images };
}

function parseMessages(raw: unknown[]): { system: string[]; messages: FakeMessage[] } {
  const system: string[] = [];
  const messages: FakeMessage[] = [];
  for (const item of raw) {
    if (!isRecord(item) || typeof item.role !== 'string') throw new FakeHttpError(400, "Invalid 'messages': every message needs a 'role'.");
    const { text, images } = contentText(item.content);
    switch (item.role) {
      case 'system':
      case 'developer':
        system.push(text);
        break;
      case 'user':
        messages.push({ role: 'user', text, images, toolCalls: [], toolResults: [] });
        break;
      case 'assistant': {
        const calls = Array.isArray(item.tool_calls) ? item.tool_calls : [];
        const toolCalls = calls.filter(isRecord).map((call) => {
          const fn = isRecord(call.function) ? call.function : {};
          return { id: str(call.id), name: str(fn.name), input: parseJsonArgument(fn.arguments) };
        });
        messages.push({ role: 'assistant', text, images, toolCalls, toolResults: [] });
        break;
      }
      case 'tool':
        messages.push({
          role: 'tool',
          text: '',
          images: [],
          toolCalls: [],
          toolResults: [{ toolCallId: str(item.tool_call_id), output: parseJsonArgument(text) }],
        });
        break;
      default:
        throw new FakeHttpError(400, `Invalid value for 'messages.role': '${item.role}'.`);
    }
  }
  return { system, messages };
}

function parseTools(raw: unknown): FakeTool[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isRecord).map((tool) => {
    const fn = isRecord(tool.function) ? tool.function : {};
    if (typeof fn.name !== 'string') throw new FakeHttpError(400, "Missing required parameter: 'tools[].function.name'.");
    return {
      name: fn.name,
      ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
      inputSchema: fn.parameters ?? { type: 'object', properties: {} },
    };
  });
}

/** Parses an OpenAI `tool_choice` (chat and Responses shapes). */
export function parseOpenAIToolChoice(raw: unknown): FakeModelRequest['toolChoice'] {
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (isRecord(raw)) {
    const name = isRecord(raw.function) ? raw.function.name : raw.name;
    if (typeof name === 'string') return { name };
  }
  return undefined;
}

function parseResponseFormat(raw: unknown): FakeResponseFormat | undefined {
  if (!isRecord(raw)) return undefined;
  if (raw.type === 'json_object') return { type: 'json_object' };
  if (raw.type === 'json_schema') {
    const spec = isRecord(raw.json_schema) ? raw.json_schema : {};
    if (spec.schema === undefined) throw new FakeHttpError(400, "Missing required parameter: 'response_format.json_schema.schema'.");
    return {
      type: 'json_schema',
      schema: spec.schema,
      ...(typeof spec.name === 'string' ? { name: spec.name } : {}),
      ...(typeof spec.strict === 'boolean' ? { strict: spec.strict } : {}),
    };
  }
  return undefined;
}

/** Parses the OpenAI error `type`/`code` pair for a status. */
export function openaiErrorFields(status: number): { type: string; code: string | null } {
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status === 403) return { type: 'invalid_request_error', code: 'unsupported_country_region_territory' };
  if (status === 404) return { type: 'invalid_request_error', code: 'model_not_found' };
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

/** The OpenAI chat completions protocol. */
export const openaiChatProtocol: ProtocolHandler = {
  protocol: 'openai-chat',

  parse(body, headers): ParsedRequest {
    if (!isRecord(body)) throw new FakeHttpError(400, 'The request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, "You must provide a model parameter.");
    if (!Array.isArray(body.messages)) throw new FakeHttpError(400, "Missing required parameter: 'messages'.");
    const { system, messages } = parseMessages(body.messages);
    const toolChoice = parseOpenAIToolChoice(body.tool_choice);
    const responseFormat = parseResponseFormat(body.response_format);
    const maxTokens = body.max_completion_tokens ?? body.max_tokens;
    const request: FakeModelRequest = {
      protocol: 'openai-chat',
      model: body.model,
      stream: body.stream === true,
      system: system.join('\n'),
      messages,
      tools: parseTools(body.tools),
      ...(toolChoice === undefined ? {} : { toolChoice }),
      ...(responseFormat === undefined ? {} : { responseFormat }),
      lastUserText: lastUserText(messages),
      ...(typeof maxTokens === 'number' ? { maxOutputTokens: maxTokens } : {}),
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
      body,
      headers,
    };
    const includeUsage = isRecord(body.stream_options) && body.stream_options.include_usage === true;
    return { request, includeUsage };
  },

  render(answer, parsed) {
    const created = Math.floor(Date.now() / 1000);
    const id = `chatcmpl-${answer.id}`;
    const usage = {
      prompt_tokens: answer.usage.inputTokens,
      completion_tokens: answer.usage.outputTokens,
      total_tokens: answer.usage.inputTokens + answer.usage.outputTokens,
    };
    const toolCalls = answer.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
    }));
    if (!parsed.request.stream) {
      return {
        kind: 'json',
        body: {
          id,
          object: 'chat.completion',
          created,
          model: answer.model,
          choices: [
            {
              index: 0,
              message: {
                role: 'assistant',
                content: answer.text === '' && toolCalls.length > 0 ? null : answer.text,
                refusal: null,
                ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
              },
              logprobs: null,
              finish_reason: answer.finishReason,
            },
          ],
          usage,
          system_fingerprint: 'fp_petrel_fake',
        },
      };
    }
    const base = { id, object: 'chat.completion.chunk', created, model: answer.model, system_fingerprint: 'fp_petrel_fake' };
    const withUsage = parsed.includeUsage === true ? { usage: null } : {};
    const chunk = (delta: unknown, finishReason: string | null = null): SseEvent => ({
      data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...withUsage },
    });
    const events: SseEvent[] = [chunk({ role: 'assistant', content: '', refusal: null })];
    for (const piece of chunkText(answer.text)) events.push(chunk({ content: piece }));
    toolCalls.forEach((call, index) => {
      events.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }));
      for (const fragment of chunkText(call.function.arguments, 6)) {
        events.push(chunk({ tool_calls: [{ index, function: { arguments: fragment } }] }));
      }
    });
    events.push(chunk({}, answer.finishReason));
    if (parsed.includeUsage === true) events.push({ data: { ...base, choices: [], usage } });
    return { kind: 'sse', events, done: true };
  },

  errorBody(status, message) {
    return { error: { message, ...openaiErrorFields(status), param: null } };
  },
};
