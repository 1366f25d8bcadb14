// Model configuration: which provider, model, endpoint and key, validated once where a model is built,
// and the per-run override (`model: { model_name }`, as Skyvern's run requests carry it).
import { z } from 'zod';
import { PetrelError } from '@petrel/protocol';
import { MODEL_PROVIDERS } from './language-model.ts';
import type { ModelProvider } from './language-model.ts';
import type { ModelPrices } from './model-prices.ts';

/** A `fetch`-shaped function (the transport the provider SDKs call). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** How to reach one model. */
export type ModelConfig = {
  /** Which API the model speaks (`openai`, `anthropic`, `google`, `openai-compatible`). */
  provider: ModelProvider;
  /** Model id as the provider names it, e.g. `gpt-4o-mini`, `claude-sonnet-4-5`, `gemini-2.5-flash`, `llama3.1`. */
  model: string;
  /** API base URL; required for `openai-compatible` (e.g. `http://127.0.0.1:11434/v1`); default: the provider's public endpoint. */
  baseUrl?: string;
  /** API key; required for `openai`, `anthropic`, `google`; optional for `openai-compatible` (Ollama needs none). */
  apiKey?: string;
  /** Extra HTTP headers on every request (e.g. OpenRouter's `HTTP-Referer`); default none. */
  headers?: Record<string, string>;
  /** `openai` only: `responses` (the Responses API, default) or `chat` (chat completions). */
  api?: 'responses' | 'chat';
  /** `openai-compatible` only: the server honours `response_format: json_schema`; default false (JSON mode plus the schema in the prompt). */
  supportsStructuredOutputs?: boolean;
  /** Retries of a retryable failure (429, 5xx, timeouts, connection errors) within one call; default 2. */
  maxRetries?: number;
  /** First retry delay when the provider gives no `retry-after`, doubled per retry; default 1000 ms. */
  retryBaseDelayMs?: number;
  /** Longest wait before a retry; a longer `retry-after` ends the call with `LLM_ERROR` carrying `retryAfterMs`; default 30 000 ms. */
  maxRetryDelayMs?: number;
  /** Time limit of one HTTP attempt; default 120 000 ms. */
  timeoutMs?: number;
  /** Prices (USD per million tokens) by model id, over the built-in table; default none. */
  prices?: ModelPrices;
  /** The HTTP transport; default the global `fetch`. */
  fetch?: FetchLike;
};

/** A configuration with every default filled in, as the adapter uses it. */
export type CompiledModelConfig = Required<Omit<ModelConfig, 'baseUrl' | 'apiKey' | 'fetch'>> & Pick<ModelConfig, 'baseUrl' | 'apiKey' | 'fetch'>;

/** Skyvern's per-run override: `{ "model_name": "..." }` (other keys are ignored). */
export type ModelOverride = { model_name?: string | null | undefined } & Record<string, unknown>;

const PriceSchema = z.object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) });

const ConfigSchema = z.object({
  provider: z.enum(MODEL_PROVIDERS),
  model: z.string().min(1).max(200),
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  apiKey: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  api: z.enum(['responses', 'chat']).optional(),
  supportsStructuredOutputs: z.boolean().optional(),
  maxRetries: z.int().min(0).max(10).optional(),
  retryBaseDelayMs: z.int().min(0).max(600_000).optional(),
  maxRetryDelayMs: z.int().min(0).max(3_600_000).optional(),
  timeoutMs: z.int().min(1).max(3_600_000).optional(),
  prices: z.record(z.string(), PriceSchema).optional(),
  fetch: z.custom<FetchLike>((value) => typeof value === 'function').optional(),
});

const NEEDS_KEY: ReadonlySet<ModelProvider> = new Set(['openai', 'anthropic', 'google']);

/**
 * Validates a configuration and fills in defaults. Missing configuration (nothing, no provider, no
 * model, no key where one is required, no base URL for `openai-compatible`) is `LLM_NOT_CONFIGURED`;
 * a present but invalid field is `VALIDATION_FAILED` naming the field.
 */
export function compileModelConfig(config: ModelConfig | undefined | null): CompiledModelConfig {
  if (config === undefined || config === null) {
    throw new PetrelError('LLM_NOT_CONFIGURED', 'model.config: no language model is configured; set a provider, a model and its API key');
  }
  const raw = config as Partial<ModelConfig>;
  if (raw.provider === undefined || raw.model === undefined || raw.model === '') {
    const missing = raw.provider === undefined ? 'provider' : 'model';
    throw new PetrelError('LLM_NOT_CONFIGURED', `model.config: no language model is configured (${missing} is missing)`, { details: { field: missing } });
  }
  const parsed = ConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || 'config';
    throw new PetrelError('VALIDATION_FAILED', `model.config: ${field}: ${issue?.message ?? 'invalid'}`, { details: { field } });
  }
  const c = parsed.data;
  if (NEEDS_KEY.has(c.provider) && c.apiKey === undefined) {
    throw new PetrelError('LLM_NOT_CONFIGURED', `model.config: provider ${c.provider} needs an apiKey`, { details: { field: 'apiKey' } });
  }
  if (c.provider === 'openai-compatible' && c.baseUrl === undefined) {
    throw new PetrelError('LLM_NOT_CONFIGURED', 'model.config: provider openai-compatible needs a baseUrl (e.g. http://127.0.0.1:11434/v1)', {
      details: { field: 'baseUrl' },
    });
  }
  return {
    provider: c.provider,
    model: c.model,
    ...(c.baseUrl === undefined ? {} : { baseUrl: c.baseUrl.replace(/\/+$/, '') }),
    ...(c.apiKey === undefined ? {} : { apiKey: c.apiKey }),
    headers: c.headers ?? {},
    api: c.api ?? 'responses',
    supportsStructuredOutputs: c.supportsStructuredOutputs ?? false,
    maxRetries: c.maxRetries ?? 2,
    retryBaseDelayMs: c.retryBaseDelayMs ?? 1000,
    maxRetryDelayMs: c.maxRetryDelayMs ?? 30_000,
    timeoutMs: c.timeoutMs ?? 120_000,
    prices: c.prices ?? {},
    ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
  };
}

/**
 * Applies a run's `model: { model_name }` override to the configured model: only the model id changes;
 * provider, endpoint and key stay the operator's (a run cannot point the key at another server).
 * `allowedModels`, when given, limits which ids a run may pick.
 */
export function resolveModelConfig(
  base: ModelConfig | undefined | null,
  override?: ModelOverride | null,
  options: { allowedModels?: readonly string[] } = {},
): ModelConfig {
  if (base === undefined || base === null) {
    throw new PetrelError('LLM_NOT_CONFIGURED', 'model.resolve: no language model is configured, so a run cannot choose one');
  }
  const name = override?.model_name;
  if (name === undefined || name === null) return base;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200) {
    throw new PetrelError('VALIDATION_FAILED', 'model.resolve: model.model_name must be a non-empty string of at most 200 characters', {
      details: { field: 'model.model_name' },
    });
  }
  if (options.allowedModels !== undefined && !options.allowedModels.includes(name.trim())) {
    throw new PetrelError('VALIDATION_FAILED', 'model.resolve: model.model_name is not one of the models this server allows', {
      details: { field: 'model.model_name', allowed: [...options.allowedModels] },
    });
  }
  return { ...base, model: name.trim() };
}
