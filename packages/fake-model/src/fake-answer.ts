// Turning a scripted turn into a concrete answer for one request (ids, finish reason, token usage), plus
// the small helpers every protocol module shares: deterministic token estimates, ids, chunking, and
// the error a parser throws on a malformed request.
import { randomBytes } from 'node:crypto';
import type { FakeAnswer, FakeModelRequest, FakeTurn } from './fake-turn.ts';

/** A request the fake refuses, answered with `status` in the protocol's error format. */
export class FakeHttpError extends Error {
  override name = 'FakeHttpError';
  readonly status: number;
  readonly retryAfter: number | undefined;
  constructor(status: number, message: string, retryAfter?: number) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** A random id with a protocol-style prefix, e.g. `chatcmpl-…`, `toolu_…`. */
export function fakeId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('hex')}`;
}

/** Tokens of a text by the usual "about four characters per token" rule; deterministic. */
export function estimateTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/** Images count a flat 85 tokens each (OpenAI's low-detail cost), whatever their size. */
const IMAGE_TOKENS = 85;

/** Estimated input tokens of a request: system, messages, tool calls and results, tool schemas. */
export function estimateInputTokens(request: FakeModelRequest): number {
  let tokens = estimateTokens(request.system);
  for (const message of request.messages) {
    tokens += 4 + estimateTokens(message.text) + message.images.length * IMAGE_TOKENS;
    for (const call of message.toolCalls) tokens += estimateTokens(call.name + JSON.stringify(call.input ?? null));
    for (const result of message.toolResults) tokens += estimateTokens(stringify(result.output));
  }
  for (const tool of request.tools) {
    tokens += estimateTokens(tool.name + (tool.description ?? '') + JSON.stringify(tool.inputSchema ?? null));
  }
  if (request.responseFormat?.type === 'json_schema') tokens += estimateTokens(JSON.stringify(request.responseFormat.schema ?? null));
  return Math.max(1, tokens);
}

function stringify(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

/**
 * Resolves a turn for a request. `jsonToolName` is set when the client asked for structured output
 * through a synthetic tool: then an `object` answer becomes a call to that tool.
 */
export function resolveAnswer(turn: FakeTurn, request: FakeModelRequest, jsonToolName: string | undefined): FakeAnswer {
  let text = turn.text ?? '';
  const toolCalls = (turn.toolCalls ?? []).map((call) => ({ id: call.id ?? fakeId('call_'), name: call.name, input: call.input }));
  if (turn.object !== undefined) {
    if (jsonToolName !== undefined) toolCalls.push({ id: fakeId('call_'), name: jsonToolName, input: turn.object });
    else text += JSON.stringify(turn.object);
  }
  const outputText = text + toolCalls.map((c) => c.name + JSON.stringify(c.input ?? null)).join('');
  return {
    id: fakeId(''),
    model: request.model,
    text,
    toolCalls,
    finishReason: turn.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
    usage: {
      inputTokens: turn.usage?.inputTokens ?? estimateInputTokens(request),
      outputTokens: turn.usage?.outputTokens ?? Math.max(1, estimateTokens(outputText)),
    },
    chunkDelayMs: turn.chunkDelayMs ?? 0,
  };
}

/** Splits text into streaming pieces (a few per answer, so clients really reassemble deltas). */
export function chunkText(text: string, size = 8): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

/** A `data:` URL split into media type and base64 data; other URLs are kept as URLs. */
export function parseImageUrl(url: string): { mediaType?: string; data?: string; url?: string } {
  const match = /^data:([^;,]+)?(?:;base64)?,(.*)$/s.exec(url);
  if (!match) return { url };
  return match[1] === undefined ? { data: match[2] ?? '' } : { mediaType: match[1], data: match[2] ?? '' };
}

/** Parses a JSON string argument, keeping the raw string when it is not JSON. */
export function parseJsonArgument(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The SDKs' synthetic structured-output tool (`json`, `json_1`, …, "Respond with a JSON object."). */
export function isJsonResponseTool(name: string, description: string | undefined): boolean {
  return /^json(_\d+)?$/.test(name) && (description ?? '').startsWith('Respond with a JSON object');
}

/** The text of the last user message. */
export function lastUserText(messages: FakeModelRequest['messages']): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return message.text;
  }
  return '';
}

/** A string field of a parsed body ('' when absent or not a string/number). */
export function str(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
