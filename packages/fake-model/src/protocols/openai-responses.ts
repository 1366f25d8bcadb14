// OpenAI Responses API (`POST /v1/responses`), which `@ai-sdk/openai`'s default `openai(model)` calls:
// text, function calls and `text.format` JSON schema output, as JSON or as the typed event stream
// (`response.created` … `response.completed`, each with a `sequence_number`).
import { FakeHttpError, chunkText, isRecord, lastUserText, parseImageUrl, parseJsonArgument, str } from '../fake-answer.ts';
import type { FakeAnswer, FakeMessage, FakeModelRequest, FakeResponseFormat, FakeTool, SseEvent } from '../fake-turn.ts';
import type { ParsedRequest, ProtocolHandler } from '../protocol-handler.ts';
import { openaiErrorFields, parseOpenAIToolChoice } from './openai-chat.ts';

function partsOf(content: unknown): { text: string; images: FakeMessage['images'] } {
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) return { text: '', images: [] };
  const texts: string[] = [];
  const images: FakeMessage['images'] = [];
  for (const part of content) {
    if (!isRecord(part)) continue;
    if ((part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string') texts.push(part.text);
    if (part.type === 'input_image' && typeof part.image_url === 'string') images.push(parseImageUrl(part.image_url));
  }
  return { text: texts.join('\n'), images };
}

function parseInput(input: unknown, instructions: unknown): { system: string[]; messages: FakeMessage[] } {
  const system: string[] = typeof instructions === 'string' ? [instructions] : [];
  const messages: FakeMessage[] = [];
  if (typeof input === 'string') {
    messages.push({ role: 'user', text: input, images: [], toolCalls: [], toolResults: [] });
    return { system, messages };
  }
  if (!Array.isArray(input)) throw new FakeHttpError(400, "Missing required parameter: 'input'.");
  for (const item of input) {
    if (!isRecord(item)) continue;
    if (item.type === 'function_call') {
      const call = { id: str(item.call_id), name: str(item.name), input: parseJsonArgument(item.arguments) };
      const previous = messages.at(-1);
      // Consecutive calls belong to one assistant turn, as in the other protocols.
      if (previous?.role === 'assistant') previous.toolCalls.push(call);
      else messages.push({ role: 'assistant', text: '', images: [], toolCalls: [call], toolResults: [] });
      continue;
    }
    if (item.type === 'function_call_output') {
      const output = typeof item.output === 'string' ? parseJsonArgument(item.output) : item.output;
      messages.push({ role: 'tool', text: '', images: [], toolCalls: [], toolResults: [{ toolCallId: str(item.call_id), output }] });
      continue;
    }
    if (item.type !== undefined && item.type !== 'message') continue; // reasoning, item_reference, …
    const { text, images } = partsOf(item.content);
    if (item.role === 'system' || item.role === 'developer') system.push(text);
    else if (item.role === 'user') messages.push({ role: 'user', text, images, toolCalls: [], toolResults: [] });
    else if (item.role === 'assistant') messages.push({ role: 'assistant', text, images, toolCalls: [], toolResults: [] });
    else throw new FakeHttpError(400, `Invalid value for 'input[].role': '${str(item.role)}'.`);
  }
  return { system, messages };
}

function parseTools(raw: unknown): FakeTool[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((tool) => isRecord(tool) && tool.type === 'function')
    .map((tool) => {
      const t = tool as Record<string, unknown>;
      if (typeof t.name !== 'string') throw new FakeHttpError(400, "Missing required parameter: 'tools[].name'.");
      return {
        name: t.name,
        ...(typeof t.description === 'string' ? { description: t.description } : {}),
        inputSchema: t.parameters ?? { type: 'object', properties: {} },
      };
    });
}

function parseFormat(text: unknown): FakeResponseFormat | undefined {
  const format = isRecord(text) && isRecord(text.format) ? text.format : undefined;
  if (format?.type === 'json_object') return { type: 'json_object' };
  if (format?.type === 'json_schema') {
    if (format.schema === undefined) throw new FakeHttpError(400, "Missing required parameter: 'text.format.schema'.");
    return {
      type: 'json_schema',
      schema: format.schema,
      ...(typeof format.name === 'string' ? { name: format.name } : {}),
      ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}),
    };
  }
  return undefined;
}

type OutputItem = Record<string, unknown> & { id: string };

function outputItems(answer: FakeAnswer): OutputItem[] {
  const items: OutputItem[] = [];
  if (answer.text !== '' || answer.toolCalls.length === 0) {
    items.push({
      type: 'message',
      id: `msg_${answer.id}`,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: answer.text, annotations: [], logprobs: [] }],
    });
  }
  answer.toolCalls.forEach((call, index) => {
    items.push({
      type: 'function_call',
      id: `fc_${answer.id}_${index}`,
      call_id: call.id,
      name: call.name,
      arguments: JSON.stringify(call.input ?? {}),
      status: 'completed',
    });
  });
  return items;
}

function responseObject(answer: FakeAnswer, request: FakeModelRequest, output: OutputItem[], status: string): Record<string, unknown> {
  const incomplete =
    answer.finishReason === 'length' ? { reason: 'max_output_tokens' } : answer.finishReason === 'content_filter' ? { reason: 'content_filter' } : null;
  return {
    id: `resp_${answer.id}`,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: status === 'completed' && incomplete !== null ? 'incomplete' : status,
    error: null,
    incomplete_details: status === 'in_progress' ? null : incomplete,
    instructions: null,
    max_output_tokens: request.maxOutputTokens ?? null,
    model: answer.model,
    output,
    parallel_tool_calls: true,
    temperature: request.temperature ?? 1,
    tool_choice: 'auto',
    tools: [],
    usage:
      status === 'in_progress'
        ? null
        : {
            input_tokens: answer.usage.inputTokens,
            input_tokens_details: { cached_tokens: 0 },
            output_tokens: answer.usage.outputTokens,
            output_tokens_details: { reasoning_tokens: 0 },
            total_tokens: answer.usage.inputTokens + answer.usage.outputTokens,
          },
  };
}

/** The OpenAI Responses protocol. */
export const openaiResponsesProtocol: ProtocolHandler = {
  protocol: 'openai-responses',

  parse(body, headers): ParsedRequest {
    if (!isRecord(body)) throw new FakeHttpError(400, 'The request body must be a JSON object.');
    if (typeof body.model !== 'string' || body.model === '') throw new FakeHttpError(400, "Missing required parameter: 'model'.");
    const { system, messages } = parseInput(body.input, body.instructions);
    const toolChoice = parseOpenAIToolChoice(body.tool_choice);
    const responseFormat = parseFormat(body.text);
    const request: FakeModelRequest = {
      protocol: 'openai-responses',
      model: body.model,
      stream: body.stream === true,
      system: system.join('\n'),
      messages,
      tools: parseTools(body.tools),
      ...(toolChoice === undefined ? {} : { toolChoice }),
      ...(responseFormat === undefined ? {} : { responseFormat }),
      lastUserText: lastUserText(messages),
      ...(typeof body.max_output_tokens === 'number' ? { maxOutputTokens: body.max_output_tokens } : {}),
      ...(typeof body.temperature === 'number' ? { temperature: body.temperature } : {}),
      body,
      headers,
    };
    return { request };
  },

  render(answer, parsed) {
    const items = outputItems(answer);
    const final = responseObject(answer, parsed.request, items, 'completed');
    if (!parsed.request.stream) return { kind: 'json', body: final };

    let sequence = 0;
    const events: SseEvent[] = [];
    const emit = (type: string, fields: Record<string, unknown>): void => {
      events.push({ event: type, data: { type, sequence_number: sequence++, ...fields } });
    };
    const started = responseObject(answer, parsed.request, [], 'in_progress');
    emit('response.created', { response: started });
    emit('response.in_progress', { response: started });
    items.forEach((item, outputIndex) => {
      if (item.type === 'message') {
        const text = answer.text;
        emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
        const part = { type: 'output_text', text: '', annotations: [], logprobs: [] };
        emit('response.content_part.added', { item_id: item.id, output_index: outputIndex, content_index: 0, part });
        for (const delta of chunkText(text)) {
          emit('response.output_text.delta', { item_id: item.id, output_index: outputIndex, content_index: 0, delta, logprobs: [] });
        }
        emit('response.output_text.done', { item_id: item.id, output_index: outputIndex, content_index: 0, text, logprobs: [] });
        emit('response.content_part.done', { item_id: item.id, output_index: outputIndex, content_index: 0, part: { ...part, text } });
      } else {
        const args = str(item.arguments);
        emit('response.output_item.added', { output_index: outputIndex, item: { ...item, arguments: '', status: 'in_progress' } });
        for (const delta of chunkText(args, 6)) {
          emit('response.function_call_arguments.delta', { item_id: item.id, output_index: outputIndex, delta });
        }
        emit('response.function_call_arguments.done', { item_id: item.id, output_index: outputIndex, arguments: args });
      }
      emit('response.output_item.done', { output_index: outputIndex, item });
    });
    emit(final.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: final });
    return { kind: 'sse', events };
  },

  errorBody(status, message) {
    return { error: { message, ...openaiErrorFields(status), param: null } };
  },
};
