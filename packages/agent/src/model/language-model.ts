// The `LanguageModel` port: the one interface the agent talks to a model through. Our own small
// types, so vendor types (the AI SDK's) stay inside the adapter and a scripted twin is easy to write.
import type { JsonSchema, SchemaIssue } from '../extraction/json-schema-validator.ts';
import type { SecretRedactor } from '../secrets/secret-redactor.ts';

/** The model APIs Petrel speaks; Ollama, vLLM, LM Studio and OpenRouter are `openai-compatible`. */
export const MODEL_PROVIDERS = ['openai', 'anthropic', 'google', 'openai-compatible'] as const;
/** One of `MODEL_PROVIDERS`. */
export type ModelProvider = (typeof MODEL_PROVIDERS)[number];

/** Text in a message. */
export type ModelTextPart = { type: 'text'; text: string };
/** An image in a user message: raw bytes or base64, never a URL (the model layer fetches nothing). */
export type ModelImagePart = { type: 'image'; data: Uint8Array | string; mediaType: string };
/** A part of a user message. */
export type ModelContentPart = ModelTextPart | ModelImagePart;

/** A tool call the model made (or made earlier, when replayed in `messages`). */
export type ModelToolCall = {
  id: string;
  name: string;
  /** The parsed input (placeholders of secrets stay placeholders). */
  input: unknown;
  /** Set when the input is not valid JSON or does not match the tool's schema; `input` is then raw. */
  error?: string;
};

/** One message of the conversation. */
export type ModelMessage =
  | { role: 'user'; content: string | ModelContentPart[] }
  | { role: 'assistant'; content: string; toolCalls?: ModelToolCall[] }
  | { role: 'tool'; toolCallId: string; toolName: string; output: unknown; isError?: boolean };

/** A tool the model may call. The model layer never executes tools; it returns the calls. */
export type ModelTool = { name: string; description?: string; inputSchema: JsonSchema };

/** Whether and which tool the model must call. */
export type ModelToolChoice = 'auto' | 'required' | 'none' | { tool: string };

/** Structured output: the answer must be JSON matching `schema` (its root should be an object). */
export type ModelOutputSpec = { schema: JsonSchema; name?: string; description?: string };

/** One HTTP attempt of a call, bodies already redacted: what gets stored as an artifact. */
export type ModelHttpExchange = {
  /** 1-based attempt number within the call. */
  attempt: number;
  url: string;
  method: string;
  /** The raw request body as sent (redacted). */
  requestBody: string;
  /** The HTTP status, when an answer arrived. */
  status?: number;
  /** The raw response body (redacted); '' when none arrived. */
  responseBody: string;
  /** Why no answer arrived (network error, abort, timeout). */
  error?: string;
  durationMs: number;
};

/** One model call. */
export type ModelCall = {
  /** System instructions. */
  system?: string;
  messages: ModelMessage[];
  tools?: ModelTool[];
  /** Default `auto` when tools are given. */
  toolChoice?: ModelToolChoice;
  /** Ask for JSON matching a schema (through the provider's structured output). */
  output?: ModelOutputSpec;
  temperature?: number;
  maxOutputTokens?: number;
  /** Aborts the HTTP request in flight (and any retry wait); the call rejects with `CANCELED`. */
  signal?: AbortSignal;
  /**
   * The run's secrets: every text sent is redacted before it leaves (so a secret shown on a page reaches
   * the model as its placeholder), and recorded bodies and errors are redacted too.
   */
  redactor?: SecretRedactor;
  /** Called after every HTTP attempt, failed ones included (for artifacts and logs). */
  onExchange?: (exchange: ModelHttpExchange) => void;
};

/** Why the model stopped. */
export type ModelFinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

/** Token counts of a call as the provider reported them (0 when it did not). */
export type ModelUsage = { inputTokens: number; outputTokens: number };

/** The answer to one model call. */
export type ModelResult = {
  provider: ModelProvider;
  model: string;
  text: string;
  toolCalls: ModelToolCall[];
  /** The structured answer, present when `output` was asked for and the answer parsed and matched. */
  object?: unknown;
  /** Why `object` is missing although `output` was asked for (not JSON, or not matching the schema). */
  outputError?: { message: string; issues: SchemaIssue[] };
  finishReason: ModelFinishReason;
  usage: ModelUsage;
  /** Cost in US dollars when the model's prices are known. */
  costUsd?: number;
  /** The raw HTTP request of the answering attempt (redacted). */
  request: { url: string; body: string };
  /** The raw HTTP response of the answering attempt (redacted). */
  response: { status: number; body: string };
  /** Wall time of the whole call, retries included. */
  durationMs: number;
  /** HTTP attempts made (1 without retries). */
  attempts: number;
  /** Provider warnings (unsupported settings and the like). */
  warnings: string[];
};

/** The port: one configured model. */
export type LanguageModel = {
  readonly provider: ModelProvider;
  readonly model: string;
  /**
   * Makes one call. Rejects with `LLM_ERROR` (provider error, with `details.status`; retryable unless a
   * 4xx other than 408/409/429), `TIMEOUT`, or `CANCELED` when `signal` aborts.
   */
  generate: (call: ModelCall) => Promise<ModelResult>;
};
