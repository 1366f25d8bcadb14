// @petrel/agent: the LLM agent that drives browser tasks. Today it holds the model layer (the
// `LanguageModel` port and its AI SDK adapter, prices), secrets handling (placeholders, redaction,
// TOTP) and extraction schemas. The agent loop itself (observe → decide → act as durable steps) is
// coming and will be built on these.
export { createLanguageModel } from './model/ai-sdk-language-model.ts';
export { MODEL_PROVIDERS } from './model/language-model.ts';
export type {
  LanguageModel,
  ModelCall,
  ModelContentPart,
  ModelFinishReason,
  ModelHttpExchange,
  ModelImagePart,
  ModelMessage,
  ModelOutputSpec,
  ModelProvider,
  ModelResult,
  ModelTextPart,
  ModelTool,
  ModelToolCall,
  ModelToolChoice,
  ModelUsage,
} from './model/language-model.ts';
export { compileModelConfig, resolveModelConfig } from './model/model-config.ts';
export type { CompiledModelConfig, FetchLike, ModelConfig, ModelOverride } from './model/model-config.ts';
export { MODEL_PRICES, computeCostUsd, findModelPrice } from './model/model-prices.ts';
export type { ModelPrice, ModelPrices } from './model/model-prices.ts';

export { createSecretRedactor } from './secrets/secret-redactor.ts';
export type { CredentialValues, CredentialView, RegisterSecretOptions, SecretKind, SecretRedactor } from './secrets/secret-redactor.ts';
export { createRedactingLogger } from './secrets/redacting-logger.ts';
export { generateTotpCode, totpRemainingMs } from './secrets/totp.ts';
export type { TotpOptions } from './secrets/totp.ts';
export { fetchTotpFromUrl, signPayload } from './secrets/totp-url.ts';
export type { TotpUrlOptions, TotpUrlResult } from './secrets/totp-url.ts';

export { compileExtractionSchema, parseExtractionOutput } from './extraction/extraction-schema.ts';
export type { ExtractionResult, ExtractionSchema } from './extraction/extraction-schema.ts';
export { compileJsonSchema, formatJsonPointer, formatSchemaIssues } from './extraction/json-schema-validator.ts';
export type { JsonSchema, JsonSchemaValidator, SchemaIssue } from './extraction/json-schema-validator.ts';
