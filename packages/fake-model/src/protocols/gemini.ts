// Google Gemini (`POST /v1beta/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`):
// text, function calls, JSON output through `responseJsonSchema`/`responseSchema` or the SDK's `json`
// tool, `usageMetadata`, and Google's `{ error: { code, message, status } }` bodies.
import { FakeHttpError, chunkText, isJsonResponseTool, isRecord, lastUserText, str } from '../fake-answer.ts';
import type { FakeMessage, FakeModelRequest, FakeResponseFormat, FakeTool, SseEvent } from '../fake-turn.ts';
import type { ParsedRequest, ProtocolHandler } from '../protocol-handler.ts';

type Part = Record<string, unknown>;

function partsOf(content: unknown): Part[] {
  return isRecord(content) && Array.isArray(content.parts) ? content.parts.filter(isRecord) : [];
}

function textOf(parts: Part[]): string {
  return parts
    .filter((p) => typeof p.text === 'string' && p.thought !== true)
    .map((p) => p.text as string)
    .join('\n');
}

function parseContents(raw: unknown[]): FakeMessage[] {
  const messages: FakeMessage[] = [];
  for (const content of raw) {
    if (!isRecord(content)) continue;
    const parts = partsOf(content);
    const images: FakeMessage['images'] = [];
    for (const part of parts) {
      if (isRecord(part.inlineData)) {
        images.push({ mediaType: str(part.inlineData.mimeType), data: str(part.inlineData.data) });
      }
      if (isRecord(part.fileData)) images.push({ mediaType: str(part.fileData.mimeType), url: str(part.fileData.fileUri) });
    }
    if (content.role === 'model') {
      const toolCalls = parts
        .filter((p) => isRecord(p.functionCall))
        .map((p) => {
          const call = p.functionCall as Record<string, unknown>;
          return { id: str(call.id ?? call.name), name: str(call.name), input: call.args ?? {} };
        });
      messages.push({ role: 'assistant', text: textOf(parts), images, toolCalls, toolResults: [] });
      continue;
    }
    const responses = parts.filter((p) => isRecord(p.functionResponse));
    if (responses.length > 0) {
      const toolResults = responses.map((p) => {
        const response = p.functionResponse as Record<string, unknown>;
        const output = isRecord(response.response) && 'content' in response.response ? response.response.content : response.response;
        return { toolCallId: str(response.id ?? response.name), output };
      });
      messages.push({ role: 'tool', text: '', images: [], toolCalls: [], toolResults });
    }
    const text = textOf(parts);
    if (text !== '' || images.length > 0 || responses.length === 0) messages.push({ role: 'user', text, images, toolCalls: [], toolResults: [] });
  }
  return messages;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const FINISH_REASONS = { stop: 'STOP', length: 'MAX_TOKENS', tool_calls: 'STOP', content_filter: 'SAFETY' } as const;

/** The Gemini generateContent protocol. */
export const geminiProtocol: ProtocolHandler = {
  protocol: 'google',

  parse(body, headers, route): ParsedRequest {
    if (!isRecord(body)) throw new FakeHttpError(400, 'Invalid JSON payload received.');
    if (!Array.isArray(body.contents)) throw new FakeHttpError(400, '* GenerateContentRequest.contents: contents is not specified');
    const messages = parseContents(body.contents);
    const config = isRecord(body.generationConfig) ? body.generationConfig : {};

    let jsonToolName: string | undefined;
    let responseFormat: FakeResponseFormat | undefined;
    const tools: FakeTool[] = [];
    for (const group of Array.isArray(body.tools) ? body.tools.filter(isRecord) : []) {
      for (const decl of Array.isArray(group.functionDeclarations) ? group.functionDeclarations.filter(isRecord) : []) {
        if (typeof decl.name !== 'string') continue;
        const description = typeof decl.description === 'string' ? decl.description : undefined;
        const inputSchema = decl.parametersJsonSchema ?? decl.parameters ?? { type: 'object', properties: {} };
        if (isJsonResponseTool(decl.name, description)) {
          jsonToolName = decl.name;
          responseFormat = { type: 'json_schema', schema: inputSchema, name: decl.name };
          continue;
        }
        tools.push({ name: decl.name, ...(description === undefined ? {} : { description }), inputSchema });
      }
    }
    if (config.responseMimeType === 'application/json') {
      const schema = config.responseJsonSchema ?? config.responseSchema;
      responseFormat = schema === undefined ? { type: 'json_object' } : { type: 'json_schema', schema };
    }
    const calling = isRecord(body.toolConfig) && isRecord(body.toolConfig.functionCallingConfig) ? body.toolConfig.functionCallingConfig : {};
    const allowed = Array.isArray(calling.allowedFunctionNames) ? calling.allowedFunctionNames : [];
    let toolChoice: FakeModelRequest['toolChoice'];
    if (calling.mode === 'NONE') toolChoice = 'none';
    else if (calling.mode === 'AUTO') toolChoice = 'auto';
    else if (calling.mode === 'ANY' || calling.mode === 'VALIDATED') {
      toolChoice = allowed.length === 1 && typeof allowed[0] === 'string' && allowed[0] !== jsonToolName ? { name: allowed[0] } : 'required';
    }
    if (jsonToolName !== undefined && toolChoice === 'required' && tools.length === 0) toolChoice = undefined;

    const request: FakeModelRequest = {
      protocol: 'google',
      model: route.model ?? '',
      stream: route.stream === true,
      system: textOf(partsOf(body.systemInstruction)),
      messages,
      tools,
      ...(toolChoice === undefined ? {} : { toolChoice }),
      ...(responseFormat === undefined ? {} : { responseFormat }),
      lastUserText: lastUserText(messages),
      ...(typeof config.maxOutputTokens === 'number' ? { maxOutputTokens: config.maxOutputTokens } : {}),
      ...(typeof config.temperature === 'number' ? { temperature: config.temperature } : {}),
      body,
      headers,
    };
    return jsonToolName === undefined ? { request } : { request, jsonToolName };
  },

  render(answer, parsed) {
    const usageMetadata = {
      promptTokenCount: answer.usage.inputTokens,
      candidatesTokenCount: answer.usage.outputTokens,
      totalTokenCount: answer.usage.inputTokens + answer.usage.outputTokens,
    };
    const callParts = answer.toolCalls.map((call) => ({ functionCall: { name: call.name, args: call.input ?? {} } }));
    const finishReason = FINISH_REASONS[answer.finishReason];
    const base = { modelVersion: answer.model, responseId: answer.id };
    if (!parsed.request.stream) {
      const parts = [...(answer.text !== '' || callParts.length === 0 ? [{ text: answer.text }] : []), ...callParts];
      return {
        kind: 'json',
        body: { candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }], usageMetadata, ...base },
      };
    }
    const events: SseEvent[] = [];
    const pieces = chunkText(answer.text);
    pieces.forEach((text) => events.push({ data: { candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }], ...base } }));
    events.push({
      data: {
        candidates: [{ content: { role: 'model', parts: callParts.length > 0 ? callParts : [{ text: '' }] }, finishReason, index: 0 }],
        usageMetadata,
        ...base,
      },
    });
    return { kind: 'sse', events };
  },

  errorBody(status, message) {
    return { error: { code: status, message, status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT') } };
  },
};
