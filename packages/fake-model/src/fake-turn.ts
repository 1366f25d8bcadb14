// The provider-neutral vocabulary of the fake: what a request looks like once parsed (whatever protocol
// it came in), what a scripted turn says, and the answer a turn resolves to before each protocol
// renders it in its own wire format.

/** The wire protocols the fake speaks. */
export type FakeProtocol = 'openai-chat' | 'openai-responses' | 'anthropic' | 'google';

/** An image seen in a request: inline data (base64) or a URL, as the client sent it. */
export type FakeImage = { mediaType?: string; data?: string; url?: string };

/** A tool call as the fake sees it in a request history or answers it. */
export type FakeToolCall = { id: string; name: string; input: unknown };

/** A tool result sent back by the client. */
export type FakeToolResult = { toolCallId: string; output: unknown; isError?: boolean };

/** One message of the conversation, normalised across protocols. */
export type FakeMessage = {
  role: 'user' | 'assistant' | 'tool';
  /** The text parts joined with newlines ('' when there are none). */
  text: string;
  images: FakeImage[];
  toolCalls: FakeToolCall[];
  toolResults: FakeToolResult[];
};

/** A tool the client offered. */
export type FakeTool = { name: string; description?: string; inputSchema: unknown };

/** How the client asked for structured output, if it did. */
export type FakeResponseFormat =
  | { type: 'json_schema'; schema: unknown; name?: string; strict?: boolean }
  | { type: 'json_object' };

/** A request as a `respond` function sees it: the same shape for every protocol. */
export type FakeModelRequest = {
  protocol: FakeProtocol;
  model: string;
  stream: boolean;
  /** System/developer instructions joined with newlines ('' when there are none). */
  system: string;
  messages: FakeMessage[];
  /** Tools offered by the client, minus the synthetic JSON-output tool some SDKs add (see `responseFormat`). */
  tools: FakeTool[];
  toolChoice?: 'auto' | 'required' | 'none' | { name: string };
  /** Structured output requested through `response_format`, `text.format`, `output_config`, a JSON tool, etc. */
  responseFormat?: FakeResponseFormat;
  /** The text of the last user message ('' when there is none): handy for answering from an observation. */
  lastUserText: string;
  maxOutputTokens?: number;
  temperature?: number;
  /** The parsed JSON body exactly as received. */
  body: unknown;
  /** Request headers, lower-cased, without credentials. */
  headers: Record<string, string>;
};

/** One scripted answer. Every field is optional; an empty turn answers an empty text. */
export type FakeTurn = {
  /** Assistant text. */
  text?: string;
  /** Tool calls to make; ids are generated when missing. */
  toolCalls?: Array<{ id?: string; name: string; input: unknown }>;
  /**
   * A structured answer: sent as the JSON text of the message, or as a call to the synthetic JSON tool
   * when the client asked for structured output through one (Anthropic and Gemini fallbacks).
   */
  object?: unknown;
  /** Answer with this HTTP error status instead, in the protocol's error format. */
  status?: number;
  /** The error message for `status` (a default per status otherwise). */
  message?: string;
  /** `retry-after` header in seconds for an error answer (default 1 for 429, none otherwise). */
  retryAfter?: number;
  /** Wait this long before answering (the wait ends early when the client disconnects). */
  delayMs?: number;
  /** Wait this long between streamed chunks. */
  chunkDelayMs?: number;
  /** Finish reason to report (default: `tool_calls` when there are tool calls, else `stop`). */
  finishReason?: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  /** Override the estimated token usage. */
  usage?: { inputTokens?: number; outputTokens?: number };
};

/** Answers one request; may be async. Returning `undefined` answers with the built-in echo policy. */
export type FakeResponder = (request: FakeModelRequest) => FakeTurn | undefined | Promise<FakeTurn | undefined>;

/** What a turn resolves to for one request, before a protocol renders it. */
export type FakeAnswer = {
  id: string;
  model: string;
  text: string;
  toolCalls: FakeToolCall[];
  finishReason: 'stop' | 'length' | 'tool_calls' | 'content_filter';
  usage: { inputTokens: number; outputTokens: number };
  chunkDelayMs: number;
};

/** One server-sent event: an optional `event:` name and its JSON `data:`. */
export type SseEvent = { event?: string; data: unknown };

/** A rendered success answer: one JSON body, or a list of server-sent events. */
export type RenderedAnswer = { kind: 'json'; body: unknown } | { kind: 'sse'; events: SseEvent[]; done?: boolean };
