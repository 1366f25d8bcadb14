// The `LanguageModel` adapter over the Vercel AI SDK (v7): OpenAI (Responses or chat), Anthropic,
// Google and OpenAI-compatible servers. Per call it builds a provider whose `fetch` records the raw
// HTTP exchange (redacted), calls `generateText` once (tools are returned, never executed), retries
// transport failures itself (bounded, honouring `retry-after`), and maps errors to `PetrelError`s.
// SDK retries are off so every attempt is seen and recorded here.
import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, Output, ToolChoiceViolationError, generateText, jsonSchema, tool } from 'ai';
import type { LanguageModel as SdkLanguageModel, ModelMessage as SdkMessage, Tool, ToolChoice, ToolSet } from 'ai';
import { jsonrepair } from 'jsonrepair';
import { PetrelError } from '@petrel/protocol';
import { compileJsonSchema, formatSchemaIssues } from '../extraction/json-schema-validator.ts';
import type { JsonSchema } from '../extraction/json-schema-validator.ts';
import type { SecretRedactor } from '../secrets/secret-redactor.ts';
import type {
  LanguageModel,
  ModelCall,
  ModelFinishReason,
  ModelHttpExchange,
  ModelMessage,
  ModelResult,
  ModelToolCall,
} from './language-model.ts';
import { compileModelConfig } from './model-config.ts';
import type { CompiledModelConfig, FetchLike, ModelConfig } from './model-config.ts';
import { computeCostUsd, findModelPrice } from './model-prices.ts';

// The SDK prints compatibility warnings to the console unless told otherwise; library code must not.
// Warnings are returned on each result instead.
const sdkGlobals = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
sdkGlobals.AI_SDK_LOG_WARNINGS ??= false;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_PROVIDER_MESSAGE = 500;

/** Builds a `LanguageModel` from configuration; throws `LLM_NOT_CONFIGURED` at once when it is missing. */
export function createLanguageModel(config: ModelConfig | undefined | null): LanguageModel {
  const compiled = compileModelConfig(config);
  return {
    provider: compiled.provider,
    model: compiled.model,
    generate: (call) => generate(compiled, call),
  };
}

function sdkModel(c: CompiledModelConfig, fetchImpl: FetchLike): SdkLanguageModel {
  const common = {
    ...(c.baseUrl === undefined ? {} : { baseURL: c.baseUrl }),
    ...(c.apiKey === undefined ? {} : { apiKey: c.apiKey }),
    headers: c.headers,
    fetch: fetchImpl,
  };
  switch (c.provider) {
    case 'openai': {
      const provider = createOpenAI(common);
      return c.api === 'chat' ? provider.chat(c.model) : provider.responses(c.model);
    }
    case 'anthropic':
      return createAnthropic(common)(c.model);
    case 'google':
      return createGoogleGenerativeAI(common)(c.model);
    case 'openai-compatible':
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: c.baseUrl ?? '',
        ...(c.apiKey === undefined ? {} : { apiKey: c.apiKey }),
        headers: c.headers,
        fetch: fetchImpl,
        supportsStructuredOutputs: c.supportsStructuredOutputs,
        includeUsage: true,
      })(c.model);
    default: {
      const unknownProvider: never = c.provider;
      throw new PetrelError('VALIDATION_FAILED', `model.config: unknown provider ${String(unknownProvider)}`);
    }
  }
}

/** A fetch that reports each exchange (bodies redacted) and hands the SDK an already-read response. */
function capturingFetch(base: FetchLike, attempt: number, redactor: SecretRedactor | undefined, report: (exchange: ModelHttpExchange) => void): FetchLike {
  const clean = (text: string): string => (redactor ? redactor.redact(text) : text);
  return async (input, init) => {
    const started = performance.now();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
    const requestBody = typeof init?.body === 'string' ? clean(init.body) : init?.body == null ? '' : '[binary body]';
    const exchange: ModelHttpExchange = { attempt, url, method, requestBody, responseBody: '', durationMs: 0 };
    try {
      const response = await base(input, init);
      exchange.status = response.status;
      const text = await response.text();
      exchange.responseBody = clean(text);
      exchange.durationMs = Math.round(performance.now() - started);
      report(exchange);
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      exchange.error = clean(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      exchange.durationMs = Math.round(performance.now() - started);
      report(exchange);
      throw error;
    }
  };
}

function invalidCall(message: string, field: string): PetrelError {
  return new PetrelError('INVALID_INPUT', `model.generate: ${message}`, { details: { field } });
}

function validateCall(call: ModelCall): void {
  const fail = invalidCall;
  if (!Array.isArray(call.messages) || (call.messages.length === 0 && !call.system)) throw fail('a call needs messages', 'messages');
  const names = new Set<string>();
  for (const t of call.tools ?? []) {
    if (!TOOL_NAME.test(t.name)) throw fail(`tool name "${t.name}" must be 1-64 letters, digits, _ or -`, 'tools');
    if (names.has(t.name)) throw fail(`tool "${t.name}" is declared twice`, 'tools');
    names.add(t.name);
  }
  if (typeof call.toolChoice === 'object' && !names.has(call.toolChoice.tool)) throw fail(`toolChoice names an unknown tool "${call.toolChoice.tool}"`, 'toolChoice');
  if ((call.toolChoice === 'required' || typeof call.toolChoice === 'object') && names.size === 0) throw fail('toolChoice requires tools', 'toolChoice');
}

/** The call with every text redacted, so secrets shown on a page reach the model as placeholders. */
function redactCall(call: ModelCall, redactor: SecretRedactor): ModelCall {
  const messages = call.messages.map((message): ModelMessage => {
    switch (message.role) {
      case 'user':
        return {
          role: 'user',
          content:
            typeof message.content === 'string'
              ? redactor.redact(message.content)
              : message.content.map((part) => (part.type === 'text' ? { type: 'text', text: redactor.redact(part.text) } : part)),
        };
      case 'assistant':
        return {
          role: 'assistant',
          content: redactor.redact(message.content),
          ...(message.toolCalls ? { toolCalls: message.toolCalls.map((c) => ({ ...c, input: redactor.redactJson(c.input) })) } : {}),
        };
      case 'tool':
        return { ...message, output: redactor.redactJson(message.output) };
      default:
        return message;
    }
  });
  return { ...call, ...(call.system === undefined ? {} : { system: redactor.redact(call.system) }), messages };
}

function toSdkMessages(messages: ModelMessage[]): SdkMessage[] {
  return messages.map((message): SdkMessage => {
    switch (message.role) {
      case 'user':
        return {
          role: 'user',
          content:
            typeof message.content === 'string'
              ? message.content
              : message.content.map((part) =>
                  part.type === 'text' ? { type: 'text', text: part.text } : { type: 'file', mediaType: part.mediaType, data: part.data },
                ),
        };
      case 'assistant': {
        const calls = (message.toolCalls ?? []).map((c) => ({ type: 'tool-call' as const, toolCallId: c.id, toolName: c.name, input: c.input }));
        if (calls.length === 0) return { role: 'assistant', content: message.content };
        return { role: 'assistant', content: [...(message.content === '' ? [] : [{ type: 'text' as const, text: message.content }]), ...calls] };
      }
      case 'tool': {
        const value = message.output;
        const output =
          typeof value === 'string'
            ? { type: message.isError === true ? ('error-text' as const) : ('text' as const), value }
            : { type: message.isError === true ? ('error-json' as const) : ('json' as const), value: (value ?? null) as never };
        return { role: 'tool', content: [{ type: 'tool-result', toolCallId: message.toolCallId, toolName: message.toolName, output }] };
      }
      default:
        throw new PetrelError('INVALID_INPUT', 'model.generate: unknown message role', { details: { field: 'messages' } });
    }
  });
}

/** True when a schema already satisfies strict structured output (closed objects, all properties required). */
function isStrictCompatible(node: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (Array.isArray(node)) return node.every((n) => isStrictCompatible(n, depth + 1));
  if (typeof node !== 'object' || node === null) return true;
  const s = node as JsonSchema;
  const props = s.properties;
  if (typeof props === 'object' && props !== null) {
    const required = Array.isArray(s.required) ? s.required : [];
    if (s.additionalProperties !== false || Object.keys(props).some((k) => !required.includes(k))) return false;
  } else if (s.type === 'object' && s.additionalProperties !== false) {
    return false;
  }
  return Object.entries(s).every(([key, value]) => key === 'enum' || key === 'const' || key === 'default' || key === 'examples' || isStrictCompatible(value, depth + 1));
}

/** Parses model JSON leniently: code fences, prose around the value, trailing commas, single quotes. */
function parseModelJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const whole = text.trim();
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text)?.[1]?.trim();
  const start = text.search(/[[{]/);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  const braced = start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
  // Strict parses first; repair only the most JSON-looking candidates (repairing prose "succeeds" with junk).
  for (const candidate of [whole, fenced, braced]) {
    if (!candidate) continue;
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch {
      // next candidate
    }
  }
  for (const candidate of [fenced, braced]) {
    if (!candidate) continue;
    try {
      return { ok: true, value: JSON.parse(jsonrepair(candidate)) };
    } catch {
      // next candidate
    }
  }
  return { ok: false };
}

function mapFinishReason(reason: string): ModelFinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'tool-calls':
    case 'content-filter':
    case 'error':
      return reason;
    default:
      return 'other';
  }
}

function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && Number.isFinite(Number.parseFloat(ms))) return Math.max(0, Number.parseFloat(ms));
  const after = headers['retry-after'];
  if (after === undefined) return undefined;
  const seconds = Number.parseFloat(after);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function providerMessage(body: string | undefined, fallback: string): string {
  if (body) {
    try {
      const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
      const message = typeof parsed.error === 'object' ? parsed.error.message : (parsed.error ?? parsed.message);
      if (typeof message === 'string') return message;
    } catch {
      // not JSON: fall through
    }
  }
  return fallback;
}

type ErrorContext = { c: CompiledModelConfig; attempts: number; redactor: SecretRedactor | undefined; timedOut: boolean; canceled: boolean };

/** Maps an SDK or transport error to a `PetrelError`; `inLoop` says whether this layer may retry it. */
function toModelError(error: unknown, ctx: ErrorContext): { error: PetrelError; inLoop: boolean } {
  const { c } = ctx;
  const who = `${c.provider} model ${c.model}`;
  const clean = (text: string): string => (ctx.redactor ? ctx.redactor.redact(text) : text).slice(0, MAX_PROVIDER_MESSAGE);
  const base = { provider: c.provider, model: c.model, attempts: ctx.attempts };
  if (ctx.canceled) return { error: new PetrelError('CANCELED', `model.generate: the call to ${who} was canceled`, { cause: error, details: base }), inLoop: false };
  if (ctx.timedOut) {
    return {
      error: new PetrelError('TIMEOUT', `model.generate: ${who} did not answer within ${c.timeoutMs} ms`, { cause: error, details: base, nonRetryable: false }),
      inLoop: true,
    };
  }
  if (error instanceof PetrelError) return { error, inLoop: false };
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === undefined) {
      return {
        error: new PetrelError('LLM_ERROR', `model.generate: cannot reach ${who}${c.baseUrl ? ` at ${c.baseUrl}` : ''}`, {
          cause: error,
          details: { ...base, status: null },
          nonRetryable: false,
        }),
        inLoop: true,
      };
    }
    const hint =
      status === 401 || status === 403 ? ' (check the API key)' : status === 404 ? ' (check the model name and base URL)' : status === 429 ? ' (rate limited)' : '';
    const wait = retryAfterMs(error.responseHeaders);
    return {
      error: new PetrelError('LLM_ERROR', `model.generate: ${who} answered HTTP ${status}${hint}`, {
        cause: error,
        details: { ...base, status, providerMessage: clean(providerMessage(error.responseBody, error.message)) },
        nonRetryable: !error.isRetryable,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      }),
      inLoop: error.isRetryable,
    };
  }
  if (ToolChoiceViolationError.isInstance(error)) {
    return {
      error: new PetrelError('LLM_ERROR', `model.generate: ${who} did not call a tool although the call required one`, {
        cause: error,
        details: { ...base, status: 200 },
        nonRetryable: false,
      }),
      inLoop: false,
    };
  }
  const name = error instanceof Error ? error.name : 'Error';
  // The answer arrived but the SDK could not read it (malformed JSON or stream): a provider glitch.
  return {
    error: new PetrelError('LLM_ERROR', `model.generate: ${who} answered with a response that could not be read (${name})`, {
      cause: error,
      details: { ...base, status: 200, providerMessage: clean(error instanceof Error ? error.message : String(error)) },
      nonRetryable: false,
    }),
    inLoop: false,
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function generate(c: CompiledModelConfig, call: ModelCall): Promise<ModelResult> {
  validateCall(call);
  const started = performance.now();
  const redactor = call.redactor;
  const outbound = redactor ? redactCall(call, redactor) : call;
  let system = outbound.system;
  if (call.output && c.provider === 'openai-compatible' && !c.supportsStructuredOutputs) {
    // JSON mode without schema support: the schema has to travel in the prompt.
    const instruction = `Answer with one JSON value only (no prose, no code fences) that matches this JSON Schema:\n${JSON.stringify(call.output.schema)}`;
    system = system ? `${system}\n\n${instruction}` : instruction;
  }
  const messages = toSdkMessages(outbound.messages);
  const tools: ToolSet = {};
  for (const t of call.tools ?? []) {
    const definition: Tool = tool({ ...(t.description === undefined ? {} : { description: t.description }), inputSchema: jsonSchema(t.inputSchema) });
    tools[t.name] = definition;
  }
  const toolChoice: ToolChoice<ToolSet> | undefined =
    call.toolChoice === undefined ? undefined : typeof call.toolChoice === 'object' ? { type: 'tool', toolName: call.toolChoice.tool } : call.toolChoice;
  const strict = call.output ? isStrictCompatible(call.output.schema) : true;
  const providerOptions = {
    openai: { store: false, strictJsonSchema: strict },
    'openai-compatible': { strictJsonSchema: strict },
  };

  let attempt = 0;
  for (;;) {
    attempt++;
    if (call.signal?.aborted) {
      throw new PetrelError('CANCELED', `model.generate: the call to ${c.provider} model ${c.model} was canceled`, { details: { attempts: attempt - 1 } });
    }
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), c.timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
    let last: ModelHttpExchange | undefined;
    let structuredText: string | undefined;
    const fetchImpl = capturingFetch(c.fetch ?? fetch, attempt, redactor, (exchange) => {
      last = exchange;
      call.onExchange?.(exchange);
    });
    try {
      let output;
      if (call.output) {
        const spec = Output.object({
          schema: jsonSchema(call.output.schema),
          ...(call.output.name === undefined ? {} : { name: call.output.name }),
          ...(call.output.description === undefined ? {} : { description: call.output.description }),
        });
        // Parsing stays here (lenient, and never failing the call): the SDK only hands over the text.
        output = {
          ...spec,
          parseCompleteOutput: ({ text }: { text: string }) => {
            structuredText = text;
            return Promise.resolve(undefined);
          },
        };
      }
      const result = await generateText({
        model: sdkModel(c, fetchImpl),
        ...(system === undefined ? {} : { instructions: system }),
        messages,
        ...(Object.keys(tools).length === 0 ? {} : { tools }),
        ...(toolChoice === undefined ? {} : { toolChoice }),
        ...(output === undefined ? {} : { output }),
        ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
        ...(call.maxOutputTokens === undefined ? {} : { maxOutputTokens: call.maxOutputTokens }),
        abortSignal: signal,
        maxRetries: 0,
        providerOptions,
      });

      const toolSchemas = new Map((call.tools ?? []).map((t) => [t.name, t.inputSchema]));
      const toolCalls: ModelToolCall[] = result.toolCalls.map((raw) => {
        const base: ModelToolCall = { id: raw.toolCallId, name: raw.toolName, input: raw.input };
        if ('invalid' in raw && raw.invalid === true) {
          const reason = 'error' in raw && raw.error instanceof Error ? raw.error.message : 'invalid tool call';
          return { ...base, error: redactor ? redactor.redact(reason) : reason };
        }
        const schema = toolSchemas.get(raw.toolName);
        const issues = schema ? compileJsonSchema(schema, `tools.${raw.toolName}.inputSchema`).validate(raw.input) : [];
        return issues.length === 0 ? base : { ...base, error: `input does not match the tool's schema: ${formatSchemaIssues(issues)}` };
      });

      const usage = { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 };
      const price = findModelPrice(c.model, c.prices);
      const answer: ModelResult = {
        provider: c.provider,
        model: c.model,
        text: redactor ? redactor.redact(result.text) : result.text,
        toolCalls,
        finishReason: mapFinishReason(result.finishReason),
        usage,
        ...(price === undefined ? {} : { costUsd: computeCostUsd(usage, price) }),
        request: { url: last?.url ?? '', body: last?.requestBody ?? '' },
        response: { status: last?.status ?? 0, body: last?.responseBody ?? '' },
        durationMs: Math.round(performance.now() - started),
        attempts: attempt,
        warnings: (result.warnings ?? []).map((w) => JSON.stringify(w)),
      };
      if (call.output) {
        const text = structuredText ?? result.text;
        const parsed = parseModelJson(text);
        if (!parsed.ok) {
          answer.outputError = { message: 'the answer is not JSON', issues: [] };
        } else {
          const issues = compileJsonSchema(call.output.schema, 'output.schema').validate(parsed.value);
          if (issues.length === 0) answer.object = parsed.value;
          else answer.outputError = { message: `the answer does not match the schema: ${formatSchemaIssues(issues)}`, issues };
        }
      }
      return answer;
    } catch (error) {
      const mapped = toModelError(error, { c, attempts: attempt, redactor, timedOut: timeout.signal.aborted && !call.signal?.aborted, canceled: call.signal?.aborted === true });
      if (!mapped.inLoop || attempt > c.maxRetries) throw mapped.error;
      const delay = mapped.error.retryAfterMs ?? c.retryBaseDelayMs * 2 ** (attempt - 1);
      if (delay > c.maxRetryDelayMs) throw mapped.error;
      try {
        await sleep(delay, call.signal);
      } catch (abort) {
        throw new PetrelError('CANCELED', `model.generate: the call to ${c.provider} model ${c.model} was canceled`, { cause: abort, details: { attempts: attempt } });
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
