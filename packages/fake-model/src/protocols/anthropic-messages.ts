// Anthropic messages (`POST /v1/messages`): JSON and the SSE event stream (`message_start`,
// `content_block_start/delta/stop` with `text_delta` and `input_json_delta`, `message_delta` with usage,
// `message_stop`). Structured output arrives either natively (`output_config.format`) or through the
// SDK's forced `json` tool; both are understood.
import { FakeHttpError, chunkText, isJsonResponseTool, isRecord, lastUserText, parseJsonArgument, str } from '../fake-answer.ts';
import type { FakeMessage, FakeModelRequest, FakeResponseFormat, FakeTool, SseEvent } from '../fake-turn.ts';
import type { ParsedRequest, ProtocolHandler } from '../protocol-handler.ts';

type Block = Record<string, unknown>;

function blocksOf(content: unknown): Block[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

function textOf(blocks: Block[]): string {
  return blocks
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

function imagesOf(blocks: Block[]): FakeMessage['images'] {
  const images: FakeMessage['images'] = [];
  for (const block of blocks) {
    if (block.type !== 'image' || !isRecord(block.source)) continue;
    const source = block.source;
    if (source.type === 'base64') {
      images.push({
        ...(typeof source.media_type === 'string' ? { mediaType: source.media_type } : {}),
        ...(typeof source.data === 'string' ? { data: source.data } : {}),
      });
    } else if (source.type === 'url' && typeof source.url === 'string') images.push({ url: source.url });
  }
  return images;
}

function parseMessages(raw: unknown[]): FakeMessage[] {
  const messages: FakeMessage[] = [];
  for (const item of raw) {
    if (!isRecord(item) || (item.role !== 'user' && item.role !== 'assistant')) {
      throw new FakeHttpError(400, 'messages: each message must have role "user" or "assistant"');
    }
    const blocks = blocksOf(item.content);
    if (item.role === 'assistant') {
      const toolCalls = blocks
        .filter((b) => b.type === 'tool_use')
        .map((b) => ({ id: str(b.id), name: str(b.name), input: b.input }));
      messages.push({ role: 'assistant', text: textOf(blocks), images: imagesOf(blocks), toolCalls, toolResults: [] });
      continue;
    }
    const results = blocks.filter((b) => b.type === 'tool_result');
    if (results.length > 0) {
      const toolResults = results.map((b) => {
        const output = parseJsonArgument(typeof b.content === 'string' ? b.content : textOf(blocksOf(b.content)));
        return { toolCallId: str(b.tool_use_id), output, ...(b.is_error === true ? { isError: true } : {}) };
      });
      messages.push({ role: 'tool', text: '', images: [], toolCalls: [], toolResults });
    }
    const rest = blocks.filter((b) => b.type !== 'tool_result');
    if (rest.length > 0 || results.length === 0) {
      messages.push({ role: 'user', text: textOf(rest), images: imagesOf(rest), toolCalls: [], toolResults: [] });
    }
  }
  return messages;
}

function parseToolChoice(raw: unknown): FakeModelRequest['toolChoice'] {
  if (!isRecord(raw)) return undefined;
  if (raw.type === 'auto' || raw.type === 'none') return raw.type;
  if (raw.type === 'any') return 'required';
  if (raw.type === 'tool' && typeof raw.name === 'string') return { name: raw.name };
  return undefined;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const STOP_REASONS = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use', content_filter: 'refusal' } as const;

/** The Anthropic messages protocol. */
export const anthropicProtocol: ProtocolHandler = {
  protocol: 'anthropic',

  parse(body, headers): ParsedRequest {
    if (headers['anthropic-version'] === undefined) throw new FakeHttpError(400, 'anthropic-version: header is required');
    if (!isRecord(body)) throw new FakeHttpError(400, 'The request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, 'model: Field required');
    if (typeof body.max_tokens !== 'number') throw new FakeHttpError(400, 'max_tokens: Field required');
    if (!Array.isArray(body.messages)) throw new FakeHttpError(400, 'messages: Field required');
    const system = typeof body.system === 'string' ? body.system : textOf(blocksOf(body.system));
    const messages = parseMessages(body.messages);

    let jsonToolName: string | undefined;
    let responseFormat: FakeResponseFormat | undefined;
    const tools: FakeTool[] = [];
    for (const tool of Array.isArray(body.tools) ? body.tools.filter(isRecord) : []) {
      if (typeof tool.name !== 'string' || tool.input_schema === undefined) continue; // server tools (web search, …)
      const description = typeof tool.description === 'string' ? tool.description : undefined;
      if (isJsonResponseTool(tool.name, description)) {
        jsonToolName = tool.name;
        responseFormat = { type: 'json_schema', schema: tool.input_schema, name: tool.name };
        continue;
      }
      tools.push({ name: tool.name, ...(description === undefined ? {} : { description }), inputSchema: tool.input_schema });
    }
    const outputConfig = isRecord(body.output_config) ? body.output_config : {};
    const format = isRecord(outputConfig.format) ? outputConfig.format : isRecord(body.output_format) ? body.output_format : undefined;
    if (format?.type === 'json_schema') responseFormat = { type: 'json_schema', schema: format.schema };

    let toolChoice = parseToolChoice(body.tool_choice);
    // The SDK forces its JSON tool with `any` or by name; that is structured output, not a tool choice.
    if (jsonToolName !== undefined && ((typeof toolChoice === 'object' && toolChoice.name === jsonToolName) || (toolChoice === 'required' && tools.length === 0))) {
      toolChoice = undefined;
    }
    const request: FakeModelRequest = {
      protocol: 'anthropic',
      model: body.model,
      stream: body.stream === true,
      system,
      messages,
      tools,
      ...(toolChoice === undefined ? {} : { toolChoice }),
      ...(responseFormat === undefined ? {} : { responseFormat }),
      lastUserText: lastUserText(messages),
      maxOutputTokens: body.max_tokens,
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
      body,
      headers,
    };
    return jsonToolName === undefined ? { request } : { request, jsonToolName };
  },

  render(answer, parsed) {
    const content: Block[] = [];
    if (answer.text !== '' || answer.toolCalls.length === 0) content.push({ type: 'text', text: answer.text });
    for (const call of answer.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input ?? {} });
    const usage = { input_tokens: answer.usage.inputTokens, output_tokens: answer.usage.outputTokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    const message = {
      id: `msg_${answer.id}`,
      type: 'message',
      role: 'assistant',
      model: answer.model,
      content,
      stop_reason: STOP_REASONS[answer.finishReason],
      stop_sequence: null,
      usage,
    };
    if (!parsed.request.stream) return { kind: 'json', body: message };

    const events: SseEvent[] = [];
    const emit = (type: string, fields: Record<string, unknown>): void => {
      events.push({ event: type, data: { type, ...fields } });
    };
    emit('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
    emit('ping', {});
    content.forEach((block, index) => {
      if (block.type === 'text') {
        emit('content_block_start', { index, content_block: { type: 'text', text: '' } });
        for (const piece of chunkText(str(block.text))) emit('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      } else {
        emit('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        for (const piece of chunkText(JSON.stringify(block.input), 6)) {
          emit('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
        }
      }
      emit('content_block_stop', { index });
    });
    emit('message_delta', { delta: { stop_reason: message.stop_reason, stop_sequence: null }, usage: { output_tokens: answer.usage.outputTokens } });
    emit('message_stop', {});
    return { kind: 'sse', events };
  },

  errorBody(status, message) {
    return { type: 'error', error: { type: ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
  },
};
